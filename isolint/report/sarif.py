"""``--output-format sarif``: SARIF 2.1.0, as GitHub code scanning and other viewers read it.

Every rule of the catalogue is described (id, name, short and full description, help text
and markdown from its document, helpUri), so a viewer can explain a result offline. Results
carry repo-relative URIs (relative to the project root, with ``uriBaseId`` ``%SRCROOT%``),
1-based regions whose ``endColumn`` is exclusive (as isolint's own columns), the places the
shared object is defined as ``relatedLocations``, and a ``primaryLocationLineHash`` that
hashes the code, the path and the flagged line's normalised text but not its number, so an
alert keeps its identity when code above it moves.

isolint's fix hints are prose, not edits, so they go into the message's markdown and the
result's ``properties``; SARIF ``fixes`` would need real ``artifactChanges``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from isolint import __version__
from isolint.findings import Finding, Fix
from isolint.rule_docs import doc_url, rule_doc
from isolint.rules.catalog import FAMILIES, RULES

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/isolint/isolint"
SRCROOT = "%SRCROOT%"

JsonObject = dict[str, object]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Python numbers lines (not str.splitlines)
_ISOLINT_COMMENT = re.compile(r"#\s*isolint:.*$")


def write_sarif(
    findings: Sequence[Finding],
    stream: TextIO,
    root: Path,
    cwd: Path | None = None,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Write one SARIF log with one run for ``findings``.

    ``root`` is the project root the URIs are relative to; finding paths are relative to
    ``cwd``. ``sources`` overrides the text of files by finding path (source read from stdin).
    """
    json.dump(sarif_log(findings, root, cwd, sources), stream, indent=2)
    stream.write("\n")


def sarif_log(
    findings: Sequence[Finding],
    root: Path,
    cwd: Path | None = None,
    sources: Mapping[str, str] | None = None,
) -> JsonObject:
    cwd = cwd or Path.cwd()
    rule_index = {code: index for index, code in enumerate(RULES)}
    lines = _Lines(cwd, sources or {})
    occurrences: dict[tuple[str, str], int] = {}
    results: list[JsonObject] = []
    for finding in findings:
        uri, base = artifact_uri(finding.path, root, cwd)
        line_hash = line_fingerprint(finding.code, uri, lines.text(finding.path, finding.line))
        # Identical lines with the same code in one file are told apart by their order, as
        # GitHub's own fingerprints do ("hash:occurrence").
        occurrence = occurrences[(uri, line_hash)] = occurrences.get((uri, line_hash), 0) + 1
        fingerprint = f"{line_hash}:{occurrence}"
        results.append(_result(finding, (uri, base), rule_index, fingerprint, root, cwd))
    root_uri = Path(os.path.abspath(root)).as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "isolint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(code) for code in RULES],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def line_fingerprint(code: str, uri: str, line_text: str) -> str:
    """A stable hash of the rule code, the file and the flagged line's text, normalised.

    The line number is deliberately left out (inserting code above keeps the hash), and so
    are indentation, runs of whitespace and isolint comments.
    """
    normalised = " ".join(_ISOLINT_COMMENT.sub("", line_text).split())
    digest = hashlib.sha256("\0".join((code, uri, normalised)).encode("utf-8"))
    return digest.hexdigest()[:32]


def artifact_uri(path: str, root: Path, cwd: Path) -> tuple[str, str | None]:
    """The URI of a finding's file: relative to ``root`` with base ``%SRCROOT%`` when inside
    it, else an absolute ``file:`` URI (no base)."""
    absolute = Path(os.path.abspath(cwd / path))
    try:
        relative = absolute.relative_to(os.path.abspath(root))
    except ValueError:
        return absolute.as_uri(), None
    return _quote(relative.as_posix()), SRCROOT


def _quote(relative: str) -> str:
    """A relative reference with the characters a URI cannot hold percent-encoded."""
    return quote(relative, safe="/")


def _rule(code: str) -> JsonObject:
    rule = RULES[code]
    doc = rule_doc(code)
    family = rule.family + "xx"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc.description},
        "help": {"text": doc.markdown, "markdown": doc.markdown},
        "helpUri": doc_url(rule.code),
        "properties": {"tags": [family, FAMILIES[rule.family]]},
    }


def _result(
    finding: Finding,
    artifact: tuple[str, str | None],
    rule_index: dict[str, int],
    fingerprint: str,
    root: Path,
    cwd: Path,
) -> JsonObject:
    uri, base = artifact
    location: JsonObject = {
        "physicalLocation": {
            "artifactLocation": _artifact(uri, base),
            "region": {
                "startLine": finding.line,
                "startColumn": finding.column,
                "endLine": finding.end_line,
                "endColumn": finding.end_column,
            },
        }
    }
    result: JsonObject = {
        "ruleId": finding.code,
        "ruleIndex": rule_index[finding.code],
        "level": finding.severity.value,
        "message": {
            "text": finding.message,
            "markdown": f"{finding.message}\n\n**Fix:** {finding.advice}",
        },
        "locations": [location],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        "properties": {"advice": finding.advice, "name": finding.name},
    }
    related: list[JsonObject] = []
    for index, place in enumerate(finding.related, start=1):
        place_uri, place_base = artifact_uri(place.path, root, cwd)
        related.append(
            {
                "id": index,
                "message": {"text": place.message},
                "physicalLocation": {
                    "artifactLocation": _artifact(place_uri, place_base),
                    "region": {"startLine": place.line},
                },
            }
        )
    if related:
        result["relatedLocations"] = related
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix, root, cwd)]
    return result


def _fix(fix: Fix, root: Path, cwd: Path) -> JsonObject:
    """A SARIF fix: the same edits as the JSON output, as replacements per artifact."""
    locations: dict[str, JsonObject] = {}
    replacements: dict[str, list[JsonObject]] = {}
    for edit in fix.edits:
        uri, base = artifact_uri(edit.path, root, cwd)
        locations[uri] = _artifact(uri, base)
        replacements.setdefault(uri, []).append(
            {
                "deletedRegion": {
                    "startLine": edit.line,
                    "startColumn": edit.column,
                    "endLine": edit.end_line,
                    "endColumn": edit.end_column,
                },
                "insertedContent": {"text": edit.content},
            }
        )
    return {
        "description": {"text": f"{fix.description} ({fix.applicability.value} fix)"},
        "artifactChanges": [
            {"artifactLocation": locations[uri], "replacements": replacements[uri]}
            for uri in locations
        ],
    }


def _artifact(uri: str, base: str | None) -> JsonObject:
    return {"uri": uri, "uriBaseId": base} if base is not None else {"uri": uri}


class _Lines:
    """The text of source lines by finding path, read once per file."""

    def __init__(self, cwd: Path, sources: Mapping[str, str]) -> None:
        self._cwd = cwd
        self._files: dict[str, list[str]] = {
            path: _LINE_BREAK.split(text) for path, text in sources.items()
        }

    def text(self, path: str, line: int) -> str:
        if path not in self._files:
            try:
                raw = (self._cwd / path).read_bytes().decode("utf-8-sig", errors="replace")
            except OSError:
                raw = ""
            self._files[path] = _LINE_BREAK.split(raw)
        lines = self._files[path]
        return lines[line - 1] if 0 < line <= len(lines) else ""
