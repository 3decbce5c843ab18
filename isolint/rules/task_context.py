"""ISO506: a worker task started from a request keeps that request's context for good.

``asyncio.create_task`` copies the current ``contextvars.Context`` into the task. A worker
loop (``while True: item = await queue.get(); ...``) started lazily by whichever request
first needs it therefore runs, for as long as the process does, with the values that
request's middleware put in the project's ``ContextVar``s: the user it authenticated, their
tenant, their provider keys. Every later request only hands the worker its items, and the
worker attributes them to the first user.

Reported at the call that starts the task, when it runs at request time without
``context=``, the coroutine is a project ``async def`` whose endless loop takes item after
item off a queue (``while True: item = await queue.get()``), and the project
sets a module-level ``ContextVar`` that the function starting the task (or the helper it
calls to do so) does not set itself, as clearing it before ``create_task`` does.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.analysis.facts import Access, CallSite, Function, Span
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.project import ModuleRecord, Project
from isolint.rules.base import finding
from isolint.rules.evidence import RequestEvidence, witness

# Calls that start a coroutine as a task of its own, with a copy of the current context.
_TASK_STARTERS = frozenset({"create_task", "ensure_future"})

_FIX = (
    "Start the worker once at startup (a lifespan or startup hook), or hand `create_task` a "
    "fresh context (`context=contextvars.Context()`) and pass each item's user along with it."
)

VariableKey = tuple[str, str]  # (module, name) of a module-level ContextVar


def check(project: Project) -> Iterator[Finding]:
    variables = _context_variables_set(project)
    if not variables:
        return
    request_time = program_of(project).reach.request_paths
    for record in project.targets():
        for call in record.facts.calls:
            if call.at_import_time or not call.function or call.span is None:
                continue
            if "context" in call.keywords:
                continue
            if (record.name, call.function) not in request_time:
                continue
            starter = _task_starter(project, record.name, call)
            if starter is None:
                continue
            worker = _worker(project, record, call)
            if worker is None:
                continue
            cleared = _set_in(project, starter) | _set_in(project, (record.name, call.function))
            read = _read_from(project, (worker[0], worker[1].qualname))
            kept = {
                key: (where, read[key])
                for key, where in variables.items()
                if key not in cleared and key in read
            }
            if kept:
                yield _finding(project, record, call, call.span, worker, kept)


def _context_variables_set(project: Project) -> dict[VariableKey, Related]:
    """Module-level ``ContextVar``s (the models' ``request-context-types``) that some
    function sets, and where the first such ``.set()`` is."""
    found: dict[VariableKey, Related] = {}
    for record in project.modules.values():
        for call in record.facts.calls:
            if call.at_import_time or call.callee.attrs != ["set"] or call.span is None:
                continue
            key = context_variable(project, record.name, call.callee)
            if key is not None and key not in found:
                line = record.located(call.span).line
                message = f"`{call.function}` sets `{key[1]}` for a request"
                found[key] = Related(record.display_path, line, message, "call")
    return found


def context_variable(project: Project, module: str, holder: Access) -> VariableKey | None:
    """The module-level ContextVar ``VAR`` of ``VAR.set(...)`` or ``VAR.get()`` (the models'
    ``request-context-types``), resolved through imports: its module and name."""
    if not program_of(project).entry_points.holds_request_context(module, holder.root):
        return None
    target = project.resolve(module, Access(holder.root))
    return None if target is None else (target.module, target.name)


def _read_from(project: Project, worker: tuple[str, str]) -> dict[VariableKey, Related]:
    """The ContextVars that the worker, or a function it calls, reads with ``.get()``, and
    where first: where the copied context is used (the user a write is stamped with)."""
    by_module: dict[str, set[str]] = {}
    for module, qualname in program_of(project).reach.reached_from(worker):
        by_module.setdefault(module, set()).add(qualname)
    found: dict[VariableKey, Related] = {}
    for module in sorted(by_module):
        record = project.modules[module]
        for call in record.facts.calls:
            if call.function not in by_module[module] or call.callee.attrs != ["get"]:
                continue
            variable = context_variable(project, module, call.callee)
            if variable is not None and variable not in found and call.span is not None:
                line = record.located(call.span).line
                message = f"`{call.function}` reads `{variable[1]}` in the worker's context"
                found[variable] = Related(record.display_path, line, message, "reader")
    return found


def _set_in(project: Project, function: tuple[str, str]) -> set[VariableKey]:
    """The ContextVars a function clears itself, setting them to ``None``
    (``PROVIDER_DATA_VAR.set(None)`` before it starts a task: the task then holds no
    request's value)."""
    record = project.modules.get(function[0])
    if record is None:
        return set()
    found = set()
    for call in record.facts.calls:
        if call.function != function[1] or call.callee.attrs != ["set"]:
            continue
        passed = call.args[0] if call.args else None
        if passed is not None and passed.text() == "None":
            key = context_variable(project, function[0], call.callee)
            if key is not None:
                found.add(key)
    return found


def _task_starter(project: Project, module: str, call: CallSite) -> tuple[str, str] | None:
    """The function that calls ``create_task``: the caller itself, or a project helper it
    hands the coroutine to (``create_task_with_detached_otel_context(self._loop())``) that
    starts a task of its first parameter."""
    name = (call.callee.attrs or [call.callee.root])[-1]
    if name in _TASK_STARTERS:
        return (module, call.function or "")
    target = project.resolve(module, call.callee)
    if target is None or target.kind != "function" or target.rest:
        return None
    helper = project.function(target.module, target.name)
    if helper is None or not helper.params:
        return None
    for inner in project.modules[target.module].facts.calls:
        if (
            inner.function == helper.qualname
            and (inner.callee.attrs or [inner.callee.root])[-1] in _TASK_STARTERS
            and "context" not in inner.keywords
            and inner.arg_sources
            and helper.params[0] in inner.arg_sources[0]
        ):
            return (target.module, helper.qualname)
    return None


def _worker(project: Project, record: ModuleRecord, call: CallSite) -> tuple[str, Function] | None:
    """The project ``async def`` whose coroutine the task runs (its module, its facts), when
    it is a queue's worker: an endless loop that awaits the next item."""
    made = call.arg_results.get("0")
    if made is None:
        return None
    found: list[tuple[str, str]] = []
    if made.root == "self" and len(made.attrs) == 1:
        caller = project.function(record.name, call.function or "")
        owner = caller.class_name if caller is not None else None
        for module, class_facts, _ in project._hierarchy(record.name, owner) if owner else ():
            found.append((module, f"{class_facts.name}.{made.attrs[0]}"))
    else:
        target = project.resolve(record.name, made)
        if target is not None and target.kind == "function" and not target.rest:
            found.append((target.module, target.name))
    for module, qualname in found:
        worker = project.function(module, qualname)
        if worker is not None:
            return (module, worker) if worker.queue_worker else None
    return None


def _finding(
    project: Project,
    record: ModuleRecord,
    call: CallSite,
    span: Span,
    worker: tuple[str, Function],
    kept: dict[VariableKey, tuple[Related, Related]],
) -> Finding:
    worker_module, function = worker
    names = ", ".join(f"`{name}`" for _, name in sorted(kept))
    holds = "holds" if len(kept) == 1 else "hold"
    started = call.arg_results["0"].text()
    related = [where for pair in kept.values() for where in pair][:4]
    path = program_of(project).reach.request_paths.get((record.name, call.function or ""))
    related.extend(witness(project, RequestEvidence((), path)))
    worker_record = project.modules[worker_module]
    related.append(
        Related(
            worker_record.display_path,
            worker_record.located(function.span).line,
            f"`{function.name}` takes item after item off a queue for as long as it runs",
            "creation",
        )
    )
    return finding(
        "ISO506",
        record,
        span,
        f"`{call.callee.text()}({started}(...))` starts a queue's worker from a request; "
        f"the task keeps a copy of that request's context, so {names} {holds} "
        f"that request's value in `{function.name}` while it serves every later request",
        _FIX,
        Severity.ERROR,
        tuple(related),
        shared_object=started,
        data_kind="request context",
    )
