"""ISO1xx shared mutable state: module- and class-level objects written at request time.

ISO101 module container written, ISO102 ``global`` rebinding, ISO103 class-level container
written through ``self``/``cls``, ISO104 another module's attribute rebound (or a receiver
carrying request data connected to another package's process-wide signal), ISO105 mutable
argument default mutated or stored.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.analysis.facts import Access, CallSite, MutableDefault
from isolint.findings import Finding, Related, Severity
from isolint.models import method_matches
from isolint.program import program_of
from isolint.project import ModuleRecord, Project
from isolint.rules.base import data_kind, describe, finding, is_container_write, severity_for
from isolint.rules.writes import ClassifiedWrite, classified_writes

_FIXES = {
    "ISO101": "Keep per-request data in a local, a parameter or the request's context; "
    "if it must be shared, key it by user and guard it with a lock.",
    "ISO102": "Return the value or keep it in a ContextVar instead of rebinding a global.",
    "ISO103": "Create the container per instance in `__init__` (or with "
    "`field(default_factory=...)` in a dataclass).",
    "ISO104": "Pass the value explicitly or keep it in a ContextVar; do not rebind another "
    "module's globals at request time.",
    "ISO105": "Default to `None` and create a new container inside the function.",
}


def check(project: Project) -> Iterator[Finding]:
    for classified in classified_writes(project):
        if classified.code in _FIXES:
            yield _write_finding(project, classified)
    yield from _request_receivers(project)
    for record in project.targets():
        for default in record.facts.mutable_defaults:
            if not _default_is_shared(project, record.name, default):
                continue
            yield finding(
                "ISO105",
                record,
                default.span,
                f"`{default.parameter}` has a mutable default and `{default.function}` "
                f"{default.how}; the default is created once, at definition, and every call "
                "without that argument shares it",
                _FIXES["ISO105"],
                Severity.WARNING,
            )


def _a(phrase: str) -> str:
    """``a module-level dict``, ``an attribute of ...``: the phrase with its article."""
    return f"{'an' if phrase[:1].lower() in tuple('aeiou') else 'a'} {phrase}"


def _write_finding(project: Project, classified: ClassifiedWrite) -> Finding:
    site = classified.site
    severity, evidence = severity_for(classified, project)
    related = classified.definition(
        project, f"`{classified.subject}` is defined here and lives as long as the process"
    )
    message = {
        "ISO101": f"{describe(site)} writes `{classified.subject}`, {_a(classified.what)} shared "
        "by every request in this process",
        "ISO102": f"`global {classified.subject}` is rebound at request time; every request "
        + (
            "and user then gets what the first caller's request built"
            if site.lazy_init_guard
            else "and user sees the last value written"
        ),
        "ISO103": f"{describe(site)} writes `{classified.subject}`, {_a(classified.what)} shared "
        "by every instance and every request",
        "ISO104": (
            f"{describe(site)} writes `{classified.subject}` from a function"
            if is_container_write(site)
            else f"`{classified.subject}` is rebound from a function"
        )
        + f"; a {_process_wide(classified)} is process-wide, so the value leaks to every "
        "other request",
    }[classified.code]
    return finding(
        classified.code,
        classified.record,
        site.span,
        message + evidence + classified.read_back(project),
        classified.fix or _FIXES[classified.code],
        severity,
        related,
        shared_object=classified.subject,
        entry_point=classified.evidence.entry_point() if classified.evidence else "",
        data_kind=data_kind(classified),
    )


def _process_wide(classified: ClassifiedWrite) -> str:
    """What ISO104 rebinds: a module's attribute, or a class's of another package."""
    return classified.what if classified.what.startswith("class attribute") else "module attribute"


def _default_is_shared(project: Project, module: str, default: MutableDefault) -> bool:
    """Whether a call that omits the argument can reach the shared default.

    Not when every call in the project passes the argument (the default is never used), and
    not when the function keeps it on ``self`` but nothing ever mutates that attribute (a
    default that is only read stays the same for everyone).
    """
    if default.stored_as and default.class_name:
        if not _attribute_mutated(project, module, default.class_name, default.stored_as):
            return False
    callers = program_of(project).reach.callers.get((module, default.function), [])
    index = default.index - (1 if default.class_name else 0)
    return not callers or not all(e.passes(default.parameter, index) for e in callers)


def _attribute_mutated(project: Project, module: str, class_name: str, attribute: str) -> bool:
    record = project.modules[module]
    return any(
        site.self_class == class_name
        and site.target.attrs[:1] == [attribute]
        and (is_container_write(site) or len(site.target.attrs) > 1)
        for site in record.facts.writes
    )


_RECEIVER_FIX = (
    "Connect the receiver once, at startup, and have it read the current request from a "
    "ContextVar or thread local that each request sets and clears."
)


def _request_receivers(project: Project) -> Iterator[Finding]:
    """``post_save.connect(partial(log_change, request), dispatch_uid="log")`` at request
    time: a receiver carrying one request's data, added to a signal another package keeps
    for the process (the models' ``process-wide-signals``). Every request's saves run every
    connected receiver, with the data of the request that connected it; under a fixed
    ``dispatch_uid`` only the first request's receiver is kept at all."""
    signals = project.config.models.values("process-wide-signals")
    if not signals:
        return
    reach = program_of(project).reach
    for record in project.targets():
        for call in record.facts.calls:
            if call.at_import_time or call.callee.attrs[-1:] != ["connect"] or not call.function:
                continue  # most calls: a cheap test first
            signal = _process_wide_signal(project, record, call.callee, signals)
            if signal is None:
                continue
            carried = _receiver_request_data(reach.request_data_params, record, call)
            if not carried or (record.name, call.function) not in reach.request_paths:
                continue
            yield _receiver_finding(project, record, call, signal, carried)


def _process_wide_signal(
    project: Project, record: ModuleRecord, callee: Access, signals: frozenset[str]
) -> str | None:
    """The qualified name of the signal ``callee`` connects to, when a model says it is
    kept for the process: by its name (``django.db.models.signals.*``), or by its class
    for one the project builds at module level (``django.dispatch.Signal()``)."""
    receiver = Access(callee.root, callee.attrs[:-1])
    name = project.callee_name(record.name, receiver)
    if method_matches(name, signals):
        return name
    made = program_of(project).types.receiver_type(record.name, None, None, receiver)
    if made is not None and any(f"{kind}()" in signals for kind in made.names):
        return name
    return None


def _receiver_request_data(
    carrying: dict[tuple[str, str], frozenset[str]], record: ModuleRecord, call: CallSite
) -> list[str]:
    """The caller's request data the receiver handed to ``connect`` is computed from."""
    passed = call.arg_sources[0] if call.arg_sources else call.keyword_sources.get("receiver")
    params = carrying.get((record.name, call.function or ""), frozenset())
    return sorted(set(passed or ()) & params)


def _receiver_finding(
    project: Project, record: ModuleRecord, call: CallSite, signal: str, carried: list[str]
) -> Finding:
    assert call.span is not None and call.function is not None
    names = ", ".join(f"`{name}`" for name in carried)
    uid = "dispatch_uid" in call.keyword_sources
    message = (
        f"`{call.callee.text()}()` connects a receiver carrying request data ({names}) to "
        f"`{signal}`, a signal kept for the whole process: other requests' events run it with "
        "this request's data"
        + (
            ", and under its fixed `dispatch_uid` only the first request's receiver is kept"
            if uid
            else ""
        )
    )
    function = project.function(record.name, call.function)
    related: tuple[Related, ...] = ()
    if function is not None:
        line = record.located(function.span).line
        related = (
            Related(record.display_path, line, f"`{call.function}` runs at request time", "entry"),
        )
    return finding(
        "ISO104",
        record,
        call.span,
        message,
        _RECEIVER_FIX,
        Severity.WARNING,
        related,
        shared_object=signal,
        entry_point=call.function,
        data_kind="request data",
    )
