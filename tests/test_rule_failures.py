"""A bug in one rule family costs that family's findings, never the run.

A real bug cannot be produced on demand, so this test stands one in: it replaces one
family's ``check`` with a function that raises (the only double here). Everything else is
the real CLI on real files, run in this process so that the replacement is seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from isolint import cli
from isolint.rules import registries

LEAKS = {
    "app/__init__.py": "",
    "app/state.py": "SEEN: list[str] = []\nCACHE: dict[str, str] = {}\n",
    "app/handlers.py": (
        "from app.state import CACHE, SEEN\n\n\n"
        "async def handle(user_id: str, path: str, body: str) -> None:\n"
        "    SEEN.append(user_id)\n"
        "    CACHE[path] = body\n"
    ),
}


def _broken(project: object) -> Iterator[object]:
    raise RuntimeError("a bug in the registry rules")
    yield  # pragma: no cover - makes this a generator like the real check


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in LEAKS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'svc'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_other_families_still_report_and_the_run_says_it_is_incomplete(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = CliRunner().invoke(cli.cli, ["check", "--no-cache", "."])
    assert "ISO101" in clean.output and "ISO402" in clean.output, clean.output
    monkeypatch.setattr(registries, "check", _broken)
    broken = CliRunner().invoke(cli.cli, ["check", "--no-cache", "."])
    assert broken.exit_code == 2, broken.output
    assert "ISO101" in broken.output and "ISO402" not in broken.output
    assert "internal error in the `registries` rules (RuntimeError" in broken.output
