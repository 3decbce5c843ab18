"""From a finding to what its race test drives: the function or request entry point to call,
the long-lived object it shares, and where the call's arguments come from.

Everything here is static: the project's sources are parsed (``ast``) and the project index
is consulted, never imported. The choice, in order:

1. the flagged function: the one containing the finding, or, for a finding at module or class
   level (an import, a module-level session, a ``threading.local``), the functions that use
   the name it binds;
2. its callers, nearest first, up to the request entry points, and the functions the
   finding's own structured fields name: its ``related`` entry point and the calls on the way
   (``kind`` "entry" and "call", by path and line), else its ``entry_point`` by name;
3. a driver: a hook (``@isolint.race.entry``) or configured factory or fixture registered for
   any function on that chain, nearest first; else a call synthesised for a request entry
   point that reaches the finding (the index's handlers on the chain, nearest first, then the
   finding's own; else the flagged function itself) from its type hints; else nothing, with
   the reason ("needs factory: ...").
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from isolint.analysis.facts import Access
from isolint.findings import Finding
from isolint.project import Project, absolute_module
from isolint.race.arguments import ArgumentBuilder, Local
from isolint.race.sources import (
    FunctionSource,
    ModuleSource,
    called_name,
    class_body_names,
    class_holding,
    dotted,
    first_parameter,
    is_init,
    methods_called_on_locals,
    names_at,
    names_loaded,
    parameter_names,
    parse_module,
    referenced,
    required_args,
    self_attributes_read,
    self_attributes_written,
    takes_receiver,
    written_access,
)

# --- what a race test drives ------------------------------------------------------------------


@dataclass(frozen=True)
class SharedRef:
    """A long-lived object the finding names: ``owner`` (a dotted module, class or instance
    expression), the attribute ``name`` on it, and the attribute actually written."""

    owner: str
    module: str
    name: str
    watch: str | None = None

    def describe(self) -> str:
        watched = f" (attribute `{self.watch}`)" if self.watch else ""
        return f"{self.owner}.{self.name}{watched}"


@dataclass(frozen=True)
class Call:
    """A synthesised call of ``target`` (``pkg.mod:qualname``) as one simulated user."""

    target: str
    callable: str
    is_async: bool
    arguments: tuple[tuple[str, str], ...]
    locals: tuple[Local, ...]
    imports: frozenset[str]


@dataclass(frozen=True)
class HookDriver:
    """A driver the project wrote: an ``@isolint.race.entry`` hook or a configured factory."""

    target: str
    module: str
    function: str
    origin: str


@dataclass(frozen=True)
class FixtureDriver:
    """A pytest fixture (named in the configuration) whose value is the driver."""

    target: str
    fixture: str


@dataclass(frozen=True)
class SynthesizedDriver:
    call: Call


@dataclass(frozen=True)
class MissingDriver:
    """Nothing to drive the finding with; ``reason`` starts with "needs factory:" when only
    arguments are missing."""

    reason: str


Driver = HookDriver | FixtureDriver | SynthesizedDriver | MissingDriver


@dataclass(frozen=True)
class RaceTarget:
    """A finding, what it shares and how its race test drives it."""

    finding: Finding
    shared: tuple[SharedRef, ...]
    entry: str | None
    driver: Driver
    overlapping_only: bool = False  # a slot each request rebinds: only overlap can leak it


@dataclass(frozen=True)
class Providers:
    """Drivers the project supplies, by target ``pkg.mod:qualname``."""

    hooks: Mapping[str, HookDriver] = field(default_factory=dict)
    fixtures: Mapping[str, str] = field(default_factory=dict)


# --- targeting ----------------------------------------------------------------------------


class Targeting:
    """Answers "what does this finding's race test drive" for one analysed project."""

    def __init__(self, project: Project, providers: Providers) -> None:
        self.project = project
        self.providers = providers
        self._sources: dict[str, ModuleSource | None] = {}

    # ---- sources ---------------------------------------------------------------------------

    def source(self, module: str) -> ModuleSource | None:
        if module not in self._sources:
            record = self.project.modules.get(module)
            parsed = None
            if record is not None and record.path is not None:
                try:
                    parsed = parse_module(module, record.path.read_bytes())
                except (OSError, SyntaxError, ValueError):
                    parsed = None
            self._sources[module] = parsed
        return self._sources[module]

    def function(self, key: tuple[str, str]) -> FunctionSource | None:
        source = self.source(key[0])
        return None if source is None else source.functions.get(key[1])

    @cached_property
    def _module_by_path(self) -> dict[str, str]:
        return {record.display_path: name for name, record in self.project.modules.items()}

    # ---- the entry point -------------------------------------------------------------------

    def target(self, finding: Finding) -> RaceTarget:
        module = self._module_by_path.get(finding.path)
        source = self.source(module) if module else None
        if module is None or source is None:
            return RaceTarget(finding, (), None, MissingDriver("the flagged file is not parsed"))
        statement = source.statement_at(finding.line)
        flagged = self._flagged_functions(module, source, finding.line, statement)
        shared = tuple(dict.fromkeys(self._shared(module, source, finding, statement)))
        entries, calls = self._reaching(finding, module)
        chain = self._callers_chain([f.key for f in flagged])
        chain += [key for key in [*reversed(calls), *entries] if key not in chain]
        driver = self._driver(chain, flagged, entries)
        entry = self._describe_entry(driver, chain)
        if not flagged and not entries:
            driver = MissingDriver("nothing to drive: no function uses what the finding names")
        rebinds = any(ref.watch for ref in shared) and _rebinds_self_slot(source, statement)
        return RaceTarget(finding, shared, entry, driver, overlapping_only=rebinds)

    def _flagged_functions(
        self, module: str, source: ModuleSource, line: int, statement: ast.stmt | None
    ) -> list[FunctionSource]:
        enclosing = source.enclosing_function(line)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and enclosing:
            return [enclosing]
        if enclosing is not None and not is_init(enclosing):
            return [enclosing]
        if enclosing is not None and enclosing.class_name is not None:
            # `self.session = Session()` in __init__: drive the methods that use it.
            attributes = self_attributes_written(statement)
            return self._methods_using(source, enclosing.class_name, attributes)
        if isinstance(statement, ast.ClassDef):
            return self._users_of(module, [statement.name])
        class_name = class_holding(source, line)
        names = names_at(statement)
        if class_name is not None:
            users = self._methods_using(source, class_name, names)
            if users:
                return users
            names = [referenced(statement)] if statement is not None else []
        return self._users_of(module, [name for name in names if name])

    def _methods_using(
        self, source: ModuleSource, class_name: str, attributes: list[str]
    ) -> list[FunctionSource]:
        wanted = set(attributes)
        return [
            function
            for function in source.functions.values()
            if function.class_name == class_name
            and not is_init(function)
            and wanted & self_attributes_read(function.node)
        ]

    def _users_of(self, module: str, names: list[str]) -> list[FunctionSource]:
        """Functions that use what ``names`` resolve to in ``module``: the module's own
        functions first, then any in the project."""
        wanted = {self._qualified(module, name) for name in names} - {None}
        if not wanted:
            return []
        local = [f for f in self._functions_of(module) if wanted & self._resolved_names(f)]
        if local:
            return local
        return [
            function
            for other in self.project.modules
            if other != module
            for function in self._functions_of(other)
            if wanted & self._resolved_names(function)
        ]

    def _functions_of(self, module: str) -> list[FunctionSource]:
        source = self.source(module)
        return [] if source is None else list(source.functions.values())

    def _qualified(self, module: str, name: str) -> str | None:
        target = self.project.resolve(module, Access(name))
        if target is None or (target.kind == "external" and not target.module):
            return None
        return ".".join([target.qualified, *target.rest])

    def _resolved_names(self, function: FunctionSource) -> set[str]:
        found: set[str] = set()
        for name in names_loaded(function.node):
            qualified = self._qualified(function.module, name)
            if qualified is not None:
                found.add(qualified)
        return found

    # ---- what the finding says reaches it -------------------------------------------------

    def _reaching(
        self, finding: Finding, module: str
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The request entry points the finding names (its ``related`` entries, else its
        ``entry_point`` by name) and the functions making the calls on the way to it."""
        entries = self._related_functions(finding, "entry")
        if not entries and finding.entry_point:
            entries = self._named_function(finding.entry_point, module)
        return entries, self._related_functions(finding, "call")

    def _related_functions(self, finding: Finding, kind: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for note in finding.related:
            if note.kind != kind:
                continue
            module = self._module_by_path.get(note.path)
            source = self.source(module) if module else None
            function = source.enclosing_function(note.line) if source else None
            if function is not None and function.key not in found:
                found.append(function.key)
        return found

    def _named_function(self, qualname: str, module: str) -> list[tuple[str, str]]:
        """The function called ``qualname`` in ``module``, else the only one in the project."""
        if self.function((module, qualname)) is not None:
            return [(module, qualname)]
        named = [
            (other, qualname)
            for other in self.project.modules
            if self.function((other, qualname)) is not None
        ]
        return named if len(named) == 1 else []

    # ---- callers up to the entry points ----------------------------------------------------

    @cached_property
    def _callers(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        callers: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for caller, callee in self.project.call_edges:
            if caller is not None and caller != callee and caller not in callers[callee]:
                callers[callee].append(caller)
        return callers

    @cached_property
    def _callers_by_method_name(self) -> dict[str, list[tuple[str, str]]]:
        """``agent.execute(...)`` on a local the index cannot type: every such caller by
        method name, used only for methods without a resolved caller (dynamic dispatch)."""
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for module in self.project.modules:
            for function in self._functions_of(module):
                for name in methods_called_on_locals(function.node):
                    if name != "__init__":
                        if function.key not in found[name]:
                            found[name].append(function.key)
        return found

    @cached_property
    def _constructors(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Who creates instances of a class at request time: the callers of its __init__."""
        found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if call.at_import_time or not call.function:
                    continue
                target = self.project.resolve(module, call.callee)
                if target is not None and target.kind == "class" and not target.rest:
                    found[(target.module, f"{target.name}.__init__")].append(
                        (module, call.function)
                    )
        return found

    def callers_of(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        known = self._callers.get(key) or self._constructors.get(key)
        if known:
            return known
        if "." in key[1]:
            return self._callers_by_method_name.get(key[1].rsplit(".", 1)[-1], [])
        return []

    def _callers_chain(self, start: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The flagged functions, then their callers breadth first (nearest first)."""
        chain = list(dict.fromkeys(start))
        index = 0
        while index < len(chain):
            for caller in self.callers_of(chain[index]):
                if caller not in chain:
                    chain.append(caller)
            index += 1
        return chain

    def is_entry(self, key: tuple[str, str]) -> bool:
        function = self.project.function(*key)
        return function is not None and function.is_entry

    # ---- the driver ----------------------------------------------------------------------

    def _driver(
        self,
        chain: list[tuple[str, str]],
        flagged: list[FunctionSource],
        entries: list[tuple[str, str]],
    ) -> Driver:
        for key in chain:
            name = target_name(key)
            if name in self.providers.hooks:
                return self.providers.hooks[name]
            if name in self.providers.fixtures:
                return FixtureDriver(name, self.providers.fixtures[name])
        candidates = [key for key in chain if self.is_entry(key)]
        candidates += [key for key in entries if key not in candidates]
        candidates += [f.key for f in flagged if f.key not in candidates]
        reasons: list[str] = []
        for key in candidates:
            call = self.synthesize(key)
            if isinstance(call, Call):
                return SynthesizedDriver(call)
            reasons.append(call)
        if not reasons:
            return MissingDriver("nothing to drive: no function uses what the finding names")
        return MissingDriver("needs factory: " + "; ".join(dict.fromkeys(reasons)))

    def _describe_entry(self, driver: Driver, chain: list[tuple[str, str]]) -> str | None:
        if isinstance(driver, SynthesizedDriver):
            key = _split_target(driver.call.target)
        elif isinstance(driver, (HookDriver, FixtureDriver)):
            key = _split_target(driver.target)
        else:
            entries = [key for key in chain if self.is_entry(key)]
            if not entries and not chain:
                return None
            key = (entries or chain)[0]  # the nearest; a hook there would run the test
        function = self.function(key)
        if function is None:
            return key[0] + "." + key[1]
        return f"{key[0]}.{key[1]}({', '.join(parameter_names(function))})"

    # ---- synthesised calls -----------------------------------------------------------------

    def synthesize(self, key: tuple[str, str]) -> Call | str:
        """A call of ``key`` as one simulated user, or what is missing for it."""
        function = self.function(key)
        if function is None:
            return f"`{target_name(key)}` is not found"
        receiver = self._receiver(function)
        if receiver is None:
            return f"`{target_name(key)}` needs an instance (no module-level one exists)"
        builder = ArgumentBuilder(self, function.module)
        arguments: list[tuple[str, str]] = []
        for parameter in _required_parameters(function):
            value = builder.value(parameter.arg, parameter.annotation, 0)
            if value is None:
                missing = builder.missing or f"a value for `{parameter.arg}`"
                return f"{target_name(key)}: {missing}"
            arguments.append((parameter.arg, value))
        return Call(
            target=target_name(key),
            callable=f"{receiver}.{called_name(function)}",
            is_async=isinstance(function.node, ast.AsyncFunctionDef),
            arguments=tuple(arguments),
            locals=tuple(builder.locals),
            imports=frozenset({*builder.imports, receiver_module(receiver, self.project)}),
        )

    def _receiver(self, function: FunctionSource) -> str | None:
        """What to call the function on: its module, its class (class and static methods),
        or a module-level instance of its class."""
        parts = function.qualname.split(".")
        if len(parts) == 1:
            return function.module
        if len(parts) > 2 or function.class_name is None:
            return None
        if {"classmethod", "staticmethod"} & set(function.decorators):
            return f"{function.module}.{function.class_name}"
        if function.node.name == "__init__":
            return function.module
        return self.instance_of(function.module, function.class_name)

    def instance_of(self, module: str, class_name: str) -> str | None:
        """``pkg.mod.name`` of a module-level instance of the class, if there is one."""
        for creation in self.project.long_lived.get((module, class_name), []):
            record = self.project.modules.get(creation.module)
            if record is None:
                continue
            for name, binding in record.facts.bindings.items():
                if binding.span == creation.span and creation.how == "module-level instance":
                    return f"{creation.module}.{name}"
        return None

    def resolve_class(self, module: str, annotation: ast.expr) -> tuple[str, ast.ClassDef] | None:
        spelled = dotted(annotation)
        if not spelled:
            return None
        root, *attrs = spelled.split(".")
        target = self.project.resolve(module, Access(root, attrs))
        if target is None or target.kind != "class" or target.rest:
            return None
        source = self.source(target.module)
        node = source.classes.get(target.name) if source else None
        return None if node is None else (target.module, node)

    # ---- shared objects ------------------------------------------------------------------

    def _shared(
        self, module: str, source: ModuleSource, finding: Finding, statement: ast.stmt | None
    ) -> list[SharedRef]:
        if finding.code.startswith("ISO2") or statement is None:
            return []
        found = list(self._shared_at(module, source, finding, statement))
        return found or list(self._shared_from_notes(finding))

    def _shared_at(
        self, module: str, source: ModuleSource, finding: Finding, statement: ast.stmt
    ) -> Iterator[SharedRef]:
        enclosing = source.enclosing_function(finding.line)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from self._shared_function(module, source, finding, statement)
        elif enclosing is None:
            yield from _bound_at(module, source, statement)
        elif is_init(enclosing) and enclosing.class_name is not None:
            instance = self.instance_of(module, enclosing.class_name)
            for attribute in self_attributes_written(statement) if instance else []:
                owner, _, name = (instance or "").rpartition(".")
                yield SharedRef(owner, owner, name, watch=attribute)
        else:
            written = written_access(statement)
            if written is None:
                return
            root, attrs = written
            if root == first_parameter(enclosing) and attrs:
                yield from self._shared_on_self(module, enclosing, attrs[0], finding)
            else:
                yield from self._shared_name(module, root, attrs)

    def _shared_name(self, module: str, root: str, attrs: list[str]) -> Iterator[SharedRef]:
        """``NAME``, ``NAME.attr`` or ``other_module.NAME``, resolved through imports."""
        facts = self.project.modules[module].facts
        if root in facts.bindings:
            yield SharedRef(module, module, root, attrs[0] if attrs else None)
            return
        target = self.project.resolve(module, Access(root))
        if target is not None and target.kind == "module" and attrs:
            yield SharedRef(target.module, target.module, attrs[0], attrs[1] if attrs[1:] else None)
        elif target is not None and target.kind == "binding":
            yield SharedRef(target.module, target.module, target.name, attrs[0] if attrs else None)
        elif target is not None and target.kind == "class" and attrs:
            owner = f"{target.module}.{target.name}"
            yield SharedRef(owner, target.module, attrs[0])
        elif root in facts.imports:
            ref = facts.imports[root]
            record = self.project.modules[module]
            base = absolute_module(record.name, record.is_package, ref)
            if ref.name is not None and base in self.project.modules:
                yield SharedRef(base, base, ref.name, attrs[0] if attrs else None)

    def _shared_from_notes(self, finding: Finding) -> Iterator[SharedRef]:
        """The object a finding's "defined here" / "created here" note points at."""
        for note in finding.related:
            module = self._module_by_path.get(note.path)
            source = self.source(module) if module else None
            if module is None or source is None:
                continue
            statement = source.statement_at(note.line)
            if statement is not None and source.enclosing_function(note.line) is None:
                yield from _bound_at(module, source, statement)

    def _shared_function(
        self,
        module: str,
        source: ModuleSource,
        finding: Finding,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
    ) -> Iterator[SharedRef]:
        function = next((f for f in source.functions.values() if f.node is node), None)
        if function is None:
            return
        owner = ".".join([module, *function.qualname.split(".")[:-1]])
        if finding.code == "ISO105":
            yield SharedRef(f"{owner}.{node.name}", module, "__defaults__")
        else:
            yield SharedRef(owner, module, node.name)

    def _shared_on_self(
        self, module: str, enclosing: FunctionSource, attribute: str, finding: Finding
    ) -> Iterator[SharedRef]:
        class_name = enclosing.class_name
        if class_name is None:
            return
        if finding.code == "ISO103":
            owner = self._class_defining(module, class_name, attribute)
            yield SharedRef(owner, module, attribute)
            return
        instance = self.instance_of(module, class_name)
        if instance is not None:
            owner, _, name = instance.rpartition(".")
            yield SharedRef(owner, owner, name, watch=attribute)

    def _class_defining(self, module: str, class_name: str, attribute: str) -> str:
        source = self.source(module)
        node = source.classes.get(class_name) if source else None
        for base in node.bases if node else []:
            resolved = self.resolve_class(module, base)
            if resolved is not None and attribute in class_body_names(resolved[1]):
                return f"{resolved[0]}.{resolved[1].name}"
        return f"{module}.{class_name}"


def _bound_at(module: str, source: ModuleSource, statement: ast.stmt) -> Iterator[SharedRef]:
    """What a module- or class-level statement binds, as shared objects."""
    holder = class_holding(source, statement.lineno)
    owner = f"{module}.{holder}" if holder is not None else module
    for name in names_at(statement):
        if not isinstance(statement, (ast.Import, ast.ImportFrom, ast.ClassDef)):
            yield SharedRef(owner, module, name)


def _rebinds_self_slot(source: ModuleSource, statement: ast.stmt | None) -> bool:
    """Whether ``statement`` rebinds attributes of the receiver in a method (not
    ``__init__``): ``self.state = state``, as opposed to ``self.items.append(x)``."""
    if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return False
    enclosing = source.enclosing_function(statement.lineno)
    if enclosing is None or enclosing.class_name is None or is_init(enclosing):
        return False
    receiver = first_parameter(enclosing)
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return all(
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == receiver
        for target in targets
    )


def receiver_module(receiver: str, project: Project) -> str:
    """The module to import so that ``receiver`` (a dotted expression) is reachable."""
    parts = receiver.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in project.modules:
            return ".".join(parts[:end])
    return parts[0]


def target_name(key: tuple[str, str]) -> str:
    return f"{key[0]}:{key[1]}"


def _split_target(name: str) -> tuple[str, str]:
    module, _, qualname = name.partition(":")
    return (module, qualname)


def _required_parameters(function: FunctionSource) -> list[ast.arg]:
    return required_args(function.node, skip_first=takes_receiver(function))
