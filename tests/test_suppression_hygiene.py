"""Suppression hygiene: ``# isolint: fixme[...]`` for known debt (hidden unless
``--show-fixme``, never failing), ISO901 for suppressions that suppress nothing, and
``--add-ignore[=REASON]`` writing suppressions into the checked files, idempotently.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli, write_project

from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]

# Line 6 is an ISO402 (a key not scoped to the user), line 7 an ISO101.
TEMPLATE = """CACHE = {{}}
SEEN = []


async def handle(user_id, path, value):
    CACHE[path] = value{six}
    SEEN.append(value){seven}
"""


def module(six: str = "", seven: str = "") -> dict[str, str]:
    return {"app/handlers.py": TEMPLATE.format(six=six, seven=seven)}


def codes_and_lines(findings: list[Finding]) -> set[tuple[str, int]]:
    return {(finding.code, finding.line) for finding in findings}


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli("check", ".", "--no-cache", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def found(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in json.loads(result.stdout)]


# --- fixme ------------------------------------------------------------------------------


def test_fixme_hides_the_finding_and_never_fails(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj",
        module(
            six="  # isolint: fixme[ISO402] -- key by user (PLAT-1)", seven="  # isolint: ignore"
        ),
    )
    hidden = check(root)
    assert hidden.returncode == 0, hidden.stdout
    assert "ISO402" not in hidden.stdout
    shown = check(root, "--show-fixme")
    assert shown.returncode == 0, shown.stdout
    assert "app/handlers.py:6:5 ISO402" in shown.stdout
    assert "(fixme: key by user (PLAT-1))" in shown.stdout
    as_json = check(root, "--show-fixme", "--output-format", "json")
    assert as_json.returncode == 0
    assert found(as_json) == [("ISO402", 6)]


def test_fixme_does_not_hide_other_findings(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", module(six="  # isolint: fixme[ISO4]"))
    result = check(root, "--show-fixme", "--output-format", "json")
    assert result.returncode == 1
    assert found(result) == [("ISO402", 6), ("ISO101", 7)]
    assert [f["message"].endswith("(fixme)") for f in json.loads(result.stdout)] == [True, False]


def test_an_ignore_on_the_same_line_wins_over_a_fixme(project: MakeProject) -> None:
    both = "  # isolint: fixme[ISO4] -- later  # isolint: ignore[ISO402] -- cache of public pages"
    assert codes_and_lines(project(module(six=both))) == {("ISO101", 7)}


# --- ISO901 -----------------------------------------------------------------------------


def test_an_ignore_that_suppresses_nothing_is_iso901(project: MakeProject) -> None:
    findings = project(module(six="  # isolint: ignore[ISO101] -- old"))
    assert codes_and_lines(findings) == {("ISO402", 6), ("ISO101", 7), ("ISO901", 6)}
    (unused,) = [f for f in findings if f.code == "ISO901"]
    assert unused.column == 26  # the comment
    assert unused.message.startswith("`# isolint: ignore[ISO101]` suppresses nothing")
    assert "Remove" in unused.advice


def test_a_fixme_or_bare_ignore_that_suppresses_nothing_is_iso901(project: MakeProject) -> None:
    text = (
        "def total(prices):\n    return sum(prices)  # isolint: fixme\n\n\n"
        "X = 1  # isolint: ignore\n"
    )
    assert codes_and_lines(project({"app/calc.py": text})) == {("ISO901", 2), ("ISO901", 5)}


def test_an_unused_code_in_a_used_suppression_is_named(project: MakeProject) -> None:
    findings = project(module(six="  # isolint: ignore[ISO402, ISO101]"))
    assert codes_and_lines(findings) == {("ISO101", 7), ("ISO901", 6)}
    (unused,) = [f for f in findings if f.code == "ISO901"]
    assert unused.message.startswith("`ISO101` in `# isolint: ignore[ISO402, ISO101]`")


@pytest.mark.parametrize(
    ("six", "seven"),
    [
        ("  # isolint: ignore[ISO402]", "  # isolint: fixme[ISO1] -- debt"),
        ("  # isolint: ignore", "  # isolint: ignore[ISO101]  # noqa: E501"),
        ("  # isolint: ignore[ISO402] -- pages  # type: ignore", ""),
    ],
    ids=["ignore-and-fixme", "other-tool-after", "reason-then-other-tool"],
)
def test_used_suppressions_are_not_reported(project: MakeProject, six: str, seven: str) -> None:
    assert "ISO901" not in {f.code for f in project(module(six=six, seven=seven))}


def test_iso901_is_silenced_only_by_naming_it(project: MakeProject) -> None:
    named = project(module(six="  # isolint: ignore[ISO101, ISO901] -- kept for 2.x"))
    assert codes_and_lines(named) == {("ISO402", 6), ("ISO101", 7)}
    bare = [f for f in project({"app/x.py": "X = 1  # isolint: ignore\n"}) if f.path == "app/x.py"]
    assert codes_and_lines(bare) == {("ISO901", 1)}


def test_no_iso901_in_skipped_or_unparsable_files(project: MakeProject) -> None:
    skipped = "# isolint: skip-file\nX = 1  # isolint: ignore[ISO101]\n"
    broken = "X = 1  # isolint: ignore[ISO101]\ndef broken(:\n"
    findings = project({"app/skipped.py": skipped, "app/broken.py": broken})
    assert {f.code for f in findings} == {"ISO900"}


def test_iso901_follows_rule_selection(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", module(six="  # isolint: ignore[ISO402] -- pages"))
    # the ISO402 it suppresses is not selected: the suppression is still not "unused"
    only_iso1 = check(root, "--select", "ISO1", "--output-format", "json")
    assert found(only_iso1) == [("ISO101", 7)]
    stale = write_project(tmp_path / "stale", module(six="  # isolint: ignore[ISO3]"))
    assert ("ISO901", 6) in found(check(stale, "--output-format", "json"))
    assert ("ISO901", 6) not in found(check(stale, "--select", "ISO1", "--output-format", "json"))
    assert ("ISO901", 6) not in found(check(stale, "--ignore", "ISO901", "--output-format", "json"))


# --- --add-ignore -----------------------------------------------------------------------

LEAKY = '''CACHE = {}
SEEN = []


async def handle(user_id, path, value):
    CACHE[path] = value  # isolint: ignore[ISO503] -- checked elsewhere
    SEEN.append(value)  # noqa: E501
    CACHE[path] = (
        value
    )
    SEEN.append(value + """first
    second""")
    SEEN.append(value); CACHE[path] = value
'''
EXPECTED = '''CACHE = {}
SEEN = []


async def handle(user_id, path, value):
    CACHE[path] = value  # isolint: ignore[ISO503, ISO402] -- checked elsewhere
    SEEN.append(value)  # noqa: E501  # isolint: ignore[ISO101] -- audited
    CACHE[path] = (  # isolint: ignore[ISO402] -- audited
        value
    )
    SEEN.append(value + """first
    second""")  # isolint: ignore[ISO101] -- audited
    SEEN.append(value); CACHE[path] = value  # isolint: ignore[ISO101, ISO402] -- audited
'''


def test_add_ignore_suppresses_every_finding_in_place(tmp_path: Path) -> None:
    # The ISO503 code in line 6 is unused: the ISO901 it causes is suppressed too, by name.
    root = write_project(tmp_path / "proj", {"app/handlers.py": LEAKY})
    before = check(root, "--output-format", "json")
    assert before.returncode == 1
    added = check(root, "--add-ignore=audited")
    assert added.returncode == 0, added.stderr
    assert "isolint: suppressed 7 findings in 1 file" in added.stderr
    text = (root / "app" / "handlers.py").read_text(encoding="utf-8")
    assert text == EXPECTED.replace("ISO503, ISO402]", "ISO503, ISO402, ISO901]")
    after = check(root)
    assert after.returncode == 0, after.stdout


def test_add_ignore_is_idempotent(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj", {**module(), "app/other.py": TEMPLATE.format(six="", seven="")}
    )
    first = check(root, "--add-ignore")
    assert first.returncode == 0, first.stderr
    assert "suppressed 4 findings in 2 files" in first.stderr
    snapshot = {p: p.read_bytes() for p in (root / "app").glob("*.py")}
    assert (
        b"SEEN.append(value)  # isolint: ignore[ISO101]\n" in snapshot[root / "app" / "handlers.py"]
    )
    second = check(root, "--add-ignore=again")
    assert second.returncode == 0
    assert "suppressed 0 findings in 0 files" in second.stderr
    assert {p: p.read_bytes() for p in (root / "app").glob("*.py")} == snapshot


def test_add_ignore_keeps_line_endings_and_encoding(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {})
    source = (
        "# -*- coding: latin-1 -*-\r\nSEEN = []\r\nNAME = 'caf\xe9'\r\n\r\n\r\n"
        "async def handle(user_id, value):\r\n    SEEN.append(value)\r\n"
    )
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "legacy.py").write_bytes(source.encode("latin-1"))
    result = check(root, "--add-ignore=x")
    assert result.returncode == 0, result.stderr
    data = (root / "app" / "legacy.py").read_bytes()
    assert data == source.replace(
        "SEEN.append(value)\r\n", "SEEN.append(value)  # isolint: ignore[ISO101] -- x\r\n"
    ).encode("latin-1")


def test_add_ignore_leaves_a_file_that_would_not_parse(tmp_path: Path) -> None:
    broken = "X = 1\ndef broken(:\n"
    root = write_project(tmp_path / "proj", {**module(), "app/broken.py": broken})
    result = check(root, "--add-ignore")
    assert result.returncode == 1
    assert "app/broken.py: would not parse" in result.stderr
    assert "left unchanged" in result.stderr
    assert (root / "app" / "broken.py").read_text(encoding="utf-8") == broken
    assert "# isolint: ignore[ISO402]" in (root / "app" / "handlers.py").read_text(encoding="utf-8")


def test_add_ignore_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", module())
    assert check(root, "--add-ignore").returncode == 0
    assert sorted(p.name for p in (root / "app").iterdir()) == ["__init__.py", "handlers.py"]


def test_add_ignore_takes_its_reason_only_after_an_equals_sign(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", module())
    result = run_cli("check", "--no-cache", "--add-ignore", "app/handlers.py", cwd=root)
    assert result.returncode == 2
    assert "--add-ignore=REASON" in result.stderr
    assert "isolint:" not in (root / "app" / "handlers.py").read_text(encoding="utf-8")
