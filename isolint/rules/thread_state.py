"""ISO505: a thread local or a ContextVar that a request sets under a condition and nothing clears.

A worker thread serves one request after another. What a request stores on a
``threading.local()`` stays on the thread when the request ends, so the thread's next
request reads it unless it stores its own first. A request that a condition turns away
(``if request.user.is_authenticated: _locals.user = request.user``) stores nothing, and its
code then reads the previous request's user. Thread locals used from ``async def`` code are
ISO501's (there every task shares the thread at once); this module owns the synchronous
case, where the sharing is between one request and the next.

A ``ContextVar`` set on such a thread behaves the same: a WSGI server or a task worker runs
each request in the thread's one context. Servers that run every request in a copy of the
context (ASGI frameworks, for their synchronous code too: the models'
``context-copying-modules``) drop what a request set when it ends, so a ContextVar whose
setter is reached from their handlers is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from isolint.analysis.facts import Access, Binding, CallSite, Span, WriteSite
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.program.readers import Reader
from isolint.project import ModuleRecord, Project
from isolint.rules.async_hazards import holds_only_resources, threading_locals_used_from_async
from isolint.rules.base import CONTAINER_OPERATIONS_PREFIX, finding, reader_notes
from isolint.rules.task_context import context_variable

_FIX = (
    "Clear it when the request ends (`try: ... finally: del _locals.user`), set it on every "
    "request (`_locals.user = user if allowed else None`), or keep it on the request."
)
_CONTEXT_VARIABLE_FIX = (
    "Reset it when the request ends (`token = current_user.set(user)`, then "
    "`current_user.reset(token)` in a `finally` or a teardown hook), or set it on every "
    "request (`current_user.set(user if allowed else None)`)."
)


@dataclass(frozen=True)
class _ConditionalStore:
    """Where a request stores into the field under an ``if``: the write itself, or the call
    of a setter (``if user: set_current_user(user)``)."""

    record: ModuleRecord
    span: Span
    function: str
    setter: str = ""


@dataclass
class _ThreadLocalField:
    """One field of a module-level thread local, or a module-level ContextVar (``attribute``
    empty): where requests set it under a condition, and whether anything clears it."""

    module: str
    name: str
    attribute: str
    binding: Binding | None
    conditional_stores: list[_ConditionalStore] = field(default_factory=list)
    cleared: bool = False
    # functions that only set or reset the ContextVar: naming it there reads nothing back
    setters: set[tuple[str, str]] = field(default_factory=set)

    @property
    def is_context_variable(self) -> bool:
        return not self.attribute

    @property
    def subject(self) -> str:
        return f"{self.name}.{self.attribute}" if self.attribute else self.name


def check(project: Project) -> Iterator[Finding]:
    fields = _fields_set_at_request_time(project)
    fields.update(_context_variables_set_at_request_time(project))
    if not fields:
        return
    in_async = threading_locals_used_from_async(project)
    readers = program_of(project).readers
    for entry in sorted(fields.values(), key=lambda f: (f.module, f.name, f.attribute)):
        if entry.cleared or not entry.conditional_stores:
            continue
        owner = project.modules[entry.module]
        if not owner.is_target:
            continue
        if not entry.is_context_variable and (
            (entry.module, entry.name) in in_async or holds_only_resources(owner, entry.name)
        ):
            continue
        for store in entry.conditional_stores:
            if not store.record.is_target:
                continue
            if entry.is_context_variable and _context_copied_per_request(project, store):
                continue
            read_back = [
                reader
                for reader in readers.of_global(entry.module, entry.name, store.function)
                if (reader.module, reader.function) != (store.record.name, store.function)
                and (reader.module, reader.function) not in entry.setters
            ]
            if not read_back:
                continue  # nothing reads it at request time but the request that set it
            yield _finding(project, entry, store, read_back)


def _finding(
    project: Project, entry: _ThreadLocalField, store: _ConditionalStore, read_back: list[Reader]
) -> Finding:
    owner = project.modules[entry.module]
    related = []
    if entry.binding is not None:
        kept = (
            "a `ContextVar`: a worker thread that serves one request after another runs them "
            "all in its one context"
            if entry.is_context_variable
            else "a `threading.local()`: each worker thread keeps its values from one "
            "request to the next"
        )
        related.append(
            Related(
                owner.display_path,
                owner.located(entry.binding.span).line,
                f"`{entry.name}` is {kept}",
                "creation",
            )
        )
    related.extend(reader_notes(project, read_back, entry.name, limit=3))
    subject = entry.subject
    how = f"through `{store.setter}` " if store.setter else ""
    never = "reset" if entry.is_context_variable else "cleared"
    return finding(
        "ISO505",
        store.record,
        store.span,
        f"`{subject}` is set {how}under a condition in `{store.function}` and never "
        f"{never}; the worker thread keeps it, so the thread's next request that the "
        "condition turns away reads the previous request's value",
        _CONTEXT_VARIABLE_FIX if entry.is_context_variable else _FIX,
        Severity.ERROR,
        tuple(related),
        shared_object=subject,
        entry_point=store.function,
        data_kind="request data",
    )


def _fields_set_at_request_time(project: Project) -> dict[tuple[str, str, str], _ThreadLocalField]:
    """Each thread-local field written anywhere, with the request-time synchronous stores of
    request data under an ``if``, and whether some write clears it (``None`` included)."""
    fields: dict[tuple[str, str, str], _ThreadLocalField] = {}
    for module, record in project.modules.items():
        for site in record.facts.writes:
            found = _thread_local_field(project, module, site)
            if found is None:
                continue
            (owner, name, attribute), binding = found
            entry = fields.setdefault(
                (owner, name, attribute), _ThreadLocalField(owner, name, attribute, binding)
            )
            if _clears(site):
                entry.cleared = True
            elif site.operation == "setattr":
                entry.conditional_stores.extend(_conditional_stores(project, record, site))
    # `_locals.__dict__.clear()` clears every field of that thread local
    for (owner, name, _), entry in fields.items():
        whole = fields.get((owner, name, "__dict__"))
        if whole is not None and whole.cleared:
            entry.cleared = True
    return fields


def _context_variables_set_at_request_time(
    project: Project,
) -> dict[tuple[str, str, str], _ThreadLocalField]:
    """Each module-level ContextVar that some function sets (``VAR.set(value)``), with the
    synchronous request-time calls that set it to request data under an ``if`` (directly or
    through a setter), and whether some call clears it (``VAR.reset(token)``,
    ``VAR.set(None)``)."""
    fields: dict[tuple[str, str, str], _ThreadLocalField] = {}
    for module, record in project.modules.items():
        for call in record.facts.calls:
            if call.at_import_time or call.callee.attrs not in (["set"], ["reset"]):
                continue  # most calls: a cheap test first
            variable = context_variable(project, module, call.callee)
            if variable is None:
                continue
            binding = project.modules[variable[0]].facts.bindings.get(variable[1])
            entry = fields.setdefault(
                (*variable, ""), _ThreadLocalField(variable[0], variable[1], "", binding)
            )
            entry.setters.add((module, call.function or ""))
            if call.callee.attrs == ["reset"] or _sets_none(call):
                entry.cleared = True
            else:
                entry.conditional_stores.extend(_conditional_sets(project, record, call))
    return fields


def _sets_none(call: CallSite) -> bool:
    return call.positional == 1 and call.args[:1] == [Access("None")]


def _conditional_sets(
    project: Project, record: ModuleRecord, call: CallSite
) -> Iterator[_ConditionalStore]:
    """``VAR.set(...)`` itself when a synchronous request-time function calls it under an
    ``if`` with what depends on who is asking; else, for a setter that sets its parameter,
    each such call of it made under an ``if``."""
    if call.function is None or call.span is None:
        return
    if call.conditional:
        if call.user_args and _runs_in_a_request_thread(project, record.name, call.function):
            yield _ConditionalStore(record, call.span, call.function)
        return
    setter = project.function(record.name, call.function)
    sources = call.arg_sources[0] if call.arg_sources else []
    if setter is None or not sources or not set(sources) <= set(setter.params):
        return
    yield from _conditional_setter_calls(project, (record.name, call.function), setter.name)


def _context_copied_per_request(project: Project, store: _ConditionalStore) -> bool:
    """The request that makes the store comes in through an ``async def`` entry point, or
    one of a framework that runs each request in a copy of the context (the models'
    ``context-copying-modules``: FastAPI runs a synchronous endpoint in a copy too): what
    the request sets is gone when it ends."""
    path = program_of(project).reach.request_paths.get((store.record.name, store.function))
    if path is None:
        return False
    entry = project.function(*path.entry)
    if entry is None or entry.is_async:
        return True
    copying = project.config.models.values("context-copying-modules")
    imports = project.modules[path.entry[0]].facts.imports.values()
    return any(ref.module.split(".")[0] in copying for ref in imports)


def _conditional_stores(
    project: Project, record: ModuleRecord, site: WriteSite
) -> Iterator[_ConditionalStore]:
    """The write itself when a synchronous request-time function makes it under an ``if``,
    of request data or of a value chosen by who is asking (``is_admin = True``); else, for a
    setter that stores its parameter, each such call of it made under an ``if`` with
    what depends on who is asking."""
    reach = program_of(project).reach
    if site.conditional:
        if _runs_in_a_request_thread(project, record.name, site.function) and (
            site.value_user or reach.stores_request_data(record.name, site)
        ):
            yield _ConditionalStore(record, site.span, site.function)
        return
    setter = project.function(record.name, site.function)
    if setter is None or not site.value_sources:
        return
    if not set(site.value_sources) <= set(setter.params):
        return
    yield from _conditional_setter_calls(project, (record.name, site.function), setter.name)


def _conditional_setter_calls(
    project: Project, setter: tuple[str, str], setter_name: str
) -> Iterator[_ConditionalStore]:
    """Each call of a setter made under an ``if`` by a synchronous request-time function,
    with what depends on who is asking (``if user: set_current_user(user)``)."""
    for edge in program_of(project).reach.callers.get(setter, ()):
        call = edge.call
        if edge.caller is None or call.span is None or not call.conditional:
            continue
        if not (call.user_args or call.user_keywords):
            continue
        if _runs_in_a_request_thread(project, *edge.caller):
            caller_record = project.modules[edge.module]
            yield _ConditionalStore(caller_record, call.span, edge.caller[1], setter_name)


def _runs_in_a_request_thread(project: Project, module: str, qualname: str) -> bool:
    function = project.function(module, qualname)
    if function is None or function.is_async:
        return False
    return (module, qualname) in program_of(project).reach.request_paths


def _clears(site: WriteSite) -> bool:
    """``del _locals.user``, ``_locals.user = None`` and ``_locals.__dict__.clear()``."""
    if site.operation == "delattr" or site.value_kind == "empty":
        return True
    return site.operation.startswith(CONTAINER_OPERATIONS_PREFIX) and site.target.attrs[-1:] == [
        "__dict__"
    ]


def _thread_local_field(
    project: Project, module: str, site: WriteSite
) -> tuple[tuple[str, str, str], Binding] | None:
    """The module-level thread local (its module and name) and the field a write targets
    (``_locals.user = ...`` here, or through an import of ``_locals``)."""
    target = site.target
    if site.self_class is not None or len(target.attrs) != 1:
        return None
    facts = project.modules[module].facts
    local = facts.bindings.get(target.root)
    if (local is None and target.root not in facts.imports) or (
        local is not None and local.kind != "threading_local"
    ):
        return None  # most writes: not a module-level name, or not a thread local's
    resolved = project.resolve(module, Access(target.root))
    if resolved is None or resolved.kind != "binding" or resolved.rest:
        return None
    binding = project.binding(resolved)
    if binding is None or binding.kind != "threading_local":
        return None
    return (resolved.module, resolved.name, target.attrs[0]), binding
