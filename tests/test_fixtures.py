"""The demo projects end to end, through the real CLI: the leaky one gives exactly the
findings its EXPECTED.md lists; the clean one gives none."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO, check_demo, run_cli

LEAKY = REPO / "fixtures" / "agent_platform"
CLEAN = REPO / "fixtures" / "agent_platform_clean"
_ROW = re.compile(r"^\| `([^`]+):(\d+)` \| (ISO\d+) \|")


def expected_rows(fixture: Path) -> set[tuple[str, int, str]]:
    rows = set()
    for line in (fixture / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            rows.add((match[1], int(match[2]), match[3]))
    return rows


def test_leaky_fixture_gives_exactly_the_expected_findings() -> None:
    result = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=LEAKY)
    assert result.returncode == 1, result.stderr
    found = {(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)}
    assert found == expected_rows(LEAKY)


def test_leaky_fixture_has_every_family() -> None:
    families = {code[:4] for _, _, code in expected_rows(LEAKY)}
    assert families == {"ISO1", "ISO2", "ISO3", "ISO4", "ISO5"}


def test_clean_fixture_has_no_findings() -> None:
    result = run_cli("check", str(CLEAN), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed" in result.stdout


def test_json_fields_and_order() -> None:
    findings = json.loads(check_demo("json").stdout)
    assert findings
    fields = {
        "code",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "related",
        "advice",
        "fix",
        "shared_object",
        "entry_point",
        "data_kind",
    }
    for finding in findings:
        assert set(finding) == fields
        assert finding["path"].startswith("fixtures/agent_platform/")
        assert finding["severity"] in ("error", "warning")
        for related in finding["related"]:
            assert set(related) == {"path", "line", "message", "kind"}
    keys = [(f["path"], f["line"], f["column"]) for f in findings]
    assert keys == sorted(keys)


def test_cross_module_write_is_found_when_checking_one_file() -> None:
    """`isolint check one_file.py` still resolves what the file imports from the project."""
    result = run_cli(
        "check", "agent_platform/api.py", "--no-cache", "--output-format", "json", cwd=LEAKY
    )
    found = {(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)}
    expected = {row for row in expected_rows(LEAKY) if row[0] == "agent_platform/api.py"}
    assert found == expected
    assert ("agent_platform/api.py", 32, "ISO101") in found


def test_text_report_is_plain_when_piped() -> None:
    result = check_demo("text")
    assert result.returncode == 1
    assert "\x1b[" not in result.stdout
    first = result.stdout.splitlines()[0]
    assert re.match(r"^fixtures/agent_platform/\S+\.py:\d+:\d+ ISO\d{3} ", first)
    assert "fix:" in result.stdout
    assert re.search(r"Found \d+ findings in \d+ files checked", result.stdout)
