"""Inline suppression comments and per-file ignores: which findings the user has silenced.

``# isolint: ignore[ISO101] -- reason`` silences those codes on its line, ``# isolint:
ignore`` every code on its line, ``# isolint: skip-file`` the whole file (read by the pass).
A comment on the first or the last line of a multi-line statement counts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from isolint.analysis.facts import Suppression
from isolint.config import Config
from isolint.findings import Finding


def is_suppressed(finding: Finding, suppressions: Iterable[Suppression]) -> bool:
    lines = {finding.line, finding.end_line}
    for suppression in suppressions:
        if suppression.line not in lines:
            continue
        if not suppression.codes or any(finding.code.startswith(c) for c in suppression.codes):
            return True
    return False


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
