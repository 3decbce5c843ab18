"""The rule families. Each module turns project facts into findings for one code range:

- ``shared_state``  ISO1xx  module- and class-level containers written at request time
- ``legacy_state``  ISO2xx  uses of the configured legacy shared-state class
- ``sessions``      ISO3xx  database sessions and connections that outlive a request
- ``registries``    ISO4xx  long-lived singletons, registries and caches holding request data
- ``per_request_objects`` ISO404  objects meant for one request (dataloaders, chat memories)
  created once for the process
- ``async_hazards`` ISO5xx  thread locals in async code, ContextVar defaults, check-then-act
- ``thread_state``  ISO505  a thread local one request sets and the thread's next one reads
- ``task_context``  ISO506  a worker task started by a request keeps that request's context
- ``catalog``       every code, name and summary (public API)

Rules read ``isolint.project.Project`` and never touch syntax trees or files.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.analysis.facts import Span
from isolint.findings import Finding, Severity
from isolint.project import Project
from isolint.rules import (
    async_hazards,
    legacy_state,
    per_request_objects,
    registries,
    sessions,
    shared_state,
    task_context,
    thread_state,
)
from isolint.rules.base import finding


def run_rules(project: Project, failures: list[str] | None = None) -> Iterator[Finding]:
    """Every finding of every family for the project's target modules (unfiltered).

    A family that fails (a bug in isolint) costs only its own findings: the failure is
    described in ``failures`` and the other families still run.
    """
    families = (shared_state, legacy_state, sessions, registries, per_request_objects)
    for family in (*families, async_hazards, thread_state, task_context):
        try:
            found = list(family.check(project))
        except Exception as error:
            if failures is None:
                raise
            name = family.__name__.rsplit(".", 1)[-1]
            failures.append(
                f"internal error in the `{name}` rules ({type(error).__name__}: {error}); "
                "their findings are missing from this run (please report this)"
            )
            continue
        yield from found
    yield from unparsable_files(project)


def unparsable_files(project: Project) -> Iterator[Finding]:
    """ISO900: one finding per file that could not be read or parsed."""
    for record in project.targets():
        if record.facts.error is not None:
            span = record.facts.error_span or Span(1, 1, 1, 1)
            yield finding(
                "ISO900",
                record,
                span,
                f"{record.display_path}: {record.facts.error}; the file was not checked",
                _advice(record.facts.error),
                Severity.ERROR,
            )


# Words of the errors of files that are too deep, too large or too slow for the parsers
# rather than wrong: the parser crashed, ran out of time, or hit one of Python's limits.
_TOO_COMPLEX = (
    "crashed",
    "ended unexpectedly",
    "took longer than",
    "too deeply",
    "too complex",
    "too many nested",
    "too many levels",
)


def _advice(error: str) -> str:
    if any(words in error for words in _TOO_COMPLEX):
        return (
            "Simplify or split the file (generated code is the usual cause), give it more "
            "time with `file-timeout` if it only ran out of time, or exclude it."
        )
    return "Fix the syntax or encoding error (isolint checks Python 3 source)."
