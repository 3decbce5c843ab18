"""Who reads shared state back: the other half of a leak's witness.

A store only leaks when another request can read the value back. This module finds, for a
state written on a long-lived object (``self.active``, ``self.cache``) or a module-level
container (``CACHE``), the request-time functions that read it: a call through the
attribute (``self.active.send_json(...)``), a reading method of the container
(``CACHE.get(key)``, ``self.runs.values()``), or a request-time method of the class that
loads the attribute (``return self.user_id``) or a request-time function that loads the
module-level name (``CACHE[key]``, ``for run in RUNS``). A read the pass cannot see (a
template, another package) is not found, so a store may have readers this misses.

It also answers whether anything that can run reads an attribute at all, from the names
every module loads: a value only ever stored reaches no other user.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from isolint.analysis.expressions import WRITING_METHODS
from isolint.analysis.facts import Access, CallSite, Span
from isolint.program.reach import Reach
from isolint.project import Project

# Methods that hand a container's contents back to the caller.
_READING_METHODS = frozenset(
    {"get", "items", "values", "keys", "copy", "__getitem__", "__contains__", "popitem", "pop"}
)

StateKey = tuple[str, str, str]  # (module, owner class or "", attribute or module-level name)


def _takes_from(
    module: str,
    class_name: str | None,
    taken: str,
    name: str,
    family: frozenset[tuple[str, str]],
) -> bool:
    """``self.ws_messages`` in the queue's own class family, ``ccat.ws_messages`` through
    any other object (its class is not known here), or the module-level ``notes``."""
    if taken.startswith("self."):
        return taken == f"self.{name}" and (module, class_name or "") in family
    return taken.endswith(f".{name}") or (not family and taken == name)


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

    def __init__(
        self,
        project: Project,
        reach: Reach,
        constructions: Callable[[], Mapping[tuple[str, str], object]],
    ) -> None:
        self.project = project
        self.reach = reach
        self._constructions = constructions  # the project classes it builds (computed late)

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
            if len(callee.attrs) == 2 and callee.attrs[1] in WRITING_METHODS:
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
        """Readers of ``self.attribute`` in any of the classes: calls through it first
        (``self.active.send(...)``), then request-time methods of those classes that load it
        (``return self.user_id``), each at its ``def``; last the writer itself, when it reads
        the attribute back (``self.state = state`` then ``return self.state.result``: the
        same method running for another request may write in between)."""
        states = [(owner, class_name, attribute) for owner, class_name in class_names]
        found, writer_reads = self._state_readers(states, module, writer)
        named = {(reader.module, reader.function) for reader in found}
        request_time = self.reach.request_paths
        for owner, qualname in self._attribute_readers.get(attribute, ()):
            if (owner, qualname) in named or (owner, qualname) == (module, writer):
                continue
            if (owner, qualname) not in request_time:
                continue
            function = self.project.function(owner, qualname)
            if function is None or (owner, function.class_name) not in class_names:
                continue
            named.add((owner, qualname))
            found.append(Reader(owner, qualname, function.span))
        if writer_reads or self._loads_attribute(module, writer, attribute):
            found.append(self.at_def(module, writer))
        return found

    def _state_readers(
        self, states: list[StateKey], module: str, writer: str
    ) -> tuple[list[Reader], bool]:
        """The reading calls of each state other than the writer's, and whether the writer
        makes one."""
        calls = [reader for state in states for reader in self.by_state.get(state, ())]
        others = [r for r in calls if (r.module, r.function) != (module, writer)]
        return others, len(others) < len(calls)

    def queue_takers(
        self, name: str, writer: str, family: frozenset[tuple[str, str]] = frozenset()
    ) -> list[Reader]:
        """Request-time functions serving a client themselves (an entry point, or one that
        takes the request or its socket) that take an item out of the queue written
        (``await ccat.ws_messages.get()``): each item goes to whichever of them asks first.
        ``name`` is a module-level queue's name, or a long-lived object's attribute with the
        classes (``family``) whose ``self.name`` is that queue."""
        found = []
        entries = self.reach.entry_points.entries
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                if qualname == writer or not any(
                    _takes_from(module, function.class_name, taken, name, family)
                    for taken in function.takes_from
                ):
                    continue
                key = (module, qualname)
                if key not in self.reach.request_paths:
                    continue
                if key in entries or self.reach.direct_reason(module, function):
                    found.append(self.at_def(module, qualname))
        return found

    def at_def(self, module: str, qualname: str) -> Reader:
        """The function as a reader, pointing at its ``def``."""
        function = self.project.function(module, qualname)
        return Reader(module, qualname, function.span if function is not None else None)

    def _loads_attribute(self, module: str, qualname: str, attribute: str) -> bool:
        record = self.project.modules.get(module)
        return record is not None and qualname in record.facts.attribute_reads.get(attribute, ())

    def of_global(self, module: str, name: str, writer: str) -> list[Reader]:
        """Readers of the module-level ``name`` of ``module``: calls of its reading methods
        first (``CACHE.get(key)``), then request-time functions that load it in any other way
        (``CACHE[key]``, ``for run in RUNS``), each at its ``def``, in its own module or
        through an import of it; last the writer itself, when it reads the name back."""
        found, writer_reads = self._state_readers([(module, "", name)], module, writer)
        named = {(reader.module, reader.function) for reader in found}
        request_time = self.reach.request_paths
        for reader_module, qualname, local in self._global_loads.get(name, ()):
            key = (reader_module, qualname)
            if key in named or not self._names_global(reader_module, local, module):
                continue
            if key == (module, writer):
                writer_reads = True
            elif key in request_time:
                named.add(key)
                found.append(self.at_def(*key))
        if writer_reads:
            found.append(self.at_def(module, writer))
        return found

    def of_module_attribute(self, module: str, name: str) -> list[Reader]:
        """Request-time functions that load ``name`` as an attribute of the project module
        ``module`` (``state.last_user`` after ``from app import state``), each at its
        ``def``."""
        request_time = self.reach.request_paths
        return [
            self.at_def(*key)
            for key in self._attribute_readers.get(name, ())
            if key in request_time and self._loads_module(*key, module)
        ]

    def of_object_attribute(self, module: str, name: str, attribute: str) -> list[Reader]:
        """Request-time functions that load both the module-level object ``name`` of
        ``module`` (there or through an import) and an ``.attribute`` (``app.last_plot``
        with ``app = Flask(...)``), each at its ``def``."""
        holders = {
            (reader_module, qualname)
            for reader_module, qualname, local in self._global_loads.get(name, ())
            if self._names_global(reader_module, local, module)
        }
        request_time = self.reach.request_paths
        return [
            self.at_def(*key)
            for key in self._attribute_readers.get(attribute, ())
            if key in request_time and key in holders
        ]

    def _loads_module(self, reader_module: str, qualname: str, module: str) -> bool:
        """Whether the function may hold ``module`` itself: its module imports it, or imports
        a package above it (``import app.state`` binds ``app``) and the function loads the
        rest of the path as attributes (``app.state``)."""
        for imported in self._imported_modules(reader_module):
            if imported == module:
                return True
            if module.startswith(f"{imported}."):
                rest = module[len(imported) + 1 :].split(".")
                if all(self._loads_attribute(reader_module, qualname, part) for part in rest):
                    return True
        return False

    def _imported_modules(self, module: str) -> set[str]:
        """The project modules that names ``module`` imports are bound to (``import a``
        binds ``a``, ``from a import b`` the module ``a.b``; ``import a.b`` binds ``a``)."""
        known = self._module_imports.get(module)
        if known is None:
            record = self.project.modules.get(module)
            known = set()
            imports = record.facts.imports if record is not None else {}
            for local in imports:
                target = self.project.resolve(module, Access(local))
                if target is not None and target.kind == "module" and not target.rest:
                    known.add(target.module)
            self._module_imports[module] = known
        return known

    @cached_property
    def _module_imports(self) -> dict[str, set[str]]:
        return {}

    def _names_global(self, reader_module: str, local: str, module: str) -> bool:
        """Whether ``local`` in ``reader_module`` is the module-level name (an object, or a
        class) of ``module``."""
        if reader_module == module:
            return True
        target = self.project.resolve(reader_module, Access(local))
        return target is not None and target.kind in _GLOBALS and target.module == module

    @cached_property
    def _global_loads(self) -> dict[str, list[tuple[str, str, str]]]:
        """Module-level name -> (module, function, the name it is loaded by) for every
        function that loads it: its own module's shared globals, and imported names (by the
        name they are imported as, checked against the definition when asked)."""
        found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for module, record in self.project.modules.items():
            facts = record.facts
            for qualname, function in facts.functions.items():
                for local in function.reads_globals:
                    ref = facts.imports.get(local)
                    if ref is None:
                        found[local].append((module, qualname, local))
                    elif ref.name is not None:
                        found[ref.name].append((module, qualname, local))
        return dict(found)

    # ---- whether anything reads an attribute at all ------------------------------------------

    def anything_reads(self, module: str, class_name: str, attribute: str, writer: str) -> bool:
        """Whether code that can run reads ``.attribute`` back: a load of it (``x.token``,
        ``getattr(x, "token")``) in a function something refers to, or ``vars()``/``asdict``
        in the class's module. A value only ever stored (a token kept and never used again,
        errors collected for a method nothing calls) reaches nobody. A class with a base from
        outside the project may be read by that library, so it always counts as read; so
        does every attribute a function that may not run itself writes (a public method of a
        shared object, reported as one that could run: its readers could as well)."""
        if self.project.external_base_names(module, class_name):
            return True
        if not self._can_run(module, writer):
            return True
        record = self.project.modules.get(module)
        if record is None or "__dict__" in record.facts.attribute_reads:
            return True
        return any(
            self._can_run(reader_module, qualname)
            for reader_module, qualname in self._attribute_readers.get(attribute, ())
        )

    @cached_property
    def _attribute_readers(self) -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for module, record in self.project.modules.items():
            for attribute, functions in record.facts.attribute_reads.items():
                found[attribute].extend((module, function) for function in functions)
        return dict(found)

    def _can_run(self, module: str, qualname: str) -> bool:
        """Code outside functions runs; a function runs when the project refers to its name,
        it is decorated (a property, a registered handler), a special method, an entry point,
        a method a library base class may call, or a public method of a class the project
        never builds (its users do: a library's extension)."""
        if not qualname:
            return True
        function = self.project.function(module, qualname)
        if function is None:
            return True
        if function.decorators or function.name.startswith("__"):
            return True
        if (
            function.name in self.project.referenced_names
            or (module, qualname) in self.reach.request_paths
        ):
            return True
        owner = function.class_name
        if owner is None:
            return False
        if self.project.external_base_names(module, owner):
            return True
        return not function.name.startswith("_") and not self._built_here(module, owner)

    def _built_here(self, module: str, class_name: str) -> bool:
        """The project builds the class, or a subclass of it."""
        built = self._constructions()
        key = (module, class_name)
        return bool(built.get(key)) or any(
            built.get(subclass) for subclass in self.reach.types.subclasses.get(key, ())
        )


# What a module-level name of another module may resolve to, for its readers.
_GLOBALS = frozenset({"binding", "class"})
