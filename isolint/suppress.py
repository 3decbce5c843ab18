"""Inline suppression comments and per-file ignores: which findings the user has silenced,
and which suppressions silence nothing (ISO901).

``# isolint: ignore[ISO101] -- reason`` silences those codes on its line, ``# isolint:
ignore`` every code on its line, ``# isolint: skip-file`` the whole file (read by the pass).
``# isolint: fixme[ISO101] -- reason`` marks known debt: hidden unless ``--show-fixme``, and
never failing the run. A comment on the first or the last line of a multi-line statement
counts. ISO901 findings are silenced only by a suppression naming ``ISO901`` itself.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from isolint.analysis.facts import Suppression
from isolint.config import Config
from isolint.findings import Finding, Severity
from isolint.rules.catalog import rule_for

UNUSED_SUPPRESSION = "ISO901"


def suppressions_of(finding: Finding, suppressions: Iterable[Suppression]) -> list[Suppression]:
    """The suppressions (ignore or fixme) that silence ``finding``."""
    lines = {finding.line, finding.end_line}
    return [
        suppression
        for suppression in suppressions
        if suppression.line in lines and _covers(suppression, finding.code)
    ]


def _covers(suppression: Suppression, code: str) -> bool:
    if code == UNUSED_SUPPRESSION:  # only by name: a bare ignore must not hide its own ISO901
        return UNUSED_SUPPRESSION in suppression.codes
    return not suppression.codes or any(code.startswith(c) for c in suppression.codes)


def unused_suppressions(
    path: str, suppressions: Iterable[Suppression], findings: Iterable[Finding]
) -> list[Finding]:
    """ISO901 for each suppression (or code in one) that matches none of ``findings``.

    ``findings`` are the file's findings before rule selection and per-file ignores, so a
    suppression for a rule that is merely not selected in this run is not reported.
    """
    findings = [f for f in findings if f.code != UNUSED_SUPPRESSION]
    unused: list[Finding] = []
    for suppression in suppressions:
        lines = {suppression.line}
        here = [f.code for f in findings if lines & {f.line, f.end_line}]
        directive = _directive_text(suppression)
        if not suppression.codes:
            if not here:
                unused.append(_unused(path, suppression, f"`{directive}` suppresses nothing"))
            continue
        codes = [c for c in suppression.codes if c != UNUSED_SUPPRESSION]
        idle = [c for c in codes if not any(code.startswith(c) for code in here)]
        if not idle:
            continue
        if len(idle) == len(codes):
            message = f"`{directive}` suppresses nothing: no {', '.join(idle)} finding here"
        else:
            listed = ", ".join(f"`{code}`" for code in idle)
            message = f"{listed} in `{directive}` suppresses nothing: no such finding here"
        unused.append(_unused(path, suppression, message))
    return unused


def _directive_text(suppression: Suppression) -> str:
    codes = f"[{', '.join(suppression.codes)}]" if suppression.codes else ""
    return f"# isolint: {suppression.kind}{codes}"


def _unused(path: str, suppression: Suppression, message: str) -> Finding:
    return Finding(
        code=UNUSED_SUPPRESSION,
        name=rule_for(UNUSED_SUPPRESSION).name,
        severity=Severity.WARNING,
        path=path,
        line=suppression.line,
        column=suppression.column,
        end_line=suppression.line,
        end_column=suppression.end_column,
        message=message,
        advice="Remove the suppression, or the codes in it that match nothing (the finding it "
        "was written for is gone); a stale suppression would silence a future finding.",
    )


def ignored_by_path(finding: Finding, relative_path: str, config: Config) -> bool:
    """``per-file-ignores``: globs matched against the path relative to the project root."""
    for pattern, codes in config.per_file_ignores:
        if _path_matches(relative_path, pattern) and any(
            finding.code.startswith(code) for code in codes
        ):
            return True
    return False


def _path_matches(path: str, pattern: str) -> bool:
    if fnmatch.fnmatch(path, pattern):
        return True
    name = path.rsplit("/", 1)[-1]
    return "/" not in pattern and fnmatch.fnmatch(name, pattern)
