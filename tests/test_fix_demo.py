"""The demo project migrated and fixed through the real CLI, as the README shows it.

On a copy of fixtures/agent_platform: the codemod's diff shows the whole migration and
writes nothing; applying it and then every fix leaves no ISO2xx finding and none of the
fixed findings; the migrated project still imports and its own test suite passes; and a
second run of the codemod and of `isolint fix` changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

DEMO = REPO / "fixtures" / "agent_platform"
CODEMOD = ("fix", "--codemod", "migrate-context", "--no-cache")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "agent_platform"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", ".isolint_cache"))
    before = snapshot(root)
    diff = run_cli(*CODEMOD, "--diff", ".", cwd=root)
    assert diff.returncode == 1, diff.stderr
    assert "+from isolint.context import UserExecutionContext" in diff.stdout
    # test code is migrated too: it constructs and passes the legacy class like the service
    assert "+++ b/tests/race_factories.py" in diff.stdout
    assert snapshot(root) == before  # --diff writes nothing
    applied = run_cli(*CODEMOD, ".", cwd=root)
    assert applied.returncode == 0, applied.stderr
    fixed = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert fixed.returncode in (0, 1), fixed.stderr  # 1: findings without a fix remain
    assert "fixed 6 findings" in fixed.stderr, fixed.stderr
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def findings(root: Path, select: str) -> list[dict[str, object]]:
    result = run_cli(
        "check", "--no-cache", "--select", select, "--output-format", "json", ".", cwd=root
    )
    assert result.returncode in (0, 1), result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_no_legacy_state_finding_is_left(migrated: Path) -> None:
    assert findings(migrated, "ISO2") == []


def test_the_fixed_findings_are_gone(migrated: Path) -> None:
    codes = {finding["code"] for finding in findings(migrated, "ISO")}
    assert not codes & {"ISO103", "ISO105", "ISO501", "ISO502"}, codes


def test_the_migrated_project_imports_and_its_tests_pass(migrated: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(migrated)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_api.py"],
        cwd=migrated,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    demo = subprocess.run(
        [sys.executable, "-m", "agent_platform.demo"],
        cwd=migrated,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr


def test_a_second_run_changes_nothing(migrated: Path) -> None:
    before = snapshot(migrated)
    again = run_cli(*CODEMOD, "--diff", ".", cwd=migrated)
    assert again.returncode == 0 and again.stdout == "", again.stdout
    fix_again = run_cli("fix", "--unsafe-fixes", "--diff", "--no-cache", ".", cwd=migrated)
    assert fix_again.returncode == 0 and fix_again.stdout == "", fix_again.stdout
    assert snapshot(migrated) == before
