"""Deciding, once per write site, which rule (if any) it breaks.

A single statement can look like several problems at once (a module-level dict written with
a path key after an ``await``); DESIGN says one finding per site. So the decision lives here,
in one place, and the families only phrase the findings they own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from isolint.analysis.expressions import (
    CONTAINER_CONSTRUCTORS,
    THREAD_LOCAL_CLASSES,
    formatted_parts,
    names_an_identifier,
)
from isolint.analysis.facts import Access, Binding, Function, Span, WriteSite
from isolint.analysis.module_pass import REQUEST_ID_PARAMETERS, USER_IDENTITY_NAMES
from isolint.config import ENUM_BASES, FRESH_ID_CALLS, SHARED_BODY_DSL_BASES
from isolint.findings import Related
from isolint.models import method_matches
from isolint.program import program_of
from isolint.program.long_lived import names_a_module
from isolint.program.reach import CallEdge
from isolint.program.readers import Reader
from isolint.program.sessions import is_session_parameter, session_holder
from isolint.project import (
    Creation,
    ModuleRecord,
    Project,
    Target,
    allocated_for_the_process,
    is_init_method,
)
from isolint.rules.base import (
    CONTAINER_OPERATIONS_PREFIX,
    ITEM_OPERATIONS,
    MEMORY_OPERATIONS_PREFIX,
    QUEUE_OPERATIONS_PREFIX,
    REMOVALS,
    STORE_OPERATIONS_PREFIX,
    is_container_write,
    keyed_code,
    reader_notes,
)
from isolint.rules.evidence import RequestEvidence, request_evidence, stores_request_data, witness

_MAX_CREATIONS = 3
# how far up the chain of objects keeping a long-lived one its witness goes
_MAX_HOLDERS = 3

_ATTRIBUTE_OPERATIONS = frozenset({"setattr", "augattr", "delattr"})


@dataclass(frozen=True)
class ClassifiedWrite:
    """A write site and the rule it breaks; ``defined`` is where the shared object lives."""

    record: ModuleRecord
    site: WriteSite
    code: str
    subject: str
    what: str
    defined_module: str | None = None
    defined_span: Span | None = None
    creations: tuple[Creation, ...] = ()
    evidence: RequestEvidence | None = None
    severity_override: str = ""
    # the class whose instance (or class body) holds the written state, when there is one
    owner: str = ""
    # a class-body container written through instances built per request: shared whatever
    # is stored, even a memo (each request was meant to get its own)
    per_request_instances: bool = False
    # the fix, when this shape has its own (else the rule's)
    fix: str = ""
    # the package outside the project that keeps the written state, and reads it back for
    # every request (``litellm.callbacks``, ``os.environ``, Flask's ``current_app.config``)
    library: str = ""
    # an attribute of an object the long-lived one keeps (``self.extension.context = c``)
    on_kept_object: bool = False
    # the class of the object written through a typed parameter (``svc.user = u``)
    receiver_class: tuple[str, str] | None = None
    # for an item put into a shared queue: the handlers serving a client that take it out
    takers: tuple[Reader, ...] = ()

    def definition(self, project: Project, message: str) -> tuple[Related, ...]:
        """Where the shared object is defined or created (each long-lived allocation site,
        the first few), then the request path that reaches the write (the witness)."""
        found: list[Related] = []
        for creation in self.creations[:_MAX_CREATIONS]:
            record = project.modules[creation.module]
            line = record.located(creation.span).line
            found.append(Related(record.display_path, line, f"long-lived: {creation.how}"))
            found.extend(_holders(project, creation))
        if self.defined_module is not None and self.defined_span is not None:
            record = project.modules[self.defined_module]
            line = record.located(self.defined_span).line
            if not found:
                found.append(Related(record.display_path, line, message))
            elif all((r.path, r.line) != (record.display_path, line) for r in found):
                created = self.subject.rsplit(".", 1)[0] if self.on_kept_object else self.subject
                what = f"`{created}` is created here"
                found.append(Related(record.display_path, line, what))
        return (*found, *witness(project, self.evidence), *self.reader_locations(project))

    def reader_locations(self, project: Project) -> tuple[Related, ...]:
        """Request-time code that reads the written state back (the first two found)."""
        return reader_notes(project, self.readers(project), self.subject)

    def read_back(self, project: Project) -> str:
        """The message's clause naming a reader, when one is found."""
        readers = self.readers(project)
        if readers:
            return f"; `{readers[0].function}` reads it back at request time"
        if self.library:
            return f"; `{self.library}` reads it back for every request"
        return ""

    def is_read_back(self, project: Project) -> bool:
        """Whether request-time code, or the library that keeps the state, reads it back."""
        return bool(self.library) or bool(self.readers(project))

    def readers(self, project: Project) -> list[Reader]:
        if self.takers:
            return list(self.takers)
        program = program_of(project)
        site = self.site
        if self.receiver_class is not None:
            family = _class_family(project, self.receiver_class)
            return program.readers.of_attribute(
                self.receiver_class[0], family, site.target.attrs[0], ""
            )
        if site.self_class is not None and self.on_kept_object:
            # `self.extension.execution_context = ...`: read where the kept object's class
            # loads its attribute back
            kept = program.types.self_attribute_type(
                self.record.name, site.self_class, site.target.attrs[0]
            )
            if kept is None or kept.project is None:
                return []
            family = _class_family(project, kept.project)
            return program.readers.of_attribute(kept.project[0], family, site.target.attrs[1], "")
        if site.self_class is not None and site.target.attrs:
            family = _class_family(project, (self.record.name, site.self_class))
            return program.readers.of_attribute(
                self.record.name, family, site.target.attrs[0], site.function
            )
        if site.captured_in:
            return _captured_state_readers(project, self.record, site)
        if self.defined_module is not None and "." not in self.subject:
            return program.readers.of_global(self.defined_module, self.subject, site.function)
        if self.defined_module is not None and self.subject.count(".") == 1:
            name, attribute = self.subject.split(".")  # `app.last_user` on `app = Flask()`
            return program.readers.of_object_attribute(self.defined_module, name, attribute)
        if self.code == "ISO104" and not self.library:  # `history.last_run = ...`
            module, name = self.subject.rsplit(".", 1)
            if module in project.modules:
                return program.readers.of_module_attribute(module, name)
        return []


def _captured_state_readers(
    project: Project, record: ModuleRecord, site: WriteSite
) -> list[Reader]:
    """The other handlers of the factory that load what the write stores, at their ``def``."""
    program = program_of(project)
    return [
        program.readers.at_def(record.name, qualname)
        for qualname in site.captured_readers
        if (record.name, qualname) in program.reach.request_paths
    ]


def _class_family(project: Project, key: tuple[str, str]) -> list[tuple[str, str]]:
    """The class, its bases and its subclasses: any of them may read what one writes."""
    program = program_of(project)
    return [*program.long_lived.class_and_bases(key), *program.types.subclasses.get(key, ())]


def _holders(project: Project, creation: Creation) -> list[Related]:
    """Why the object that keeps a long-lived one is long-lived itself, up the chain of
    keepers (``kept on `Agent._llm`, itself long-lived`` -> where that agent is made)."""
    found: list[Related] = []
    seen: set[tuple[str, str]] = set()
    holder = creation.holder
    long_lived = program_of(project).long_lived
    while holder is not None and holder not in seen and len(found) < _MAX_HOLDERS:
        seen.add(holder)
        made = long_lived.inherited_by(holder)
        if not made:
            break
        record = project.modules[made[0].module]
        line = record.located(made[0].span).line
        found.append(
            Related(record.display_path, line, f"`{holder[1]}` is long-lived: {made[0].how}")
        )
        holder = made[0].holder
    return found


def classified_writes(project: Project) -> list[ClassifiedWrite]:
    """Every rule-breaking write in the project's target modules (memoised per project)."""
    cached: list[ClassifiedWrite] | None = getattr(project, "_classified_writes", None)
    if cached is None:
        cached = [
            classified
            for record in project.targets()
            for site in record.facts.writes
            if (classified := _classify(project, record, site)) is not None
        ]
        cached = _without_lone_removals(cached)
        project.__dict__["_classified_writes"] = cached
    return cached


_SESSION_CODES = frozenset({"ISO301", "ISO302"})


def _never_read_back(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``self.refresh_token = token`` where no code that runs reads ``refresh_token`` back:
    what is only ever stored reaches no other user. Only an attribute of the project's own
    class counts (``self.client.headers`` may be read by the client's library)."""
    if site.self_class is None or len(site.target.attrs) != 1:
        return False
    readers = program_of(project).readers
    attribute = site.target.attrs[0]
    return not readers.anything_reads(record.name, site.self_class, attribute, site.function)


def _without_lone_removals(found: list[ClassifiedWrite]) -> list[ClassifiedWrite]:
    """Taking entries out of shared state (an eviction, a ``.clear()``) is part of a leak
    only where request data goes in: a removal is kept when a reported write puts something
    into the same object, and dropped otherwise (draining a start-up queue, evicting a memo
    cache's oldest entry)."""

    def shared_object(classified: ClassifiedWrite) -> tuple[str, str]:
        return (classified.defined_module or classified.record.name, classified.subject)

    filled = {shared_object(c) for c in found if c.site.operation not in REMOVALS}
    return [c for c in found if c.site.operation not in REMOVALS or shared_object(c) in filled]


def _classify(project: Project, record: ModuleRecord, site: WriteSite) -> ClassifiedWrite | None:
    module = record.name
    if project.runs_at_import_time(module, site) or _overridden_then_restored(
        project, record, site
    ):
        return None
    if site.memoized and program_of(project).reach.reads_caller_state(module, site.value_imports):
        # `CACHE[name] = {"viewer": session["user"], ...}`: computed from the key and from
        # who asks (here through Flask's session), so not the same for everyone who sends it
        site = replace(site, memoized=False)
    classified = _classify_write(project, record, site)
    if classified is None:
        return None
    if classified.code not in _SESSION_CODES and _never_read_back(project, record, site):
        return None  # (a session is used through any method, `session.add(row)` too)
    if _adds_a_member(project, record, site) or _cleared_to_rebuild(record, site):
        return None
    if _keyed_by_who_asks(project, record, site) or _keyed_by_a_fresh_id(project, record, site):
        return None
    if _files_only_a_fresh_id(project, record, site) or _scratch_of_one_task(project, record, site):
        return None
    if classified.code not in _SESSION_CODES and _an_entry_of_constant_tables(
        project, record, site
    ):
        return None
    if _an_entity_s_entry(project, record, classified) or _an_entity_s_id_listed(classified):
        return None
    if classified.code in ("ISO401", "ISO402") and _every_caller_memoizes(project, record, site):
        return None
    handed_on = classified.code == "ISO102" and bool(site.value_kind)
    if (
        classified.code != "ISO302"
        and not handed_on
        and _is_bookkeeping(project, classified)
        and not _keeps_the_request(project, record, site)
    ):
        return None  # (a count parked for a later step of the same request is not a metric)
    if (
        classified.code != "ISO503"
        and not classified.per_request_instances
        and site.fills_absent
        and not _depends_on_user(project, record, site)
    ):
        # computed once per key and kept for everyone: a memo of what is the same for every
        # user (a site by host); when it reads the user, the first user's value is the leak
        return None
    evidence = request_evidence(project, module, site)
    if classified.code in _REPORTED_WITHOUT_EVIDENCE or classified.per_request_instances:
        if program_of(project).reach.at_the_command_line((module, site.function)):
            return None  # one person's command shares nothing with another's
        return replace(classified, evidence=evidence)
    if site.under_lock and not stores_request_data(project, module, site):
        # Serialised under a lock and holding no request data: process bookkeeping. (A lock
        # does not scope a value to its user, so request data under a lock is still reported.)
        return None
    if evidence is None or _guessed_twice(project, module, site, classified, evidence):
        return None
    if _keyed_by_an_unknown_caller(project, module, site, evidence):
        return None
    return replace(classified, evidence=evidence)


# the conventional names of the request object itself (a function handed it is a handler)
_REQUEST_OBJECT_NAMES = frozenset({"request", "req"})


def _keyed_by_an_unknown_caller(
    project: Project, module: str, site: WriteSite, evidence: RequestEvidence
) -> bool:
    """``def add_client(self, client_id, websocket): self._clients[client_id] = websocket``
    where nothing but a parameter's name says a request runs it (no framework entry point
    reaches it, no caller at request time): a registry's API, filing what it is handed
    under the handle its caller names. Whether that handle is the user's is the caller's
    business, out of sight, so two guesses (request time, an unscoped key) make no finding.
    A value computed from the key (a cache: ``_PROFILES[url] = fetch(url, cookies)``), or
    a key the function builds itself (``f"suggestions:{pk}"``), is the function's own
    choice, and stays reported; so is a key chosen beside the user's id the function holds
    and leaves out (``def handle(user_id, path, value): CACHE[path] = value``)."""
    if site.key.kind != "dynamic" or site.key_sources != [site.key.text]:
        return False
    if site.key.text in site.value_sources or site.value_imports:
        return False
    reach = program_of(project).reach
    path = evidence.path
    if path is not None and (path.entry in reach.entry_points.entries or path.calls):
        return False
    key = (module, site.function)
    function = project.function(module, site.function)
    if function is None or key in reach.registered_callbacks:
        return False
    if reach.entry_points.reads_request_globals(module, function):
        return False
    if reach.entry_points.typed_requests(module, function):
        return False
    if (set(function.params) & USER_IDENTITY_NAMES) - set(site.value_sources):
        return False
    if _REQUEST_OBJECT_NAMES & set(function.params):
        return False  # `handle(request, path, value)`: handed the request, it is a handler
    named = set(reach.entry_points.request_parameters(module, function))
    content = project.config.models.values("request-content-names")
    return all(
        source in function.params
        and source not in named
        and source not in content
        and source not in USER_IDENTITY_NAMES
        for source in site.key_sources
    )


def _an_entry_of_constant_tables(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``v["attendee_name"]["editor_sample"] = scheme["concatenation"](scheme["sample"])``
    with ``scheme = PERSON_NAME_SCHEMES[event.settings.name_scheme]``: the request picks one
    of the module's fixed entries, as it might pick an enum member; what is stored is the
    module's own data, not the user's. Only tables the project defines at module level and
    never writes (a registry filled at request time holds what requests put in)."""
    if not site.value_tables:
        return False
    for table in site.value_tables:
        target = project.resolve(record.name, Access(table))
        if target is None or target.kind != "binding" or target.rest:
            return False
        binding = project.binding(target)
        if binding is None or binding.kind not in ("container", "constant"):
            return False
        if _written_anywhere(project, target):
            return False
    return True


def _written_anywhere(project: Project, target: Target) -> bool:
    """Some write site in the project writes into the module-level binding, by its name or
    through an import (``settings.SCHEMES[k] = v``)."""
    written: set[tuple[str, str]] | None = getattr(project, "_written_bindings", None)
    if written is None:
        written = set()
        for module, record in project.modules.items():
            for write in record.facts.writes:
                root = write.target.root
                if root not in record.facts.bindings and root not in record.facts.imports:
                    continue
                made = project.resolve(module, Access(root, list(write.target.attrs)))
                if made is not None and made.kind == "binding":
                    written.add((made.module, made.name))
        project.__dict__["_written_bindings"] = written  # (memoised per project)
    return (target.module, target.name) in written


def _scratch_of_one_task(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``JSON_DATA["word"] = message.content`` in an ``async def`` that sends ``JSON_DATA``
    on before it next awaits, and that nothing else reads: one slot overwritten and used
    up by each call in turn. On the event loop no other task runs between the write and the
    read, so no request sees another's value. Only where every write of the global is such
    a slot (a key that varies leaves entries behind for the next read of the whole
    container; an append accumulates)."""
    if not site.read_back_at_once or site.target.root not in record.facts.bindings:
        return False
    if site.operation == "setitem":
        if site.key.kind != "const" or len(site.target.attrs) or site.target.keys:
            return False
    elif site.operation != "rebind":
        return False
    name = site.target.root
    if any(
        other.target.root == name
        and (other.function != site.function or not other.read_back_at_once)
        for other in record.facts.writes
    ):
        return False  # (`CONVERSATION["user"] = user` beside `CONVERSATION["messages"].append`)
    readers = program_of(project).readers.of_global(record.name, name, site.function)
    return all(
        (reader.module, reader.function) == (record.name, site.function) for reader in readers
    )


def _overridden_then_restored(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``saved = node.var; node.var = rendered; ...; node.var = saved``: the function puts
    back the value it found, with no ``await`` or ``yield`` between (or all of it under one
    lock), so the shared object holds this request's value only while the one call runs
    (the override and the restore are both left alone). Under threads the window is still
    there without a lock, but it is the shape maintainers fix leaks with, and a linter that
    flags the fix is not believed; except in a function the code itself hands to a thread
    pool (``asyncio.to_thread(handle, agent, model)``), which every request then runs on a
    thread of its own at once."""
    if site.operation not in ("setattr", "setitem"):
        return False
    if not site.under_lock and _handed_to_threads(project, record.name, site.function):
        return False
    if site.restores_saved:
        return True
    written = _written_place(site)
    return any(
        other.restores_saved
        and other.function == site.function
        and other.operation == site.operation
        and other.span.node > site.span.node
        and _written_place(other) == written
        for other in record.facts.writes
    )


def _handed_to_threads(project: Project, module: str, qualname: str) -> bool:
    """A synchronous function that runners are handed (``asyncio.to_thread(fn, ...)``,
    ``loop.run_in_executor(None, fn)``) to run on a pool's threads."""
    function = project.function(module, qualname)
    if function is None or function.is_async:
        return False
    callers = program_of(project).reach.callers.get((module, qualname), ())
    return any(edge.call.handed for edge in callers)


def _written_place(site: WriteSite) -> str:
    """``node.var`` of ``node.var = x``, ``SETTINGS["lang"]`` of ``SETTINGS["lang"] = x``."""
    return site.target.text() + (f"[{site.key.text}]" if site.operation == "setitem" else "")


def _guessed_twice(
    project: Project,
    module: str,
    site: WriteSite,
    classified: ClassifiedWrite,
    evidence: RequestEvidence,
) -> bool:
    """The object is long-lived only as something a long-lived object keeps (or as the
    class's own lock suggests), and the write runs at request time only by a guess (a
    parameter's name, a public method): a kept object is reached through what its keeper
    does, which the call graph follows from the framework's entry points. Without such a
    path, two guesses make no finding."""
    if not classified.creations or allocated_for_the_process(classified.creations):
        return False
    entries = program_of(project).entry_points.entries
    if (module, site.function) in entries:
        return False
    return evidence.path is None or evidence.path.entry not in entries


# A session kept on a long-lived object is shared whoever stores it, and ISO503 is already
# about async code; every other write is reported only where it evidently runs at request
# time.
_REPORTED_WITHOUT_EVIDENCE = frozenset({"ISO302", "ISO503"})


def _classify_write(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    module = record.name
    if site.operation.startswith(QUEUE_OPERATIONS_PREFIX):
        return _classify_queue_put(project, record, site)
    if site.operation.startswith(MEMORY_OPERATIONS_PREFIX):
        return _classify_conversation_turn(project, record, site)
    if site.captured_in:
        return _captured_state_write(project, record, site)
    if site.returned_by_call:
        return _cached_result_write(project, record, site)
    if site.operation.startswith(STORE_OPERATIONS_PREFIX):
        return _cookie_set_on_a_shared_client(project, record, site) or _classify_store(
            project, record, site
        )
    if site.target.is_application_state() and not names_a_module(project, module, site.target):
        return _classify_application_state(project, record, site)
    if site.target.is_request_app() and is_container_write(site):
        return _classify_application_state(project, record, site)  # aiohttp's app mapping
    framework_built = _framework_class_attribute(project, record, site)
    if framework_built is not None:
        return framework_built
    declared = _container_kept_by_a_declaration(project, record, site)
    if declared is not None:
        return declared
    if site.self_class is not None:
        return _classify_self(project, record, site, site.self_class)
    if site.receiver_type is not None or site.receiver_param:
        return _classify_typed_receiver(project, record, site)
    if site.operation == "rebind":
        return _classify_rebind(project, record, site)
    module_attribute = _classify_module_attribute(project, record, site)
    if module_attribute is not None:
        return module_attribute
    target = project.resolve(module, site.target)
    if target is None or target.kind == "module":
        return None
    if target.kind == "binding":
        return _classify_binding_write(project, record, site, target)
    if target.kind == "class" and target.rest and is_container_write(site):
        return _class_container_write(project, record, site, target)
    if target.kind == "class" and len(target.rest) == 1 and site.operation == "setattr":
        return _class_attribute_rebound(project, record, site, target)
    return None


def _classify_queue_put(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``self.ws_messages.put_nowait(note)`` into the one queue of a long-lived object (or a
    module-level queue) that the handlers serving each client take items from (``await
    ccat.ws_messages.get()``, then sent to their own socket): an item goes to whichever
    connection asks first, so one user's data reaches another's. A queue only workers
    drain (functions serving no client) hands work off; it is no leak."""
    queue = _held_queue(project, record, site)
    if queue is None or site.value_kind or not _request_data(project, record, site):
        return None
    family = (
        frozenset(_class_family(project, (record.name, site.self_class)))
        if site.self_class is not None
        else frozenset()
    )
    name = queue.subject.rsplit(".", 1)[-1]
    takers = program_of(project).readers.queue_takers(name, site.function, family)
    return queue.written(record, site, takers=tuple(takers)) if takers else None


def _classify_conversation_turn(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``self.app.invoke({"messages": [prompt]}, config={"configurable": {"thread_id": "1"}})``
    on the one graph a long-lived object (or the module) keeps, compiled with a checkpointer:
    the checkpointer keeps each thread's conversation and feeds it to the thread's next run.
    A thread id that nothing of the request chooses (a constant, the object's own state)
    makes every caller's turn part of one conversation, so each user's answer is computed
    from the others' messages. A thread id computed from the request is that caller's own."""
    if site.key.kind == "user" or site.key_sources:
        return None
    if site.value_kind or not _request_data(project, record, site):
        return None
    graph = _checkpointed_graph(project, record, site)
    if graph is None:
        return None
    fix = (
        f"Its checkpointer keeps every caller's turns under thread `{site.key.text}`: run each "
        "user's turns under their own thread "
        '(`config={"configurable": {"thread_id": f"{user_id}:{conversation_id}"}}`).'
    )
    return graph.written(record, site, fix=fix)


@dataclass(frozen=True)
class _KeptState:
    """State that a call's receiver keeps for the process (a queue, a graph's memory): its
    name, what keeps it, where that keeper is made long-lived (none for a module-level
    name) and where the state itself is made."""

    subject: str
    what: str
    creations: tuple[Creation, ...]
    defined: tuple[str, Span] | None

    def written(
        self,
        record: ModuleRecord,
        site: WriteSite,
        *,
        takers: tuple[Reader, ...] = (),
        fix: str = "",
    ) -> ClassifiedWrite:
        """The write into it: ISO401 on a long-lived object's, ISO101 on a module's."""
        module, span = self.defined if self.defined is not None else (None, None)
        return ClassifiedWrite(
            record,
            site,
            "ISO401" if self.creations else "ISO101",
            self.subject,
            self.what,
            module,
            span,
            creations=self.creations,
            owner=site.self_class or "",
            takers=takers,
            fix=fix,
        )


def _checkpointed_graph(
    project: Project, record: ModuleRecord, site: WriteSite
) -> _KeptState | None:
    """The graph run, kept for the process and made by a call handed a ``checkpointer``
    (``workflow.compile(checkpointer=memory)``: the models' ``checkpointer-keywords``)."""
    kept = _kept_for_the_process(project, record, site)
    if kept is None:
        return None
    subject, creations, defined = kept
    keywords = project.config.models.values("checkpointer-keywords")
    if defined is not None:
        module, binding = defined
        if keywords.isdisjoint(binding.passes):
            return None
        what = f"module-level graph whose checkpointer keeps thread `{site.key.text}` as one "
        return _KeptState(subject, what + "conversation,", (), (module, binding.span))
    assert site.self_class is not None
    made = _attribute_set(
        project,
        record.name,
        site.self_class,
        site.target.attrs[0],
        lambda write: not keywords.isdisjoint(write.value_call_passes),
    )
    return None if made is None else _KeptState(subject, creations[0].how, creations, made)


def _held_queue(project: Project, record: ModuleRecord, site: WriteSite) -> _KeptState | None:
    """The queue written (the models' ``queue-types``), kept for the process."""
    queues = project.config.models.values("queue-types")
    function = project.function(record.name, site.function)
    made = program_of(project).types.receiver_type(
        record.name, function, site.self_class, site.target
    )
    kept = _kept_for_the_process(project, record, site)
    if made is None or not made.names & queues or kept is None:
        return None
    subject, creations, defined = kept
    if defined is not None:
        return _KeptState(subject, "module-level queue", (), (defined[0], defined[1].span))
    assert site.self_class is not None
    created = _attribute_created(project, record.name, site.self_class, site.target.attrs[0])
    return _KeptState(subject, creations[0].how, creations, created)


def _kept_for_the_process(
    project: Project, record: ModuleRecord, site: WriteSite
) -> tuple[str, tuple[Creation, ...], tuple[str, Binding] | None] | None:
    """What a call's receiver is when it lives as long as the process: ``self.x`` of a
    long-lived object (its subject and where that object is made long-lived), or a
    module-level name (its subject, and its module and binding). None for anything else,
    an object built per request or per connection included."""
    attrs = site.target.attrs
    if site.self_class is not None and site.target.root == "self" and len(attrs) == 1:
        creations = program_of(project).long_lived.inherited_by((record.name, site.self_class))
        if not creations:
            return None
        return f"{site.self_class}.{attrs[0]}", tuple(creations), None
    if site.self_class is None and not attrs:
        target = project.resolve(record.name, site.target)
        binding = project.binding(target) if target is not None else None
        if target is None or binding is None:
            return None
        return target.name, (), (target.module, binding)
    return None


def _initialised_again(project: Project, module: str, class_name: str, site: WriteSite) -> bool:
    """``__init__`` of a class whose ``__new__`` (its own or a base's) hands out one kept
    instance: every ``Session(sid)`` runs ``__init__`` again on that instance, so what it
    stores from its arguments replaces the last caller's for everyone."""
    if site.function.rsplit(".", 1)[-1] != "__init__" or site.guarded_by_truth:
        return False  # (`if not hasattr(self, "encoder"):` initialises the one instance once)
    hierarchy = project.class_hierarchy(module, class_name)
    return hierarchy is not None and any(facts.new_keeps_instance for facts in hierarchy)


def _captured_state_write(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """A request handler writes what the function defining it made or was handed (an app
    factory's ``cache = {}`` or ``agent`` parameter): every request the app serves shares
    it, unless the function itself runs per request (then each call has its own)."""
    program = program_of(project)
    if (record.name, site.function) not in program.entry_points.entries:
        return None  # a callback the function hands out, which may run only during its call
    if (record.name, site.captured_in) in program.reach.request_paths:
        return None
    factory = site.captured_in.rsplit(".", 1)[-1]
    if site.captured_as in ("instance", "parameter"):
        judged = _captured_object_write(project, record, site, factory)
    else:
        judged = _captured_container_write(project, record, site, factory)
    if judged is None:
        return None
    code, subject, what = judged
    return ClassifiedWrite(record, site, code, subject, what, record.name, site.captured_span)


def _captured_container_write(
    project: Project, record: ModuleRecord, site: WriteSite, factory: str
) -> tuple[str, str, str] | None:
    """``seen[q] = user`` into the factory's ``seen = {}``: as a module-level container."""
    if site.target.attrs or not is_container_write(site):
        return None
    code = keyed_code(site, "ISO101", _request_data(project, record, site))
    what = f"{site.captured_as} that `{factory}` made once for its handlers,"
    return None if code is None else (code, site.target.root, what)


def _captured_object_write(
    project: Project, record: ModuleRecord, site: WriteSite, factory: str
) -> tuple[str, str, str] | None:
    """``agent.last_user = u`` or ``agent.history.append(q)`` on what the factory made or was
    handed: as a module-level instance of its class (when known)."""
    cls = _captured_class(project, record.name, site)
    if (cls is not None and project.is_shared_safe(cls)) or len(site.target.attrs) != 1:
        return None
    attribute = site.target.attrs[0]
    code: str | None
    if site.operation in _ATTRIBUTE_OPERATIONS:
        if not _request_data(project, record, site) or site.value_kind:
            return None
        code = "ISO101"
    elif (
        cls is not None
        and is_container_write(site)
        and project.holds_container(cls.module, cls.name, attribute)
    ):
        code = keyed_code(site, "ISO101", _request_data(project, record, site))
    else:
        return None
    held = f"`{cls.name}`" if cls is not None else "object"
    how = "made" if site.captured_as == "instance" else "was handed"
    what = f"single {held} that `{factory}` {how} for its handlers,"
    return None if code is None else (code, f"{site.target.root}.{attribute}", what)


def _captured_class(project: Project, module: str, site: WriteSite) -> Target | None:
    """The project class of what a factory made or was handed (by annotation)."""
    if site.captured_class is None:
        return None
    target = project.resolve(module, site.captured_class)
    if target is None or target.kind != "class" or target.rest:
        return None
    return target


def _framework_class_attribute(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``self.base_fields["project"].queryset = qs`` in a Django form: the framework builds
    ``base_fields`` once for the class and copies it into each form's ``fields``, so changing
    it (or a field in it) changes the form every later request builds, for every user. The
    models' ``class-level-attributes`` name such attributes (``django.forms.*.base_fields``)."""
    attrs = site.target.attrs
    if not attrs or not (is_container_write(site) or site.target.keys or len(attrs) > 1):
        return None  # `self.base_fields = {...}`: the instance's own attribute from then on
    globs = project.config.models.values("class-level-attributes")
    owner = _receiver_class(project, record, site) if globs else None
    if owner is None or _copied_first(record, site):
        return None
    for base in project.external_base_names(*owner):
        if method_matches(f"{base}.{attrs[0]}", globs):
            class_facts = project.modules[owner[0]].facts.classes.get(owner[1])
            return ClassifiedWrite(
                record,
                site,
                "ISO103",
                f"{owner[1]}.{attrs[0]}",
                f"class-level `{attrs[0]}` that `{base.rsplit('.', 1)[-1]}` builds once for "
                f"the class (though a `{owner[1]}` is built per request)",
                owner[0],
                class_facts.span if class_facts else None,
                per_request_instances=True,
                fix=f"Change this instance's own copy (`self.fields` for a form's "
                f"`{attrs[0]}`) instead of the class's.",
            )
    return None


def _container_kept_by_a_declaration(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``self.logo.param_extensions["hint"] = name`` where the class body declares
    ``logo = RadiosField(param_extensions={...})``: that dict was made once, with the class,
    and what the declaration builds keeps it under the keyword's name. A WTForms form binds
    a new field per instance but hands each the same dict, so what one request writes into
    it every later form shows, for every user. Not after the method gave the field its own
    (``self.logo.param_extensions = {...}`` first)."""
    attrs = site.target.attrs
    if (
        site.self_class is None
        or site.target.root != "self"
        or len(attrs) != 2
        or not (is_container_write(site) or site.target.keys)
    ):
        return None
    declared = _declaration(project, record.name, site.self_class, attrs[0])
    if declared is None or attrs[1] not in declared[1].container_keywords:
        return None
    if _rebound_first(record, site, attrs):
        return None
    code = keyed_code(site, "ISO103", _request_data(project, record, site))
    if code is None:
        return None
    module, binding = declared
    return ClassifiedWrite(
        record,
        site,
        code,
        f"{site.self_class}.{attrs[0]}.{attrs[1]}",
        f"container made once, in the class body, for the declaration of `{attrs[0]}`, and",
        module,
        binding.span,
        owner=site.self_class,
        fix=f"Give the field its own copy first (`self.{attrs[0]}.{attrs[1]} = "
        f"{{**self.{attrs[0]}.{attrs[1]}, ...}}`) instead of writing the class's.",
    )


def _declaration(
    project: Project, module: str, class_name: str, attribute: str
) -> tuple[str, Binding] | None:
    """Where the class or a project base declares ``attribute`` by a call in its body
    (declarative classes included: their bodies declare fields)."""
    for owner, class_facts, _ in project._hierarchy(module, class_name):
        binding = class_facts.attributes.get(attribute)
        if binding is not None:
            return (owner, binding) if binding.kind == "call" else None
    return None


def _rebound_first(record: ModuleRecord, site: WriteSite, attrs: list[str]) -> bool:
    """``self.logo.param_extensions = {...}`` earlier in the same function."""
    return any(
        earlier.function == site.function
        and earlier.operation == "setattr"
        and earlier.target.root == "self"
        and earlier.target.attrs == attrs
        and 0 <= earlier.span.node < site.span.node
        for earlier in record.facts.writes
    )


def _copied_first(record: ModuleRecord, site: WriteSite) -> bool:
    """``self.base_fields = copy.deepcopy(self.base_fields)`` earlier in the same function:
    the instance's own copy shadows the class's, and the writes after it change that copy."""
    return site.target.root == "self" and _rebound_first(record, site, site.target.attrs[:1])


def _receiver_class(
    project: Project, record: ModuleRecord, site: WriteSite
) -> tuple[str, str] | None:
    """The class written through: ``self``'s or ``cls``'s, or one named (``Form.x``)."""
    if site.self_class is not None and site.target.root in ("self", "cls"):
        return record.name, site.self_class
    target = project.resolve(record.name, Access(site.target.root))
    if target is not None and target.kind == "class" and not target.rest:
        return target.module, target.name
    return None


def _cached_result_write(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``history = get_history(); history.append(prompt)`` where ``get_history`` takes no
    argument and keeps its result for the process (``@lru_cache``, Streamlit's
    ``@st.cache_resource``: the models' ``long-lived-decorators``): every caller, of every
    session, gets and changes one object."""
    if site.returned_attrs:
        return _getter_result_attribute_write(project, record, site)
    if site.target.attrs or site.operation in REMOVALS or not is_container_write(site):
        return None
    getter = Access(site.target.root)
    cached = _cached_getter(project, record.name, getter, with_arguments=True)
    if cached is None:
        return None
    target, function = cached
    if function.params and (
        _keyed_by_an_identifier(function)
        or _asks_for_the_user_s_own(project, record, site.function, target)
    ):
        return None  # `load_prefs(user_id)`, `thread_messages(thread_id)`: one per owner
    code = keyed_code(site, "ISO101", _request_data(project, record, site))
    if code is None:
        return None
    what = "cached function's result"
    if function.params:
        what += " (one per argument, and the arguments do not name the user)"
    return ClassifiedWrite(
        record, site, code, f"{target.name}()", what, target.module, function.span
    )


def _cached_getter(
    project: Project, module: str, getter: Access, with_arguments: bool = False
) -> tuple[Target, Function] | None:
    """The project function ``getter`` names when it takes no argument and keeps its result
    for the process (the models' ``long-lived-decorators``); with parameters, it keeps one
    object per argument (a thread's own list), which the caller judges (``with_arguments``)."""
    target = project.resolve(module, getter)
    if target is None or target.kind != "function" or target.rest:
        return None
    function = project.function(target.module, target.name)
    if function is None or (function.params and not with_arguments):
        return None
    if project.process_cache(target.module, function) is None:
        return None
    return target, function


def _keyed_by_an_identifier(function: Function) -> bool:
    """A cached function taking the id of who or what a request is about (``user_id``,
    ``thread_id``, ``order_id``): the cache keeps one object per user, conversation or
    record, as for ISO403's id arguments."""
    return any(
        param in REQUEST_ID_PARAMETERS or names_an_identifier(param) for param in function.params
    )


def _asks_for_the_user_s_own(
    project: Project, record: ModuleRecord, caller: str, getter: Target
) -> bool:
    """Some call of the cached ``getter`` in ``caller`` passes an argument that depends on
    who is asking (so the object it hands out is theirs), or none was found to judge."""
    calls = [
        call
        for call in record.facts.calls
        if call.function == caller
        and not call.result_method
        and project.resolve(record.name, call.callee) == getter
    ]
    return not calls or any(call.user_args or call.user_keywords for call in calls)


def _getter_result_attribute_write(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``api = WebserverApi.get_instance(app); api.client.headers = product_headers``: an
    attribute of the one object a singleton accessor (the models' ``singleton-accessors``),
    a cached getter or a project getter of a long-lived object hands out, set from request
    data: the next request of any user finds it there."""
    if site.operation in REMOVALS or site.value_kind:
        return None
    if site.operation != "setattr" and not is_container_write(site):
        return None
    if is_container_write(site) and keyed_code(site, "ISO401", True) is None:
        return None  # keyed by the user
    held = _held_by_getter(project, record.name, site.target)
    if held is None or not _request_data(project, record, site):
        return None
    owner, what = held
    subject = ".".join([owner, *site.returned_attrs])
    return ClassifiedWrite(record, site, "ISO401", subject, what)


def _held_by_getter(project: Project, module: str, getter: Access) -> tuple[str, str] | None:
    """(what it is called, how it lives) when ``getter(...)`` hands out one long-lived
    object: a singleton accessor's instance, a cached getter's result, or a kept instance
    of a long-lived class (``return _registry``; not ``return Registry()``, new each call)."""
    accessors = project.config.models.values("singleton-accessors")
    if getter.attrs and getter.attrs[-1] in accessors:
        owner = project.resolve(module, Access(getter.root, getter.attrs[:-1]))
        if owner is not None and owner.kind in ("class", "external") and not owner.rest:
            name = owner.name or owner.qualified.rsplit(".", 1)[-1]
            return name, f"the one instance `{getter.text()}()` hands out"
    program = program_of(project)
    made = program.types.returned_type(module, getter)
    cached = _cached_getter(project, module, getter)
    if cached is not None:
        name = made.project[1] if made is not None and made.project else f"{cached[0].name}()"
        return name, "cached function's result"
    target = project.resolve(module, getter)
    function = project.function(target.module, target.name) if target is not None else None
    if function is None or not function.returns_names or made is None or made.project is None:
        return None
    creations = program.long_lived.inherited_by(made.project)
    return (made.project[1], creations[0].how) if creations else None


def _shared_setting_write(
    project: Project, record: ModuleRecord, site: WriteSite, target: Target, binding: Binding
) -> ClassifiedWrite | None:
    """``http.headers["Authorization"] = token`` on a module-level ``requests.Session()``,
    ``env.globals["user"] = user`` on a module-level ``jinja2.Environment()``: an object safe
    to share until a request configures it; every call it then makes, every page it renders,
    for any user, carries that user's data."""
    if not target.rest or binding.kind != "call" or binding.callee is None:
        return None
    made = project.callee_name(target.module, binding.callee)
    read_back = _read_back_elsewhere(project, site, target)
    if not _writes_a_shared_setting(project, record, site, made, target.rest, read_back):
        return None
    subject = ".".join([target.name, *target.rest])
    what = f"{'attribute' if read_back else 'setting'} of the module-level `{made}`"
    return ClassifiedWrite(record, site, "ISO101", subject, what, target.module, binding.span)


def _cookie_set_on_a_shared_client(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``client.cookies.set("session", token)`` on a module-level HTTP client: a method that
    sets one entry of the client's shared setting (the models' ``shared-settings``), as
    ``client.cookies["session"] = token`` would, not a write into a key-value store."""
    if site.operation != "store:set" or not site.target.attrs:
        return None
    target = project.resolve(record.name, site.target)
    if target is None or target.kind != "binding" or not target.rest:
        return None
    binding = project.binding(Target("binding", target.module, target.name))
    if binding is None:
        return None
    as_item = replace(site, operation="setitem")
    classified = _shared_setting_write(project, record, as_item, target, binding)
    return replace(classified, site=site) if classified is not None else None


def _read_back_elsewhere(project: Project, site: WriteSite, target: Target) -> bool:
    """``app.image_buf = buf`` on the module-level ``app = Flask(...)``, loaded by another
    request-time function (the route that sends it): one slot on the app, which the last
    request to write it fills for every reader."""
    if site.operation != "setattr" or len(target.rest) != 1 or target.rest[0] == "config":
        return False
    readers = program_of(project).readers.of_object_attribute(
        target.module, target.name, target.rest[0]
    )
    return any(reader.function != site.function for reader in readers)


def _writes_a_shared_setting(
    project: Project,
    record: ModuleRecord,
    site: WriteSite,
    owner: str,
    path: Sequence[str],
    read_back: bool = False,
) -> bool:
    """The write puts request data into ``owner``'s setting at ``path`` (the models'
    ``shared-settings``: ``requests.Session.headers``, ``jinja2.Environment.globals``)."""
    if site.operation in REMOVALS or not (
        site.operation in _ATTRIBUTE_OPERATIONS or is_container_write(site)
    ):
        return False
    setting = ".".join([owner, *path])
    patterns = project.config.models.values("shared-settings")
    if not method_matches(setting, patterns):
        return False
    if site.value_kind or not _request_data(project, record, site):
        return False
    # an application's configuration changed by a request is an administrator's setting,
    # global by design, unless it depends on who asks (as for `app.state`); so is any
    # attribute of an object all of whose attributes are shared (the application itself)
    configuration = (
        path[-1] == "config"
        or owner.endswith("settings")
        or (
            method_matches(setting, [pattern for pattern in patterns if pattern.endswith(".*")])
            and not read_back  # (a slot another request's page sends is no setting)
        )
    )
    return not configuration or _depends_on_user(project, record, site)


def _configures_a_kept_object(
    project: Project, record: ModuleRecord, class_name: str, site: WriteSite
) -> bool:
    """``self.http.headers["Authorization"] = token``: a setting (the models'
    ``shared-settings``) of an object this one keeps (a client, a template environment),
    which its every later use, for any user, applies."""
    attrs = site.target.attrs
    if len(attrs) < 2:
        return False
    made = program_of(project).types.self_attribute_type(record.name, class_name, attrs[0])
    return made is not None and any(
        _writes_a_shared_setting(project, record, site, name, attrs[1:]) for name in made.names
    )


def _sets_a_kept_object_s_attribute(
    project: Project, record: ModuleRecord, class_name: str, site: WriteSite
) -> bool:
    """``self.extension.execution_context = context``: an object this long-lived one keeps
    is as long-lived as it, so what a request sets on it every later request sees (unless
    it is storage per thread, a ``threading.local``)."""
    attrs = site.target.attrs
    if site.operation != "setattr" or len(attrs) != 2:
        return False
    kept = project.class_attribute(record.name, class_name, attrs[0])
    return kept is None or kept.kind != "threading_local"


def _class_attribute_rebound(
    project: Project, record: ModuleRecord, site: WriteSite, target: Target
) -> ClassifiedWrite | None:
    """``Operand.check = lambda c: check(c, request)`` at request time: one attribute of the
    class, seen by every instance and every request until the next one rebinds it."""
    if site.through_new_instance:
        return None  # `item = Item(); item.title = t`: the new instance's own attribute
    if project.class_hierarchy(target.module, target.name) is None:
        return None  # a declarative class: its attributes describe fields
    if site.value_kind or not _request_data(project, record, site):
        return None
    class_facts = project.modules[target.module].facts.classes.get(target.name)
    return ClassifiedWrite(
        record,
        site,
        "ISO103",
        f"{target.name}.{target.rest[0]}",
        "class attribute rebound at request time",
        target.module,
        class_facts.span if class_facts else None,
    )


def _class_container_write(
    project: Project, record: ModuleRecord, site: WriteSite, target: Target
) -> ClassifiedWrite | None:
    """``Registry.items[k] = v``, or ``r = Request(); r.headers[k] = v``: a class-body
    container, one for the class, written through the class or a fresh instance of it. The
    class may be nested (``NoteSerializer.Meta.fields.append(...)``): a declaration read
    every time the outer class is used, so what a request adds stays for everyone after."""
    target = _innermost_class(project, target)
    fresh = site.through_new_instance
    if fresh:
        attribute = project.class_attribute(target.module, target.name, target.rest[0])
    else:
        # through the class itself, a declarative class's body is no per-instance default
        attribute = _class_body_binding(project, target.module, target.name, target.rest[0])
    if attribute is None or attribute.kind != "container" or len(target.rest) != 1:
        return None
    if fresh and project.sets_in_init(target.module, target.name, target.rest[0]):
        return None  # each instance gets its own in `__init__`
    judged = replace(site, memoized=False) if fresh else site
    code = keyed_code(judged, "ISO103", fresh or _request_data(project, record, site))
    if code is None:
        return None
    what = f"class-level {attribute.type_name}"
    if fresh:
        what += f" (one for the class, though each call builds a new `{target.name}`)"
    return ClassifiedWrite(
        record,
        site,
        "ISO103" if fresh else code,
        f"{target.name}.{target.rest[0]}",
        what,
        target.module,
        attribute.span,
        per_request_instances=fresh,
    )


def _class_body_binding(
    project: Project, module: str, class_name: str, attribute: str
) -> Binding | None:
    """What the body of the class, or of its nearest project base defining it, binds to
    ``attribute``, declarative classes included (``class Meta: fields = [...]``)."""
    for _, class_facts, _ in project._hierarchy(module, class_name):
        binding = class_facts.attributes.get(attribute)
        if binding is not None:
            return binding
    return None


def _innermost_class(project: Project, target: Target) -> Target:
    """``Outer`` with the rest ``("Meta", "fields")`` as the nested class ``Outer.Meta`` with
    the rest ``("fields",)``."""
    classes = project.modules[target.module].facts.classes
    name, rest = target.name, target.rest
    while len(rest) > 1 and f"{name}.{rest[0]}" in classes:
        name, rest = f"{name}.{rest[0]}", rest[1:]
    return replace(target, name=name, rest=rest)


def _classify_module_attribute(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``state.current = v`` where ``state`` is an imported module (ISO104)."""
    if is_container_write(site) and len(site.target.attrs) == 1:
        return _classify_module_container(project, record, site)
    if site.operation not in _ATTRIBUTE_OPERATIONS or not site.target.attrs or site.target.keys:
        return None
    owner = project.resolve(record.name, _parent(site))
    if owner is None or owner.kind not in ("module", "external") or owner.rest:
        return None
    if owner.name:  # an object another package keeps (Django's `settings`), not a module
        if owner.kind != "external":
            return None
        if owner.name[:1].isupper() and len(site.target.attrs) == 1:
            return _external_class_attribute(project, record, site, owner)
        return _external_object_setting(project, record, site, owner, site.target.attrs[-1:])
    if owner.kind == "external" and owner.module not in _imported_modules(record):
        return None
    if site.value_kind or not _request_data(project, record, site):
        return None  # a flag switched from code: not one user's data
    attribute = site.target.attrs[-1]
    library = _top_package(owner.module) if owner.kind == "external" else ""
    return ClassifiedWrite(
        record, site, "ISO104", f"{owner.module}.{attribute}", "module attribute", library=library
    )


def _top_package(dotted: str) -> str:
    return dotted.split(".", 1)[0]


def _classify_module_container(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``os.environ["OPENAI_API_KEY"] = api_key``: a container another package keeps on its
    module for the whole process (the models' ``process-wide-containers``) is shared like the
    module's attributes (ISO104). The project's own modules' containers are judged where they
    are defined (ISO101, ISO402)."""
    owner = project.resolve(record.name, Access(site.target.root))
    if owner is None or owner.kind != "external" or owner.rest:
        return None
    if owner.name:  # an object another package keeps (`current_app`), not a module
        return _external_object_setting(project, record, site, owner, site.target.attrs)
    if owner.module not in _imported_modules(record) or site.operation in REMOVALS:
        return None
    subject = f"{owner.module}.{site.target.attrs[0]}"
    if subject not in project.config.models.values("process-wide-containers"):
        return None  # the import machinery (`sys.path`), a registry of plug-ins: not user data
    code = keyed_code(site, "ISO104", _request_data(project, record, site))
    if code is None:
        return None
    return ClassifiedWrite(
        record,
        site,
        "ISO104" if code == "ISO402" else code,
        subject,
        "module attribute",
        library=_top_package(owner.module),
    )


def _external_object_setting(
    project: Project, record: ModuleRecord, site: WriteSite, owner: Target, path: Sequence[str]
) -> ClassifiedWrite | None:
    """A setting of an object another package keeps for the process (Flask's
    ``current_app``, Django's ``settings``) written with request data (ISO101)."""
    if not _writes_a_shared_setting(project, record, site, owner.qualified, path):
        return None
    subject = ".".join([owner.qualified, *path])
    return ClassifiedWrite(
        record,
        site,
        "ISO101",
        subject,
        f"setting of `{owner.qualified}`",
        library=_top_package(owner.qualified),
    )


def _external_class_attribute(
    project: Project, record: ModuleRecord, site: WriteSite, owner: Target
) -> ClassifiedWrite | None:
    """``Request.body = request.body`` (or ``patch.object(Request, "body", ...)``) at request
    time: an attribute of another package's class (a capitalised name) is one for the
    process, so every other request sees this one's value until the next rebinds it."""
    if site.operation != "setattr" or site.through_new_instance or not owner.module:
        return None  # `content = Content(); content.body = b`: the new instance's own
    if site.value_kind or not _request_data(project, record, site):
        return None
    subject = f"{owner.qualified}.{site.target.attrs[0]}"
    return ClassifiedWrite(
        record,
        site,
        "ISO104",
        subject,
        "class attribute of another package",
        library=_top_package(owner.qualified),
    )


def _imported_modules(record: ModuleRecord) -> set[str]:
    return {ref.module for ref in record.facts.imports.values() if ref.name is None}


def _parent(site: WriteSite) -> Access:
    return Access(site.target.root, site.target.attrs[:-1])


def _classify_rebind(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    name = site.target.root
    binding = record.facts.bindings.get(name)
    span = binding.span if binding is not None else None
    if project.is_session_creation(record.name, site.value_call, site.value_is_call_of_call):
        return ClassifiedWrite(
            record, site, "ISO302", name, "global database session", record.name, span
        )
    if site.lazy_init_guard and not _built_from_the_caller_s_user(project, record, site):
        return None  # lazy or idempotent initialisation
    if _rebuilt_for_each_caller(record, site):
        return None
    if not _request_data(project, record, site):
        return None
    if site.value_kind and not _handed_to_another_request_step(project, record, site):
        # a timestamp, a counter, a flag: a thread-safety question at most, not a leak
        return None
    return ClassifiedWrite(record, site, "ISO102", name, "module-level name", record.name, span)


def _rebuilt_for_each_caller(record: ModuleRecord, site: WriteSite) -> bool:
    """``with _lock: if _service is None or _key != key(credentials): _service =
    build(credentials); _key = key(credentials)`` then ``return _service`` under the lock:
    a one-entry cache that remembers whose it is, tests that against each caller, and hands
    it out under the lock it was built under, so every caller gets one built for them. Each
    global the block rebinds is tested by its guard and set from the caller's arguments."""
    if not (site.lazy_init_guard and site.under_lock):
        return False
    group = [
        write
        for write in record.facts.writes
        if write.function == site.function and write.operation == "rebind"
    ]
    return len({write.target.root for write in group}) >= 2 and all(
        write.lazy_init_guard and write.under_lock and write.value_sources for write in group
    )


def _built_from_the_caller_s_user(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """Lazily built from who is asking, as the caller hands it in (``if _client is None:
    _client = Client(user.token)``): the object is the first caller's, and every later user
    gets it. Not a key the function reads from the environment or its settings."""
    if site.value_kind:
        return False  # a size, a count, a flag (an embedding's dimension): nobody's
    key = (record.name, site.function)
    carrying = program_of(project).reach.user_data_params.get(key, frozenset())
    return not carrying.isdisjoint(site.value_sources)


def _handed_to_another_request_step(
    project: Project, record: ModuleRecord, site: WriteSite
) -> bool:
    """``global tokens; tokens = count(body)`` in a plugin's ``inlet`` and read in its
    ``outlet``: a number measured from this request's content, parked in a global for a
    later step, which then reports whichever request wrote last. (Accumulating it, with
    ``+=``, is a running total instead.)"""
    if site.value_kind != "number" or site.augmented or not site.value_sources:
        return False
    paths = program_of(project).reach.request_paths
    return any(
        qualname != site.function
        and site.target.root in function.reads_globals
        and (record.name, qualname) in paths
        for qualname, function in record.facts.functions.items()
    )


def _classify_binding_write(
    project: Project, record: ModuleRecord, site: WriteSite, target: Target
) -> ClassifiedWrite | None:
    binding = project.binding(target)
    if binding is None:
        return None
    subject = ".".join([target.name, *target.rest])
    if binding.kind == "container":
        if target.rest or not is_container_write(site):
            return None
        container_code = keyed_code(site, "ISO101", _request_data(project, record, site))
        if container_code is None:
            return None
        return ClassifiedWrite(
            record,
            site,
            container_code,
            target.name,
            f"module-level {binding.type_name}",
            target.module,
            binding.span,
        )
    cls = project.instance_class(target.module, binding)
    if cls is None:
        return _shared_setting_write(project, record, site, target, binding)
    if project.is_shared_safe(cls) or not target.rest:
        return None
    what = f"module-level `{cls.name}` instance"
    if site.operation in _ATTRIBUTE_OPERATIONS and len(target.rest) == 1:
        if not _request_data(project, record, site) or site.value_kind:
            return None
        code: str | None = "ISO101"
    elif is_container_write(site) and project.holds_container(cls.module, cls.name, target.rest[0]):
        code = keyed_code(site, "ISO101", _request_data(project, record, site))
    else:
        return None
    if code is None:
        return None
    return ClassifiedWrite(
        record, site, code, subject, what, target.module, binding.span, owner=cls.name
    )


def _a_thread_local_class(project: Project, module: str, class_name: str) -> bool:
    """The class derives from ``threading.local``: an attribute set on its instance is the
    setting thread's own, like a field of a ``threading.local()`` (ISO505's, not shared)."""
    return not THREAD_LOCAL_CLASSES.isdisjoint(project.external_base_names(module, class_name))


def _classify_self(
    project: Project, record: ModuleRecord, site: WriteSite, class_name: str
) -> ClassifiedWrite | None:
    attrs = site.target.attrs
    module = record.name
    if not attrs:
        return None  # `self[...]`
    subject = f"{class_name}.{attrs[0]}"
    class_level = _class_level_write(project, record, site, class_name, subject)
    if class_level is not None:
        return class_level if class_level.code else None
    if _a_thread_local_class(project, module, class_name):
        return None  # `class Middleware(threading.local)`: each thread has its own attributes
    attribute = attrs[0]
    declarative = project.class_hierarchy(module, class_name) is None and not program_of(
        project
    ).long_lived.kept_bases((module, class_name))
    if declarative:
        # a declarative class (a model, a schema) holds data; but a ModelAdmin, declarative
        # in its body, is one instance the admin site keeps for every request, and a plain
        # container in a form's body is the class's, not a field
        class_binding = _plain_container_of_a_shared_body(record, class_name, attribute)
        if class_binding is None:
            return None
    else:
        class_binding = project.class_attribute(module, class_name, attribute)
    if class_binding is None or class_binding.kind != "container":
        class_binding = _subclass_container(project, module, class_name, attribute) or class_binding
    if class_binding is None:
        class_binding = _kept_class_body_container(project, module, class_name, attribute)
    if (
        class_binding is not None
        and class_binding.kind == "container"
        and len(attrs) == 1
        and is_container_write(site)
        and not project.sets_in_init(module, class_name, attribute)
    ):
        if site.value_name in ("self", "cls"):
            return None  # instances registering themselves: a registry shared by design
        per_request = _built_per_request(project, module, class_name)
        judged = replace(site, memoized=False) if per_request else site
        class_code = keyed_code(
            judged, "ISO103", per_request or _request_data(project, record, site)
        )
        if class_code is None:
            return None
        return ClassifiedWrite(
            record,
            site,
            "ISO103" if per_request and class_code == "ISO402" else class_code,
            subject,
            f"class-level {class_binding.type_name}"
            + (
                f" (one for the class, though a `{class_name}` is built per request)"
                if per_request
                else ""
            ),
            module,
            class_binding.span,
            owner=class_name,
            per_request_instances=per_request,
        )
    if declarative:
        return None
    if class_binding is not None and len(attrs) == 1 and is_container_write(site):
        shared = _view_attribute_write(project, record, site, class_name, subject, class_binding)
        if shared is not None:
            return shared if shared.code else None
    program = program_of(project)
    holder = session_holder(project, module, site)
    if holder is not None:
        return ClassifiedWrite(
            record,
            site,
            "ISO302",
            subject,
            holder.what,
            creations=holder.creations,
            severity_override=holder.severity,
        )
    creations = program.long_lived.inherited_by((module, class_name))
    if not creations:
        return None
    creation = creations[0]
    what = creation.how
    sets_attribute = site.operation == "setattr" and len(attrs) == 1
    if sets_attribute and (
        project.is_session_creation(module, site.value_call, site.value_is_call_of_call)
        or project.opens_session_on_self(module, class_name, site.target.root, site.value_call)
    ):
        return ClassifiedWrite(record, site, "ISO302", subject, what, creations=tuple(creations))
    initialises = is_init_method(site.function) or (
        (module, site.function) in program.reach.construction_only
    )
    if initialises and not _initialised_again(project, module, class_name, site):
        return None
    if not _request_data(project, record, site) or site.value_kind:
        return None  # counters, timings, flags, wiring: the object's own bookkeeping
    if _enum_member(project, module, site):
        return None
    on_kept_object = False
    if sets_attribute:
        code: str | None = "ISO401"
    elif is_container_write(site) and (
        _holds_container(project, module, class_name, attribute)
        or _kept_from_the_constructor(project, module, class_name, site)
    ):
        code = keyed_code(site, "ISO401", _request_data(project, record, site))
        code = "ISO401" if code == "ISO402" else code
    elif _configures_a_kept_object(project, record, class_name, site):
        code = "ISO401"
    elif _sets_a_kept_object_s_attribute(project, record, class_name, site):
        code = "ISO401"
        subject, on_kept_object = f"{subject}.{attrs[1]}", True
    else:
        return None
    if code is None:
        return None
    created = _attribute_created(project, module, class_name, attribute)
    return ClassifiedWrite(
        record,
        site,
        code,
        subject,
        what,
        created[0] if created else None,
        created[1] if created else None,
        creations=tuple(creations),
        owner=class_name,
        on_kept_object=on_kept_object,
    )


def _classify_typed_receiver(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``svc.user = decode(token)`` with ``svc: Service`` handed in (a dependency, a
    getter's result), or with ``svc`` unannotated and every caller handing it a ``Service``
    (``to_thread(handle, request.app.state.agent, ...)``): when the project keeps a
    ``Service`` for the process and no request builds one for itself, the request sets an
    attribute of the shared object, as a setter method of it would."""
    key = _receiver_class_key(project, record, site)
    if key is None:
        bound = _bound_task_instance(project, record, site)
        return bound or _application_state_receiver(project, record, site)
    target = Target("class", *key)
    program = program_of(project)
    if project.class_hierarchy(*key) is None and not program.long_lived.kept_bases(key):
        return None  # a declarative class (a model, a schema): per-request data holders
    creations = program.long_lived.inherited_by(key)
    if not creations or program.long_lived.constructed_per_request(key):
        return None  # the instance handed in may be one a request built for itself
    if not _request_data(project, record, site) or site.value_kind:
        return None
    if _enum_member(project, record.name, site):
        return None
    attribute = site.target.attrs[0]
    if site.operation != "setattr" and (
        not _holds_container(project, *key, attribute)
        or keyed_code(site, "ISO401", True) is None  # kept under the user's key
    ):
        return None
    created = _attribute_created(project, target.module, target.name, attribute)
    return ClassifiedWrite(
        record,
        site,
        "ISO401",
        f"{target.name}.{attribute}",
        creations[0].how,
        created[0] if created else None,
        created[1] if created else None,
        creations=tuple(creations),
        owner=target.name,
        receiver_class=key,
    )


def _bound_task_instance(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``@shared_task(bind=True) def build(self, user_id): self.user_id = user_id``: a bound
    task's first parameter is the worker's one instance of the task (the models'
    ``bound-task-keywords``), which runs every job, so what a job sets on it is there for
    the next job, and for a concurrent one in a threaded pool."""
    function = project.function(record.name, site.function)
    if (
        function is None
        or not function.is_entry
        or not function.params
        or site.receiver_param != function.params[0]
        or site.operation != "setattr"
    ):
        return None
    keywords = project.config.models.values("bound-task-keywords")
    if not any(keywords.intersection(decorator.keywords) for decorator in function.decorators):
        return None
    if not _request_data(project, record, site) or site.value_kind:
        return None
    how = "a bound task's first parameter: the worker runs every job through one task instance"
    return ClassifiedWrite(
        record,
        site,
        "ISO401",
        f"{function.name}.{site.target.attrs[0]}",
        how,
        record.name,
        function.span,
        creations=(Creation(record.name, function.span, how),),
        owner=function.name,
    )


def _application_state_receiver(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``agent._model = model`` in ``_handle_agent(agent, model)``, which every caller hands
    ``request.app.state.agent``, kept there by the app's factory or lifespan from an object
    of a class the project cannot name (built by a registry, handed in by the CLI): the
    application's state is one for every request, and so is what it keeps."""
    function = project.function(record.name, site.function)
    if function is None or not site.receiver_param or site.operation != "setattr":
        return None
    types = program_of(project).types
    kept_as = types.passed_application_state(record.name, function, site.receiver_param)
    if not kept_as:
        return None
    stores = _application_state_stores(project, kept_as)
    request_time = program_of(project).reach.request_paths
    if not stores or any(key in request_time for key, _ in stores):
        return None  # (a request that stores its own object there is judged at that store)
    if not _request_data(project, record, site) or site.value_kind:
        return None
    (module, _), span = stores[0]
    return ClassifiedWrite(
        record,
        site,
        "ISO401",
        f"app.state.{kept_as}.{site.target.attrs[0]}",
        "kept on the application's state",
        module,
        span,
    )


def _application_state_stores(project: Project, kept_as: str) -> list[tuple[tuple[str, str], Span]]:
    """Where the project stores an object on the application's state as ``kept_as``: the
    function (module, qualname) and the store's span, in module order."""
    return [
        ((module, site.function), site.span)
        for module, record in project.modules.items()
        for site in record.facts.writes
        if site.operation == "setattr" and site.target.application_state_name() == kept_as
    ]


def _receiver_class_key(
    project: Project, record: ModuleRecord, site: WriteSite
) -> tuple[str, str] | None:
    if site.receiver_type is not None:
        target = project.resolve(record.name, site.receiver_type)
        if target is None or target.kind != "class" or target.rest:
            return None
        return (target.module, target.name)
    function = project.function(record.name, site.function)
    if function is None:
        return None
    passed = program_of(project).types.parameter_type(record.name, function, site.receiver_param)
    return passed.project if passed is not None else None


def _view_attribute_write(
    project: Project,
    record: ModuleRecord,
    site: WriteSite,
    class_name: str,
    subject: str,
    class_binding: Binding,
) -> ClassifiedWrite | None:
    """An in-place write into an attribute of a view the framework builds per request from
    ``as_view(**initkwargs)``, where no instance ever gets its own: the value is the class
    body's (``extra_context = None`` here, a dict in a subclass) or the one object passed to
    ``as_view(extra_context={...})`` when the URLs were built, the same for every request."""
    module, attribute = record.name, site.target.attrs[0]
    views = project.config.models.values("view-classes")
    types = program_of(project).types
    classes = [(module, class_name), *types.subclasses.get((module, class_name), ())]
    if not any(types.qualified_names(key) & views for key in classes):
        return None  # (a mixin counts when a view derives from it)
    family: set[tuple[str, str]] = set()
    for owner, class_facts, _ in project._hierarchy(module, class_name):
        if attribute in (*class_facts.init_attributes, *class_facts.container_attributes):
            return None  # each instance gets its own
        family.add((owner, class_facts.name))
        family.update(types.subclasses.get((owner, class_facts.name), ()))
    for owner, name in family:
        facts = project.modules[owner].facts if owner in project.modules else None
        for write in facts.writes if facts is not None else ():
            if (
                write.self_class == name
                and write.operation == "setattr"
                and write.target.attrs == [attribute]
            ):
                return None  # rebound per instance somewhere: not the shared object
    code = keyed_code(site, "ISO103", _request_data(project, record, site))
    return ClassifiedWrite(
        record,
        site,
        code or "",
        subject,
        "view attribute (set in the class body or passed to `as_view()`)",
        module,
        class_binding.span,
        owner=class_name,
    )


def _subclass_container(
    project: Project, module: str, class_name: str, attribute: str
) -> Binding | None:
    """A class-body container a subclass puts where the base has a placeholder
    (``extra_context = None`` in a mixin, a dict in the view): the base's methods write it."""
    for sub_module, sub_name in program_of(project).types.subclasses.get((module, class_name), []):
        binding = project.class_attribute(sub_module, sub_name, attribute)
        if binding is not None and binding.kind == "container":
            return binding
    return None


def _built_per_request(project: Project, module: str, class_name: str) -> bool:
    """One instance per request, by design: the constructor takes the request object itself
    (``__init__(self, request: HttpRequest)``), so the class wraps one request."""
    init = project.function(module, f"{class_name}.__init__")
    if init is None:
        return False
    taken = program_of(project).entry_points.request_parameters(module, init)
    return any(
        param not in USER_IDENTITY_NAMES and param not in _NOT_THE_REQUEST for param in taken
    )


# request parameters that are about the request rather than the request itself
_NOT_THE_REQUEST = frozenset({"user", "current_user", "session", "token"})


def _attribute_created(
    project: Project, module: str, class_name: str, attribute: str
) -> tuple[str, Span] | None:
    """Where the class (or a base) first sets ``self.attribute``: the shared container."""
    return _attribute_set(
        project, module, class_name, attribute, lambda write: is_init_method(write.function)
    )


def _attribute_set(
    project: Project,
    module: str,
    class_name: str,
    attribute: str,
    accept: Callable[[WriteSite], bool],
) -> tuple[str, Span] | None:
    """Where the class (or a base) first sets ``self.attribute`` in a way ``accept`` takes
    (in ``__init__``; to what a call handed a checkpointer made)."""
    for owner, class_facts, _ in project._hierarchy(module, class_name):
        for site in project.modules[owner].facts.writes:
            if (
                site.self_class == class_facts.name
                and site.operation == "setattr"
                and site.target.attrs == [attribute]
                and accept(site)
            ):
                return owner, site.span
    return None


def _class_level_write(
    project: Project, record: ModuleRecord, site: WriteSite, class_name: str, subject: str
) -> ClassifiedWrite | None:
    """A classmethod writing through ``cls``: state kept on the class itself, which every
    instance and request shares. Returns a write with an empty code for "not a finding"."""
    function = project.function(record.name, site.function)
    if function is None or "classmethod" not in function.decorator_names:
        return None
    if project.class_attribute(record.name, class_name, site.target.attrs[0]) is not None:
        return None  # a class-body attribute: the class-level container rule decides
    none = ClassifiedWrite(record, site, "", subject, "")
    if is_init_method(site.function) or site.value_kind:
        return none
    if not _request_data(project, record, site):
        return none
    if site.operation == "setattr" and len(site.target.attrs) == 1:
        code: str | None = "ISO103"
    elif is_container_write(site) and len(site.target.attrs) == 1:
        code = keyed_code(site, "ISO103", _request_data(project, record, site))
    else:
        code = None
    if code is None:
        return none
    class_facts = record.facts.classes.get(class_name)
    return ClassifiedWrite(
        record,
        site,
        code,
        subject,
        "class attribute written through `cls`",
        record.name,
        class_facts.span if class_facts else None,
    )


_STORE_NAMES = ("redis", "cache", "memcache", "valkey")
_BOOKKEEPING_KEYS = ("rate", "limit", "lock", "metric", "stat", "health", "heartbeat")


def _classify_store(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """A key-value store every process shares, written under a key that is not the user's
    with request data (a response cached by prompt, path or query)."""
    if not _is_shared_store(project, record, site):
        return None
    if any(k.kind == "user" for k in (*site.target.keys, site.key)):
        return None  # a user key is per user
    if site.key.kind != "dynamic" and not site.answers_caller:
        # a constant key is configuration, unless it keeps the application's answer to one
        # caller (`put(key=GLOBAL_KEY, value=await call_next(ctx))`), which all then read
        return None
    if _client_made_for_user(project, record, site):
        return None  # `self.redis = get_redis_client(tenant_id=...)`: the keys are theirs
    if _forwards_its_callers_store(project, record, site):
        return None
    asking = program_of(project).reach.user_data_params.get(
        (record.name, site.function), frozenset()
    )
    if not asking.isdisjoint(site.key_sources):
        return None  # keyed by what depends on who asks (their groups, their role)
    if site.value_kind or not _request_data(project, record, site):
        return None
    if site.value_id:
        return None  # a pointer (a run's id by agent): whoever follows it loads it for themselves
    if not _depends_on_user(project, record, site) and not _keyed_by_user_content(
        project, record, site
    ):
        return None  # the same value for every user who sends this key: not a leak
    if any(word in site.key.text.lower() for word in _BOOKKEEPING_KEYS):
        return None  # rate limits, locks, counters: bookkeeping about requests
    return ClassifiedWrite(
        record,
        site,
        "ISO402",
        site.target.text(),
        "key-value store shared by every process",
        creations=_store_wrapper_creations(project, record, site),
    )


def _forwards_its_callers_store(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``def zadd(self, name, mapping): return self._r.zadd(prefixed(name), mapping)``: a
    client wrapper hands on the key and value its callers give it, so the callers' own
    writes through it are the ones judged (with whom the client was made for)."""
    if site.self_class is None or site.target.root != "self":
        return False
    function = project.function(record.name, site.function)
    if function is None or not site.value_sources or not site.key_sources:
        return False
    params = set(function.params)
    return set(site.value_sources) <= params and set(site.key_sources) <= params


def _every_caller_memoizes(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``def set(self, key, value): self._cache[key] = value``: a cache primitive stores
    whatever its callers hand it, so the callers decide. It is a memo when every caller
    passes a value computed only from what its key is computed from (a page's preview
    under its URL) and not from who asks; a caller that only hands its own
    key and value on is judged by its callers in turn."""
    function = project.function(record.name, site.function)
    if function is None:
        return False
    stored = [
        source
        for source in site.value_sources
        if source != site.key.text
        and function.param_types.get(source, Access("")).root not in _NUMBERS
    ]  # `(value, time.time() + ttl)`: the value, kept with its expiry
    if len(stored) != 1:
        return False
    return _callers_memoize(project, (record.name, site.function), site.key.text, stored[0], 4)


_NUMBERS = frozenset({"int", "float"})


def _callers_memoize(
    project: Project, callee: tuple[str, str], key: str, value: str, depth: int
) -> bool:
    function = project.function(*callee)
    if depth == 0 or function is None or key == value:
        return False
    if key not in function.params or value not in function.params:
        return False
    key_at, value_at = function.params.index(key), function.params.index(value)
    callers = program_of(project).reach.callers.get(callee, [])
    return bool(callers) and all(
        _call_memoizes(project, edge, (key_at, key), (value_at, value), depth) for edge in callers
    )


def _call_memoizes(
    project: Project,
    edge: CallEdge,
    key: tuple[int, str],
    value: tuple[int, str],
    depth: int,
) -> bool:
    key_sources, value_sources = edge.argument(*key), edge.argument(*value)
    if key_sources is None or value_sources is None or edge.caller is None:
        return False
    # objects of the module the value was fetched through (a client) are not its inputs
    value_sources = tuple(s for s in value_sources if not s.startswith("$"))
    if edge.asks_who(*value) or not value_sources:
        return False
    if set(value_sources) <= set(key_sources) and not _what_the_request_sent(
        project, edge, value[0]
    ):
        return True
    if len(key_sources) == 1 and len(value_sources) == 1:
        # `def set(self, key, value): await self.l1.set(key, value)`: handed on as given
        return _callers_memoize(project, edge.caller, key_sources[0], value_sources[0], depth - 1)
    return False


def _what_the_request_sent(project: Project, edge: CallEdge, index: int) -> bool:
    """The value is a parameter of the caller, or read straight off one
    (``remember(update.chat, update.message)``, ``remember(serializer.key, serializer)``):
    what the caller was sent, not an answer computed from the key, though the key is read
    from the same object."""
    passed = edge.call.args[index] if 0 <= index < len(edge.call.args) else None
    caller = project.function(*edge.caller) if edge.caller is not None else None
    return passed is not None and caller is not None and passed.root in caller.params


def _cleared_to_rebuild(record: ModuleRecord, site: WriteSite) -> bool:
    """``INDEX.clear()`` and then ``INDEX[k] = v`` in the same function, or a method of
    the object whose containers were cleared (``engine.add_document(...)``): a rebuild.
    The clear carries no data; what fills the container is judged by itself."""
    if site.operation != "call:clear":
        return False
    target = site.target.text()
    refilled = any(
        other.function == site.function
        and other is not site
        and other.target.text() == target
        and other.operation not in REMOVALS
        for other in record.facts.writes
    )
    return refilled or (
        bool(site.target.attrs)
        and any(  # `engine.add_document(...)`
            call.function == site.function
            and call.callee.root == site.target.root
            and len(call.callee.attrs) == 1
            and call.callee.attrs[0] not in _EMPTYING
            for call in record.facts.calls
        )
    )


_EMPTYING = frozenset({op.removeprefix(CONTAINER_OPERATIONS_PREFIX) for op in REMOVALS} | {"reset"})


def _adds_a_member(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``SEEN.add(event_id)``, ``self.active_urls.add(url)``: a set records that a value was
    seen; the value is its own key, and only membership can be read back. So is
    ``_installed.update(new_reqs)`` on a module-level set: several members at once. Not when
    the element is the user or their connection, what they wrote, or the request object."""
    if site.operation == "call:update":
        if not _a_module_level_set(project, record, site):
            return False
    elif site.operation != "call:add":
        return False
    if site.value_user:
        return False
    content = project.config.models.values("request-content-names")
    if content.intersection(site.value_sources):
        return False  # what a user wrote (a message, a prompt), kept for others to iterate
    function = project.function(record.name, site.function)
    return function is None or site.value_name not in function.request_params


def _a_module_level_set(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """The write's target is a module-level ``set()`` or ``{...}`` set (not a dict, whose
    ``.update()`` stores values under keys)."""
    target = project.resolve(record.name, site.target)
    binding = None if target is None or target.rest else project.binding(target)
    return binding is not None and binding.kind == "container" and binding.type_name == "set"


def _keyed_by_who_asks(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``_states[f"{gateway}:{state}"] = verifier`` where every caller passes a ``state``
    computed from who asks (their email, signed): the key is theirs, though the names in
    this function do not say so. A key only fresh (a uuid4 run id the caller made) still
    says nothing about the user, nor does one that only some callers derive from them."""
    if not any(key.kind == "dynamic" for key in (*site.target.keys, site.key)):
        return False
    if _key_built_for_the_user(project, record, site):
        return True
    function = project.function(record.name, site.function)
    if function is None:
        return False
    return any(
        source in function.params
        and source not in USER_IDENTITY_NAMES  # the configured patterns' call, made by the pass
        and _a_key_value(function, source, site)
        and _passed_by_who_asks(project, (record.name, site.function), source, 3)
        for source in site.key_sources
    )


def _keyed_by_a_fresh_id(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``_RUNS[job_id] = run`` where every caller passes ``job_id`` a fresh id (``uuid4()``,
    a token), directly or through its own caller's parameter: as with a uuid4 made in the
    storing function itself, no other request ever has the key."""
    if site.key.kind != "dynamic" or not site.key_sources:
        return False
    function = project.function(record.name, site.function)
    if function is None:
        return False
    callee = (record.name, site.function)
    return all(
        source in function.params
        and _a_key_value(function, source, site)
        and _passed_fresh(project, callee, source, 3)
        for source in site.key_sources
    )


def _passed_fresh(
    project: Project, callee: tuple[str, str], param: str, depth: int, if_left_out: bool = False
) -> bool:
    """Every caller passes ``param`` a fresh id (or, ``if_left_out``, leaves it out, and
    the function makes one in its place)."""
    return _every_caller_passes(
        project,
        callee,
        param,
        depth,
        lambda edge, index, name, _: edge.fresh(index, name),
        if_left_out,
    )


# what a fresh id is made with (``task_id or str(uuid4())``), as imported or called
_FRESH_ID_MAKERS = frozenset({*FRESH_ID_CALLS, "uuid", "secrets"})


def _files_only_a_fresh_id(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``item_tasks[chat_id].append(task_id)`` where ``task_id`` is a fresh id wherever it
    comes from (every caller passes ``str(uuid4())``, or leaves it out and the function
    makes one): an entry of a registry, filed under the request's key, holds nothing of any
    user. Only a keyed entry: one slot holding the last request's id (``self.run_id =
    run_id``) hands it to whoever reads the slot next."""
    keyed = site.key.kind == "dynamic" or any(key.kind == "dynamic" for key in site.target.keys)
    made_with = set(site.value_imports) | set(site.value_functions)
    if not keyed or len(site.value_sources) != 1 or not made_with <= _FRESH_ID_MAKERS:
        return False
    function = project.function(record.name, site.function)
    source = site.value_sources[0]
    if function is None or source not in function.params:
        return False
    left_out = source in function.fresh_defaults
    return _passed_fresh(project, (record.name, site.function), source, 3, left_out)


def _key_built_for_the_user(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``key = self._endpoint_key(flow); self._aliases[key] = flow_id`` where the project
    function that builds the key reads whose it is (``return str(flow.user_id), name``)."""
    made = site.key_call
    if made is None:
        return False
    if made.root == "self" and len(made.attrs) == 1 and site.self_class is not None:
        function = project.function(record.name, f"{site.self_class}.{made.attrs[0]}")
        return function is not None and function.returns_user_scoped
    target = project.resolve(record.name, made)
    if target is None or target.kind != "function" or target.rest:
        return False
    function = project.function(target.module, target.name)
    return function is not None and function.returns_user_scoped


_KEY_TYPES = frozenset({"str", "int", "bytes", "tuple", "Tuple", "UUID", "uuid.UUID"})


def _a_key_value(function: Function, param: str, site: WriteSite) -> bool:
    """The parameter is a key itself (``state: str``), not an object whose field the key
    reads (``context.thread_id``, from a context that also carries the user)."""
    declared = function.param_types.get(param)
    if declared is None:
        return site.key.text == param
    return ".".join([declared.root, *declared.attrs]) in _KEY_TYPES


def _passed_by_who_asks(project: Project, callee: tuple[str, str], param: str, depth: int) -> bool:
    """Every call in the project passes ``param`` a value computed from who is asking (not
    only from a fresh id), directly or through its own caller's parameter."""
    return _every_caller_passes(
        project,
        callee,
        param,
        depth,
        lambda edge, index, name, _: edge.asks_who(index, name, False),
    )


def _every_caller_passes(
    project: Project,
    callee: tuple[str, str],
    param: str,
    depth: int,
    passes: Callable[[CallEdge, int, str, Sequence[str]], bool],
    left_out_passes: bool = False,
) -> bool:
    """Every call in the project passes ``param`` a value ``passes`` accepts (given the call,
    the parameter's index and name, and what the argument is computed from), directly or by
    handing on one of its own parameters that its callers in turn fill so (``depth`` callers
    up); with ``left_out_passes``, a call that leaves the parameter out counts too. A
    route's real callers are its clients, not the project's scripts: never so."""
    function = project.function(*callee)
    reach = program_of(project).reach
    callers = reach.callers.get(callee, [])
    if function is None or param not in function.params or not callers:
        return False
    if callee in reach.entry_points.entries:
        return False
    index = function.params.index(param)
    for edge in callers:
        sources = edge.argument(index, param)
        if sources is None and left_out_passes and edge.caller is not None:
            if not edge.passes(param, index):
                continue
        if edge.caller is None or sources is None:
            return False
        if passes(edge, index, param, sources):
            continue
        handed_on = len(sources) == 1 and depth > 0
        if handed_on and _every_caller_passes(project, edge.caller, sources[0], depth - 1, passes):
            continue
        return False
    return True


def _client_made_for_user(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    if site.self_class is None or site.target.root != "self" or len(site.target.attrs) != 1:
        return False
    reach = program_of(project).reach
    return reach.made_for_user(record.name, site.self_class, site.target.attrs[0])


def _depends_on_user(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    return program_of(project).reach.depends_on_user(record.name, site)


def _plain_container_of_a_shared_body(
    record: ModuleRecord, class_name: str, attribute: str
) -> Binding | None:
    """``defaults = {}`` in the body of a Django form, model or admin or a DRF serializer
    (a class of the module, on one of ``SHARED_BODY_DSL_BASES``): a plain container, not a
    field, that every instance shares."""
    class_facts = record.facts.classes.get(class_name)
    if class_facts is None:
        return None
    if not any(
        base.text().rsplit(".", 1)[-1] in SHARED_BODY_DSL_BASES for base in class_facts.bases
    ):
        return None
    binding = class_facts.attributes.get(attribute)
    return binding if binding is not None and binding.kind == "container" else None


def _an_entity_s_entry(project: Project, record: ModuleRecord, classified: ClassifiedWrite) -> bool:
    """``self._flows[flow_id] = entry``: a registry entry under the id of the thing it is
    about (a flow, a document) is the same for everyone who holds the id (whether they may
    is the service's access control; a thing fetched with its owner's id to check access is
    still that thing), unless it holds the asking user themselves (``request.user``), or
    some request lists the whole registry (``.values()``): then every entry reaches whoever
    asks for the list. The id of one user's interaction (a thread, a session, a run) is not
    such an id: what is kept under it is that user's, and clients often choose it."""
    site = classified.site
    keyed = is_container_write(site) or site.operation.startswith(STORE_OPERATIONS_PREFIX)
    if classified.code not in ("ISO401", "ISO402") or not keyed:
        return False
    keys = [key for key in (*site.target.keys, site.key) if key.kind == "dynamic"]
    if not keys:
        return False
    callee = (record.name, site.function)
    if not all(
        _names_an_entity(key.text) or _callers_pass_an_entity_key(project, callee, key.text, 2)
        for key in keys
    ):
        return False
    if site.value_names_user or site.value_carries_user:
        # the asking user themselves (``request.user``) kept as the thing's, or a value made
        # for them (a response with their name in it) that the next holder of the id gets
        return False
    return not any(reader.lists for reader in classified.readers(project))


def _an_entity_s_id_listed(classified: ClassifiedWrite) -> bool:
    """``self.active_plugins.append(plugin_id)``: a list of which things are on holds the
    ids of things (a plugin, a document), the same for everyone who holds the id, not what a
    user sent or who they are (``user_id``, ``session_id`` are not such ids)."""
    site = classified.site
    if classified.code not in ("ISO101", "ISO401") or site.operation not in _ID_LISTINGS:
        return False
    if site.target.keys or site.key.kind != "none" or site.value_owner:
        return False
    return site.value_id and _names_an_entity(site.value_name)


_ID_LISTINGS = frozenset({"call:append", "call:add", "call:insert", "call:appendleft"})


def _callers_pass_an_entity_key(
    project: Project, callee: tuple[str, str], param: str, depth: int
) -> bool:
    """``def set(self, key, value): self._cache[key] = ...`` that every call hands the id of
    a thing (``resource_cache.set(resource_id, content)``), directly or through its own
    caller's parameter, and never the asking user as the value."""
    if any(map(_hands_the_user, program_of(project).reach.callers.get(callee, []))):
        return False

    def an_entity(edge: CallEdge, index: int, _: str, sources: Sequence[str]) -> bool:
        passed = edge.call.args[index] if index < len(edge.call.args) else None
        if passed is not None and _names_an_entity(passed.text()):
            return True
        return len(sources) == 1 and _names_an_entity(sources[0])

    return _every_caller_passes(project, callee, param, depth, an_entity)


def _hands_the_user(edge: CallEdge) -> bool:
    """A positional argument of the call is the asking user (``request.user``, ``user``)."""
    return any(
        passed is not None and not USER_IDENTITY_NAMES.isdisjoint(passed.text().split("."))
        for passed in edge.call.args
    )


def _names_an_entity(text: str) -> bool:
    """``flow_id``, ``str(document.id)``, ``doc.pk``, ``project.slug``: the id of a thing,
    not content and not one user's interaction (``thread_id``, ``session.id``); also a
    key that formats such ids into fixed text (``f"analytics:{project_slug}"``)."""
    if text.startswith("str(") and text.endswith(")"):
        text = text[4:-1]
    if not text.replace(".", "").replace("_", "").isalnum():
        parts = formatted_parts(text)
        return bool(parts) and all(_names_an_entity(part) for part in parts)
    words = text.lower().replace(".", "_").split("_")
    if words[-1] not in _ENTITY_ID_WORDS or not _INTERACTION_WORDS.isdisjoint(words):
        return False
    return len(words) > 1  # `id` alone names nothing


_ENTITY_ID_WORDS = frozenset({"id", "pk", "uuid", "slug"})


# What one user's exchange with the service is called, and what keeps one (an agent and
# its memory): ids of these are handles to that user's exchange.
_INTERACTION_WORDS = frozenset(
    {
        "agent",
        "assistant",
        "bot",
        "memory",
        "history",
        "thread",
        "session",
        "conversation",
        "chat",
        "run",
        "job",
        "task",
        "request",
        "message",
        "connection",
        "socket",
        "ws",
        "room",
        "channel",
        "stream",
        "call",
        "execution",
        "turn",
    }
)


def _keyed_by_user_content(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """The key is computed from what a user typed (a prompt): the cached answer may carry
    that user's context to the next user who types the same."""
    content = project.config.models.values("user-content-names")
    function = project.function(record.name, site.function)
    if function is None:
        return False
    carrying = program_of(project).reach.request_data_params.get(
        (record.name, site.function), frozenset()
    )
    return bool(set(site.key_sources) & content) or (
        bool(set(site.key_sources) & carrying) and bool(set(function.params) & content)
    )


# How many project wrappers deep a store is followed (a service over a manager over Redis).
_WRAPPER_DEPTH = 3


def _is_shared_store(
    project: Project, record: ModuleRecord, site: WriteSite, depth: int = _WRAPPER_DEPTH
) -> bool:
    models = project.config.models
    program = program_of(project)
    function = project.function(record.name, site.function)
    receiver_type = program.types.receiver_type(record.name, function, site.self_class, site.target)
    if receiver_type is not None:
        if receiver_type.names & models.values("shared-store-types"):
            return True
        store_method = site.operation.removeprefix(STORE_OPERATIONS_PREFIX)
        return (
            depth > 0
            and receiver_type.project is not None
            and _wraps_a_store(project, receiver_type.project, store_method, depth - 1)
        )
    target = project.resolve(record.name, site.target)
    if target is not None and target.kind == "external" and target.module:
        qualified = ".".join([target.qualified, *target.rest])
        if qualified in models.values("shared-store-objects"):
            return True
    names = [site.target.root, *site.target.attrs]
    return any(word in name.lower() for name in names[-2:] for word in _STORE_NAMES)


def _wraps_a_store(project: Project, key: tuple[str, str], method: str, depth: int) -> bool:
    """``RedisService.set(key, value)`` that hands its key and value on to a shared store
    (``self._manager.set(key, value)``, itself a wrapper of ``redis.Redis``): the project's
    wrapper is that store, and a write through it is judged as a write into the store
    (answered once per class, method and depth, however many callers write through it)."""
    known: dict[tuple[tuple[str, str], str, int], bool] = project.__dict__.setdefault(
        "_store_wrappers", {}
    )
    question = (key, method, depth)
    if question not in known:
        known[question] = False  # (a wrapper of itself is none)
        known[question] = _forwards_to_a_store(project, key, method, depth)
    return known[question]


def _forwards_to_a_store(project: Project, key: tuple[str, str], method: str, depth: int) -> bool:
    for owner, class_facts, _ in project._hierarchy(*key):
        if method not in class_facts.methods:
            continue
        qualname = f"{class_facts.name}.{method}"
        record = project.modules[owner]
        return any(
            site.function == qualname
            and site.operation.startswith(STORE_OPERATIONS_PREFIX)
            and _forwards_its_callers_store(project, record, site)
            and _is_shared_store(project, record, site, depth)
            for site in record.facts.writes
        )
    return False


def _store_wrapper_creations(
    project: Project, record: ModuleRecord, site: WriteSite
) -> tuple[Creation, ...]:
    """Where the project's store wrapper written through is created for the process
    (``redis_service = RedisService()``), for the finding's witness."""
    program = program_of(project)
    function = project.function(record.name, site.function)
    receiver_type = program.types.receiver_type(record.name, function, site.self_class, site.target)
    if receiver_type is None or receiver_type.project is None:
        return ()
    return tuple(program.long_lived.inherited_by(receiver_type.project))


def _classify_application_state(
    project: Project, record: ModuleRecord, site: WriteSite
) -> ClassifiedWrite | None:
    """``request.app.state.x = value`` at request time: the application's state is one
    object for every request, so request data stored there reaches every user."""
    if site.operation not in _ATTRIBUTE_OPERATIONS and not is_container_write(site):
        return None
    if site.value_class is not None:
        return None  # a service built and stored on the app: where a shared object is made
    if site.value_kind or not _request_data(project, record, site):
        return None  # app-wide data (a model list read from the app's config) is global
    if not _depends_on_user(project, record, site):
        return None  # a setting an admin changes, a model loaded on demand: global by design
    name = site.target.attrs[-1] if site.target.attrs else ""
    if site.operation == "setattr" and name.isupper():
        # `request.app.state.MODELS = models`: named as a constant, the app's one catalog,
        # refreshed whole by whichever request reloads it (the filtering per user is
        # done where it is read)
        return None
    if is_container_write(site) and keyed_code(site, "ISO401", True) is None:
        return None  # per user, or a removal
    subject = ".".join([site.target.root, *site.target.attrs][-3:])
    return ClassifiedWrite(record, site, "ISO401", subject, "the application's state")


def _keeps_the_request(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """``self._request = request`` in a rate limiter: the request itself (a parameter of a
    modelled request type, or named ``request``) is no bookkeeping, whatever its keeper is.
    (A monitor's list of the sockets it reports to is its own plumbing.)"""
    function = project.function(record.name, site.function)
    if function is None or site.value_name not in function.params:
        return False
    program = program_of(project)
    declared = program.types.parameter_type(record.name, function, site.value_name)
    if declared is not None and any(name.endswith("WebSocket") for name in declared.names):
        return False
    if site.value_name in _REQUEST_NAMES:
        return True
    return site.value_name in program.entry_points.typed_requests(record.name, function)


_REQUEST_NAMES = frozenset({"request", "req"})


def _is_bookkeeping(project: Project, classified: ClassifiedWrite) -> bool:
    """Metrics, statistics, health and monitoring state (by the models' bookkeeping names)."""
    attributes = [classified.subject.rsplit(".", 1)[-1]]
    if classified.on_kept_object:  # `self._metrics.average_ms = ...`: the kept object's name
        attributes.append(classified.site.target.attrs[0])
    module = classified.defined_module or classified.record.name
    models = project.config.models
    return any(models.is_bookkeeping(classified.owner, name, module) for name in attributes)


def _request_data(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    """The stored value is request data (followed across calls from the entry point).

    Not what the function only read from its database session (``db.query(Config)
    .first()``) without the user: the database's content, the same for whoever asks."""
    if not program_of(project).reach.stores_request_data(record.name, site):
        return False
    return not _read_from_the_database_only(project, record, site)


def _read_from_the_database_only(project: Project, record: ModuleRecord, site: WriteSite) -> bool:
    function = project.function(record.name, site.function)
    sources = set(site.value_sources) | set(site.key_sources)
    if function is None or not site.value_sources or site.value_user:
        return False
    if not all(is_session_parameter(project, record.name, function, s) for s in sources):
        return False
    return not _depends_on_user(project, record, site)


def _enum_member(project: Project, module: str, site: WriteSite) -> bool:
    """``self._level = LogLevel(level)``, or a parameter annotated ``level: LogLevel``: one
    of a few named states, not user data."""
    made = site.value_call
    if made is None and site.value_name:
        function = project.function(module, site.function)
        made = function.param_types.get(site.value_name) if function is not None else None
    if made is None:
        return False
    target = project.resolve(module, made)
    if target is None or target.kind != "class" or target.rest:
        return False
    return any(
        base.text().rsplit(".", 1)[-1] in _ENUM_BASES
        for _, class_facts, _ in project._hierarchy(target.module, target.name)
        for base in class_facts.bases
    )


_ENUM_BASES = frozenset(ENUM_BASES)


def _kept_from_the_constructor(
    project: Project, module: str, class_name: str, site: WriteSite
) -> bool:
    """``def __init__(self, page, kwargs): self.kwargs = kwargs`` in the class or a base,
    and ``self.kwargs[name] = value`` later: what a long-lived object is handed when it is
    built lives as long as it does (a template node's arguments, parsed once and rendered for
    every request). Only an item store, or a parameter declared a container, says the
    attribute is a container: ``self._adapter.update(body)`` calls a service."""
    if len(site.target.attrs) != 1:
        return False
    attribute = site.target.attrs[0]
    for owner, class_facts, _ in project._hierarchy(module, class_name):
        init = project.function(owner, f"{class_facts.name}.__init__")
        if init is None:
            continue
        for kept in project.modules[owner].facts.writes:
            if (
                kept.function == init.qualname
                and kept.operation == "setattr"
                and kept.target.root == "self"
                and kept.target.attrs == [attribute]
                and kept.value_name in init.params
            ):
                return site.operation in ITEM_OPERATIONS or _declared_container(
                    init, kept.value_name
                )
    return False


# A parameter declared one of these holds a container: the constructors, and typing's names.
_CONTAINER_ANNOTATIONS = CONTAINER_CONSTRUCTORS | {
    "Dict",
    "List",
    "Set",
    "MutableMapping",
    "MutableSequence",
    "MutableSet",
}


def _declared_container(function: Function, param: str) -> bool:
    declared = function.param_types.get(param)
    return (
        declared is not None and (declared.attrs or [declared.root])[-1] in _CONTAINER_ANNOTATIONS
    )


def _kept_class_body_container(
    project: Project, module: str, class_name: str, attribute: str
) -> Binding | None:
    """``list_display = ["name"]`` in a ``ModelAdmin``: declarative in its body, but the
    framework keeps one instance for every request (the models' ``long-lived-bases``), so a
    container its body makes is one list for everyone who reaches that instance."""
    if not program_of(project).long_lived.kept_bases((module, class_name)):
        return None
    binding = _class_body_binding(project, module, class_name, attribute)
    return binding if binding is not None and binding.kind == "container" else None


def _holds_container(project: Project, module: str, class_name: str, attribute: str) -> bool:
    """Whether the class or a base class keeps a container in ``attribute`` on ``self``."""
    return any(
        attribute in class_facts.container_attributes
        for _, class_facts, _ in project._hierarchy(module, class_name)
    )
