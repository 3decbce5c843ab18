"""Database sessions kept on objects: who holds one, and for how long.

A session is handed to an object's constructor and kept on ``self``
(``self.db_session = db_session``). When the object is long-lived (built at startup, a
singleton, kept on another long-lived object), every request shares that one session: an
error. When the project never constructs the class but its methods take the ids or content of
different runs and requests, the session outlives any one of them: a warning. A class
constructed per request (a repository built in a request dependency) is fine.

A parameter is a session by its annotation (the models' ``session-types``), or, without
one, by a name that says so (``db_session``, ``db``), or, whatever its name, when a long-lived
instance is built with a session made in the construction call (``UserRepo(SessionLocal())``);
factories and engines are not sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

from isolint.analysis.facts import Access, Binding, Function, WriteSite
from isolint.project import Creation, Project, is_init_method

# Unannotated parameters that hold a database session by every convention we have seen.
_SESSION_PARAMETER_NAMES = frozenset(
    {
        "db_session",
        "db",
        "async_session",
        "db_conn",
        "database_session",
        "dbsession",
        "db_connection",
    }
)


@dataclass(frozen=True)
class SessionHolder:
    """A class keeping a session on ``self``: how long the holder lives, and how sure we are."""

    what: str
    creations: tuple[Creation, ...]
    severity: str  # "error" (the holder is long-lived) or "warning" (its lifetime is unknown)


def session_holder(project: Project, module: str, site: WriteSite) -> SessionHolder | None:
    """``self.x = session_parameter`` in a class whose instances outlive a request."""
    from isolint.program import program_of

    if site.self_class is None or site.operation != "setattr" or len(site.target.attrs) != 1:
        return None
    function = project.function(module, site.function)
    if function is None or site.value_name not in function.params:
        return None
    program = program_of(project)
    creations = program.long_lived.inherited_by((module, site.self_class))
    holder = (module, site.self_class)
    places = _init_argument_places(function, site)
    if not is_session_parameter(project, module, function, site.value_name):
        if places is None or not _handed_a_session(project, holder, places, creations):
            return None
        return SessionHolder(creations[0].how, tuple(creations), "error")
    if creations:
        if places is not None and _built_without_one(project, holder, places, creations):
            return None
        return SessionHolder(creations[0].how, tuple(creations), "error")
    key = (module, site.self_class)
    family = [key, *program.types.subclasses.get(key, ())]
    constructed = [
        function
        for cls in family
        for _, function in program.long_lived.constructions.get(cls, [])
        if function is not None and not is_construction_helper(function)
    ]
    if constructed or not _serves_requests(project, module, site.self_class):
        return None
    return SessionHolder(
        "an object the project never constructs per request, whose methods serve different "
        "runs and requests",
        (),
        "warning",
    )


def _built_without_one(
    project: Project, holder: tuple[str, str], places: frozenset[str], creations: list[Creation]
) -> bool:
    """``_service = TokenBlocklistService()`` kept for the process, while requests build
    their own with ``TokenBlocklistService(db=db)``: when every long-lived instance is
    constructed without the session (left out or passed ``None``), none of them holds one.
    Unknown when any construction cannot be read (kept by another object, built by a
    factory or the framework). ``places``: where a construction passes the parameter."""
    for creation in creations:
        passes = _construction_arguments(project, holder, creation)
        if passes is None or "*" in passes or not places.isdisjoint(passes):
            return False
    return True


def _init_argument_places(init: Function, site: WriteSite) -> frozenset[str] | None:
    """Where a construction passes the ``__init__`` parameter ``site`` keeps on ``self``:
    its keyword and its position (as a string); None outside ``__init__``."""
    if not is_init_method(site.function):
        return None
    parameter = site.value_name
    return frozenset({parameter, str(init.params.index(parameter))})


def _handed_a_session(
    project: Project, holder: tuple[str, str], places: frozenset[str], creations: list[Creation]
) -> bool:
    """``repo = UserRepo(SessionLocal())`` at import time, with ``self.session = session``
    in ``UserRepo.__init__``: whatever the parameter is called, a long-lived instance was
    built with a session made for it. (A module-level session passed by name is reported
    where it is made, by ISO301.)"""
    for creation in creations:
        binding = _construction_binding(project, holder, creation)
        if binding is None:
            continue
        for place in places:
            made_by = binding.argument_calls.get(place)
            if made_by is not None and project.is_session_creation(creation.module, made_by, False):
                return True
    return False


def _construction_binding(
    project: Project, holder: tuple[str, str], creation: Creation
) -> Binding | None:
    """The module-level binding whose call made this long-lived instance of ``holder``."""
    record = project.modules.get(creation.module)
    if record is None or creation.holder is not None:
        return None
    for binding in record.facts.bindings.values():
        if binding.span == creation.span and binding.kind == "call":
            made = _constructs(project, creation.module, binding.callee, holder)
            return binding if made else None
    return None


def _constructs(
    project: Project, module: str, callee: Access | None, holder: tuple[str, str]
) -> bool:
    """The call constructs ``holder`` (``UserRepo(...)``, resolved through imports)."""
    target = project.resolve(module, callee) if callee is not None else None
    return (
        target is not None
        and target.kind == "class"
        and not target.rest
        and (target.module, target.name) == holder
    )


def _construction_arguments(
    project: Project, holder: tuple[str, str], creation: Creation
) -> list[str] | None:
    """What the call that made a long-lived instance passes (``passed_arguments``), when
    the creation is that call: a module-level instance, a lazily created global, or a
    construction in a startup hook. None when it is anything else."""
    record = project.modules.get(creation.module)
    if record is None or creation.holder is not None:
        return None
    facts = record.facts

    def constructs_holder(callee: Access | None) -> bool:
        return _constructs(project, creation.module, callee, holder)

    for binding in facts.bindings.values():
        if binding.span == creation.span and binding.kind == "call":
            return binding.passes if constructs_holder(binding.callee) else None
    for write in facts.writes:
        if write.span == creation.span and write.operation == "rebind":
            return write.value_call_passes if constructs_holder(write.value_call) else None
    for call in facts.calls:
        if call.span == creation.span:
            if not constructs_holder(call.callee) or call.positional < 0:
                return None
            return [*map(str, range(call.positional)), *call.keywords]
    return None


def is_construction_helper(qualname: str) -> bool:
    """``__init__`` and the helpers it calls (``_init_components``): an object built there
    lives as long as the object being built, not as long as one request."""
    name = qualname.rsplit(".", 1)[-1]
    return is_init_method(qualname) or name.lstrip("_").startswith(_INIT_HELPER_PREFIXES)


_INIT_HELPER_PREFIXES = ("init", "setup", "initialize", "build_components", "create_components")


def is_session_parameter(project: Project, module: str, function: Function, name: str) -> bool:
    from isolint.program import program_of

    models = project.config.models
    declared = program_of(project).types.parameter_type(module, function, name)
    if declared is not None:
        if declared.names & models.values("session-factories"):
            return False
        return bool(declared.names & models.values("session-types"))
    if name in function.param_types:
        return False  # annotated with something we cannot resolve: not ours to guess
    if name in function.valued_defaults:
        return False  # `db=config.get("REDIS_DB", 0)`: a number or a name, not a session
    return name in _SESSION_PARAMETER_NAMES


def _serves_requests(project: Project, module: str, class_name: str) -> bool:
    """Some method (not the constructor) takes the ids or content of a run or request."""
    models = project.config.models
    wanted = models.values("request-parameter-names") | models.values("request-content-names")
    legacy = {*project.config.legacy_state_classes, project.config.context_class}
    for owner, class_facts, _ in project._hierarchy(module, class_name):
        for method in class_facts.methods:
            function = project.function(owner, f"{class_facts.name}.{method}")
            if function is None or method.startswith("__"):
                continue
            if wanted & set(function.params):
                return True
            for declared in function.param_types.values():
                if (declared.attrs or [declared.root])[-1] in legacy:
                    return True
    return False
