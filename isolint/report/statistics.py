"""``--statistics``: how many findings of each code, most frequent first (then by code)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from isolint.findings import Finding


@dataclass(frozen=True)
class CodeCount:
    code: str
    name: str
    count: int

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "count": self.count}


def statistics(findings: Sequence[Finding]) -> list[CodeCount]:
    counts = Counter(finding.code for finding in findings)
    names = {finding.code: finding.name for finding in findings}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [CodeCount(code, names[code], count) for code, count in ordered]


def write_statistics_text(findings: Sequence[Finding], stream: TextIO) -> None:
    """A table as ruff prints it: count, code and name, one code a line, tab-separated."""
    rows = statistics(findings)
    width = max((len(str(row.count)) for row in rows), default=1)
    for row in rows:
        stream.write(f"{row.count:>{width}}\t{row.code}\t{row.name}\n")


def write_statistics_json(findings: Sequence[Finding], stream: TextIO) -> None:
    json.dump([row.to_json() for row in statistics(findings)], stream, indent=2)
    stream.write("\n")


def write_statistics_json_lines(findings: Sequence[Finding], stream: TextIO) -> None:
    for row in statistics(findings):
        stream.write(json.dumps(row.to_json()) + "\n")
