"""ISO5xx async and context hazards.

ISO501: a ``threading.local()`` used from ``async def`` code (tasks share the thread).
ISO502: a ``ContextVar`` with a mutable default (one object shared by every context).
ISO503: shared state checked, then written after an ``await`` with a non-user key.
ISO504: an application context pushed for good outside a request (``flask.g`` shared).
(ISO505, a thread local left set between one request and the next, is ``thread_state``'s;
ISO506, a worker task that keeps the request context it was started in, ``task_context``'s.)
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.analysis.facts import Access, AsyncUse, Binding, WriteSite
from isolint.analysis.module_pass import USER_IDENTITY_NAMES
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.project import ModuleRecord, Project
from isolint.rules.base import finding
from isolint.rules.writes import classified_writes


def check(project: Project) -> Iterator[Finding]:
    yield from _threading_locals(project)
    mutated = _mutated_context_values(project)
    for record in project.targets():
        for default in record.facts.contextvar_defaults:
            if (record.name, default.variable) not in mutated:
                continue  # only read, or replaced with `set()`: the default is never changed
            yield finding(
                "ISO502",
                record,
                default.span,
                f"ContextVar `{default.name}` has a mutable `{default.default}` default; "
                "`.get()` returns that one object in every context, so users share it",
                "Use `default=None` and create a new container per context "
                "(`var.set([])` at the start of the request).",
                Severity.ERROR,
            )
    yield from _pushed_app_contexts(project)
    for classified in classified_writes(project):
        if classified.code != "ISO503":
            continue
        site = classified.site
        related = classified.definition(
            project, f"`{classified.subject}` is defined here and lives as long as the process"
        )
        yield finding(
            "ISO503",
            classified.record,
            site.span,
            f"`{classified.subject}[{site.key.text}]` is checked, then written after an "
            "`await`; other tasks run in between, so two users can interleave and one can "
            "receive the other's value",
            "Key the entry by user, or hold an `asyncio.Lock` across the check and the write.",
            Severity.ERROR,
            related,
        )


def _keeps_who_asks(record: ModuleRecord, name: str) -> bool:
    """The module stores who is asking on the thread local (``_local.user_id = user_id``):
    the code that reads it back acts for that user, telemetry module or not."""
    return any(
        write.target.root == name
        and (write.value_user or not USER_IDENTITY_NAMES.isdisjoint(write.target.attrs))
        for write in record.facts.writes
    )


def _threading_locals(project: Project) -> Iterator[Finding]:
    used_from_async = _async_thread_local_uses(project)
    for (module, name), (binding, users) in sorted(used_from_async.items()):
        record = project.modules[module]
        if not record.is_target or holds_only_resources(record, name):
            continue
        if project.config.models.is_bookkeeping("", "", module) and not _keeps_who_asks(
            record, name
        ):
            continue  # the runs a tracer follows (`observability.hooks._run_stack`): telemetry
        related = tuple(sorted(set(users), key=lambda r: (r.path, r.line)))
        yield finding(
            "ISO501",
            record,
            binding.span,
            f"`{name}` is a `threading.local()` used from `async def` code; all tasks on "
            "the event loop share one thread, so they share its values",
            "Use a `contextvars.ContextVar`, which is per task.",
            Severity.ERROR,
            related,
        )
    yield from _scope_api_findings(project, reported=set(used_from_async))


def threading_locals_used_from_async(project: Project) -> set[tuple[str, str]]:
    """The thread locals (module, name) that ``async def`` code uses: ISO501's."""
    return set(_async_thread_local_uses(project))


def _async_thread_local_uses(
    project: Project,
) -> dict[tuple[str, str], tuple[Binding, list[Related]]]:
    """Each thread local that ``async def`` code uses, directly or through the synchronous
    functions it calls, with where (memoised per project: ISO501 and ISO505 both ask)."""
    found: dict[tuple[str, str], tuple[Binding, list[Related]]] | None = project.__dict__.get(
        "_async_thread_local_uses"
    )
    if found is not None:
        return found
    found = {}
    called_from_async: frozenset[tuple[str, str]] | None = None
    for module, record in project.modules.items():
        for use in record.facts.async_uses:
            local = _thread_local(project, module, use)
            if local is None:
                continue
            how = "from `async def` code here"
            if use.sync_function:
                if called_from_async is None:
                    called_from_async = _called_from_async(project)
                if (module, use.sync_function) not in called_from_async:
                    continue
                how = f"in `{use.sync_function}`, which `async def` code calls"
            key, binding = local
            _, uses = found.setdefault(key, (binding, []))
            uses.append(
                Related(
                    record.display_path,
                    record.located(use.span).line,
                    f"`{binding.name}` is used {how}",
                )
            )
            if use.sync_function and called_from_async is not None:
                uses.extend(_async_callers(project, (module, use.sync_function), called_from_async))
    project.__dict__["_async_thread_local_uses"] = found
    return found


def _scope_api_findings(project: Project, reported: set[tuple[str, str]]) -> Iterator[Finding]:
    """A warning for each scope API's thread local that no `async def` code is seen to use
    (those are errors above)."""
    for (module, name), (binding, scoping) in sorted(_scope_apis(project).items()):
        record = project.modules[module]
        if (module, name) in reported or holds_only_resources(record, name):
            continue
        yield finding(
            "ISO501",
            record,
            binding.span,
            f"`{name}` is a `threading.local()` that a context manager sets for the length "
            "of a block, in code served by Django: an async view or middleware that awaits "
            "inside the block shares the event loop's thread with other requests, which "
            "then see this request's values",
            "Use a `contextvars.ContextVar` (or `asgiref.local.Local`), which is per task.",
            Severity.WARNING,
            tuple(scoping),
        )


def _scope_apis(project: Project) -> dict[tuple[str, str], tuple[Binding, list[Related]]]:
    """Module-level thread locals that a public context manager sets for the length of a
    block (``with tenant_context(tenant): ...``), in a project built on Django, whose async
    views and middleware run on one event-loop thread: a library's scope API, which its
    users' async code may await inside."""
    if not any(_imports_django(record) for record in project.modules.values()):
        return {}
    found: dict[tuple[str, str], tuple[Binding, list[Related]]] = {}
    for module, record in project.modules.items():
        if not record.is_target:
            continue
        for site in record.facts.writes:
            if site.operation != "setattr" or len(site.target.attrs) != 1:
                continue
            function = record.facts.functions.get(site.function)
            if function is None or not _is_public_scope(function.name, function.decorator_names):
                continue
            binding = record.facts.bindings.get(site.target.root)
            if binding is None or binding.kind != "threading_local":
                continue
            _, uses = found.setdefault((module, binding.name), (binding, []))
            uses.append(
                Related(
                    record.display_path,
                    record.located(site.span).line,
                    f"`{function.name}` sets `{site.target.text()}` for the block it scopes",
                    "store",
                )
            )
    return found


def _is_public_scope(name: str, decorators: list[str]) -> bool:
    if name.startswith("_"):
        return False
    return any(decorator.endswith("contextmanager") for decorator in decorators)


def _imports_django(record: ModuleRecord) -> bool:
    return any(ref.module.split(".", 1)[0] == "django" for ref in record.facts.imported)


def holds_only_resources(record: ModuleRecord, name: str) -> bool:
    """Every field its module stores on the thread local (``name``: a global, or
    ``Class.attribute`` for one kept on a class or its instances) is named for a thread's
    own resource: a connection, a cursor, an event loop (``self._local.conn = ...``). Tasks
    sharing those share a thread's plumbing, not one user's data. False when nothing is
    stored here."""
    owner, _, attribute = name.rpartition(".")
    stored: list[WriteSite] = []
    for site in record.facts.writes:
        target = site.target
        if site.operation != "setattr":
            continue
        if owner:
            on_class = target.root == owner and target.attrs[:1] == [attribute]
            on_self = site.self_class == owner and target.attrs[:1] == [attribute]
            if (on_class or on_self) and len(target.attrs) == 2:
                stored.append(site)
        elif target.root == name and len(target.attrs) == 1:
            stored.append(site)
    return bool(stored) and all(_a_thread_s_resource(site) for site in stored)


def _a_thread_s_resource(site: WriteSite) -> bool:
    field = site.target.attrs[-1].lower()
    return field.endswith(_RESOURCE_FIELDS) or field in _RESOURCE_FIELDS


# What a thread keeps for itself: its database connection or cursor, its event loop.
_RESOURCE_FIELDS = ("conn", "connection", "cursor", "loop", "event_loop", "engine")


def _async_callers(
    project: Project, callee: tuple[str, str], called_from_async: frozenset[tuple[str, str]]
) -> list[Related]:
    """Where code on the event loop calls the synchronous function that uses the thread
    local (``tls = ThreadLocals.get_instance()`` in a request's configuration): the first
    step of the way there, at most two call sites."""
    found: list[Related] = []
    for edge in program_of(project).reach.callers.get(callee, []):
        caller = edge.caller
        function = project.function(*caller) if caller is not None else None
        if caller is None or function is None or edge.call.span is None:
            continue
        if not function.is_async and caller not in called_from_async:
            continue
        record = project.modules[edge.module]
        found.append(
            Related(
                record.display_path,
                record.located(edge.call.span).line,
                f"`{caller[1]}` calls `{callee[1]}` here",
                "call",
            )
        )
    return sorted(found, key=lambda r: (r.path, r.line))[:2]


def _called_from_async(project: Project) -> frozenset[tuple[str, str]]:
    """Synchronous functions that ``async def`` code calls, directly or through others: they
    run on the event loop's thread, between one task's awaits and the next's."""
    callees = program_of(project).reach.callees
    found: set[tuple[str, str]] = set()
    queue = [
        (module, qualname)
        for module, record in project.modules.items()
        for qualname, function in record.facts.functions.items()
        if function.is_async
    ]
    while queue:
        caller = queue.pop()
        for edge in callees.get(caller, ()):
            callee = project.function(*edge.callee)
            if callee is None or callee.is_async or edge.callee in found:
                continue
            found.add(edge.callee)
            queue.append(edge.callee)
    return frozenset(key for key in found if not _scoped_in_sync_code(project, key))


def _scoped_in_sync_code(project: Project, key: tuple[str, str]) -> bool:
    """A ``@contextmanager`` whose every ``with`` block is in a synchronous function: what
    it sets before its ``yield`` and resets after is in place only while synchronous code
    runs, so no other task can run on the thread meanwhile (a DNS pin around
    ``requests.get``)."""
    function = project.function(*key)
    if function is None or not any(
        name.rsplit(".", 1)[-1] == "contextmanager" for name in function.decorator_names
    ):
        return False
    callers = program_of(project).reach.callers.get(key, [])
    return bool(callers) and all(
        edge.caller is not None
        and (caller := project.function(*edge.caller)) is not None
        and not caller.is_async
        for edge in callers
    )


def _thread_local(
    project: Project, module: str, use: AsyncUse
) -> tuple[tuple[str, str], Binding] | None:
    """The thread-local binding an async use reads: a module global or a class attribute."""
    if use.through_class is not None:
        record = project.modules[module]
        class_facts = record.facts.classes.get(use.through_class)
        binding = class_facts.attributes.get(use.root) if class_facts else None
        if binding is not None and binding.kind == "threading_local":
            return (module, f"{use.through_class}.{use.root}"), binding
        return None
    target = project.resolve(module, Access(use.root))
    if target is None or target.kind != "binding":
        return None
    binding = project.binding(target)
    if binding is None or binding.kind != "threading_local":
        return None
    return (target.module, target.name), binding


def _mutated_context_values(project: Project) -> set[tuple[str, str]]:
    """ContextVars (module, name) whose ``.get()`` result some module changes in place."""
    found: set[tuple[str, str]] = set()
    for module, record in project.modules.items():
        for name in record.facts.contextvar_mutations:
            target = project.resolve(module, Access(name))
            if target is not None and target.kind == "binding" and not target.rest:
                found.add((target.module, target.name))
    return found


def _pushed_app_contexts(project: Project) -> Iterator[Finding]:
    """``app.app_context().push()`` with nothing kept to pop it, at import time or in code a
    request does not run (an app factory): the context stays current, and a request that
    finds its application's context already current uses it instead of its own, so
    ``flask.g`` and what extensions keep there (the CSRF token, the user) is shared."""
    frameworks = project.config.models.values("context-push-frameworks")
    paths = program_of(project).reach.request_paths
    for record in project.targets():
        if not any(ref.module.split(".")[0] in frameworks for ref in record.facts.imports.values()):
            continue
        for call in record.facts.calls:
            if not call.chained_result or call.result_method != "push":
                continue
            if call.callee.attrs[-1:] not in (["app_context"], ["test_request_context"]):
                continue
            if call.function is not None and (record.name, call.function) in paths:
                continue  # inside a request: its own context, popped with it
            if call.span is None:
                continue
            pushed = f"{call.callee.attrs[-1]}().push()"
            yield finding(
                "ISO504",
                record,
                call.span,
                f"`{pushed}` leaves an application context pushed for good; a request that "
                "finds its application's context current uses it instead of a fresh one, so "
                "`g` and what extensions keep in it (a CSRF token, the logged-in user) is "
                "shared by every request this context serves",
                "Push the context only around the work that needs it "
                "(`with app.app_context(): ...`), or keep it and pop it when done.",
                Severity.ERROR,
            )
