"""`isolint fix --prove` end to end: the real CLI on a small project whose fixes' race tests
really run, before and after each fix, on a scratch copy.

- the ISO101 fix of async code and the ISO105 fix remove their leaks: proven, and written;
- the ISO502 fix of synchronous code leaves a per-thread container that a reused pool
  worker hands from one user to the next: not proven, and the file is left as it was;
- ``--diff`` shows only the proven fixes and writes nothing.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from conftest import run_cli, write_project

FILES = {
    "notes/batch.py": """
        _PENDING: list[str] = []


        async def submit(user_id: str, item: str) -> list[str]:
            _PENDING.append(f"{user_id}: {item}")
            return list(_PENDING)
    """,
    "notes/tags.py": """
        def add_tag(user_id: str, tag: str, tags: list[str] = []) -> list[str]:
            tags.append(f"{user_id}: {tag}")
            return tags
    """,
    "notes/events.py": """
        from contextvars import ContextVar

        _events: ContextVar[list[str]] = ContextVar("events", default=[])


        def record(user_id: str, event: str) -> list[str]:
            _events.get().append(f"{user_id}: {event}")
            return list(_events.get())
    """,
}
PYPROJECT = "[tool.isolint.race]\nbudget = 1\n"


def make_project(root: Path) -> dict[str, str]:
    files = {name: textwrap.dedent(text).lstrip() for name, text in FILES.items()}
    write_project(root, files, PYPROJECT)
    return files


def test_prove_keeps_only_the_fixes_whose_race_test_goes_from_failing_to_passing(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    originals = make_project(root)
    result = run_cli("fix", "--prove", "--unsafe-fixes", ".", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr  # one fix was not proven
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["notes/batch.py:5:5"] == (
        "ISO101 proven: its race test failed before the fix (sequential) and passes after it"
    )
    assert lines["notes/tags.py:1:5"].startswith("ISO105 proven: ")
    assert re.match(
        r"ISO502 not proven: still leaks after the fix \(pool-reuse\): LEAK: user \d observed",
        lines["notes/events.py:3:34"],
    ), lines
    assert "2 of 3 fix(es) proven; applied them in 2 file(s)" in result.stderr
    assert "ContextVar" in (root / "notes/batch.py").read_text()
    assert "if tags is None:" in (root / "notes/tags.py").read_text()
    assert (root / "notes/events.py").read_text() == originals["notes/events.py"]
    assert not list(root.rglob("isolint_race*")), "the scratch tests are removed"


def test_prove_with_diff_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "project"
    originals = make_project(root)
    result = run_cli("fix", "--prove", "--diff", "--select", "ISO105", ".", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+++ b/notes/tags.py" in result.stdout
    assert "1 of 1 fix(es) proven; would apply them in 1 file(s)" in result.stderr
    for name, text in originals.items():
        assert (root / name).read_text() == text
