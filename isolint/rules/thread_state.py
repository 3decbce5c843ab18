"""ISO505: a thread local or a ContextVar that a request sets and nothing clears.

A worker thread serves one request after another. What a request stores on a
``threading.local()`` stays on the thread when the request ends, so the thread's next
request reads it unless it stores its own first. A request that a condition turns away
(``if request.user.is_authenticated: _locals.user = request.user``) stores nothing, and its
code then reads the previous request's user: an error. A value stored on every request
still stays after it, for whatever the thread runs before the next store (a hook that runs
earlier, a request that does not reach the store): a warning, when other code reads it back
or may (another module imports it). Thread locals used from ``async def`` code are ISO501's
(there every task shares the thread at once); this module owns the synchronous case, where
the sharing is between one request and the next.

A ``ContextVar`` set on such a thread behaves the same: a WSGI server or a task worker runs
each request in the thread's one context. Servers that run every request in a copy of the
context (ASGI frameworks, for their synchronous code too: the models'
``context-copying-modules``) drop what a request set when it ends, so a ContextVar whose
setter is reached from their handlers is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from isolint.analysis.facts import Access, Binding, CallSite, Function, Span, WriteSite
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.program.readers import Reader, Readers
from isolint.project import ModuleRecord, Project
from isolint.rules.async_hazards import holds_only_resources, threading_locals_used_from_async
from isolint.rules.base import CONTAINER_OPERATIONS_PREFIX, finding, reader_notes
from isolint.rules.task_context import context_variable

_FIX = (
    "Clear it when the request ends (`try: ... finally: del _locals.user`, or in a "
    "teardown hook), or keep it on the request."
)
_CONTEXT_VARIABLE_FIX = (
    "Reset it when the request ends (`token = current_user.set(user)`, then "
    "`current_user.reset(token)` in a `finally` or a teardown hook)."
)


@dataclass(frozen=True)
class _RequestStore:
    """Where a request stores request data into the field: the write itself, or the call of
    a setter (``if user: set_current_user(user)``), and whether an ``if`` guards it."""

    record: ModuleRecord
    span: Span
    function: str
    conditional: bool
    setter: str = ""


@dataclass
class _ThreadLocalField:
    """One field of a thread local (module-level, or ``Class.attribute`` for one kept in a
    class body), or a module-level ContextVar (``attribute`` empty): where requests set it,
    and whether anything clears it."""

    module: str
    name: str
    attribute: str
    binding: Binding | None
    stores: list[_RequestStore] = field(default_factory=list)
    cleared: bool = False
    # functions that only set or reset the ContextVar: naming it there reads nothing back
    setters: set[tuple[str, str]] = field(default_factory=set)

    @property
    def holder(self) -> str | None:
        """The class whose body keeps the thread local (``name`` is ``Class.attribute``)."""
        return self.name.rpartition(".")[0] or None

    @property
    def local(self) -> str:
        """The thread local's own name: the global, or the class attribute."""
        return self.name.rpartition(".")[2]

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
        if _may_keep_request_data(project, entry, in_async):
            yield from _field_findings(project, entry, readers)


def _may_keep_request_data(
    project: Project, entry: _ThreadLocalField, in_async: set[tuple[str, str]]
) -> bool:
    """Requests store into the field, nothing clears it, it is the project's, and it is not
    ISO501's (used from ``async def`` code) nor a thread's own plumbing."""
    owner = project.modules[entry.module]
    if entry.cleared or not entry.stores or not owner.is_target:
        return False
    if entry.is_context_variable:
        return True
    in_use = (entry.module, entry.name) in in_async
    return not in_use and not holds_only_resources(owner, entry.name)


def _field_findings(
    project: Project, entry: _ThreadLocalField, readers: Readers
) -> Iterator[Finding]:
    """An error for each store under an ``if`` that other request-time code reads back: a
    request the condition turns away reads the previous one's value. Else, for a
    module-level or class-body thread local, a warning for each store that outlives a
    request a framework serves, when other code reads it back or may (another module
    imports it); one an object makes for itself in ``__init__`` is usually set and read by
    the same object's methods in one request."""
    reported = False
    for store in entry.stores:
        if not store.conditional or not _request_thread_keeps(project, entry, store):
            continue
        read_back = _read_back(entry, store, readers)
        if read_back:
            reported = True
            yield _finding(project, entry, store, read_back, Severity.ERROR)
    if reported or _kept_per_instance(project, entry):
        return  # an object's own thread local: only the condition shows another's value read
    published = _imported_elsewhere(project, entry)
    for store in entry.stores:
        if not _request_thread_keeps(project, entry, store):
            continue
        if not _comes_in_through_a_framework(project, store):
            continue
        read_back = _read_back(entry, store, readers)
        if read_back or published:
            yield _finding(project, entry, store, read_back, Severity.WARNING)


def _read_back(entry: _ThreadLocalField, store: _RequestStore, readers: Readers) -> list[Reader]:
    """The request-time functions that read the field back, other than the one that set
    it (and the ContextVar's other setters and resetters). A thread local's field set under
    a condition counts its own function too when that reads the field: a request the
    condition turns away (``if not hasattr(_local, "user_id")`` on the thread's second
    request) reads the value the previous one left."""
    writer = (store.record.name, store.function)
    found = []
    for reader in _readers_of(entry, store, readers):
        key = (reader.module, reader.function)
        if _reads_its_own_store(entry, store) if key == writer else key not in entry.setters:
            found.append(reader)
    return found


def _kept_per_instance(project: Project, entry: _ThreadLocalField) -> bool:
    """The thread local is one an object makes for itself (``self._local =
    threading.local()`` in ``__init__``), not one in a class body."""
    if entry.holder is None:
        return False
    class_facts = project.modules[entry.module].facts.classes.get(entry.holder)
    return class_facts is None or entry.local in class_facts.init_attributes


def _readers_of(entry: _ThreadLocalField, store: _RequestStore, readers: Readers) -> list[Reader]:
    """Request-time functions that load the thread local: the module-level name, or for one
    kept in a class body, the class's attribute (``HistoryLog.thread``, ``self.thread``)."""
    if entry.holder is None:
        return readers.of_global(entry.module, entry.name, store.function)
    found = readers.of_object_attribute(entry.module, entry.holder, entry.local)
    named = {(reader.module, reader.function) for reader in found}
    through_self = readers.of_attribute(
        entry.module, [(entry.module, entry.holder)], entry.local, store.function
    )
    return found + [r for r in through_self if (r.module, r.function) not in named]


def _reads_its_own_store(entry: _ThreadLocalField, store: _RequestStore) -> bool:
    """The function that sets the thread local's field under a condition reads the field
    itself (not only the thread local, to set it)."""
    if not store.conditional or entry.is_context_variable:
        return False
    return store.function in store.record.facts.attribute_reads.get(entry.attribute, ())


def _request_thread_keeps(project: Project, entry: _ThreadLocalField, store: _RequestStore) -> bool:
    """The store is in the project checked, and the value stays when the request ends: on a
    ContextVar, unless the framework runs each request in a copy of the context."""
    if not store.record.is_target:
        return False
    return not (entry.is_context_variable and _context_copied_per_request(project, store))


def _imported_elsewhere(project: Project, entry: _ThreadLocalField) -> bool:
    """Another module imports the thread local or ContextVar (``from django_globals import
    globals``): it is published for code to read, which may be the service's, outside this
    tree."""
    return any(
        ref.module == entry.module and ref.name == (entry.holder or entry.name)
        for module, record in project.modules.items()
        if module != entry.module
        for ref in record.facts.imports.values()
    )


def _comes_in_through_a_framework(project: Project, store: _RequestStore) -> bool:
    """The store runs for requests a modelled framework serves (a view, a middleware's hook,
    a task), not in a helper judged request-time by the data it takes: a store made on
    every request leaks only where the server reuses the thread, which the framework says."""
    path = program_of(project).reach.request_paths.get((store.record.name, store.function))
    return path is not None and path.entry in program_of(project).entry_points.entries


def _finding(
    project: Project,
    entry: _ThreadLocalField,
    store: _RequestStore,
    read_back: list[Reader],
    severity: Severity,
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
    if store.conditional:
        message = (
            f"`{subject}` is set {how}under a condition in `{store.function}` and never "
            f"{never}; the worker thread keeps it, so the thread's next request that the "
            "condition turns away reads the previous request's value"
        )
    else:
        message = (
            f"`{subject}` is set {how}in `{store.function}` and never {never}; the worker "
            "thread keeps the request's value when the request ends, so whatever the thread "
            "runs before the next store reads it (a request that does not reach the store, "
            "a hook that runs before it, a task on a pooled thread)"
        )
    return finding(
        "ISO505",
        store.record,
        store.span,
        message,
        _CONTEXT_VARIABLE_FIX if entry.is_context_variable else _FIX,
        severity,
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
                entry.stores.extend(_request_stores(project, record, site))
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
                entry.stores.extend(_request_sets(project, record, call))
    return fields


def _sets_none(call: CallSite) -> bool:
    return call.positional == 1 and call.args[:1] == [Access("None")]


def _request_sets(
    project: Project, record: ModuleRecord, call: CallSite
) -> Iterator[_RequestStore]:
    """``VAR.set(...)`` itself when a synchronous request-time function calls it with what
    depends on who is asking; for a setter that sets its parameter (and does not test
    anything first), each request-time call of it with such a value instead."""
    if call.function is None or call.span is None:
        return
    setter = _setter(project, record.name, call.function)
    sources = call.arg_sources[0] if call.arg_sources else []
    if not call.conditional and setter is not None and sources:
        if set(sources) <= set(setter.params):
            yield from _setter_calls(project, (record.name, call.function), setter.name)
            return
    if call.user_args and _runs_in_a_request_thread(project, record.name, call.function):
        yield _RequestStore(record, call.span, call.function, call.conditional)


def _context_copied_per_request(project: Project, store: _RequestStore) -> bool:
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


def _request_stores(
    project: Project, record: ModuleRecord, site: WriteSite
) -> Iterator[_RequestStore]:
    """The write itself when a synchronous request-time function makes it, of request data
    or of a value chosen by who is asking (``is_admin = True``); for a setter that stores
    its parameter (and does not test anything first), each request-time call of it with
    what depends on who is asking instead."""
    if site.function is None:
        return
    setter = _setter(project, record.name, site.function)
    if not site.conditional and setter is not None and site.value_sources:
        if set(site.value_sources) <= set(setter.params):
            yield from _setter_calls(project, (record.name, site.function), setter.name)
            return
    if _runs_in_a_request_thread(project, record.name, site.function) and (
        site.value_user or program_of(project).reach.stores_request_data(record.name, site)
    ):
        yield _RequestStore(record, site.span, site.function, site.conditional)


def _setter(project: Project, module: str, qualname: str) -> Function | None:
    """The function, unless a framework calls it (a middleware's ``process_request``): its
    callers are the ones whose stores count, and an entry point's are the framework's."""
    if (module, qualname) in program_of(project).entry_points.entries:
        return None
    return project.function(module, qualname)


def _setter_calls(
    project: Project, setter: tuple[str, str], setter_name: str
) -> Iterator[_RequestStore]:
    """Each call of a setter made by a synchronous request-time function with what depends
    on who is asking (``if user: set_current_user(user)``), and whether an ``if`` guards it."""
    for edge in program_of(project).reach.callers.get(setter, ()):
        call = edge.call
        if edge.caller is None or call.span is None:
            continue
        if not (call.user_args or call.user_keywords):
            continue
        if _runs_in_a_request_thread(project, *edge.caller):
            caller_record = project.modules[edge.module]
            yield _RequestStore(
                caller_record, call.span, edge.caller[1], call.conditional, setter_name
            )


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
    """The thread local (its module and name) and the field a write targets: a module-level
    one (``_locals.user = ...`` here, or through an import of ``_locals``), or one kept in a
    class body (``HistoryLog.thread.request = ...``, ``self._local.user = ...``: named
    ``Class.attribute``)."""
    target = site.target
    if len(target.attrs) == 2:
        return _class_thread_local_field(project, module, site)
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


def _class_thread_local_field(
    project: Project, module: str, site: WriteSite
) -> tuple[tuple[str, str, str], Binding] | None:
    """``Service.thread.request = request`` or ``self.thread.request = request``, where the
    class (or a base) sets ``thread = threading.local()`` in its body: one thread local for
    the class and every instance, as shared as a module-level one."""
    target = site.target
    if site.self_class is not None:
        owner: tuple[str, str] | None = (module, site.self_class)
    else:
        facts = project.modules[module].facts
        if target.root not in facts.classes and target.root not in facts.imports:
            return None  # most writes: `obj.a.b = ...` on a local or a parameter
        resolved = project.resolve(module, Access(target.root))
        owner = None
        if resolved is not None and resolved.kind == "class" and not resolved.rest:
            owner = (resolved.module, resolved.name)
    if owner is None:
        return None
    attribute, field_name = target.attrs
    for defining_module, class_facts, _ in project._hierarchy(*owner):
        binding = class_facts.attributes.get(attribute)
        if binding is not None:
            if binding.kind != "threading_local":
                return None
            return (defining_module, f"{class_facts.name}.{attribute}", field_name), binding
    return None
