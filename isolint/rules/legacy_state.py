"""ISO2xx legacy shared-state class: every use of a configured class such as DeepAgentState.

The pass records each reference with its context (import, annotation, construction, base
class, other); this family turns them into ISO201-ISO205.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.findings import Finding, Severity
from isolint.project import Project
from isolint.rules.base import finding

_CODES = {
    "import": "ISO201",
    "annotation": "ISO202",
    "instantiation": "ISO203",
    "subclass": "ISO204",
    "reference": "ISO205",
    "mutation": "ISO205",
}
_WHAT = {
    "import": "is imported",
    "annotation": "is used as an annotation",
    "instantiation": "is constructed",
    "subclass": "is subclassed",
    "reference": "is referenced",
    "mutation": "is written through a parameter (the caller's shared object is mutated)",
}


def check(project: Project) -> Iterator[Finding]:
    context_class = project.config.context_class
    for record in project.targets():
        for use in record.facts.legacy_uses:
            code = _CODES[use.context]
            yield finding(
                code,
                record,
                use.span,
                f"`{use.name}` {_WHAT[use.context]}: it is a legacy shared-state class that "
                "carries one request's user data into code that serves others",
                f"Pass an immutable `{context_class}` created per request instead "
                "(`isolint fix --codemod migrate-context` migrates it).",
                Severity.WARNING if use.context == "import" else Severity.ERROR,
            )
