"""Snapshot of the shared objects' state, restored in place between rounds and at the end.

Other modules hold references to the very same objects (``from app.ws import manager``), so
a restore must never swap an object for a copy: bindings are put back, and every mutable
container or instance reached from a shared object gets its original contents back in place.
That is why the snapshot records, for each object, its contents as references (with the
children snapshotted recursively) instead of taking a ``deepcopy``, which would lose identity.
A ``ContextVar``'s default (one object every context shares) is restored in place too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextvars import Context, ContextVar
from dataclasses import dataclass, field
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

from isolint.race.tokens import SharedSpec, slot_names

MAX_RESTORE_DEPTH = 6
MAX_RESTORE_OBJECTS = 5_000

# Live machinery whose insides must not be rewound: locks, threads, loops, sockets, loggers.
_UNTOUCHABLE_MODULE_PREFIXES = (
    "threading",
    "_thread",
    "asyncio",
    "concurrent.",
    "queue",
    "logging",
    "socket",
    "ssl",
    "selectors",
    "contextvars",
    "_contextvars",
    "weakref",
)
_MISSING = object()


@dataclass
class _Binding:
    owner: object
    name: str
    value: object


@dataclass
class _Contents:
    """One object's contents at snapshot time, as references (children snapshotted apart)."""

    target: object
    kind: str  # "dict", "sequence", "deque", "set", "tuple", "class", "function" or "object"
    entries: list[tuple[object, object]] = field(default_factory=list)
    elements: list[object] = field(default_factory=list)
    attributes: dict[str, object] | None = None
    slots: list[tuple[str, object]] = field(default_factory=list)

    def children(self) -> Iterator[object]:
        for key, value in self.entries:
            yield key
            yield value
        yield from self.elements
        if self.attributes is not None:
            yield from self.attributes.values()
        for _, value in self.slots:
            yield value


class StateSnapshot:
    """The shared objects' state at one moment; ``restore`` puts it back in place."""

    def __init__(self, bindings: list[_Binding], contents: list[_Contents]) -> None:
        self._bindings = bindings
        self._contents = contents
        self.problems: list[str] = []

    @classmethod
    def take(cls, shared: Sequence[SharedSpec]) -> StateSnapshot:
        bindings: list[_Binding] = []
        roots: list[object] = []
        for item in shared:
            value = getattr(item.owner, item.name, _MISSING)
            bindings.append(_Binding(item.owner, item.name, value))
            if value is not _MISSING:
                roots.append(value)
            if isinstance(value, ContextVar):  # its default, shared by every context
                roots.extend(_default_of(value))
            if not isinstance(item.owner, ModuleType):
                roots.append(item.owner)
        return cls(bindings, list(_snapshot_graph(roots)))

    def restore(self) -> None:
        """Put every binding and every recorded object's contents back; never raises."""
        for binding in self._bindings:
            try:
                _restore_binding(binding)
            except Exception as error:
                self._note(f"{_describe(binding.owner)}.{binding.name}", error)
        for contents in self._contents:
            try:
                _restore_contents(contents)
            except Exception as error:  # a custom container may refuse; report, keep going
                self._note(_describe(contents.target), error)

    def _note(self, what: str, error: Exception) -> None:
        problem = f"could not restore {what}: {type(error).__name__}: {error}"
        if problem not in self.problems:
            self.problems.append(problem)


def _default_of(variable: ContextVar[object]) -> list[object]:
    """The variable's own default (what ``get()`` returns in an empty context), if any."""
    try:
        return [Context().run(variable.get)]
    except LookupError:
        return []


def _snapshot_graph(roots: list[object]) -> Iterator[_Contents]:
    seen: set[int] = set()
    queue: deque[tuple[object, int]] = deque((root, 0) for root in roots)
    while queue and len(seen) < MAX_RESTORE_OBJECTS:
        value, depth = queue.popleft()
        if id(value) in seen or depth > MAX_RESTORE_DEPTH or not _is_restorable(value, depth):
            continue
        seen.add(id(value))
        try:
            contents = _capture(value)
        except Exception:  # an object whose state cannot be read is left as it is
            continue
        if contents is None:
            continue
        yield contents
        queue.extend((child, depth + 1) for child in contents.children())


def _is_restorable(value: object, depth: int) -> bool:
    if isinstance(value, (str, bytes, int, float, complex, bool, type(None), range, frozenset)):
        return False
    if isinstance(value, FunctionType):
        return depth <= 1  # named, or a class's method: its mutable defaults
    if isinstance(value, (ModuleType, BuiltinFunctionType, MethodType)):
        return False
    if isinstance(value, type):
        return depth == 0  # a class named as the shared object: its class attributes
    module = getattr(type(value), "__module__", "") or ""
    return not module.startswith(_UNTOUCHABLE_MODULE_PREFIXES)


def _capture(value: object) -> _Contents | None:
    if isinstance(value, FunctionType):
        # Nothing of the function itself is put back: its defaults (a list shared by every
        # call) are children, restored in place like any other container.
        defaults = [*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values()]
        return _Contents(value, "function", elements=defaults)
    if isinstance(value, type):
        return _Contents(value, "class", entries=list(vars(value).items()))
    if isinstance(value, dict):
        contents = _Contents(value, "dict", entries=list(value.items()))
    elif isinstance(value, (list, bytearray)):
        contents = _Contents(value, "sequence", elements=list(value))
    elif isinstance(value, deque):
        contents = _Contents(value, "deque", elements=list(value))
    elif isinstance(value, set):
        contents = _Contents(value, "set", elements=list(value))
    elif isinstance(value, tuple):
        contents = _Contents(value, "tuple", elements=list(value))
    else:
        contents = _Contents(value, "object")
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        contents.attributes = dict(attributes)
    contents.slots = [(name, getattr(value, name, _MISSING)) for name in slot_names(type(value))]
    if contents.kind == "object" and contents.attributes is None and not contents.slots:
        return None
    return contents


def _restore_binding(binding: _Binding) -> None:
    current = getattr(binding.owner, binding.name, _MISSING)
    if binding.value is _MISSING:
        if current is not _MISSING:
            delattr(binding.owner, binding.name)
    elif current is not binding.value:
        setattr(binding.owner, binding.name, binding.value)


def _restore_contents(contents: _Contents) -> None:
    target = contents.target
    if contents.kind == "function":
        return
    if contents.kind == "class":
        assert isinstance(target, type)
        _restore_class(target, dict(contents.entries))
        return
    if contents.kind == "dict":
        assert isinstance(target, dict)
        target.clear()
        target.update(contents.entries)
    elif contents.kind == "sequence":
        assert isinstance(target, (list, bytearray))
        target[:] = contents.elements  # type: ignore[assignment]
    elif contents.kind == "deque":
        assert isinstance(target, deque)
        target.clear()
        target.extend(contents.elements)
    elif contents.kind == "set":
        assert isinstance(target, set)
        target.clear()
        target.update(contents.elements)
    _restore_attributes(target, contents)


def _restore_attributes(target: object, contents: _Contents) -> None:
    current = getattr(target, "__dict__", None)
    if contents.attributes is not None and isinstance(current, dict):
        # Through __dict__ itself: a frozen dataclass or a __setattr__ hook must not refuse.
        for name in [name for name in current if name not in contents.attributes]:
            del current[name]
        for name, value in contents.attributes.items():
            if current.get(name, _MISSING) is not value:
                current[name] = value
    for name, value in contents.slots:
        if value is _MISSING:
            if hasattr(target, name):
                object.__delattr__(target, name)
        elif getattr(target, name, _MISSING) is not value:
            object.__setattr__(target, name, value)


def _restore_class(cls: type, original: dict[object, object]) -> None:
    for added in [name for name in vars(cls) if name not in original]:
        delattr(cls, added)
    for key, value in original.items():
        if isinstance(key, str) and vars(cls).get(key, _MISSING) is not value:
            setattr(cls, key, value)


def _describe(value: object) -> str:
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) else f"<{type(value).__name__} object>"
