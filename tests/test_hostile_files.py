"""Files that crash or hang libcst's native parser cost that file only, through the real CLI.

Measured with libcst 1.9 on CPython 3.11: a 20,000-term expression kept libcst busy for
minutes and then overflowed its stack (the run died of SIGSEGV with no output); 2,000 nested
lists, 3,000 nested parentheses or a 10,000-branch elif ladder crash it outright. CPython's
own parser answers all of them in milliseconds, so isolint asks it first; whatever it cannot
rule out runs in a supervised worker process under `file-timeout`. Which of these inputs
CPython itself refuses depends on its version (3.11 refuses the 20,000-term sum and the
3,000-branch ladder for recursion depth, 3.10 and 3.13 parse the ladder), so each bad file
is expected to be ISO900 for one of the reasons that can apply to it.

A crash is also forced with a test double (an environment variable that makes the worker
kill itself with SIGSEGV on a marked file): the inputs known to crash libcst are the ones
CPython now refuses before libcst sees them, so the crash the worker pool exists for (one no
screen predicted) cannot be produced on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, write_project

from isolint.isolation import CRASH_TEST_VARIABLE

# A leak in the shape of fixtures/agent_platform's response cache: a module-level dict
# written with request data inside a FastAPI-style handler, under a key that is not the
# user's. It must still be found next to the hostile files.
LEAKY = '''"""Profiles served by the API: a response cache shared by every user."""

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()
_RESPONSE_CACHE: dict[str, dict[str, Any]] = {}


@router.get("/profile/{path}")
async def get_profile(path: str, request: Request) -> dict[str, Any]:
    _RESPONSE_CACHE[path] = {"owner": request.user.id, "path": path}
    return _RESPONSE_CACHE[path]
'''
LEAK = ("app/profiles.py", 13, "ISO402")

# What libcst or CPython may say about a source too deep or too long for one of them.
TOO_COMPLEX = ("too deeply nested", "too complex", "took longer than", "the parser crashed")

ELIF_LADDER = "def dispatch(x):\n    if x == 0:\n        return 0\n" + "".join(
    f"    elif x == {n}:\n        return {n}\n" for n in range(1, 3000)
)
HOSTILE: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "app/brackets.py": (
        ("x = " + "(" * 300 + "1" + ")" * 300 + "\n").encode(),
        ("syntax error: too many nested parentheses",),
    ),
    "app/long_sum.py": (("x = " + "1 + " * 20_000 + "1\n").encode(), TOO_COMPLEX),
    # the same sum over 20,000 lines: no byte scan sees it as hostile, so in a worker libcst
    # gets it first, and CPython's answer comes once libcst is stopped
    "app/long_sum_lines.py": (
        ("x = (\n" + "    1 +\n" * 20_000 + "    1\n)\n").encode(),
        TOO_COMPLEX,
    ),
    "app/attributes.py": (("x = a" + ".b" * 1000 + "\n").encode(), TOO_COMPLEX),
    "app/ladder.py": (ELIF_LADDER.encode(), TOO_COMPLEX),
    "app/nul.py": (b"x = 1\n\ny = 2\x00\n", ("syntax error: source code string cannot",)),
    "app/coding.py": (b"# coding: nonexistent\nx = 1\n", ("unknown encoding: nonexistent",)),
}
# `file-timeout` is short so that an interpreter on which CPython accepts the 20,000-term sum
# (3.10 does) still finishes quickly: libcst is then stopped after 3 s.
PYPROJECT = "[tool.isolint]\nfile-timeout = 3\n"


def hostile_project(tmp_path: Path, fillers: int = 0, pyproject: str = PYPROJECT) -> Path:
    files = {"app/profiles.py": LEAKY}
    files.update({f"app/clean_{n:02d}.py": f"LIMIT_{n} = {n}\n" for n in range(fillers)})
    root = write_project(tmp_path / "proj", files, pyproject)
    for name, (content, _) in HOSTILE.items():
        (root / name).write_bytes(content)
    return root


def run_isolint(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI as a user runs it, with a 60-second limit; the result and its duration."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "isolint", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    return result, time.monotonic() - started


def check_json(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], float]:
    result, seconds = run_isolint(root, "check", ".", "--output-format", "json", *args, env=env)
    assert result.returncode == 1, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout), seconds


def by_path(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        grouped.setdefault(finding["path"], []).append(finding)
    return grouped


def assert_each_hostile_file_is_iso900(findings: list[dict[str, Any]]) -> None:
    grouped = by_path(findings)
    for name, (_, reasons) in HOSTILE.items():
        (finding,) = grouped[name]
        assert finding["code"] == "ISO900", finding
        assert any(reason in finding["message"] for reason in reasons), finding["message"]
    leaks = {(f["path"], f["line"], f["code"]) for f in grouped["app/profiles.py"]}
    assert leaks == {LEAK}


@pytest.mark.parametrize("fillers", [0, 50], ids=["small-run", "worker-pool"])
def test_each_hostile_file_is_iso900_and_the_leak_is_still_found(
    tmp_path: Path, fillers: int
) -> None:
    """A small run analyses in process and sends risky files to a worker; a run above the
    pool threshold analyses every file in supervised workers."""
    root = hostile_project(tmp_path, fillers)
    findings, seconds = check_json(root, "--no-cache", "--jobs", "2")
    assert_each_hostile_file_is_iso900(findings)
    assert seconds < 60


def test_the_reason_is_in_the_text_report(tmp_path: Path) -> None:
    root = hostile_project(tmp_path)
    result, _ = run_isolint(root, "check", ".", "--no-cache")
    assert result.returncode == 1, result.stderr
    assert "app/brackets.py:1:205 ISO900 app/brackets.py: syntax error: too many nested" in (
        result.stdout
    )
    assert "app/nul.py:3:6 ISO900" in result.stdout
    assert "app/profiles.py:13:5 ISO402" in result.stdout
    assert result.stderr == ""
    # the code frames show no raw NUL byte and not the whole 80,000-character line
    assert "\0" not in result.stdout
    assert "y = 2\ufffd" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) < 1000


@pytest.mark.parametrize("fillers", [0, 50], ids=["small-run", "worker-pool"])
def test_a_worker_killed_by_a_signal_costs_that_file_only(tmp_path: Path, fillers: int) -> None:
    """The crash test double: the worker that analyses the marked file dies of SIGSEGV."""
    root = hostile_project(tmp_path, fillers)
    (root / "app" / "crashing.py").write_text("VALUE = 'CRASH-THE-PARSER-HERE'\n")
    env = {CRASH_TEST_VARIABLE: "CRASH-THE-PARSER-HERE"}
    findings, _ = check_json(root, "--no-cache", "--jobs", "2", env=env)
    (crashed,) = by_path(findings)["app/crashing.py"]
    assert crashed["code"] == "ISO900"
    assert "the parser crashed (signal 11, SIGSEGV)" in crashed["message"]
    assert_each_hostile_file_is_iso900(findings)


def test_a_file_over_the_budget_is_iso900_and_cached_under_its_budget(tmp_path: Path) -> None:
    """80,000 list items: CPython parses them in milliseconds, libcst in seconds."""
    root = write_project(
        tmp_path / "proj", {"app/profiles.py": LEAKY}, "[tool.isolint]\nfile-timeout = 1\n"
    )
    (root / "app" / "table.py").write_text("TABLE = [\n" + "    1,\n" * 80_000 + "]\n")
    first, _ = check_json(root)
    (slow,) = by_path(first)["app/table.py"]
    assert slow["code"] == "ISO900"
    assert "took longer than 1 s" in slow["message"], slow["message"]
    assert {(f["path"], f["line"], f["code"]) for f in by_path(first)["app/profiles.py"]} == {LEAK}
    entries = [path.name for path in (root / ".isolint_cache").rglob("*.json")]
    assert any(name.endswith("-failed-1s.json") for name in entries), entries
    # another file changes: the slow file's failure comes from the cache, not a new attempt
    (root / "app" / "other.py").write_text("X = 1\n")
    second, seconds = check_json(root)
    assert second == first
    assert seconds < 10


def test_fix_never_writes_or_trips_over_hostile_files(tmp_path: Path) -> None:
    root = hostile_project(tmp_path)
    mutable_default = "def add(tag: str, tags: list[str] = []) -> list[str]:\n"
    mutable_default += "    tags.append(tag)\n    return tags\n"
    (root / "app" / "tags.py").write_text(mutable_default)
    result, _ = run_isolint(root, "fix", ".")
    assert result.returncode == 1, result.stderr  # the ISO900 findings remain
    assert "Traceback" not in result.stderr
    assert "if tags is None:" in (root / "app" / "tags.py").read_text()  # the fix was applied
    for name, (content, _) in HOSTILE.items():
        assert (root / name).read_bytes() == content, name
        assert f"{name}:" in result.stdout


def test_add_ignore_leaves_hostile_files_alone(tmp_path: Path) -> None:
    """An ignore comment is not written into a file the parsers refuse (it is left as it is,
    and said so); one that both parse but isolint could not analyse takes the comment. The
    leak in the good file is suppressed either way."""
    root = hostile_project(tmp_path)
    result, _ = run_isolint(root, "check", ".", "--no-cache", "--add-ignore=audited")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "# isolint: ignore[ISO402] -- audited" in (root / "app" / "profiles.py").read_text()
    for name, (content, reasons) in HOSTILE.items():
        now = (root / name).read_bytes()
        if reasons == TOO_COMPLEX:  # which parser refuses these depends on the Python
            assert now in (
                content,
                content.replace(b"\n", b"  # isolint: ignore[ISO900] -- audited\n", 1),
            )
        else:
            assert now == content, name
    assert "app/brackets.py: would not parse after the rewrite" in result.stderr


LEGACY = "class DeepAgentState:\n    def __init__(self, user_id: str) -> None:\n"
LEGACY += "        self.user_id = user_id\n"
USES_LEGACY = "from app.state import DeepAgentState\n\n\ndef run(state: DeepAgentState) -> str:\n"
USES_LEGACY += "    return state.user_id\n"


def test_the_codemod_skips_and_reports_hostile_files(tmp_path: Path) -> None:
    root = hostile_project(tmp_path)
    (root / "app" / "state.py").write_text(LEGACY)
    (root / "app" / "run.py").write_text(USES_LEGACY)
    env = {CRASH_TEST_VARIABLE: "CRASH-THE-PARSER-HERE"}
    crashing = "from app.state import DeepAgentState  # CRASH-THE-PARSER-HERE\n"
    (root / "app" / "crashing.py").write_text(crashing)
    # only files that name the legacy class are parsed: a hostile one among them is reported
    deep = "from app.state import DeepAgentState\n\nx = " + "(" * 300 + ")" * 300 + "\n"
    (root / "app" / "deep.py").write_text(deep)
    result, _ = run_isolint(root, "fix", "--codemod", "migrate-context", ".", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "context: UserExecutionContext" in (root / "app" / "run.py").read_text()
    assert (root / "app" / "crashing.py").read_text() == crashing
    assert (
        "app/crashing.py:1: the parser crashed (signal 11, SIGSEGV); the file was skipped"
        in result.stderr
    )
    assert "app/deep.py:3: syntax error: too many nested parentheses" in result.stderr
    assert (root / "app" / "deep.py").read_text() == deep
    assert "app/brackets.py" not in result.stderr  # nothing to migrate there: never parsed
    for name, (content, _) in HOSTILE.items():
        assert (root / name).read_bytes() == content, name


def test_the_repository_itself_is_unaffected() -> None:
    """Sanity: isolint's own sources are shallow and small, so they are analysed in process."""
    from isolint.analysis.source import parse_risk, python_verdict

    for path in sorted((REPO / "isolint").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert parse_risk(python_verdict(text), len(text.encode())) is None, path


@pytest.mark.parametrize("fillers", [0, 30], ids=["in-process", "worker-pool"])
def test_the_codemod_skips_a_file_too_deep_for_libcst_s_python_code(
    tmp_path: Path, fillers: int
) -> None:
    """A 1,000-attribute chain: CPython and libcst's native parser take it, but libcst's
    Python code (positions, code generation) recurses once per attribute and runs out of
    stack. `check` reports it as ISO900; the codemod skips and reports it, in its own process
    as in a worker, and migrates the rest (found by the mutation fuzz tests)."""
    files = {"app/state.py": LEGACY, "app/run.py": USES_LEGACY}
    files.update({f"app/uses_{n:02d}.py": USES_LEGACY for n in range(fillers)})
    root = write_project(tmp_path / "proj", files, PYPROJECT)
    chain = USES_LEGACY + "\nCHAIN = state" + ".user_id" * 1000 + "\n"
    (root / "app" / "chain.py").write_text(chain)
    result, _ = run_isolint(root, "fix", "--codemod", "migrate-context", ".")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert "context: UserExecutionContext" in (root / "app" / "run.py").read_text()
    assert "app/chain.py:1: too deeply nested to migrate; the file was skipped" in result.stderr
    assert (root / "app" / "chain.py").read_text() == chain
