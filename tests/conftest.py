"""Shared helpers: writing small projects to disk and checking them with the real engine."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from isolint.engine import check, load_settings
from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]

REPO = Path(__file__).resolve().parent.parent


def write_project(root: Path, files: dict[str, str], pyproject: str = "") -> Path:
    """Write ``files`` under ``root`` with a pyproject.toml and the packages' __init__ files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        folder = path.parent
        while folder != root:
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("", encoding="utf-8")
            folder = folder.parent
    return root


def check_project(root: Path, paths: list[Path] | None = None) -> list[Finding]:
    """Findings of the real engine on ``root`` (in process, no cache, one worker)."""
    targets = paths or [root]
    settings = load_settings(targets)
    return check(targets, settings, use_cache=False, jobs=1, cwd=root).findings


def run_cli(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m isolint`` as a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "isolint", *args],
        cwd=cwd or REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@functools.cache
def check_demo(output_format: str) -> subprocess.CompletedProcess[str]:
    """``isolint check fixtures/agent_platform --no-cache`` in ``output_format``, from the
    repository root: run once per format in each test process and shared by the tests that
    look at that run (the demo is only read)."""
    return run_cli(
        "check", "fixtures/agent_platform", "--no-cache", "--output-format", output_format
    )


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a project and return its findings: ``project({"app/x.py": "..."})``."""

    def make(files: dict[str, str], pyproject: str = "") -> list[Finding]:
        root = write_project(tmp_path / "proj", files, pyproject)
        return check_project(root)

    return make
