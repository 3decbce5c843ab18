"""The whole-project index: modules by dotted name, name resolution across imports, and the
project-wide facts rules need (which classes have long-lived instances, which functions run
only at import time).

It is built from every module's cached facts in one cheap pass; no syntax tree is needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from isolint.analysis.facts import (
    Access,
    Binding,
    ClassFacts,
    DecoratorUse,
    Function,
    ImportRef,
    ModuleFacts,
    Span,
    WriteSite,
    only_a_protocol,
    public_name,
)
from isolint.analysis.positions import (
    resolve_many_positions,
    resolve_positions,
    unresolved_spans,
)
from isolint.config import DEFAULT_FILE_TIMEOUT, ENUM_BASES, Config

_MAX_HOPS = 8
_MAX_ALIAS_PARTS = 8
_UNRESOLVED = object()
# Run when a class is created (at import time, as the class statement runs).
_CLASS_CREATION_HOOKS = frozenset({"__init_subclass__", "__set_name__", "__class_getitem__"})
_INIT_METHODS = frozenset({"__init__", "__post_init__", "__new__", "setUp", "setup", "__enter__"})
# Declarative bases whose instances are fixed members or values (an enum's members, a named
# tuple): sharing one shares nothing a request can change. A Pydantic model, settings object
# or ORM row is a record: one at module level, written by a request, is every request's.
_FIXED_MEMBER_BASES = frozenset({*ENUM_BASES, "NamedTuple", "Protocol"})


def _fixed_members(class_facts: ClassFacts) -> bool:
    """A declarative class whose instances nobody writes: an enum, a named tuple, a protocol
    (or a nested ``Meta``/``Config`` description)."""
    if class_facts.name in ("Meta", "Config"):
        return True
    return any((base.attrs or [base.root])[-1] in _FIXED_MEMBER_BASES for base in class_facts.bases)


_SAFE_TYPES = frozenset(
    {
        "Lock",
        "RLock",
        "Semaphore",
        "BoundedSemaphore",
        "Event",
        "Condition",
        "Barrier",
        "Queue",
        "LifoQueue",
        "PriorityQueue",
        "SimpleQueue",
        "JoinableQueue",
        "Logger",
        "getLogger",
        "ContextVar",
        "TypeVar",
        "ParamSpec",
        "NewType",
        "compile",
        "namedtuple",
        "Engine",
        "create_engine",
        "create_async_engine",
        "sessionmaker",
        "async_sessionmaker",
        "scoped_session",
        "Redis",
        "StrictRedis",
        "Client",
        "AsyncClient",
    }
)
_NOT_DB_MODULES = ("requests", "aiohttp", "httpx", "boto3", "botocore", "urllib3", "tornado")
_SESSION_FACTORIES = frozenset({"sessionmaker", "async_sessionmaker"})
_ENGINE_FACTORIES = frozenset({"create_engine", "create_async_engine"})


@dataclass
class ModuleRecord:
    """One module of the project: its dotted name, where it is, and its facts."""

    name: str
    display_path: str
    is_package: bool
    facts: ModuleFacts
    is_target: bool = True
    path: Path | None = None
    # The content analysed in place of the file's (source read from stdin), if any.
    source: bytes | None = None
    # seconds a parse of this module for its positions may take (the `file-timeout`)
    parse_budget: float = DEFAULT_FILE_TIMEOUT
    positions_added: bool = False
    _positions_checked: bool = False

    def located(self, span: Span) -> Span:
        """``span`` with its line and column, computing this module's positions once."""
        if not span.resolved and not self._positions_checked:
            self._positions_checked = True
            source = self.source_for_positions()
            if source is not None:
                self.positions_done(resolve_positions(source, self.facts, budget=self.parse_budget))
        return span

    def positions_done(self, added: bool) -> None:
        """The module's positions were computed (``added``) or could not be."""
        self._positions_checked = True
        self.positions_added = added

    def source_for_positions(self) -> bytes | None:
        """The source whose positions are still to be computed; None when there is none
        to compute (or the file cannot be read: its findings keep line 0)."""
        if self.path is None or not any(unresolved_spans(self.facts)):
            return None
        try:
            return self.source if self.source is not None else self.path.read_bytes()
        except OSError:
            return None


# --- what a name resolves to ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What an access such as ``state.CACHE.items`` refers to, and the attributes left over.

    kind: ``binding`` (a module-level name), ``class``, ``function``, ``module`` (a project
    module) or ``external`` (outside the project; ``qualified`` is its dotted name).
    """

    kind: str
    module: str
    name: str
    rest: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return (
            f"{self.module}.{self.name}" if self.module and self.name else self.module or self.name
        )


_FLASK_EXTENSIONS = "flask.ext."


@dataclass(frozen=True)
class Creation:
    """Where a long-lived instance of a class is created."""

    module: str
    span: Span
    how: str
    # the long-lived class whose instance keeps this one (``kept on `Owner.attr```)
    holder: tuple[str, str] | None = None
    # judged from the class's own code (it keeps a lock for concurrent callers), not from
    # an allocation seen for the process
    inferred: bool = False


def kept_only(creations: Sequence[Creation]) -> bool:
    """Long-lived only as what other long-lived objects keep: no allocation for the process
    of its own (import time, a singleton, a cached factory, the framework)."""
    return bool(creations) and all(creation.holder is not None for creation in creations)


def allocated_for_the_process(creations: Sequence[Creation]) -> bool:
    """Some creation is an allocation for the process of the object's own, seen in the code
    (not what another long-lived object keeps, nor what the class's own lock suggests)."""
    return any(creation.holder is None and not creation.inferred for creation in creations)


@dataclass
class Project:
    """All modules of the project and the derived, project-wide facts."""

    modules: dict[str, ModuleRecord]
    config: Config

    # ---- resolution ----------------------------------------------------------------------

    def resolve(self, module: str, access: Access) -> Target | None:
        """Follow imports and aliases from ``module`` until the definition of ``access``."""
        key = (module, access.root, tuple(access.attrs))
        resolved = self._resolved.get(key, _UNRESOLVED)
        if resolved is _UNRESOLVED:
            resolved = self._resolved[key] = self._resolve_name(module, key[1], key[2], 0)
        return resolved  # type: ignore[return-value]

    @cached_property
    def _resolved(self) -> dict[tuple[str, str, tuple[str, ...]], Target | None]:
        return {}

    def _resolve_name(
        self, module: str, name: str, rest: tuple[str, ...], hops: int
    ) -> Target | None:
        record = self.modules.get(module)
        if record is None or hops > _MAX_HOPS:
            return None
        facts = record.facts
        if name in facts.bindings or name in facts.classes or name in facts.functions:
            return self._lookup(module, name, rest, hops)
        ref = facts.imports.get(name)
        if ref is not None:
            return self._follow_import(record, ref, rest, hops)
        return Target("external", "", name, rest)

    def _follow_import(
        self, record: ModuleRecord, ref: ImportRef, rest: tuple[str, ...], hops: int
    ) -> Target | None:
        base = absolute_module(record.name, record.is_package, ref)
        if ref.name is None:
            return self._walk_modules(base, rest, hops)
        return self._lookup(base, ref.name, rest, hops + 1)

    def _lookup(self, module: str, name: str, rest: tuple[str, ...], hops: int) -> Target | None:
        module = self._canonical(module)
        record = self.modules.get(module)
        if record is None:
            if f"{module}.{name}" in self.modules:
                return self._walk_modules(f"{module}.{name}", rest, hops)
            return Target("external", module, name, rest)
        facts = record.facts
        if name in facts.classes:
            return Target("class", module, name, rest)
        if name in facts.functions:
            return Target("function", module, name, rest)
        binding = facts.bindings.get(name)
        if binding is not None:
            if binding.kind == "alias" and binding.callee is not None and hops < _MAX_HOPS:
                alias = binding.callee
                return self._resolve_name(module, alias.root, (*alias.attrs, *rest), hops + 1)
            return Target("binding", module, name, rest)
        if name in facts.imports:
            return self._resolve_name(module, name, rest, hops + 1)
        if f"{module}.{name}" in self.modules:
            return self._walk_modules(f"{module}.{name}", rest, hops)
        return None

    def _walk_modules(self, module: str, rest: tuple[str, ...], hops: int) -> Target | None:
        module = self._canonical(module)
        while rest and self._canonical(f"{module}.{rest[0]}") in self.modules:
            module, rest = self._canonical(f"{module}.{rest[0]}"), rest[1:]
        if not rest:
            kind = "module" if module in self.modules else "external"
            return Target(kind, module, "")
        if module not in self.modules:
            return Target("external", module, rest[0], rest[1:])
        return self._lookup(module, rest[0], rest[1:], hops + 1)

    def _canonical(self, module: str) -> str:
        """The project's name for a module imported under another dotted name; and Flask's
        extensions by their own names (``flask.ext.cache`` is how Flask before 1.0 let code
        import ``flask_cache``)."""
        if module in self.modules:
            return module
        if module.startswith(_FLASK_EXTENSIONS):
            return "flask_" + module[len(_FLASK_EXTENSIONS) :]
        return self._aliases.get(module, module)

    @cached_property
    def referenced_names(self) -> frozenset[str]:
        """Every name any module refers to (a function, a method, through an attribute)."""
        names: set[str] = set()
        for record in self.modules.values():
            names.update(record.facts.loaded_names)
            names.update(record.facts.attribute_reads)
        return frozenset(names)

    @cached_property
    def importers(self) -> dict[str, frozenset[str]]:
        """Project module -> the other modules whose import statements name it or a module
        below it (importing ``a.b.c`` runs ``a`` and ``a.b`` too)."""
        found: dict[str, set[str]] = defaultdict(set)
        for record in self.modules.values():
            for ref in record.facts.imported:
                base = absolute_module(record.name, record.is_package, ref)
                for dotted in (base, f"{base}.{ref.name}" if ref.name else ""):
                    name = self._module_named(dotted) if dotted else None
                    while name and name != record.name:
                        found[name].add(record.name)
                        name = self._module_named(name.rpartition(".")[0])
        return {name: frozenset(importers) for name, importers in found.items()}

    def _module_named(self, dotted: str) -> str | None:
        """The project module an import names: by its dotted name, or the one module whose
        path ends in it (the folders between are no packages)."""
        if not dotted or dotted in self.modules:
            return dotted or None
        alias = self._aliases.get(dotted)
        if alias is not None:
            return alias
        matches = self._modules_by_suffix.get(dotted, [])
        return matches[0] if len(matches) == 1 else None

    @cached_property
    def _modules_by_suffix(self) -> dict[str, list[str]]:
        """Each dotted tail of a module file's path -> the modules whose path ends in it."""
        by_suffix: dict[str, list[str]] = defaultdict(list)
        for name, record in self.modules.items():
            if record.path is None:
                continue
            parts = list(record.path.with_suffix("").parts)
            if parts and parts[-1] == "__init__":
                parts.pop()
            for size in range(1, min(len(parts), _MAX_ALIAS_PARTS) + 1):
                by_suffix[".".join(parts[-size:])].append(name)
        return by_suffix

    @cached_property
    def _aliases(self) -> dict[str, str]:
        """Dotted names the code imports that match a project file by its path, though the
        folders between are namespace packages (no ``__init__.py``) or the checked folder
        sits below the import root (``backend/onyx/...`` imported as ``onyx....``). A name of
        one part is a top-level package, never one of the project's subpackages by suffix."""
        by_suffix = self._modules_by_suffix
        aliases: dict[str, str] = {}
        for record in self.modules.values():
            for ref in record.facts.imports.values():
                if ref.level:
                    continue
                for imported in (ref.module, f"{ref.module}.{ref.name}" if ref.name else ""):
                    if "." not in imported or imported in self.modules or imported in aliases:
                        continue  # (`from flask import request` is not `app.ui.flask`)
                    matches = by_suffix.get(imported, [])
                    if len(matches) == 1:
                        aliases[imported] = matches[0]
        return aliases

    def binding(self, target: Target) -> Binding | None:
        if target.kind != "binding":
            return None
        return self.modules[target.module].facts.bindings.get(target.name)

    def class_facts(self, target: Target) -> ClassFacts | None:
        if target.kind != "class":
            return None
        return self.modules[target.module].facts.classes.get(target.name)

    def function(self, module: str, qualname: str) -> Function | None:
        record = self.modules.get(module)
        return None if record is None else record.facts.functions.get(qualname)

    def process_cache(self, module: str, function: Function) -> DecoratorUse | None:
        """The decorator that keeps the function's results for the process (the models'
        ``long-lived-decorators``: ``@functools.lru_cache``, ``@st.cache_resource``)."""
        models = self.config.models
        for decorator in function.decorators:
            if models.is_long_lived_decorator(self.callee_name(module, decorator.callee)):
                return decorator
        return None

    def builds_once(self, module: str, qualname: str) -> DecoratorUse | None:
        """The process cache of a module-level function without parameters: what it builds,
        it builds once, whoever calls it. (With parameters, the cache keeps one result per
        argument; on a method, per instance, since ``self`` is part of its key; in a nested
        function, per call of the enclosing one.)"""
        function = self.function(module, qualname)
        if function is None or function.params or "." in qualname:
            return None
        return self.process_cache(module, function)

    def callee_name(self, module: str, callee: Access, call_of_call: bool = False) -> str:
        """The dotted name a call goes to, project-qualified where possible (for matching)."""
        target = self.resolve(module, callee)
        if target is None:
            return callee.text()
        return ".".join([target.qualified, *target.rest])

    # ---- instances and classes -----------------------------------------------------------

    def instance_class(self, module: str, binding: Binding) -> Target | None:
        """The project class whose instance ``binding`` holds (``x = Cls(...)``), if any."""
        if binding.kind != "call" or binding.callee is None or binding.call_of_call:
            return None
        target = self.resolve(module, binding.callee)
        if target is None or target.kind != "class" or target.rest:
            return None
        return target

    def is_shared_safe(self, target: Target) -> bool:
        class_facts = self.class_facts(target)
        safe = _SAFE_TYPES | set(self.config.shared_safe_types)
        if target.name.rsplit(".", 1)[-1] in safe or target.qualified in safe:
            return True
        return class_facts is not None and class_facts.is_dsl and _fixed_members(class_facts)

    @cached_property
    def long_lived(self) -> dict[tuple[str, str], list[Creation]]:
        """Classes with an instance that outlives requests, and where it is created."""
        found: dict[tuple[str, str], list[Creation]] = defaultdict(list)
        for module, record in self.modules.items():
            facts = record.facts
            for binding in facts.bindings.values():
                if binding.in_main_guard:
                    continue  # a script's object, made when the module runs as `__main__`
                cls = self.instance_class(module, binding)
                if cls is not None:
                    found[(cls.module, cls.name)].append(
                        Creation(module, binding.span, "module-level instance")
                    )
            for name, class_facts in facts.classes.items():
                if class_facts.is_singleton:
                    found[(module, name)].append(
                        Creation(module, class_facts.span, "singleton (`_instance`)")
                    )
            for site in facts.writes:
                if site.operation == "rebind" and site.value_call is not None:
                    cls = self.resolve(module, site.value_call)
                    if cls is not None and cls.kind == "class" and not cls.rest:
                        found[(cls.module, cls.name)].append(
                            Creation(module, site.span, "lazily created global singleton")
                        )
            for function in facts.functions.values():
                if function.cache_decorator is None:
                    continue
                for returned in function.returns_calls:
                    cls = self.resolve(module, returned)
                    if cls is not None and cls.kind == "class" and not cls.rest:
                        found[(cls.module, cls.name)].append(
                            Creation(module, function.span, "cached factory")
                        )
        return dict(found)

    def class_attribute(self, module: str, class_name: str, attribute: str) -> Binding | None:
        """A class-body binding of ``attribute`` on the class or a project base class.

        None for declarative (DSL) classes, whose class bodies describe fields, not state.
        """
        hierarchy = self.class_hierarchy(module, class_name)
        for class_facts in hierarchy or ():
            if attribute in class_facts.attributes:
                return class_facts.attributes[attribute]
        return None

    def class_hierarchy(self, module: str, class_name: str) -> list[ClassFacts] | None:
        """The class and its project base classes, nearest first; None if any is a DSL class."""
        found: list[ClassFacts] = []
        for _, class_facts, bases in self._hierarchy(module, class_name):
            if class_facts.is_dsl or any(self._is_declarative_base(b) for b in bases):
                # a base that is only a `Protocol`: the class implements it
                if not (found and only_a_protocol(class_facts, self._dsl_bases)):
                    return None
            found.append(class_facts)
        return found

    @cached_property
    def _dsl_bases(self) -> frozenset[str]:
        return frozenset(self.config.dsl_bases)

    def _hierarchy(
        self, module: str, class_name: str
    ) -> Iterator[tuple[str, ClassFacts, list[Target]]]:
        """Breadth first: (module, class facts, its resolved non-class bases) for the class and
        every project base class (computed once per class: a hot path)."""
        key = (module, class_name)
        known = self._hierarchies.get(key)
        if known is None:
            known = self._hierarchies[key] = tuple(self._walk_hierarchy(module, class_name))
        return iter(known)

    @cached_property
    def _hierarchies(
        self,
    ) -> dict[tuple[str, str], tuple[tuple[str, ClassFacts, list[Target]], ...]]:
        return {}

    def _walk_hierarchy(
        self, module: str, class_name: str
    ) -> Iterator[tuple[str, ClassFacts, list[Target]]]:
        queue, seen = [(module, class_name)], set()
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            record = self.modules.get(current[0])
            class_facts = record.facts.classes.get(current[1]) if record else None
            if class_facts is None:
                continue
            other_bases: list[Target] = []
            for base in class_facts.bases:
                target = self.resolve(current[0], base)
                if target is None or target.rest:
                    continue
                if target.kind == "class":
                    queue.append((target.module, target.name))
                else:
                    other_bases.append(target)
            yield current[0], class_facts, other_bases

    def external_base_names(self, module: str, class_name: str) -> list[str]:
        """The dotted names of the bases, outside the project, of the class and of its
        project base classes (``django.forms.Form``), nearest first."""
        names: list[str] = []
        for owner, class_facts, _ in self._hierarchy(module, class_name):
            for base in class_facts.bases:
                target = self.resolve(owner, base)
                if target is None or target.kind != "class":
                    names.append(self.callee_name(owner, base))
        return names

    def _is_declarative_base(self, target: Target) -> bool:
        """``Base = declarative_base()`` (SQLAlchemy's older API): its subclasses are models."""
        binding = self.binding(target)
        if binding is None or binding.callee is None:
            return False
        made_by = self.callee_name(target.module, binding.callee)
        return made_by.rsplit(".", 1)[-1] in ("declarative_base", "generate_base")

    def holds_container(self, module: str, class_name: str, attribute: str) -> bool:
        """Whether instances of the class keep a container in ``attribute`` (set on self)."""
        record = self.modules.get(module)
        class_facts = record.facts.classes.get(class_name) if record else None
        return class_facts is not None and attribute in class_facts.container_attributes

    def sets_in_init(self, module: str, class_name: str, attribute: str) -> bool:
        record = self.modules.get(module)
        class_facts = record.facts.classes.get(class_name) if record else None
        return class_facts is not None and attribute in class_facts.init_attributes

    # ---- import time -------------------------------------------------------------------------

    @cached_property
    def import_time_functions(self) -> frozenset[tuple[str, str]]:
        """Functions and methods that run only while modules are imported (registration).

        A function is import-time when every call or decorator use of it in the project runs
        at module level, or inside another import-time function; a function named like
        ``register`` counts as registration unless called from request-time code.
        """
        callers: dict[tuple[str, str], list[tuple[str, str] | None]] = defaultdict(list)
        callees: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for caller, callee in self.call_edges:
            callers[callee].append(caller)
            if caller is not None:
                callees[caller].append(callee)
        known: set[tuple[str, str]] = set()
        for key, key_callers in callers.items():
            if self._registers(key) and all(c is None for c in key_callers):
                known.add(key)
        # a worklist, linear in the calls: a function joins once every call of it that is
        # not at import time comes from a function already known to run only then
        remaining = {
            key: sum(1 for c in key_callers if c is not None and c not in known)
            for key, key_callers in callers.items()
            if key not in known and not self._handles_requests(key)
        }
        ready = [key for key, count in remaining.items() if count == 0]
        while ready:
            key = ready.pop()
            known.add(key)
            for callee in callees.get(key, ()):
                if callee in remaining and callee not in known:
                    remaining[callee] -= 1
                    if remaining[callee] == 0:
                        ready.append(callee)
        for module, record in self.modules.items():
            for qualname in record.facts.functions:
                key = (module, qualname)
                if key not in callers and self._registers(key):
                    known.add(key)
        return frozenset(known)

    def _registers(self, key: tuple[str, str]) -> bool:
        """Named like registration (``register_tool``), and neither a request handler nor
        decorated (``@app.post("/register")`` makes a handler of ``register_user``)."""
        function = self.function(*key)
        return (
            _is_registration_name(key[1])
            and function is not None
            and not function.decorators
            and not self._handles_requests(key)
        )

    @cached_property
    def call_edges(self) -> list[tuple[tuple[str, str] | None, tuple[str, str]]]:
        """(caller, callee) for every call the index can follow; the caller is None for a
        call at import time. Keys are (module, qualified name of the function or method)."""
        edges: list[tuple[tuple[str, str] | None, tuple[str, str]]] = []
        for module, record in self.modules.items():
            for call in record.facts.calls:
                callee = self._call_key(module, call.callee, call.self_class)
                if callee is None:
                    continue
                caller = None if call.at_import_time else (module, call.function or "")
                edges.extend((caller, each) for each in self.definitions(callee))
        return edges

    def definitions(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """What the function or class ``key`` may be: it, and the later definitions of the
        same name in its module (which one a name holds depends on the branch or import that
        ran, so a call may run each, an instance may be of each)."""
        later = self._redefinitions.get(key)
        return [key] if later is None else [key, *later]

    @cached_property
    def _redefinitions(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(module, qualname) -> the keys of its later definitions in that module."""
        found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for module, record in self.modules.items():
            for key in [*record.facts.functions, *record.facts.classes]:
                if public_name(key) != key:
                    found[(module, public_name(key))].append((module, key))
        return dict(found)

    def _handles_requests(self, key: tuple[str, str]) -> bool:
        """Entry points and coroutines serve requests even when a script also calls them."""
        function = self.function(*key)
        return function is not None and (function.is_entry or function.is_async)

    def _call_key(
        self, module: str, callee: Access, self_class: str | None
    ) -> tuple[str, str] | None:
        if self_class is not None:
            if len(callee.attrs) == 1:
                return self._method_key(module, self_class, callee.attrs[0])
            return None
        target = self.resolve(module, callee)
        if target is None:
            return None
        if target.kind == "function" and not target.rest:
            return (target.module, target.name)
        if target.kind == "class" and len(target.rest) == 1:
            return (target.module, f"{target.name}.{target.rest[0]}")
        if target.kind == "binding" and len(target.rest) == 1:
            binding = self.binding(target)
            cls = self.instance_class(target.module, binding) if binding else None
            if cls is not None:
                return (cls.module, f"{cls.name}.{target.rest[0]}")
        return None

    def _method_key(self, module: str, class_name: str, method: str) -> tuple[str, str]:
        """Where ``self.method()`` in ``class_name`` goes: the class or the base defining it."""
        for owner, class_facts, _ in self._hierarchy(module, class_name):
            if method in class_facts.methods:
                return (owner, f"{class_facts.name}.{method}")
        return (module, f"{class_name}.{method}")

    def runs_at_import_time(self, module: str, site: WriteSite) -> bool:
        if site.function.rsplit(".", 1)[-1] in _CLASS_CREATION_HOOKS:
            return True
        return (module, site.function) in self.import_time_functions

    # ---- sessions ------------------------------------------------------------------------

    def is_session_creation(self, module: str, callee: Access | None, call_of_call: bool) -> bool:
        """True for ``Session()``, ``SessionLocal()``, ``sessionmaker(...)()``, ``connect()``."""
        if callee is None:
            return False
        name = self.callee_name(module, callee)
        if call_of_call:
            return name.rsplit(".", 1)[-1] in _SESSION_FACTORIES
        if name.split(".", 1)[0] in _NOT_DB_MODULES:
            return False
        for constructor in self.config.session_constructors:
            if "." in constructor:
                if name == constructor or name.endswith("." + constructor):
                    return True
            elif name.rsplit(".", 1)[-1] == constructor:
                return True
        target = self.resolve(module, callee)
        if target is None:
            return False
        if target.kind == "binding":
            binding = self.binding(target)
            if binding is None or binding.kind != "call" or binding.callee is None:
                return False
            made_by = self.callee_name(target.module, binding.callee).rsplit(".", 1)[-1]
            if not target.rest and made_by in _SESSION_FACTORIES and not binding.call_of_call:
                return True
            if target.rest == ("connect",) and made_by in _ENGINE_FACTORIES:
                return True
        return False

    def opens_session_on_self(
        self, module: str, class_name: str, self_name: str, callee: Access | None
    ) -> bool:
        """``self.session_factory()`` or ``self.engine.connect()`` in a method, where the
        class (or a project base) keeps a session factory (``sessionmaker(...)``) or an
        engine (``create_async_engine(url)``) on ``self``: a new session or connection."""
        if callee is None or callee.root != self_name or not callee.attrs:
            return False
        attribute, rest = callee.attrs[0], callee.attrs[1:]
        if not rest:
            factories = _SESSION_FACTORIES
        elif rest == ["connect"]:
            factories = _ENGINE_FACTORIES
        else:
            return False
        for owner, class_facts, _ in self._hierarchy(module, class_name):
            made_by = self._made_on_self(owner, class_facts, attribute)
            if made_by:
                return made_by.rsplit(".", 1)[-1] in factories
        return False

    def _made_on_self(self, module: str, class_facts: ClassFacts, attribute: str) -> str:
        """The call whose result the class keeps as ``attribute`` (stored on ``self`` by a
        method, or bound in the class body), by its qualified name; "" if none."""
        for site in self.modules[module].facts.writes:
            if (
                site.self_class == class_facts.name
                and site.operation == "setattr"
                and site.target.attrs == [attribute]
                and site.value_call is not None
                and not site.value_is_call_of_call
            ):
                return self.callee_name(module, site.value_call)
        declared = class_facts.attributes.get(attribute)
        if declared is not None and declared.kind == "call" and declared.callee is not None:
            return self.callee_name(module, declared.callee)
        return ""

    # ---- iteration -------------------------------------------------------------------------

    def targets(self) -> Iterator[ModuleRecord]:
        for record in self.modules.values():
            if record.is_target:
                yield record

    def prefetch_positions(self, modules: Iterable[str], workers: int) -> None:
        """Compute the positions of these modules now, in ``workers`` processes, rather
        than each when its first finding asks (then one at a time, in this process). Worth
        it only for many modules: a run reporting in a few computes theirs as it goes."""
        records = [self.modules[name] for name in modules if name in self.modules]
        asked = [
            (record, source)
            for record in records
            if not record._positions_checked
            and (source := record.source_for_positions()) is not None
        ]
        if workers < 2 or len(asked) < _PREFETCH_THRESHOLD:
            return
        budget = max(record.parse_budget for record, _ in asked)
        done = resolve_many_positions(
            [(source, record.facts) for record, source in asked], workers=workers, budget=budget
        )
        for (record, _), resolved in zip(asked, done, strict=True):
            if resolved is not None:  # else `located` parses it alone, as it would have
                record.positions_done(resolved)


# Reporting modules from which computing their positions in worker processes pays for
# starting them.
_PREFETCH_THRESHOLD = 16


def absolute_module(current: str, is_package: bool, ref: ImportRef) -> str:
    """The absolute module an import refers to (``from ..x import y`` in ``a.b.c`` -> ``a.x``)."""
    if ref.level == 0:
        return ref.module
    package = current if is_package else current.rpartition(".")[0]
    for _ in range(ref.level - 1):
        package = package.rpartition(".")[0]
    if not ref.module:
        return package
    return f"{package}.{ref.module}" if package else ref.module


def _is_registration_name(qualname: str) -> bool:
    name = qualname.rsplit(".", 1)[-1].lower()
    return name.startswith("register") or name.endswith("register")


def is_init_method(qualname: str) -> bool:
    return qualname.rsplit(".", 1)[-1] in _INIT_METHODS
