"""The Finding record every rule emits, its related locations, and severity.

A finding is plain data: reporters, the cache and suppression read it, nothing mutates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How sure isolint is that the write happens concurrently for several users."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Related:
    """A place that explains a finding: where the shared object is defined or created."""

    path: str
    line: int
    message: str


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: str
    related: tuple[Related, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The inverse of ``to_json`` (for the whole-run cache)."""
        related = tuple(Related(r["path"], r["line"], r["message"]) for r in data["related"])
        fields = {key: data[key] for key in data if key not in ("severity", "related")}
        return cls(**fields, severity=Severity(data["severity"]), related=related)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "related": [
                {"path": r.path, "line": r.line, "message": r.message} for r in self.related
            ],
            "fix": self.fix,
        }
