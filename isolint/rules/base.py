"""What every rule family shares: building a Finding from facts, and classifying writes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from isolint.analysis.facts import Span, WriteSite, public_name
from isolint.findings import Finding, Related, Severity
from isolint.project import ModuleRecord, Project
from isolint.rules.catalog import rule_for

if TYPE_CHECKING:
    from isolint.program.readers import Reader
    from isolint.rules.evidence import RequestEvidence

CONTAINER_OPERATIONS_PREFIX = "call:"
STORE_OPERATIONS_PREFIX = "store:"
QUEUE_OPERATIONS_PREFIX = "queue:"
MEMORY_OPERATIONS_PREFIX = "memory:"
# Writes made by calling a method (``call:append``, ``queue:put``): described by the method.
_METHOD_OPERATION_PREFIXES = (
    CONTAINER_OPERATIONS_PREFIX,
    STORE_OPERATIONS_PREFIX,
    QUEUE_OPERATIONS_PREFIX,
    MEMORY_OPERATIONS_PREFIX,
)


class ClassifiedWriteLike(Protocol):
    """What the family modules need of a classified write (see ``rules.writes``)."""

    @property
    def site(self) -> WriteSite: ...

    @property
    def evidence(self) -> RequestEvidence | None: ...

    def is_read_back(self, project: Project) -> bool: ...


def finding(
    code: str,
    record: ModuleRecord,
    span: Span,
    message: str,
    advice: str,
    severity: Severity = Severity.WARNING,
    related: tuple[Related, ...] = (),
    *,
    shared_object: str = "",
    entry_point: str = "",
    data_kind: str = "",
) -> Finding:
    span = record.located(span)
    # the keys of a redefined function or class (see ``redefinition_key``) read as its name
    related = tuple(dataclasses.replace(r, message=public_name(r.message)) for r in related)
    return Finding(
        code=code,
        name=rule_for(code).name,
        severity=severity,
        path=record.display_path,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        message=public_name(message),
        advice=public_name(advice),
        related=related,
        shared_object=public_name(shared_object),
        entry_point=public_name(entry_point),
        data_kind=data_kind,
    )


# Stores into an item of a subscripted object: ``x[k] = v``, ``x[k] += v``, ``del x[k]``.
ITEM_OPERATIONS = frozenset({"setitem", "augitem", "delitem"})


def is_container_write(site: WriteSite) -> bool:
    """Writes into an object's contents (as opposed to rebinding a name or an attribute)."""
    return site.operation in ITEM_OPERATIONS or site.operation.startswith(
        CONTAINER_OPERATIONS_PREFIX
    )


def keyed_code(site: WriteSite, default: str, request_data: bool) -> str | None:
    """The code for a container write by its keys: None when the store is per user.

    ``default`` applies to unkeyed or constant-keyed writes; a write keyed by anything else
    (a path, a run id) is a registry or cache write (ISO402), and a keyed write that follows
    a check and an ``await`` is a check-then-act race (ISO503).
    """
    keys = [*site.target.keys, site.key]
    if any(key.kind == "user" for key in keys):
        return None
    keyed = any(key.kind == "dynamic" for key in keys)
    if site.operation in REMOVALS:
        # Removing an entry is cleanup; emptying a shared container wipes every request's
        # data.
        if site.operation in ("call:remove", "call:discard"):
            return None  # taking one's own element out again
        return None if keyed else default
    if site.after_await_check:
        return "ISO503"
    if not request_data or site.value_kind:
        return None  # a counter, a timing, a flag, a lock or a future: no request data
    if keyed and site.value_owner:
        # who owns a resource (`guild_tenants[guild_id] = tenant_id`): one answer for all
        return None
    if keyed:
        # A memo cache (the value computed only from the key's inputs) holds the same value
        # for every user: not a cross-user leak.
        return None if site.memoized else "ISO402"
    return default


# Writes that take entries out (cleanup), rather than put data in.
REMOVALS = frozenset(
    {
        "delitem",
        "call:pop",
        "call:popitem",
        "call:popleft",
        "call:remove",
        "call:discard",
        "call:clear",
        "call:__delitem__",
    }
)


def severity_for(classified: ClassifiedWriteLike, project: Project) -> tuple[Severity, str]:
    """Error when request-time code (or the library keeping the state) reads the stored value
    back (the leak is complete: one request writes, another reads), warning when no reader
    is found; and the message's clause saying why the write runs at request time."""
    evidence = classified.evidence
    phrase = evidence.phrase() if evidence is not None else ""
    read_back = evidence is not None and classified.is_read_back(project)
    return (Severity.ERROR if read_back else Severity.WARNING), phrase


def describe(site: WriteSite) -> str:
    operation = site.operation
    if site.augmented and operation in _IN_PLACE:
        return f"`{_IN_PLACE[operation]}` through a local alias"  # `allowed += ADMIN_FIELDS`
    for prefix in _METHOD_OPERATION_PREFIXES:
        if operation.startswith(prefix):
            return f"`.{operation.removeprefix(prefix)}()`"
    return {
        "setitem": "item assignment",
        "delitem": "`del`",
        "augitem": "augmented assignment",
        "setattr": "attribute assignment",
        "delattr": "`del`",
        "augattr": "augmented assignment",
        "rebind": "rebinding",
    }.get(operation, operation)


# In-place operators on a local that names a shared list or set (the pass's writes).
_IN_PLACE = {"call:extend": "+=", "call:update": "|="}


def data_kind(classified: ClassifiedWriteLike) -> str:
    """What kind of data a write stores, for the structured fields of its finding."""
    site = classified.site
    if site.operation in REMOVALS:
        return "removal"
    if site.value_kind:
        return site.value_kind
    return "request data"


def reader_notes(
    project: Project, readers: Sequence[Reader], subject: str, limit: int = 2
) -> tuple[Related, ...]:
    """The first ``limit`` request-time readers of ``subject`` as notes of a finding."""
    found: list[Related] = []
    for reader in readers[:limit]:
        record = project.modules[reader.module]
        line = record.located(reader.span).line if reader.span is not None else 0
        message = f"`{reader.function}` reads `{subject}` back at request time"
        found.append(Related(record.display_path, line, message, "reader"))
    return tuple(found)
