"""Who reads shared state back: the other half of a leak's witness.

A store only leaks when another request can read the value back. This module finds, for a
state written on a long-lived object (``self.active``, ``self.cache``) or a module-level
container (``CACHE``), the request-time functions that read it: a call through the
attribute (``self.active.send_json(...)``) or a reading method of the container
(``CACHE.get(key)``, ``self.runs.values()``). Subscript reads are not recorded by the pass,
so a store may have readers this does not find.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from isolint.analysis.expressions import MUTATING_METHODS
from isolint.analysis.facts import Access, CallSite, Span
from isolint.program.reach import Reach
from isolint.project import Project

# Methods that hand a container's contents back to the caller.
_READING_METHODS = frozenset(
    {"get", "items", "values", "keys", "copy", "__getitem__", "__contains__", "popitem", "pop"}
)

# Methods that change a container and hand nothing of it back (``pop`` and
# ``setdefault`` return an entry: they read as well).
_WRITING_METHODS = MUTATING_METHODS - _READING_METHODS - {"setdefault", "popleft"}

StateKey = tuple[str, str, str]  # (module, owner class or "", attribute or module-level name)


# Methods that hand back every entry at once (a listing), not the one its caller names.
_LISTING_METHODS = frozenset({"items", "values", "keys", "copy"})
# Methods that hand back the entry under the key they are given.
_KEYED_READS = frozenset({"get", "__getitem__", "pop"})


@dataclass(frozen=True)
class Reader:
    """A request-time function reading the state back, and where; ``lists`` when it reads
    every entry (``.values()``), rather than the one under a key it names."""

    module: str
    function: str
    span: Span | None
    lists: bool = False


class Readers:
    """Readers of shared state, by the state they read."""

    def __init__(self, project: Project, reach: Reach) -> None:
        self.project = project
        self.reach = reach

    @cached_property
    def by_state(self) -> dict[StateKey, list[Reader]]:
        found: dict[StateKey, list[Reader]] = defaultdict(list)
        request_time = self.reach.request_paths
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if call.at_import_time or not call.function:
                    continue
                if (module, call.function) not in request_time:
                    continue
                state = self._state_read(module, call.callee, call.self_class)
                if state is not None:
                    lists = self._lists(module, call)
                    found[state].append(Reader(module, call.function, call.span, lists))
        return dict(found)

    def _lists(self, module: str, call: CallSite) -> bool:
        """The read hands back every entry (``.values()``), or entries under keys the reader
        found for itself (``for doc_id in hits: docs.get(doc_id)``, a search) rather than
        the one key its caller named (a parameter)."""
        method = call.callee.attrs[-1]
        if method in _LISTING_METHODS:
            return True
        if method not in _KEYED_READS or not call.args or call.args[0] is None:
            return False
        function = self.project.function(module, call.function or "")
        key = call.args[0].root
        return function is not None and key not in function.params and key != "self"

    def _state_read(self, module: str, callee: Access, self_class: str | None) -> StateKey | None:
        if self_class is not None:
            # `self.active.send(...)`, `self.runs.values()`: the attribute is read back;
            # `self.seen.add(x)` or `self.items.clear()` only writes it
            if len(callee.attrs) == 2 and callee.attrs[1] in _WRITING_METHODS:
                return None
            return (module, self_class, callee.attrs[0]) if len(callee.attrs) >= 2 else None
        if len(callee.attrs) == 1 and callee.attrs[0] in _READING_METHODS:
            target = self.project.resolve(module, Access(callee.root))
            if target is not None and target.kind == "binding" and not target.rest:
                return (target.module, "", target.name)
        return None

    def of_attribute(
        self, module: str, class_names: list[tuple[str, str]], attribute: str, writer: str
    ) -> list[Reader]:
        """Readers of ``self.attribute`` in any of the classes, other than ``writer``."""
        return [
            reader
            for owner, class_name in class_names
            for reader in self.by_state.get((owner, class_name, attribute), ())
            if reader.function != writer
        ]

    def of_global(self, module: str, name: str, writer: str) -> list[Reader]:
        return [r for r in self.by_state.get((module, "", name), ()) if r.function != writer]
