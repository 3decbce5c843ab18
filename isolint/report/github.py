"""``--output-format github``: one GitHub Actions workflow command per finding.

``::error file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=CODE::message`` (``::warning``
for warnings) makes GitHub annotate the line in the pull request. Paths are relative to the
current folder, which in a workflow is the repository checkout. Escaping follows GitHub's
toolkit: ``%``, CR and LF everywhere, and also ``:`` and ``,`` in property values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from isolint.findings import Finding, Severity


def write_github(findings: Sequence[Finding], stream: TextIO) -> None:
    for finding in findings:
        stream.write(github_command(finding) + "\n")


def github_command(finding: Finding) -> str:
    command = "error" if finding.severity is Severity.ERROR else "warning"
    properties = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.column),
        "endLine": str(finding.end_line),
        "endColumn": str(finding.end_column),
        "title": finding.code,
    }
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = f"{finding.message}\nfix: {finding.advice}"
    return f"::{command} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
