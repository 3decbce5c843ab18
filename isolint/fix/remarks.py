"""What a codemod left for a person, grouped so that a large project's list stays readable.

Each remark is a site (``path:line``) and a message. Messages of one kind differ only in
the names they quote (``the legacy default of `messages` cannot be copied``), so the kind
is the message with every backquoted name blanked. ``group_remarks`` orders the kinds by
count; ``summary_lines`` prints each kind once, with its count, its first message in full
and the first few other sites; the full list is for ``--verbose`` and JSON output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_QUOTED = re.compile(r"`[^`]*`")
# sites shown besides the first for each kind in the summary
SHOWN_SITES = 3


@dataclass(frozen=True)
class Remark:
    """One use a codemod left for a person: where, and why."""

    path: str
    line: int
    message: str

    @property
    def kind(self) -> str:
        return _QUOTED.sub("`…`", self.message)

    @property
    def site(self) -> str:
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.site}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class RemarkGroup:
    kind: str
    remarks: tuple[Remark, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": len(self.remarks),
            "example": str(self.remarks[0]),
            "sites": [remark.site for remark in self.remarks],
        }


def group_remarks(remarks: Iterable[Remark]) -> list[RemarkGroup]:
    """The remarks by kind, the most frequent kind first (then by kind, for a stable
    order); within a kind in the order given."""
    by_kind: dict[str, list[Remark]] = {}
    for remark in remarks:
        by_kind.setdefault(remark.kind, []).append(remark)
    ordered = sorted(by_kind.items(), key=lambda item: (-len(item[1]), item[0]))
    return [RemarkGroup(kind, tuple(items)) for kind, items in ordered]


def summary_lines(groups: Sequence[RemarkGroup]) -> list[str]:
    """Two lines per kind: the count and the first remark, then a few more sites."""
    total = sum(len(group.remarks) for group in groups)
    if not total:
        return []
    noun = "remark" if total == 1 else "remarks"
    lines = [f"{total} {noun} for a person, by kind (--verbose lists every one):"]
    for group in groups:
        first, rest = group.remarks[0], group.remarks[1:]
        lines.append(f"  {len(group.remarks)} x {first}")
        if rest:
            shown = ", ".join(remark.site for remark in rest[:SHOWN_SITES])
            more = len(rest) - SHOWN_SITES
            lines.append(f"      also {shown}" + (f" and {more} more" if more > 0 else ""))
    return lines


def codemod_report(
    changed: Sequence[str], remarks: Sequence[Remark], problems: Sequence[str], diff: str | None
) -> dict[str, Any]:
    """The JSON report of a codemod run: the files it changed (or would change), every
    remark, the remarks by kind, the problems that kept files from being read or written,
    and the diff when one was asked for."""
    report: dict[str, Any] = {
        "changed": list(changed),
        "remarks": [remark.as_json() for remark in remarks],
        "remark_kinds": [group.as_json() for group in group_remarks(remarks)],
        "problems": list(problems),
    }
    if diff is not None:
        report["diff"] = diff
    return report
