"""What class a value is an instance of, resolved through imports, never by bare name.

A value's class comes from where it was made (``router = APIRouter()``), from an annotation
(``engine: ExecutionEngine``), or from what a class's methods store on ``self``
(``self.registry = AgentRegistry(...)``, ``self.engine = engine``). Classes are named by
qualified name (``fastapi.APIRouter``); a project class also answers to the qualified names
of its base classes, so a project subclass of a modelled class is recognised.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from isolint.analysis.facts import Access, Binding, CallSite, Function
from isolint.project import Project, Target

ClassKey = tuple[str, str]  # (module, class qualname) of a project class
K = TypeVar("K")


@dataclass(frozen=True)
class ValueType:
    """A value's class: a project class (``project``) and every qualified name it answers to."""

    names: frozenset[str]
    project: ClassKey | None = None


class TypeIndex:
    """Class resolution for one project (built lazily, memoised)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._qualified: dict[ClassKey, frozenset[str]] = {}

    # ---- classes ---------------------------------------------------------------------------

    def class_type(self, module: str, access: Access) -> ValueType | None:
        """The class ``access`` names in ``module`` (``APIRouter``, ``fastapi.APIRouter``)."""
        target = self.project.resolve(module, access)
        return self.target_type(target)

    def target_type(self, target: Target | None) -> ValueType | None:
        if target is None:
            return None
        if target.kind == "class" and not target.rest:
            key = (target.module, target.name)
            return ValueType(self.qualified_names(key), key)
        if target.kind == "external":
            name = ".".join([target.qualified, *target.rest])
            return ValueType(frozenset({name}))
        return None

    def qualified_names(self, key: ClassKey) -> frozenset[str]:
        """The project class's own qualified name and those of all its bases."""
        known = self._qualified.get(key)
        if known is not None:
            return known
        self._qualified[key] = frozenset({f"{key[0]}.{key[1]}"})  # cycles end here
        names = {f"{key[0]}.{key[1]}"}
        record = self.project.modules.get(key[0])
        class_facts = record.facts.classes.get(key[1]) if record else None
        for base in class_facts.bases if class_facts else ():
            base_type = self.class_type(key[0], base)
            if base_type is not None:
                names |= base_type.names
        result = frozenset(names)
        self._qualified[key] = result
        return result

    # ---- values ------------------------------------------------------------------------------

    def binding_type(self, module: str, name: str, follow_getters: bool = True) -> ValueType | None:
        """The class of a module-level ``name = Cls(...)`` (or ``name = get_cls()``)."""
        record = self.project.modules.get(module)
        binding = record.facts.bindings.get(name) if record else None
        if binding is None or binding.kind != "call" or binding.callee is None:
            # `backend: Optional[AIBackend] = None`, filled by a startup hook's `global
            # backend; backend = AIBackend()` or another module's `state.backend = ...`
            return self.assigned_globals.get((module, name))
        if binding.call_of_call:
            return None
        made = self.class_type(module, binding.callee)
        if made is not None or not follow_getters:
            return made
        return self.returned_type(module, binding.callee)

    def returned_type(
        self, module: str, callee: Access, annotated: bool = False
    ) -> ValueType | None:
        """The class a project function returns an instance of (a getter or a factory).
        With ``annotated``, its return annotation counts too (``-> Optional[Provider]``):
        enough to know which methods a call on the result runs, not that the function
        hands out one shared instance."""
        target = self.project.resolve(module, callee)
        if target is None or target.kind != "function" or target.rest:
            return None
        made = self.function_returns.get((target.module, target.name))
        if made is not None or not annotated:
            return made
        function = self.project.function(target.module, target.name)
        if function is None or function.return_type is None:
            return None
        declared = self.class_type(target.module, function.return_type)
        return declared if declared is not None and declared.project is not None else None

    @cached_property
    def function_returns(self) -> dict[tuple[str, str], ValueType]:
        """Module-level functions that return one class's instance: ``return Cls(...)``, or
        ``return _instance`` where the global ``_instance`` is assigned ``Cls()``."""
        found: dict[tuple[str, str], ValueType] = {}
        for module, record in self.project.modules.items():
            globals_made = self._globals_assigned(module)
            for qualname, function in record.facts.functions.items():
                if function.class_name is not None:
                    continue
                made = self._made_by(module, function, globals_made)
                if made is not None:
                    found[(module, qualname)] = made
        return found

    def _made_by(
        self, module: str, function: Function, globals_made: dict[str, ValueType]
    ) -> ValueType | None:
        for returned in function.returns_calls:
            made = self.class_type(module, returned)
            if made is not None and made.project is not None:
                return made
        for name in function.returns_names:
            made = globals_made.get(name) or self.binding_type(module, name, False)
            if made is not None:
                return made
        for name in function.returns_request_state:  # `return request.state.store`
            made = self.request_state_types.get(name)
            if made is not None:
                return made
        return None

    @cached_property
    def request_state_types(self) -> dict[str, ValueType]:
        """What a middleware puts on every request's state (``request.state.store =
        self.store``): name -> class of the value, when every such store agrees. The object
        is the middleware's, handed to each request, not made for it."""
        stored: list[tuple[str, ValueType | None]] = []
        for module, record in self.project.modules.items():
            for name, function_name, value in record.facts.request_state_stores:
                stored.append((name, self._stored_access_type(module, function_name, value)))
        return _agreed(stored)

    def _stored_access_type(
        self, module: str, function_name: str, value: Access
    ) -> ValueType | None:
        """The class of ``self.store`` (in a method) or a global stored somewhere."""
        if value.keys:
            return None
        if value.root == "self" and len(value.attrs) == 1:
            owner = self._class_of_self(module, function_name)
            return self.self_attribute_type(module, owner, value.attrs[0]) if owner else None
        if not value.attrs:
            return self.binding_type(module, value.root, False)
        return None

    @cached_property
    def assigned_globals(self) -> dict[tuple[str, str], ValueType]:
        """Module-level names that functions set to a new instance of one project class:
        ``global _x; _x = Cls()`` in their own module, or ``state.x = Cls()`` from another
        (``state`` a project module). A name two classes are assigned to is left out."""
        assigned: list[tuple[tuple[str, str], ValueType | None]] = []
        for module, record in self.project.modules.items():
            for site in record.facts.writes:
                if site.value_class is None or site.operation not in ("rebind", "setattr"):
                    continue
                slot = self._global_slot(module, site.target)
                if slot is not None:
                    assigned.append((slot, self.class_type(module, site.value_class)))
        return _agreed(assigned)

    def _global_slot(self, module: str, access: Access) -> tuple[str, str] | None:
        """The module-level name ``access`` denotes, before any value it is bound to is
        followed: ``backend`` here, or ``state.backend`` with ``state`` a project module."""
        if access.keys:
            return None
        if not access.attrs:
            return (module, access.root)
        holder = self.project.resolve(module, Access(access.root, access.attrs[:-1]))
        if holder is None or holder.kind != "module" or holder.rest:
            return None
        return (holder.module, access.attrs[-1])

    def _globals_assigned(self, module: str) -> dict[str, ValueType]:
        """Globals a function rebinds to a new instance (``global _x; _x = Cls()``)."""
        found: dict[str, ValueType] = {}
        for site in self.project.modules[module].facts.writes:
            if site.operation == "rebind" and site.value_class is not None:
                made = self.class_type(module, site.value_class)
                if made is not None:
                    found[site.target.root] = made
        return found

    def parameter_type(self, module: str, function: Function, name: str) -> ValueType | None:
        """The class a parameter holds: its annotation, or, when that names no class of the
        project (none, ``Any``, ``object``), what every call in the project passes it."""
        declared = function.param_types.get(name)
        typed = self.class_type(module, declared) if declared is not None else None
        if typed is not None and typed.project is not None:
            return typed
        provider = function.dependency_providers.get(name)
        if provider is not None:  # `store=Depends(get_store)`: what the provider returns
            provided = self.returned_type(module, provider, annotated=True)
            if provided is None:  # `service=Depends(Service)`: one built for the request
                provided = self.class_type(module, provider)
            if provided is not None and provided.project is not None:
                return provided
        return self._passed_type(module, function, name) or typed

    def _passed_type(self, module: str, function: Function, name: str) -> ValueType | None:
        """``create_app(bank=load_bank(path))`` and ``create_app(Bank())`` everywhere the
        project calls it: the one project class its callers hand the parameter."""
        position = str(function.params.index(name)) if name in function.params else ""
        found: set[ClassKey] = set()
        made: ValueType | None = None
        for caller_module, call in self._direct_calls.get((module, function.qualname), ()):
            passed = self._argument_type(caller_module, call, position, name)
            if passed is None or passed.project is None:
                return None
            found.add(passed.project)
            made = passed
        return made if len(found) == 1 else None

    def _argument_type(
        self, module: str, call: CallSite, position: str, name: str
    ) -> ValueType | None:
        for key in (position, name):
            if key in call.arg_instances:
                return self.class_type(module, call.arg_instances[key])
            if key in call.arg_results:
                return self.returned_type(module, call.arg_results[key], annotated=True)
        passed = _passed_access(call, position, name)
        if passed is not None and passed.root == "self" and not passed.attrs:
            # `RabbitHole(self)` in a method of `CheshireCat`: the object handing itself
            caller = self.project.function(module, call.function) if call.function else None
            owner = caller.class_name if caller is not None else None
            return self.class_type(module, Access(owner)) if owner else None
        kept_as = passed.application_state_name() if passed is not None else ""
        return self.application_state_types.get(kept_as) if kept_as else None

    def passed_application_state(
        self, module: str, function: Function, name: str, depth: int = 3
    ) -> str:
        """``handle(request.app.state.agent, ...)`` (or ``getattr(request.app.state,
        "agent", None)``, through a local) everywhere the project calls it, directly or
        through a parameter of the caller (or of the function it is nested in) that its own
        callers fill so: the name on the application's state every call hands the
        parameter, whatever its class."""
        position = str(function.params.index(name)) if name in function.params else ""
        kept: set[str] = set()
        for caller_module, call in self._direct_calls.get((module, function.qualname), ()):
            passed = _passed_access(call, position, name)
            found = passed.application_state_name() if passed is not None else ""
            if not found and passed is not None and not passed.attrs and depth > 1:
                handed = self._enclosing_parameter(caller_module, call.function, passed.root)
                if handed is not None:
                    found = self.passed_application_state(
                        caller_module, handed, passed.root, depth - 1
                    )
            kept.add(found)
            if len(kept) > 1:
                return ""
        return next(iter(kept), "")

    def _enclosing_parameter(self, module: str, qualname: str | None, name: str) -> Function | None:
        """The function, ``qualname`` itself or one it is nested in, that has the parameter
        ``name`` (``agent`` of ``stream(agent)``, used by its nested ``generate()``)."""
        parts = (qualname or "").split(".")
        for end in range(len(parts), 0, -1):
            function = self.project.function(module, ".".join(parts[:end]))
            if function is not None and name in function.params:
                return function
        return None

    @cached_property
    def _direct_calls(self) -> dict[tuple[str, str], list[tuple[str, CallSite]]]:
        """Project function -> the calls that name it directly (through imports)."""
        found: dict[tuple[str, str], list[tuple[str, CallSite]]] = defaultdict(list)
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if call.self_class is not None or call.result_method:
                    continue
                target = self.project.resolve(module, call.callee)
                if target is None or target.rest:
                    continue
                if target.kind == "function":
                    found[(target.module, target.name)].append((module, call))
                elif target.kind == "class" and self.project.function(
                    target.module, f"{target.name}.__init__"
                ):
                    # `RabbitHole(self)`: what the constructor's parameters are handed
                    found[(target.module, f"{target.name}.__init__")].append((module, call))
        return dict(found)

    @cached_property
    def attribute_types(self) -> dict[ClassKey, dict[str, ValueType]]:
        """What each project class keeps on ``self``: attribute -> class of the value."""
        found: dict[ClassKey, dict[str, ValueType]] = defaultdict(dict)
        for module, record in self.project.modules.items():
            facts = record.facts
            for site in facts.writes:
                if site.self_class is None or site.operation != "setattr":
                    continue
                if len(site.target.attrs) != 1:
                    continue
                attribute = site.target.attrs[0]
                made = self._stored_type(module, site.function, site.value_class, site.value_name)
                if made is not None:
                    found[(module, site.self_class)].setdefault(attribute, made)
        return dict(found)

    @cached_property
    def application_state_types(self) -> dict[str, ValueType]:
        """What the project keeps on the application's state (``app.state.ccat = Cat()`` in
        a lifespan): name -> class of the value, when every such store agrees."""
        stored: list[tuple[str, ValueType | None]] = []
        for module, record in self.project.modules.items():
            for site in record.facts.writes:
                name = site.target.application_state_name() if site.operation == "setattr" else ""
                if name:
                    value = (site.value_class, site.value_name)
                    stored.append((name, self._stored_type(module, site.function, *value)))
        return _agreed(stored)

    def _stored_type(
        self, module: str, function_name: str, value_class: Access | None, value_name: str
    ) -> ValueType | None:
        if value_class is not None:
            made = self.class_type(module, value_class)
            if made is not None:
                return made
            return self.returned_type(module, value_class)
        if value_name:
            function = self.project.function(module, function_name)
            if function is not None:
                return self.parameter_type(module, function, value_name)
        return None

    def _class_of_self(self, module: str, function_name: str) -> str | None:
        """The class whose method ``function_name`` is, or is defined in (a middleware a
        method defines closes over that method's ``self``)."""
        while function_name:
            function = self.project.function(module, function_name)
            if function is not None and function.class_name:
                return function.class_name
            function_name = function_name.rpartition(".")[0]
        return None

    def self_attribute_type(self, module: str, class_name: str, attribute: str) -> ValueType | None:
        """The class of ``self.attribute`` in ``class_name`` or a project base class: what
        a method stores there, else what the class body declares (``user = RelatedField()``,
        the one object every instance reads through ``self.user``)."""
        for owner, class_facts, _ in self.project._hierarchy(module, class_name):
            made = self.attribute_types.get((owner, class_facts.name), {}).get(attribute)
            if made is not None:
                return made
            declared = class_facts.attributes.get(attribute)
            if declared is not None:
                return self._declared_type(owner, declared)
            if attribute in class_facts.methods:
                return self._property_type(owner, class_facts.name, attribute)
        return None

    def _property_type(self, module: str, class_name: str, name: str) -> ValueType | None:
        """What a property returns: its annotation, or the attribute of its object it hands
        out (``@property def settings(self): return self._settings``)."""
        function = self.project.function(module, f"{class_name}.{name}")
        if function is None or not _PROPERTY_DECORATORS & set(function.decorator_names):
            return None
        if function.return_type is not None:
            declared = self.class_type(module, function.return_type)
            if declared is not None and declared.project is not None:
                return declared
        asked = (module, class_name, name)
        if asked in self._properties_asked:
            return None  # two properties handing out each other
        self._properties_asked.add(asked)
        try:
            for attribute in function.returns_self_attributes:
                made = self.self_attribute_type(module, class_name, attribute)
                if made is not None:
                    return made
        finally:
            self._properties_asked.discard(asked)
        return None

    @cached_property
    def _properties_asked(self) -> set[tuple[str, str, str]]:
        return set()

    def _declared_type(self, module: str, declared: Binding) -> ValueType | None:
        if declared.kind != "call" or declared.callee is None or declared.call_of_call:
            return None
        return self.class_type(module, declared.callee)

    def receiver_type(
        self, module: str, function: Function | None, self_class: str | None, receiver: Access
    ) -> ValueType | None:
        """The class of a call's receiver (``self.engine``, a typed parameter, a global)."""
        kept_as, rest = receiver.kept_on_application_state()
        if kept_as:
            return self._kept_by_application_state(kept_as, rest)
        if self_class is not None:
            if len(receiver.attrs) == 1:
                return self.self_attribute_type(module, self_class, receiver.attrs[0])
            return None
        if (
            function is not None
            and not receiver.attrs
            and (
                receiver.root in function.param_types
                or receiver.root in function.dependency_providers
            )
        ):
            return self.parameter_type(module, function, receiver.root)
        if not receiver.attrs or receiver.root not in (function.params if function else ()):
            # `backend` or `state.backend`, None until a startup hook fills it
            slot = self._global_slot(module, receiver)
            assigned = self.assigned_globals.get(slot) if slot is not None else None
            if assigned is not None:
                return assigned
            target = self.project.resolve(module, receiver)
            if target is not None and target.kind == "binding" and not target.rest:
                return self.binding_type(target.module, target.name)
        return None

    def _kept_by_application_state(self, kept_as: str, rest: list[str]) -> ValueType | None:
        """``request.app.state.ccat.rabbit_hole``: an attribute of what the application
        keeps on its state, through the class of each object on the way."""
        made = self.application_state_types.get(kept_as)
        for attribute in rest:
            if made is None or made.project is None:
                return None
            made = self.self_attribute_type(*made.project, attribute)
        return made

    @cached_property
    def subclasses(self) -> dict[ClassKey, list[ClassKey]]:
        """Project class -> every project class that inherits from it (directly or not)."""
        found: dict[ClassKey, list[ClassKey]] = defaultdict(list)
        for module, record in self.project.modules.items():
            for class_name in record.facts.classes:
                hierarchy = list(self.project._hierarchy(module, class_name))
                for owner, class_facts, _ in hierarchy[1:]:
                    found[(owner, class_facts.name)].append((module, class_name))
        return dict(found)


_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "functools.cached_property"})


def _agreed(found: list[tuple[K, ValueType | None]]) -> dict[K, ValueType]:
    """Each key's project class, when every value found under it is the same one."""
    agreed: dict[K, ValueType | None] = {}
    for key, made in found:
        if made is None or made.project is None:
            continue
        agreed[key] = made if agreed.get(key, made) == made else None
    return {key: made for key, made in agreed.items() if made is not None}


def _passed_access(call: CallSite, position: str, name: str) -> Access | None:
    """What the call passes the parameter ``name`` (at ``position``), by keyword or by
    position, as an access (``request.app.state.agent``); None for anything else."""
    passed = call.keyword_args.get(name)
    if passed is None and position.isdigit() and int(position) < len(call.args):
        passed = call.args[int(position)]
    return passed
