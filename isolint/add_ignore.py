"""``isolint check --add-ignore[=REASON]``: suppressing every current finding in place.

Each flagged line gets ``# isolint: ignore[CODES] -- REASON`` appended, or its codes merged
into an ``ignore[...]`` directive already on that line, so a second run changes nothing. A
finding of a multi-line statement is suppressed on its own (first) line; when that line ends
inside a string or a backslash continuation, on the statement's last line. Every edited file
is parsed again with libcst before it is written (a file that would not parse is left as it
was and reported) and written atomically, keeping its encoding and line endings.
"""

from __future__ import annotations

import contextlib
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from isolint.analysis.facts import Suppression
from isolint.analysis.module_pass import read_suppressions
from isolint.config import DEFAULT_FILE_TIMEOUT
from isolint.findings import Finding
from isolint.fix.edits import split_lines
from isolint.fix.writer import SourceFile, WriteRefused, write_rewrite


@dataclass
class AddIgnoreReport:
    """How many findings were suppressed, in how many files, and what could not be done."""

    suppressed: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


def add_ignores(
    findings: Sequence[Finding],
    reason: str,
    cwd: Path,
    *,
    budget: float = DEFAULT_FILE_TIMEOUT,
) -> AddIgnoreReport:
    """Suppress ``findings`` in their files; ``budget`` bounds the parse that checks each
    rewritten file (see ``isolint.fix.writer``)."""
    report = AddIgnoreReport()
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)
    for path, found in sorted(by_file.items()):
        _add_to_file(cwd / path, path, found, " ".join(reason.split()), report, budget)
    return report


def _add_to_file(
    file: Path,
    shown: str,
    findings: list[Finding],
    reason: str,
    report: AddIgnoreReport,
    budget: float,
) -> None:
    try:
        original = SourceFile.read(file)
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as error:
        report.problems.append(f"{shown}: cannot read ({error}); left unchanged")
        return
    text = original.text
    lines = split_lines(text)
    safe = _lines_taking_a_comment(text)
    codes: dict[int, set[str]] = {}
    suppressed = 0
    for finding in findings:
        line = next((n for n in (finding.line, finding.end_line) if n in safe), None)
        if line is None or line > len(lines):
            report.problems.append(
                f"{shown}:{finding.line}: no line of the statement can take a comment "
                f"(it ends inside a string or a continuation); {finding.code} not suppressed"
            )
            continue
        codes.setdefault(line, set()).add(finding.code)
        suppressed += 1
    suppressions, _ = read_suppressions(text)
    for line, new_codes in codes.items():
        on_line = [s for s in suppressions if s.line == line]
        lines[line - 1] = _with_codes(lines[line - 1], on_line, new_codes, reason)
    updated = "".join(lines)
    if updated == text:
        return
    try:
        write_rewrite(original, updated, budget=budget)
    except WriteRefused as error:
        report.problems.append(f"{shown}: {error.reason}; left unchanged")
        return
    report.suppressed += suppressed
    report.files += 1


def _lines_taking_a_comment(text: str) -> set[int]:
    """Lines that end outside any string and without a backslash: those that the tokenizer
    ends with a NEWLINE or NL token."""
    found: set[int] = set()
    with contextlib.suppress(tokenize.TokenError, SyntaxError, IndentationError):
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                found.add(token.start[0])
    return found


def _with_codes(line: str, on_line: list[Suppression], codes: set[str], reason: str) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    existing = next((s for s in on_line if s.kind == "ignore" and s.codes), None)
    if existing is not None:
        missing = {c for c in codes if not any(c.startswith(p) for p in existing.codes)}
        if not missing:
            return line
        merged = [*existing.codes, *sorted(missing)]
        directive = _directive(merged, existing.reason)
        start, end = existing.column - 1, existing.end_column - 1
        return body[:start] + directive + body[end:] + ending
    if any(s.kind == "ignore" and not s.codes for s in on_line):
        return line  # a bare ignore already silences every code on the line
    return f"{body.rstrip()}  {_directive(sorted(codes), reason)}{ending}"


def _directive(codes: list[str], reason: str) -> str:
    text = f"# isolint: ignore[{', '.join(codes)}]"
    return f"{text} -- {reason}" if reason else text
