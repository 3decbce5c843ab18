"""The human report: ``path:line:col CODE message``, a code frame, the fix hint, a summary.

Colour and the code frame's highlighting come from rich when the output is a terminal; when
piped the output is plain text with the same lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from isolint.findings import Finding, Severity

_CONTEXT_LINES = 1

# A code frame shows at most this many characters of a line: generated code can put tens of
# thousands on one line (an ISO900 for a 20,000-term expression points at it).
_FRAME_WIDTH = 500

# Control characters of a source line (a NUL byte, a terminal escape sequence) are shown as
# U+FFFD in the frame, never sent to the terminal; tabs stay.
_CONTROL = {code: "\ufffd" for code in (*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F)}


def write_text(
    findings: Sequence[Finding],
    console: Console,
    files_checked: int,
    show_source: bool = True,
    texts: Mapping[str, str] | None = None,
) -> None:
    """``texts`` gives the source of files by finding path (read from stdin, not disk)."""
    sources: dict[str, list[str] | None] = {
        path: text.splitlines() for path, text in (texts or {}).items()
    }
    for finding in findings:
        _write_finding(finding, console, sources if show_source else None)
    _write_summary(findings, console, files_checked)


def _write_finding(
    finding: Finding, console: Console, sources: dict[str, list[str] | None] | None
) -> None:
    colour = "red" if finding.severity is Severity.ERROR else "yellow"
    # ruff's marker: `isolint fix` applies this finding's fix without further flags
    marker = " [cyan]\\[*][/]" if _fixable(finding, unsafe=False) else ""
    console.print(
        f"[bold]{escape(finding.path)}[/]:{finding.line}:{finding.column} "
        f"[bold {colour}]{finding.code}[/]{marker} {escape(finding.message)}",
        highlight=False,
        soft_wrap=True,
    )
    if sources is not None:
        for number, text in _frame(finding, sources):
            marker = ">" if number == finding.line else " "
            console.print(
                f"  {marker} {number:>4} | {escape(_shown(text))}", highlight=False, soft_wrap=True
            )
    for related in finding.related:
        console.print(
            f"    [dim]note: {escape(related.path)}:{related.line}: {escape(related.message)}[/]",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"    [cyan]fix:[/] {escape(finding.advice)}", highlight=False, soft_wrap=True)
    console.print()


def _frame(finding: Finding, sources: dict[str, list[str] | None]) -> list[tuple[int, str]]:
    if finding.path not in sources:
        try:
            text = Path(finding.path).read_text(encoding="utf-8", errors="replace")
            sources[finding.path] = text.splitlines()
        except OSError:
            sources[finding.path] = None
    lines = sources[finding.path]
    if not lines:
        return []
    first = max(1, finding.line - _CONTEXT_LINES)
    last = min(len(lines), finding.line + _CONTEXT_LINES)
    return [(number, lines[number - 1]) for number in range(first, last + 1)]


def _shown(line: str) -> str:
    """A source line as the frame shows it: control characters replaced, long lines cut."""
    line = line.translate(_CONTROL)
    return line if len(line) <= _FRAME_WIDTH else line[:_FRAME_WIDTH] + " …"


def _write_summary(findings: Sequence[Finding], console: Console, files_checked: int) -> None:
    files = "file" if files_checked == 1 else "files"
    if not findings and files_checked == 0:
        # ruff's wording: nothing was checked, so nothing "passed"
        console.print("[yellow]warning:[/] No Python files found to check.")
        return
    if not findings:
        console.print(f"[green]All checks passed[/] ({files_checked} {files} checked).")
        return
    by_family = Counter(finding.code[:4] + "xx" for finding in findings)
    families = ", ".join(f"{family}: {count}" for family, count in sorted(by_family.items()))
    noun = "finding" if len(findings) == 1 else "findings"
    console.print(
        f"[bold]Found {len(findings)} {noun}[/] in {files_checked} {files} checked ({families}).",
        highlight=False,
    )
    safe = sum(1 for finding in findings if _fixable(finding, unsafe=False))
    unsafe = sum(1 for finding in findings if _fixable(finding, unsafe=True)) - safe
    if safe or unsafe:
        parts = [f"[cyan]\\[*][/] {safe} fixable with `isolint fix`"] if safe else []
        if unsafe:
            parts.append(f"{unsafe} more with `isolint fix --unsafe-fixes`")
        console.print("; ".join(parts) + ".", highlight=False)


def _fixable(finding: Finding, *, unsafe: bool) -> bool:
    return finding.fix is not None and finding.fix.applies(unsafe=unsafe)
