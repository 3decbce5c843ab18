"""ISO3xx database sessions and connections that outlive a request.

ISO301: created at import time at module level. ISO302: kept on a class or a long-lived
object, created lazily into a global, or returned by a function a decorator caches for the
process (``@lru_cache def get_db()``). Engines, session factories and pools are fine, but
a registry that keeps one session per thread (``scoped_session``) is not in a service whose
requests run on an event loop (ISO301 at import time, ISO302 elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from isolint.analysis.facts import Binding
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.project import ModuleRecord, Project
from isolint.rules.base import finding
from isolint.rules.writes import classified_writes

_FIX = (
    "Keep the engine or `sessionmaker` at module level and open a session per request "
    "(`with SessionLocal() as session:` or a request-scoped dependency)."
)


def check(project: Project) -> Iterator[Finding]:
    scripts = program_of(project).entry_points.script_modules
    for record in project.targets():
        if record.name in scripts:
            continue  # a script's connection serves its one run
        for code, binding, message in _sessions_created_once(project, record):
            yield finding(code, record, binding.span, message, _FIX, Severity.ERROR)
    yield from _thread_scoped_sessions(project)
    yield from _sessions_cached_for_the_process(project, scripts)
    for classified in classified_writes(project):
        if classified.code != "ISO302":
            continue
        related = classified.definition(
            project, f"the long-lived object ({classified.what}) is created here"
        )
        if classified.severity_override == "warning":
            message = (
                f"a database session is kept on `{classified.subject}` for the object's "
                f"lifetime, {classified.what}; one session then serves several of them"
            )
            severity = Severity.WARNING
        else:
            message = (
                f"a database session is stored on `{classified.subject}`, which outlives the "
                f"request ({classified.what}), so concurrent requests share one session"
            )
            severity = Severity.ERROR
        yield finding(
            "ISO302",
            classified.record,
            classified.site.span,
            message,
            _FIX,
            severity,
            related,
            shared_object=classified.subject,
            entry_point=classified.evidence.entry_point() if classified.evidence else "",
            data_kind="database session",
        )


def _sessions_created_once(
    project: Project, record: ModuleRecord
) -> Iterator[tuple[str, Binding, str]]:
    """Sessions bound at module level (ISO301) or in a class body (ISO302)."""
    for binding in [*record.facts.bindings.values(), *record.facts.rebindings]:
        if binding.in_main_guard:
            continue  # a script's own session, unless its server's handlers use it (ISO302)
        if _creates_session(project, record, binding):
            yield (
                "ISO301",
                binding,
                f"`{binding.name}` is a database session created at import time; every "
                "request and thread shares it, and a Session is not safe to share between "
                "concurrent requests",
            )
    for class_facts in record.facts.classes.values():
        if class_facts.is_dsl:
            continue
        for binding in class_facts.attributes.values():
            if _creates_session(project, record, binding):
                yield (
                    "ISO302",
                    binding,
                    f"`{class_facts.name}.{binding.name}` is a database session created in a "
                    "class body, once, and shared by every instance and request",
                )


def _sessions_cached_for_the_process(
    project: Project, scripts: AbstractSet[str]
) -> Iterator[Finding]:
    """``@lru_cache def get_db(): return SessionLocal()``: the cache hands the session it
    made on the first call to every later caller (one per argument, when it takes any), so
    every request that asks for one shares it."""
    for record in project.targets():
        if record.name in scripts:
            continue
        for qualname, function in record.facts.functions.items():
            if "." in qualname or not function.returns_calls:
                continue
            cache = project.process_cache(record.name, function)
            if cache is None:
                continue
            made = next(
                (
                    call
                    for call in function.returns_calls
                    if project.is_session_creation(record.name, call, False)
                ),
                None,
            )
            if made is None:
                continue
            decorator = project.callee_name(record.name, cache.callee).rsplit(".", 1)[-1]
            yield finding(
                "ISO302",
                record,
                function.span,
                f"`{qualname}` returns a new database session or connection, but "
                f"`@{decorator}` keeps the first one it makes for the process and hands it "
                "to every later caller, so concurrent requests share one session",
                _FIX,
                Severity.ERROR,
                shared_object=qualname,
                data_kind="database session",
            )


def _creates_session(project: Project, record: ModuleRecord, binding: Binding) -> bool:
    if binding.kind != "call":
        return False
    if project.is_session_creation(record.name, binding.callee, binding.call_of_call):
        return True
    return not binding.call_of_call and _returns_a_new_session(project, record.name, binding)


def _returns_a_new_session(project: Project, module: str, binding: Binding) -> bool:
    """``thread_session = make_session()``, where the project's ``make_session`` returns
    ``SessionLocal()``: the helper's new session, made once, at import time."""
    if binding.callee is None:
        return False
    target = project.resolve(module, binding.callee)
    if target is None or target.kind != "function" or target.rest:
        return False
    function = project.function(target.module, target.name)
    if function is None or function.is_async:
        return False
    return any(
        project.is_session_creation(target.module, call, False) for call in function.returns_calls
    )


def _thread_scoped_sessions(project: Project) -> Iterator[Finding]:
    """``SessionLocal = scoped_session(factory)`` in a service whose requests run on an event
    loop (it has ``async def`` request handlers): the registry keeps one session per thread,
    but the loop runs every request's coroutine on one thread and the server's worker
    threads run several requests' synchronous steps at once (FastAPI's dependencies), so
    concurrent requests are handed the same session. A ``scopefunc`` (the current task, the
    request) scopes it properly."""
    factories = project.config.models.values("thread-scoped-session-factories")
    found = _an_async_entry_point(project)
    if not factories or found is None:
        return
    async_entry, why = found
    short_names = {name.rsplit(".", 1)[-1] for name in factories}
    entry_record = project.modules[async_entry[0]]
    entry_function = project.function(*async_entry)
    entry = Related(
        entry_record.display_path,
        entry_record.located(entry_function.span).line if entry_function else 0,
        f"`{async_entry[1]}` is {why}",
        "entry",
    )
    for record in project.targets():
        for call in record.facts.calls:
            if (call.callee.attrs or [call.callee.root])[-1] not in short_names:
                continue  # a cheap test first: most calls are something else
            if call.span is None or "scopefunc" in call.keywords:
                continue
            if project.callee_name(record.name, call.callee) not in factories:
                continue
            caller = project.function(record.name, call.function or "")
            owner = caller.class_name if caller is not None else None
            if owner is not None and not _has_async_methods(record, owner):
                continue  # every method runs to its end on one thread: that thread's session
            yield finding(
                "ISO301" if call.at_import_time else "ISO302",
                record,
                call.span,
                f"`{call.callee.text()}(...)` keeps one database session per thread, but this "
                "service runs requests on an event loop (one thread for every coroutine) "
                "and a shared pool of worker threads, so concurrent requests are handed the "
                "same session",
                "Open a session per request (`with SessionLocal() as session:` in a "
                "dependency) or give the registry a `scopefunc` that is per request.",
                Severity.ERROR,
                (entry,),
                data_kind="database session",
            )


def _has_async_methods(record: ModuleRecord, class_name: str) -> bool:
    """Some method of the class is ``async def``: a task that uses the session can wait in
    it while another task on the loop's thread uses the same one."""
    class_facts = record.facts.classes.get(class_name)
    methods = class_facts.methods if class_facts is not None else []
    return any(
        (function := record.facts.functions.get(f"{class_name}.{method}")) is not None
        and function.is_async
        for method in methods
    )


def _an_async_entry_point(project: Project) -> tuple[tuple[str, str], str] | None:
    """An ``async def`` request handler, or a method of a handler class whose server runs
    every request on one event-loop thread (Tornado's ``RequestHandler``), and which."""
    program = program_of(project)
    loop_classes = project.config.models.values("event-loop-handler-classes")
    for key in sorted(program.reach.entry_points.entries):
        function = project.function(*key)
        if function is None:
            continue
        if function.is_async:
            return key, "an `async def` request handler"
        owner = function.class_name
        if owner and loop_classes & program.types.qualified_names((key[0], owner)):
            return key, "a request handler the server runs on its event loop"
    return None
