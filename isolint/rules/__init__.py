"""The rule families. Each module turns project facts into findings for one code range:

- ``shared_state``  ISO1xx  module- and class-level containers written at request time
- ``legacy_state``  ISO2xx  uses of the configured legacy shared-state class
- ``sessions``      ISO3xx  database sessions and connections that outlive a request
- ``registries``    ISO4xx  long-lived singletons, registries and caches holding request data
- ``async_hazards`` ISO5xx  thread locals in async code, ContextVar defaults, check-then-act
- ``catalog``       every code, name and summary (public API)

Rules read ``isolint.project.Project`` and never touch syntax trees or files.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.analysis.facts import Span
from isolint.findings import Finding, Severity
from isolint.project import Project
from isolint.rules import async_hazards, legacy_state, registries, sessions, shared_state
from isolint.rules.base import finding


def run_rules(project: Project) -> Iterator[Finding]:
    """Every finding of every family for the project's target modules (unfiltered)."""
    for family in (shared_state, legacy_state, sessions, registries, async_hazards):
        yield from family.check(project)
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
                "Fix the syntax or encoding error (isolint checks Python 3 source).",
                Severity.ERROR,
            )
