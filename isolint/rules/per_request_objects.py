"""ISO404: an object meant to live for one request, created once for the process.

Some objects exist to remember one request's or one conversation's data: a GraphQL
``DataLoader`` caches every row it loaded, an LLM conversation memory keeps every message.
The models name them (``per-request-types``). Created at import time, or kept on a long-lived
object, and used at request time, one is shared by every user: the second user's query is
answered from the first user's cache, or their prompt carries the first user's conversation.

Reported at the creation, with the request-time use (and its entry point) as the witness.
An object handed into another module-level object (``Chain(llm, memory=memory)``) is used
whenever that holder is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from isolint.analysis.facts import Access, CallSite, Span
from isolint.analysis.module_pass import SCRIPT_FUNCTION, is_streamlit_import
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.program.reach import RequestPath
from isolint.project import Creation, ModuleRecord, Project
from isolint.rules.base import finding
from isolint.rules.evidence import RequestEvidence, witness

_FIX = (
    "Create it per request (in the handler, a request-scoped dependency or the request's "
    "context), or key what it keeps by the user."
)


@dataclass(frozen=True)
class _Shared:
    """A per-request object made long-lived: where, what, and how code reaches it."""

    record: ModuleRecord
    span: Span
    subject: str
    type_name: str
    how: str
    # the names (module-level) or ``self`` attributes through which code uses it
    names: frozenset[str]
    owner: str = ""
    # made by a cached property of the owner: used through it from anywhere
    # (``info.context.loaders.user_loader.load(id)``), not only from the owner's methods
    by_property: bool = False
    # where the long-lived owner is made, when the object is the owner's (a note)
    creation: Creation | None = None
    # made by a cached factory (``names`` holds its name): whoever calls it gets this one
    factory: str = ""
    # made by one of the models' ``conversation-builders`` (``index.as_chat_engine()``)
    made_by: str = ""
    # a conversation kept by a remote service (the models' ``conversation-creators``:
    # ``client.beta.threads.create()``), used by handing it, or its id, to calls
    handed_on: bool = False


def check(project: Project) -> Iterator[Finding]:
    wanted = project.config.models.values("per-request-types")
    if not wanted:
        return
    found = [
        *_module_level(project, wanted),
        *_kept_on_long_lived(project, wanted),
        *_cached_on_long_lived(project, wanted),
        *_made_by_cached_factory(project, wanted),
    ]
    reported_owners: set[tuple[str, str]] = set()
    for shared in found:
        owner = (shared.record.name, shared.owner)
        if shared.by_property and owner in reported_owners:
            continue  # one finding per container of loaders: it is built once, or per request
        use = _request_time_use(project, shared)
        if use is None:
            continue
        if shared.by_property:
            reported_owners.add(owner)
        yield _finding(project, shared, *use)
    if _builds_any(project, wanted) or _defines_any(project, wanted):
        yield from _conversations_with_registered_agents(project)


def _builds_any(project: Project, wanted: frozenset[str]) -> bool:
    """The project constructs one of the modelled per-request types (an agent that keeps
    its conversation) somewhere."""
    last_names = {name.rsplit(".", 1)[-1] for name in wanted}
    return any(
        project.callee_name(module, call.callee) in wanted
        for module, record in project.modules.items()
        for call in record.facts.calls
        if not call.result_method and (call.callee.attrs or [call.callee.root])[-1] in last_names
    )


def _defines_any(project: Project, wanted: frozenset[str]) -> bool:
    """A project class is, or derives from, one of the modelled per-request types (the agent
    library's own repository, or an application's agent subclass)."""
    types = program_of(project).types
    last_names = {name.rsplit(".", 1)[-1] for name in wanted}
    for module, record in project.modules.items():
        for name, class_facts in record.facts.classes.items():
            if f"{module}.{name}" in wanted:
                return True
            # resolve bases only for a class naming one of the types' names as a base (the
            # first subclass of a chain does; a deeper one is found through it)
            named = {(base.attrs or [base.root])[-1] for base in class_facts.bases}
            if named & last_names and types.qualified_names((module, name)) & wanted:
                return True
    return False


@dataclass(frozen=True)
class _Holder:
    """Where the agents handed out come from: a module-level registry, or a container
    attribute of an object every request shares (``self.agents`` of the app object)."""

    name: str
    module: str
    span: Span
    how: str
    # how the message names the agent
    described: str


def _conversations_with_registered_agents(project: Project) -> Iterator[Finding]:
    """``agent = get_agent(agent_id); await agent.achat(request.message)`` at request time,
    where the agent comes out of a process-wide registry or a long-lived object's
    collection: the agent keeps the conversation it is given, so every caller of that agent
    shares one conversation."""
    methods = project.config.models.values("conversation-methods")
    program = program_of(project)
    paths = program.reach.request_paths
    carrying = program.reach.request_data_params
    for record in project.targets():
        module = record.name
        for call in record.facts.calls:
            method = call.result_method
            if not method and (call.element_of is not None or _on_self(call)):
                method = (call.callee.attrs or [""])[-1]
            if method not in methods or call.function is None:
                continue
            key = (module, call.function)
            if key not in paths:
                continue
            holder = (
                _agent_serving_itself(project, module, call, paths[key])
                if _on_self(call)
                else _holder_of(project, module, call)
            )
            if holder is None:
                continue
            sources = [s for group in call.arg_sources for s in group]
            sources += [s for group in call.keyword_sources.values() for s in group]
            if carrying.get(key, frozenset()).isdisjoint(sources):
                continue
            yield _conversation_finding(project, record, call, method, holder, paths[key])


def _on_self(call: CallSite) -> bool:
    """``self.chat(prompt)``: a method of the object the calling code runs on."""
    return (
        call.self_class is not None and call.callee.root == "self" and len(call.callee.attrs) == 1
    )


def _agent_serving_itself(
    project: Project, module: str, call: CallSite, path: RequestPath
) -> _Holder | None:
    """``agent.launch()`` defining a route that answers with ``self.chat(query)``: the
    handler runs on the one agent the server was launched with, so every caller talks to
    that agent, and it keeps all their conversations as one. Only the handler itself is
    judged (a method of the agent that calls ``self.chat`` may run on a per-request one),
    and only when the class, or a subclass of it, is an agent that keeps its conversation
    (the models' ``per-request-types``)."""
    assert call.self_class is not None and call.function is not None
    key = (module, call.self_class)
    handler = call.function
    if path.entry != (module, handler) or not handler.startswith(f"{call.self_class}."):
        return None
    if handler.count(".") < 2:
        return None  # a method of the class, not a handler defined in one
    program = program_of(project)
    wanted = project.config.models.values("per-request-types")
    family = [key, *program.types.subclasses.get(key, ())]
    if not any(program.types.qualified_names(member) & wanted for member in family):
        return None
    creations = program.long_lived.inherited_by(key)
    if not creations:
        return None
    how = f"one `{call.self_class}` answers every request ({creations[0].how})"
    described = f"the one `{call.self_class}` its request handler runs on, itself an agent"
    return _Holder(call.self_class, creations[0].module, creations[0].span, how, described)


def _holder_of(project: Project, module: str, call: CallSite) -> _Holder | None:
    if call.result_method:
        registry = _registry_behind(project, module, call.callee)
        if registry is not None:
            return _registry_holder(project, registry)
    element_of = call.element_of
    if element_of is None:
        return None
    if element_of.root == "self" and call.element_class and len(element_of.attrs) == 1:
        creations = program_of(project).long_lived.inherited_by((module, call.element_class))
        if not creations:
            return None
        name = f"{call.element_class}.{element_of.attrs[0]}"
        how = f"`{name}` is one collection for every request ({creations[0].how})"
        described = f"an agent taken from `{name}`, a collection of an object every request shares"
        return _Holder(name, creations[0].module, creations[0].span, how, described)
    found = project.resolve(module, element_of)
    binding = project.binding(found) if found is not None and not found.rest else None
    if binding is not None and binding.kind == "container" and found is not None:
        return _registry_holder(project, (found.module, found.name))
    return None


def _registry_holder(project: Project, registry: tuple[str, str]) -> _Holder:
    binding = project.modules[registry[0]].facts.bindings[registry[1]]
    how = f"`{registry[1]}` keeps one agent per name for the whole process"
    described = f"an agent taken from the process-wide registry `{registry[1]}`"
    return _Holder(registry[1], registry[0], binding.span, how, described)


def _registry_behind(project: Project, module: str, getter: Access) -> tuple[str, str] | None:
    """The module-level container an object comes out of: ``REGISTRY.get(name)``, or a
    project function returning ``REGISTRY.get(name)``."""
    candidates = [(module, getter)]
    target = project.resolve(module, getter)
    if target is not None and target.kind == "function" and not target.rest:
        function = project.function(target.module, target.name)
        if function is not None:
            candidates = [(target.module, returned) for returned in function.returns_calls]
    for owner, access in candidates:
        if access.attrs[-1:] not in (["get"], ["__getitem__"]):
            continue
        found = project.resolve(owner, Access(access.root, access.attrs[:-1]))
        binding = project.binding(found) if found is not None and not found.rest else None
        if binding is not None and binding.kind == "container" and found is not None:
            return found.module, found.name
    return None


def _conversation_finding(
    project: Project,
    record: ModuleRecord,
    call: CallSite,
    method: str,
    holder: _Holder,
    path: RequestPath,
) -> Finding:
    owner = project.modules[holder.module]
    related = [
        Related(owner.display_path, owner.located(holder.span).line, holder.how, kind="creation"),
        *witness(project, RequestEvidence((), path)),
    ]
    message = (
        f"`.{method}()` hands request data to {holder.described}; an "
        "agent keeps the conversation it is given, so every user who reaches that agent "
        "shares one conversation"
    )
    return finding(
        "ISO404",
        record,
        call.span or holder.span,
        message + f"; it is used from request handler `{path.entry[1]}`",
        _FIX,
        Severity.ERROR,
        tuple(related),
        shared_object=holder.name,
        entry_point=path.entry[1],
        data_kind="request data",
    )


def _module_level(project: Project, wanted: frozenset[str]) -> Iterator[_Shared]:
    """``loader = DataLoader(load)`` at module level (or of a project subclass of one,
    ``UserLoader()``), and module-level objects built from one
    (``chain = ConversationChain(llm=llm, memory=memory)``)."""
    types = program_of(project).types
    builders = project.config.models.values("conversation-builders")
    creators = project.config.models.values("conversation-creators")
    for record in project.targets():
        bindings = record.facts.bindings
        found: dict[str, tuple[str, bool]] = {}
        remote: set[str] = set()
        for name, binding in bindings.items():
            if binding.kind != "call" or binding.callee is None or binding.call_of_call:
                continue
            qualified = project.callee_name(record.name, binding.callee)
            made = types.class_type(record.name, binding.callee)
            built = bool(binding.callee.attrs) and binding.callee.attrs[-1] in builders
            if _creates_a_conversation(binding.callee, creators):
                built = True
                remote.add(name)
            if built or qualified in wanted or (made is not None and made.names & wanted):
                found[name] = (qualified, built)
        for name, (qualified, built) in found.items():
            binding = bindings[name]
            if any(argument in found for argument in binding.arguments):
                continue  # `ConversationChain(memory=memory)`: the memory is what keeps it
            assert binding.callee is not None
            holders = {
                other
                for other, held in bindings.items()
                if held.kind == "call" and name in held.arguments
            }
            yield _Shared(
                record,
                binding.span,
                name,
                qualified.rsplit(".", 1)[-1],
                "created at import time",
                frozenset({name, *holders}),
                made_by=f"{binding.callee.text()}()" if built else "",
                handed_on=name in remote,
            )


def _creates_a_conversation(callee: Access, creators: frozenset[str]) -> bool:
    """``client.beta.threads.create()``: a call the models' ``conversation-creators`` name
    by the end of its dotted name (``beta.threads.create``)."""
    text = "." + callee.text()
    return any(text.endswith("." + creator) for creator in creators)


def _kept_on_long_lived(project: Project, wanted: frozenset[str]) -> Iterator[_Shared]:
    """``self.memory = ConversationBufferMemory()`` in a class whose instance is long-lived."""
    program = program_of(project)
    for record in project.targets():
        for site in record.facts.writes:
            if site.self_class is None or site.value_class is None or site.operation != "setattr":
                continue
            if len(site.target.attrs) != 1:
                continue
            made = program.types.class_type(record.name, site.value_class)
            kinds = sorted(made.names & wanted) if made is not None else []
            if not kinds:
                continue
            creations = program.long_lived.inherited_by((record.name, site.self_class))
            if not creations:
                continue
            attribute = site.target.attrs[0]
            yield _Shared(
                record,
                site.span,
                f"{site.self_class}.{attribute}",
                kinds[0].rsplit(".", 1)[-1],
                f"kept on a long-lived `{site.self_class}` ({creations[0].how})",
                frozenset({attribute}),
                owner=site.self_class,
            )


def _cached_on_long_lived(project: Project, wanted: frozenset[str]) -> Iterator[_Shared]:
    """``@cached_property def user_loader(self): return DataLoader(load_users)`` in a class
    whose instance is long-lived (a container of loaders built at startup): the property
    makes its loader once, on first use, and keeps it for every later request."""
    program = program_of(project)
    for record in project.targets():
        for function in record.facts.functions.values():
            owner = function.class_name
            if owner is None or not function.returns_calls or not function.decorators:
                continue
            if not any(
                project.callee_name(record.name, decorator.callee) in _CACHED_PROPERTIES
                for decorator in function.decorators
            ):
                continue
            made = [program.types.class_type(record.name, call) for call in function.returns_calls]
            kinds = sorted({name for m in made if m is not None for name in m.names & wanted})
            if not kinds:
                continue
            creations = program.long_lived.inherited_by((record.name, owner))
            if not creations:
                continue
            yield _Shared(
                record,
                function.span,
                f"{owner}.{function.name}",
                kinds[0].rsplit(".", 1)[-1],
                f"kept by a cached property of a long-lived `{owner}` ({creations[0].how})",
                frozenset({function.name}),
                owner=owner,
                by_property=True,
                creation=creations[0],
            )


_CACHED_PROPERTIES = frozenset({"functools.cached_property", "cached_property"})


def _made_by_cached_factory(project: Project, wanted: frozenset[str]) -> Iterator[_Shared]:
    """``@st.cache_resource def get_chain(): return ConversationChain(memory=
    ConversationBufferMemory())``, or ``@lru_cache def get_memory(): ...``: a module-level
    function without parameters under a decorator the models say keeps its result for the
    process builds the object once, and every caller gets that one. (With parameters, the
    cache keeps one per argument: a memory per session id is that session's.)"""
    types = program_of(project).types
    for record in project.targets():
        module = record.name
        factories = {
            qualname: cache.callee.text()
            for qualname in record.facts.functions
            if (cache := project.builds_once(module, qualname))
        }
        if not factories:
            continue
        for call in record.facts.calls:
            if call.function not in factories or call.span is None or call.result_method:
                continue
            qualified = project.callee_name(module, call.callee)
            made = types.class_type(module, call.callee)
            if qualified not in wanted and (made is None or made.names.isdisjoint(wanted)):
                continue
            type_name = qualified.rsplit(".", 1)[-1]
            yield _Shared(
                record,
                call.span,
                f"{call.function}()",
                type_name,
                f"`@{factories[call.function]}` runs `{call.function}` once for the process",
                frozenset({call.function}),
                factory=call.function,
            )


def _request_time_use(project: Project, shared: _Shared) -> tuple[str, CallSite] | None:
    """A call in request-time code on the object (or on what holds it)."""
    paths = program_of(project).reach.request_paths
    if shared.by_property:
        return _property_read_at_request_time(project, shared, paths.keys())
    if shared.factory:
        return _factory_called_at_request_time(project, shared, paths.keys())
    for module, record in project.modules.items():
        for call in record.facts.calls:
            if call.function is None or (module, call.function) not in paths:
                continue
            if _uses(project, module, call, shared):
                return module, call
    return None


def _property_read_at_request_time(
    project: Project, shared: _Shared, request_time: Iterable[tuple[str, str]]
) -> tuple[str, CallSite] | None:
    """Request-time code outside the owner reading the cached property by its name
    (``info.context.loaders.user_loader.load(id)`` in a resolver), at that code's ``def``."""
    running = set(request_time)
    (name,) = shared.names
    for module, record in project.modules.items():
        for qualname in record.facts.attribute_reads.get(name, ()):
            function = record.facts.functions.get(qualname)
            if function is None or (module, qualname) not in running:
                continue
            if function.class_name == shared.owner:
                continue
            return module, CallSite(Access(name), False, function=qualname, span=function.span)
    return None


def _factory_called_at_request_time(
    project: Project, shared: _Shared, request_time: Iterable[tuple[str, str]]
) -> tuple[str, CallSite] | None:
    """A request-time call of the cached factory, or the factory itself run at request time
    (a dependency provider, ``Depends(get_chain)``), at its ``def``."""
    running = set(request_time)
    home = shared.record.name
    for module, record in project.modules.items():
        script = _is_streamlit_script(record)
        for call in record.facts.calls:
            if call.function is None:
                if not script or call.deferred or call.in_class_body:
                    continue
            elif (module, call.function) not in running:
                continue
            target = project.resolve(module, call.callee)
            if target is not None and (target.kind, target.module) == ("function", home):
                if target.name == shared.factory and not target.rest:
                    if call.function is None:  # the script's top level, run for every session
                        call = dataclasses.replace(call, function=SCRIPT_FUNCTION)
                    return module, call
    function = project.function(home, shared.factory)
    if function is not None and (home, shared.factory) in running:
        return home, CallSite(
            Access(function.name), False, function=function.qualname, span=function.span
        )
    return None


def _is_streamlit_script(record: ModuleRecord) -> bool:
    """The module imports Streamlit: its top level is a script Streamlit runs for every
    session (and every rerun), not once at import."""
    return any(is_streamlit_import(ref) for ref in record.facts.imports.values())


def _uses(project: Project, module: str, call: CallSite, shared: _Shared) -> bool:
    callee = call.callee
    if shared.owner:
        return (
            call.self_class == shared.owner
            and module == shared.record.name
            and callee.root == "self"
            and bool(callee.attrs)
            and callee.attrs[0] in shared.names
        )
    if shared.handed_on:
        handed = [*call.args, *call.keyword_args.values()]
        return any(
            argument is not None and _names_shared(project, module, argument.root, shared)
            for argument in handed
        )
    if not callee.attrs:
        return False
    return _names_shared(project, module, callee.root, shared)


def _names_shared(project: Project, module: str, name: str, shared: _Shared) -> bool:
    """``name``, read in ``module``, is the shared module-level object (or what holds it)."""
    target = project.resolve(module, Access(name))
    return (
        target is not None
        and target.kind == "binding"
        and target.module == shared.record.name
        and target.name in shared.names
    )


def _headline(shared: _Shared) -> str:
    """What the object is and why it is shared, in the words of how it was made."""
    if shared.factory:
        return (
            f"`{shared.factory}()` builds a `{shared.type_name}`, which keeps one request's "
            f"data, but {shared.how}, so every request and user gets that one"
        )
    if shared.made_by:
        return (
            f"`{shared.subject}` is made by `{shared.made_by}`, which keeps the conversation "
            f"it is given, but it is {shared.how} and so shared by every request and user"
        )
    return (
        f"`{shared.subject}` is a `{shared.type_name}`, which keeps one request's data, but it "
        f"is {shared.how} and so shared by every request and user"
    )


def _finding(project: Project, shared: _Shared, module: str, call: CallSite) -> Finding:
    program = program_of(project)
    used_in = project.modules[module]
    path = program.reach.request_paths.get((module, call.function or ""))
    related: list[Related] = []
    if call.span is not None:
        user = (
            "the Streamlit script, run for every session,"
            if call.function == SCRIPT_FUNCTION
            else f"`{call.function}`"
        )
        related.append(
            Related(
                used_in.display_path,
                used_in.located(call.span).line,
                f"{user} uses it at request time (`{call.callee.text()}`)",
                kind="call",
            )
        )
    if shared.creation is not None:
        made_in = project.modules[shared.creation.module]
        related.append(
            Related(
                made_in.display_path,
                made_in.located(shared.creation.span).line,
                f"the `{shared.owner}` every request shares is made here ({shared.creation.how})",
                kind="creation",
            )
        )
    entry = ""
    if path is not None:
        entry = path.entry[1]
        related.extend(witness(project, RequestEvidence((), path)))
    message = _headline(shared)
    if entry:
        message += f"; it is used from request handler `{entry}`"
    elif call.function == SCRIPT_FUNCTION:
        entry = SCRIPT_FUNCTION
        message += "; the Streamlit script calls it for every session"
    return finding(
        "ISO404",
        shared.record,
        shared.span,
        message,
        _FIX,
        Severity.ERROR,
        tuple(related),
        shared_object=shared.subject,
        entry_point=entry,
        data_kind="request data",
    )
