"""The Finding record every rule emits, its related locations, severity and machine fix.

A finding is plain data: reporters, the cache and suppression read it, nothing mutates it.
``advice`` is the fix in words, for a person; ``fix`` is the same fix as text edits, for
``isolint fix`` and editors (present only where the rewrite is mechanical).
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
    """A place that explains a finding: where the shared object is created (``creation``),
    the request entry point (``entry``), a call on the way to the store (``call``), or
    another request path that reads the stored value back (``reader``)."""

    path: str
    line: int
    message: str
    kind: str = "creation"

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message, "kind": self.kind}


class Applicability(str, Enum):
    """Whether applying a fix keeps the program's meaning (ruff's vocabulary).

    A safe fix changes no behaviour a correct caller relies on; an unsafe one may (it
    changes a public name, the lifetime of an object or a signature), so ``isolint fix``
    applies it only with ``--unsafe-fixes``.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column) with ``content``.

    Lines and columns are 1-based, columns count characters, and the end is exclusive;
    an insertion has the same start and end.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }


@dataclass(frozen=True)
class Fix:
    """A finding's fix as edits; all of them are applied together or none is."""

    applicability: Applicability
    description: str
    edits: tuple[Edit, ...]

    def applies(self, *, unsafe: bool) -> bool:
        """Whether ``isolint fix`` applies it (unsafe fixes only with --unsafe-fixes)."""
        return bool(self.edits) and (unsafe or self.applicability is Applicability.SAFE)

    def to_json(self) -> dict[str, object]:
        return {
            "applicability": self.applicability.value,
            "description": self.description,
            "edits": [edit.to_json() for edit in self.edits],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        edits = tuple(Edit(**edit) for edit in data["edits"])
        return cls(Applicability(data["applicability"]), data["description"], edits)


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
    advice: str
    related: tuple[Related, ...] = field(default=())
    fix: Fix | None = None
    # Structured fields for later stages (fix, race): the shared object's dotted name, the
    # request entry point that reaches the store, and what kind of data is stored.
    shared_object: str = ""
    entry_point: str = ""
    data_kind: str = ""

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The inverse of ``to_json`` (for the whole-run cache)."""
        related = tuple(
            Related(r["path"], r["line"], r["message"], r.get("kind", "creation"))
            for r in data["related"]
        )
        fix = Fix.from_json(data["fix"]) if data.get("fix") else None
        fields = {key: data[key] for key in data if key not in ("severity", "related", "fix")}
        return cls(**fields, severity=Severity(data["severity"]), related=related, fix=fix)

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
            "related": [r.to_json() for r in self.related],
            "advice": self.advice,
            "fix": self.fix.to_json() if self.fix is not None else None,
            "shared_object": self.shared_object,
            "entry_point": self.entry_point,
            "data_kind": self.data_kind,
        }
