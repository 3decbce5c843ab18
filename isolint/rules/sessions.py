"""ISO3xx database sessions and connections that outlive a request.

ISO301: created at import time at module level. ISO302: kept on a class or a long-lived
object, or created lazily into a global. Engines, session factories and pools are fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.findings import Finding, Related, Severity
from isolint.project import Project
from isolint.rules.base import defined_here, finding
from isolint.rules.writes import classified_writes

_FIX = (
    "Keep the engine or `sessionmaker` at module level and open a session per request "
    "(`with SessionLocal() as session:` or a request-scoped dependency)."
)


def check(project: Project) -> Iterator[Finding]:
    for record in project.targets():
        for binding in [*record.facts.bindings.values(), *record.facts.rebindings]:
            if binding.kind == "call" and project.is_session_creation(
                record.name, binding.callee, binding.call_of_call
            ):
                yield finding(
                    "ISO301",
                    record,
                    binding.span,
                    f"`{binding.name}` is a database session created at import time; every "
                    "request and thread shares it, and a Session is not safe to share "
                    "between concurrent requests",
                    _FIX,
                    Severity.ERROR,
                )
        for class_facts in record.facts.classes.values():
            if class_facts.is_dsl:
                continue
            for binding in class_facts.attributes.values():
                if binding.kind == "call" and project.is_session_creation(
                    record.name, binding.callee, binding.call_of_call
                ):
                    yield finding(
                        "ISO302",
                        record,
                        binding.span,
                        f"`{class_facts.name}.{binding.name}` is a database session created "
                        "in a class body, once, and shared by every instance and request",
                        _FIX,
                        Severity.ERROR,
                    )
    for classified in classified_writes(project):
        if classified.code != "ISO302":
            continue
        related: tuple[Related, ...] = ()
        if classified.defined_module is not None and classified.defined_span is not None:
            related = (
                defined_here(
                    project,
                    classified.defined_module,
                    classified.defined_span,
                    f"the long-lived object ({classified.what}) is created here",
                ),
            )
        yield finding(
            "ISO302",
            classified.record,
            classified.site.span,
            f"a database session is stored on `{classified.subject}`, which outlives the "
            "request, so concurrent requests share one session",
            _FIX,
            Severity.ERROR,
            related,
        )
