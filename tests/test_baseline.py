"""The findings baseline: ``--write-baseline FILE`` records findings by fingerprint (code,
path, normalised line text, shared symbol; no line numbers) and ``--baseline FILE`` (or
``baseline`` in ``[tool.isolint]``) hides them, counting duplicates and reporting entries that
no longer match.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import run_cli, write_project

from isolint.baseline import normalise, symbol_of
from isolint.findings import Finding, Severity

HANDLERS = """SEEN = []
CACHE = {}


async def handle(user_id, path, value):
    SEEN.append(value)
    CACHE[path] = value
"""
STALE_ONE = (
    "isolint: 1 baseline entry no longer matches; rewrite the baseline with --write-baseline"
)


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli("check", ".", "--no-cache", "--output-format", "json", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def found(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int]]:
    return [(f["code"], f["path"], f["line"]) for f in json.loads(result.stdout)]


def with_baseline(tmp_path: Path, files: dict[str, str], pyproject: str = "") -> Path:
    root = write_project(tmp_path / "proj", files, pyproject)
    written = check(root, "--write-baseline", "baseline.json")
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    return root


def test_write_baseline_records_fingerprints_without_line_numbers(tmp_path: Path) -> None:
    root = with_baseline(tmp_path, {"app/handlers.py": HANDLERS})
    document = json.loads((root / "baseline.json").read_text(encoding="utf-8"))
    assert document["isolint-baseline"] == 1
    assert document["entries"] == [
        {
            "code": "ISO101",
            "path": "app/handlers.py",
            "symbol": "SEEN",
            "text": "SEEN.append(value)",
        },
        {
            "code": "ISO402",
            "path": "app/handlers.py",
            "symbol": "CACHE",
            "text": "CACHE[path] = value",
        },
    ]
    result = check(root, "--baseline", "baseline.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert found(result) == []
    assert result.stderr == ""


def test_inserted_lines_and_a_moved_function_stay_hidden(tmp_path: Path) -> None:
    root = with_baseline(tmp_path, {"app/handlers.py": HANDLERS})
    moved = (
        '"""Handlers."""\n\nimport logging\n\n'
        "SEEN = []\nCACHE = {}\nlog = logging.getLogger()\n\n\n"
        "def helper(x):\n    return x\n\n\nclass Box:\n    pass\n\n\n"
        "async def handle(user_id, path, value):\n    log.info('storing')\n"
        "    SEEN.append(value)\n\n    CACHE[path]  =  value\n"
    )
    (root / "app" / "handlers.py").write_text(moved, encoding="utf-8")
    result = check(root, "--baseline", "baseline.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""


def test_a_new_finding_still_fails(tmp_path: Path) -> None:
    root = with_baseline(tmp_path, {"app/handlers.py": HANDLERS})
    (root / "app" / "handlers.py").write_text(
        HANDLERS + "    SEEN.append(path)\n", encoding="utf-8"
    )
    result = check(root, "--baseline", "baseline.json")
    assert result.returncode == 1
    assert found(result) == [("ISO101", "app/handlers.py", 8)]


def test_duplicates_need_one_entry_each(tmp_path: Path) -> None:
    twice = HANDLERS + "    SEEN.append(value)\n"
    root = with_baseline(tmp_path, {"app/handlers.py": twice})
    entries = json.loads((root / "baseline.json").read_text(encoding="utf-8"))["entries"]
    assert [entry["code"] for entry in entries] == ["ISO101", "ISO101", "ISO402"]
    (root / "app" / "handlers.py").write_text(twice + "    SEEN.append(value)\n", encoding="utf-8")
    third = check(root, "--baseline", "baseline.json")
    assert third.returncode == 1
    assert len(found(third)) == 1 and found(third)[0][0] == "ISO101"
    (root / "app" / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    fewer = check(root, "--baseline", "baseline.json")
    assert fewer.returncode == 0
    assert STALE_ONE in fewer.stderr


def test_entries_that_no_longer_match_are_reported_on_stderr(tmp_path: Path) -> None:
    root = with_baseline(tmp_path, {"app/handlers.py": HANDLERS})
    fixed = HANDLERS.replace("    CACHE[path] = value\n", "")
    (root / "app" / "handlers.py").write_text(fixed, encoding="utf-8")
    result = check(root, "--baseline", "baseline.json")
    assert result.returncode == 0
    assert result.stderr.strip() == STALE_ONE
    # an edited line is a new finding, and its old entry is stale
    edited = HANDLERS.replace("SEEN.append(value)", "SEEN.append(value.strip())")
    (root / "app" / "handlers.py").write_text(edited, encoding="utf-8")
    changed = check(root, "--baseline", "baseline.json")
    assert changed.returncode == 1
    assert found(changed) == [("ISO101", "app/handlers.py", 6)]
    assert STALE_ONE in changed.stderr


def test_only_entries_of_checked_files_and_selected_rules_can_be_stale(tmp_path: Path) -> None:
    files = {"app/handlers.py": HANDLERS, "app/other.py": HANDLERS}
    root = with_baseline(tmp_path, files)
    one = run_cli("check", "app/handlers.py", "--no-cache", "--baseline", "baseline.json", cwd=root)
    assert one.returncode == 0, one.stdout + one.stderr
    assert one.stderr == ""
    selected = check(root, "--baseline", "baseline.json", "--select", "ISO1")
    assert selected.returncode == 0
    assert selected.stderr == ""


def test_baseline_from_the_configuration_is_relative_to_the_project_root(
    tmp_path: Path,
) -> None:
    root = with_baseline(
        tmp_path, {"app/handlers.py": HANDLERS}, '[tool.isolint]\nbaseline = "baseline.json"\n'
    )
    from_root = check(root)
    assert from_root.returncode == 0, from_root.stdout + from_root.stderr
    below = run_cli("check", ".", "--no-cache", cwd=root / "app")
    assert below.returncode == 0, below.stdout + below.stderr


def test_a_missing_or_malformed_baseline_exits_2(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/handlers.py": HANDLERS})
    missing = check(root, "--baseline", "nope.json")
    assert missing.returncode == 2
    assert "nope.json" in missing.stderr and "--write-baseline" in missing.stderr
    for text in ("not json", '{"entries": []}', '{"isolint-baseline": 1, "entries": [1]}'):
        (root / "bad.json").write_text(text, encoding="utf-8")
        bad = check(root, "--baseline", "bad.json")
        assert bad.returncode == 2, text
        assert bad.stderr.startswith("isolint: error: ") and "bad.json" in bad.stderr


def finding_with(message: str) -> Finding:
    return Finding("ISO101", "x", Severity.ERROR, "a.py", 1, 1, 1, 2, message, "")


def test_fingerprint_parts() -> None:
    assert normalise("    CACHE[k]  =  v   # isolint: ignore[ISO402] -- x\n") == "CACHE[k] = v"
    assert symbol_of(finding_with("`.append()` writes `RECENT`, a module-level list")) == "RECENT"
    assert symbol_of(finding_with("`_CACHE[path]` is checked, then written")) == "_CACHE"
    assert symbol_of(finding_with("`global _last_user` is rebound")) == "_last_user"
    assert symbol_of(finding_with("no symbol here")) == ""
