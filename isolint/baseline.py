"""The findings baseline: recording today's findings by fingerprint, and hiding them later.

``isolint check --write-baseline FILE`` writes one entry per finding; ``--baseline FILE`` (or
``baseline = "..."`` in ``[tool.isolint]``) hides every finding that matches an entry. A
fingerprint is the code, the path relative to the project root, the flagged line's text with
whitespace and isolint comments normalised away, and the shared symbol the message names,
never a line number: inserting lines above a finding or moving its function keeps it hidden,
while a new finding (or an edited line) is reported. Matching is by multiset: two identical
lines with the same finding need two entries. Entries that match nothing are counted so the
CLI can say the file needs rewriting. This module owns the file format and the matching.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isolint.findings import Finding
from isolint.fix.writer import write_atomically

FORMAT_VERSION = 1
_ISOLINT_COMMENT = re.compile(r"#\s*isolint:.*$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Python numbers lines
# The first backquoted name in a message is the shared object (`CACHE`, `Manager.active`,
# `CACHE[path]`, `global _last`); operations such as `.append()` are not names.
_SYMBOL = re.compile(r"`(?:global )?([A-Za-z_][\w.]*)(?:\[[^`]*\])?`")


class BaselineError(Exception):
    """The baseline file cannot be read or is not an isolint baseline."""


@dataclass(frozen=True, order=True)
class Fingerprint:
    code: str
    path: str
    text: str
    symbol: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "symbol": self.symbol, "text": self.text}


@dataclass
class Filtered:
    """The findings a baseline does not hide, how many it hid, and its unmatched entries."""

    findings: list[Finding]
    hidden: int
    stale: list[Fingerprint]


def normalise(line: str) -> str:
    """The line without indentation, runs of whitespace or isolint comments."""
    return " ".join(_ISOLINT_COMMENT.sub("", line).split())


def symbol_of(finding: Finding) -> str:
    match = _SYMBOL.search(finding.message)
    return match.group(1) if match else ""


class LineReader:
    """The text of a finding's line, each file read once (an unreadable file gives "").

    ``texts`` maps a finding path to source that is not on disk (read from stdin).
    """

    def __init__(self, cwd: Path, texts: Mapping[str, str] | None = None) -> None:
        self.cwd = cwd
        self._lines: dict[str, list[str]] = {
            path: _LINE_BREAK.split(text) for path, text in (texts or {}).items()
        }

    def __call__(self, finding: Finding) -> str:
        lines = self._lines.get(finding.path)
        if lines is None:
            try:
                data = (self.cwd / finding.path).read_bytes()
                text = data.decode("utf-8-sig", errors="replace")
            except OSError:
                text = ""
            lines = self._lines[finding.path] = _LINE_BREAK.split(text)
        return lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""


def relative_path(path: str, root: Path, cwd: Path) -> str:
    """A finding's path relative to the project root, with forward slashes."""
    absolute = os.path.abspath(cwd / path)
    try:
        return Path(absolute).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return Path(absolute).as_posix()


def fingerprints(
    findings: Iterable[Finding], root: Path, cwd: Path, line_text: Callable[[Finding], str]
) -> list[Fingerprint]:
    return [
        Fingerprint(
            finding.code,
            relative_path(finding.path, root, cwd),
            normalise(line_text(finding)),
            symbol_of(finding),
        )
        for finding in findings
    ]


def write_baseline(file: Path, entries: Sequence[Fingerprint]) -> None:
    """Write the entries (sorted, duplicates kept) atomically."""
    document = {
        "isolint-baseline": FORMAT_VERSION,
        "entries": [entry.to_json() for entry in sorted(entries)],
    }
    payload = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(file.absolute(), payload.encode("utf-8"))


def read_baseline(file: Path) -> list[Fingerprint]:
    try:
        document: Any = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BaselineError(
            f"{file}: no such baseline file (create it with --write-baseline)"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{file}: cannot read the baseline: {error}") from error
    except json.JSONDecodeError as error:
        raise BaselineError(f"{file}: the baseline is not valid JSON: {error}") from error
    if not isinstance(document, dict) or document.get("isolint-baseline") != FORMAT_VERSION:
        raise BaselineError(
            f"{file}: not an isolint baseline (expected version {FORMAT_VERSION}); "
            "rewrite it with --write-baseline"
        )
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"{file}: `entries` must be a list")
    found: list[Fingerprint] = []
    for index, entry in enumerate(entries):
        keys = ("code", "path", "text", "symbol")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
            raise BaselineError(
                f"{file}: entry {index} must be an object with string {', '.join(keys)}"
            )
        found.append(Fingerprint(*(entry[k] for k in keys)))
    return found


def apply_baseline(
    findings: Sequence[Finding],
    entries: Sequence[Fingerprint],
    root: Path,
    cwd: Path,
    line_text: Callable[[Finding], str],
    in_scope: Callable[[Fingerprint], bool] = lambda entry: True,
) -> Filtered:
    """Hide the findings the baseline lists, each entry hiding at most one finding.

    ``in_scope`` says which entries this run could have matched (the checked files, the
    selected rules); only those are reported as stale when nothing matches them.
    """
    remaining = Counter(entries)
    kept: list[Finding] = []
    hidden = 0
    for finding, key in zip(findings, fingerprints(findings, root, cwd, line_text), strict=True):
        if remaining[key] > 0:
            remaining[key] -= 1
            hidden += 1
        else:
            kept.append(finding)
    stale = sorted(entry for entry in remaining.elements() if in_scope(entry))
    return Filtered(kept, hidden, stale)
