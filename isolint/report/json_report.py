"""``--output-format json``: a JSON list of findings with stable field names, sorted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from isolint.findings import Finding


def write_json(findings: Sequence[Finding], stream: TextIO) -> None:
    json.dump([finding.to_json() for finding in findings], stream, indent=2)
    stream.write("\n")


def write_json_lines(findings: Sequence[Finding], stream: TextIO) -> None:
    """``--output-format json-lines``: one finding per line, the same fields as ``json``."""
    for finding in findings:
        stream.write(json.dumps(finding.to_json()) + "\n")
