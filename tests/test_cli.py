"""The command line end to end, through the real ``python -m isolint`` in a subprocess.

Covers the exit codes (0 clean, 1 findings, 2 usage/config/internal error), rule selection
with codes and prefixes (`--select`, `--ignore`, `--extend-select`, the most specific prefix
wins), `--exit-zero`, `--version`, `--config FILE`, the default path `.`, and which stream
each kind of output goes to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli, write_project

from isolint import __version__

# One finding of each of four codes, at known lines.
LEAKY = """import sqlite3

CACHE = {}
SEEN = []
CURRENT = None
conn = sqlite3.connect("app.db")


async def handle(request, path, value):
    global CURRENT
    CACHE[path] = value
    SEEN.append(value)
    CURRENT = value
"""
LEAKY_FINDINGS = {
    ("app/leaky.py", 6, "ISO301"),
    ("app/leaky.py", 11, "ISO402"),
    ("app/leaky.py", 12, "ISO101"),
    ("app/leaky.py", 13, "ISO102"),
}
ALL_CODES = {code for _, _, code in LEAKY_FINDINGS}

CLEAN = """LIMIT = 3


def total(values: list[int]) -> int:
    seen = []
    for value in values[:LIMIT]:
        seen.append(value)
    return sum(seen)
"""


def leaky_project(tmp_path: Path, pyproject: str = "") -> Path:
    return write_project(tmp_path / "proj", {"app/leaky.py": LEAKY}, pyproject)


def clean_project(tmp_path: Path, pyproject: str = "") -> Path:
    return write_project(tmp_path / "proj", {"app/clean.py": CLEAN}, pyproject)


def json_codes(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return {finding["code"] for finding in json.loads(result.stdout)}


def check_json(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", ".", "--no-cache", "--output-format", "json", *args, cwd=root)


# ---- exit codes and streams ---------------------------------------------------------------


def test_clean_project_exits_0(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed" in result.stdout
    assert result.stderr == ""


def test_leaky_project_exits_1_with_findings_on_stdout(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    for path, line, code in LEAKY_FINDINGS:
        assert f"{path}:{line}:" in result.stdout
        assert code in result.stdout
    assert "Found 4 findings" in result.stdout


def test_json_output_lists_every_finding(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = check_json(root)
    assert result.returncode == 1
    found = {(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)}
    assert found == LEAKY_FINDINGS


def test_json_output_of_a_clean_project_is_an_empty_list(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    result = check_json(root)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_unknown_option_exits_2(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    result = run_cli("check", "--no-such-option", cwd=root)
    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_unknown_output_format_exits_2(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    result = run_cli("check", "--output-format", "xml", cwd=root)
    assert result.returncode == 2
    assert "xml" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_exits_2_and_names_it(tmp_path: Path) -> None:
    root = clean_project(tmp_path)
    result = run_cli("check", "does_not_exist.py", cwd=root)
    assert result.returncode == 2
    assert "does_not_exist.py" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_a_missing_path_among_existing_ones_still_exits_2(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", "app", "nowhere", "--no-cache", cwd=root)
    assert result.returncode == 2
    assert "nowhere" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--select", "E501"),
        ("check", "--ignore", "ISO-1"),
        ("check", "--extend-select", "W"),
        ("check", "--config", "missing.toml"),
        ("check", "--jobs", "0"),
        ("no-such-command",),
    ],
    ids=["bad-select", "bad-ignore", "bad-extend-select", "missing-config", "jobs-0", "command"],
)
def test_usage_errors_exit_2_on_stderr_without_traceback(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    root = leaky_project(tmp_path)
    result = run_cli(*args, cwd=root)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip()
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_bad_code_in_select_names_the_option_and_the_code(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", "--select", "ISO1,E501", cwd=root)
    assert result.returncode == 2
    assert "--select" in result.stderr
    assert "E501" in result.stderr


# ---- rule selection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ALL_CODES),
        (("--select", "ISO"), ALL_CODES),
        (("--select", "ISO1"), {"ISO101", "ISO102"}),
        (("--select", "ISO101"), {"ISO101"}),
        (("--select", "ISO1,ISO301"), {"ISO101", "ISO102", "ISO301"}),
        (("--select", "ISO1, ISO301"), {"ISO101", "ISO102", "ISO301"}),
        (("--select", "iso1"), {"ISO101", "ISO102"}),
        (("--ignore", "ISO1"), {"ISO301", "ISO402"}),
        (("--ignore", "ISO402"), {"ISO101", "ISO102", "ISO301"}),
        (("--ignore", "ISO402,ISO3"), {"ISO101", "ISO102"}),
        (("--select", "ISO1", "--ignore", "ISO101"), {"ISO102"}),
        (("--select", "ISO101", "--ignore", "ISO1"), {"ISO101"}),
        (("--select", "ISO1", "--ignore", "ISO1"), set()),
        (("--select", "ISO3", "--extend-select", "ISO402"), {"ISO301", "ISO402"}),
        (("--extend-select", "ISO1"), ALL_CODES),
        (("--select", "ISO5"), set()),
    ],
)
def test_rule_selection(tmp_path: Path, args: tuple[str, ...], expected: set[str]) -> None:
    root = leaky_project(tmp_path)
    result = check_json(root, *args)
    assert json_codes(result) == expected
    assert result.returncode == (1 if expected else 0)


def test_most_specific_prefix_wins_over_order_of_options(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    first = check_json(root, "--ignore", "ISO101", "--select", "ISO1")
    second = check_json(root, "--select", "ISO1", "--ignore", "ISO101")
    assert json_codes(first) == json_codes(second) == {"ISO102"}


def test_extend_select_adds_to_the_config_file_select(tmp_path: Path) -> None:
    root = leaky_project(tmp_path, '[tool.isolint]\nselect = ["ISO1"]\n')
    assert json_codes(check_json(root)) == {"ISO101", "ISO102"}
    assert json_codes(check_json(root, "--extend-select", "ISO301")) == {
        "ISO101",
        "ISO102",
        "ISO301",
    }


def test_command_line_select_replaces_the_config_file_select(tmp_path: Path) -> None:
    root = leaky_project(tmp_path, '[tool.isolint]\nselect = ["ISO3"]\n')
    assert json_codes(check_json(root)) == {"ISO301"}
    assert json_codes(check_json(root, "--select", "ISO4")) == {"ISO402"}


def test_command_line_ignore_adds_to_the_config_file_ignore(tmp_path: Path) -> None:
    root = leaky_project(tmp_path, '[tool.isolint]\nignore = ["ISO3"]\n')
    assert json_codes(check_json(root, "--ignore", "ISO402")) == {"ISO101", "ISO102"}


# ---- flags ---------------------------------------------------------------------------------


def test_exit_zero_still_prints_the_findings(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = check_json(root, "--exit-zero")
    assert result.returncode == 0
    assert json_codes(result) == ALL_CODES


def test_exit_zero_does_not_hide_errors(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", "missing_dir", "--exit-zero", cwd=root)
    assert result.returncode == 2


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout
    assert "isolint" in result.stdout
    assert result.stderr == ""


def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    module = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root)
    assert module.returncode == 1
    script = Path(sys.executable).with_name("isolint")
    if not script.exists():
        pytest.skip("the isolint console script is not installed next to this interpreter")
    direct = subprocess.run(
        [str(script), "check", ".", "--no-cache", "--output-format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert direct.returncode == module.returncode
    assert direct.stdout == module.stdout


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [("None", 0, ""), ("1", 1, ""), ("2", 2, ""), ("'a message'", 1, "a message\n")],
)
def test_leaving_without_clean_up_keeps_exit_status_and_buffered_output(
    code: str, status: int, stderr: str
) -> None:
    """The console script exits without the interpreter's clean-up: what ``sys.exit(code)``
    would have meant must hold, and output still in a pipe's buffer must not be lost."""
    program = f"from isolint.cli import _leave\nprint('x' * 100_000)\n_leave({code})\n"
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == status
    assert result.stdout == "x" * 100_000 + "\n"
    assert result.stderr == stderr


def test_help_lists_the_check_options() -> None:
    result = run_cli("check", "--help")
    assert result.returncode == 0
    for option in ("--select", "--ignore", "--extend-select", "--output-format", "--exit-zero"):
        assert option in result.stdout
    for option in ("--config", "--no-cache"):
        assert option in result.stdout


def test_default_path_is_the_current_folder(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    implicit = run_cli("check", "--no-cache", "--output-format", "json", cwd=root)
    explicit = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root)
    assert implicit.returncode == explicit.returncode == 1
    assert implicit.stdout == explicit.stdout
    found = {(f["path"], f["line"], f["code"]) for f in json.loads(implicit.stdout)}
    assert found == LEAKY_FINDINGS


def test_paths_are_shown_relative_to_the_current_folder(tmp_path: Path) -> None:
    leaky_project(tmp_path)
    result = run_cli("check", "proj", "--no-cache", "--output-format", "json", cwd=tmp_path)
    paths = {finding["path"] for finding in json.loads(result.stdout)}
    assert paths == {"proj/app/leaky.py"}


def test_single_file_and_several_paths(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj", {"app/leaky.py": LEAKY, "app/clean.py": CLEAN, "lib/other.py": LEAKY}
    )
    one = run_cli("check", "app/leaky.py", "--no-cache", "--output-format", "json", cwd=root)
    assert {f["path"] for f in json.loads(one.stdout)} == {"app/leaky.py"}
    clean = run_cli("check", "app/clean.py", "--no-cache", cwd=root)
    assert clean.returncode == 0
    assert "1 file checked" in clean.stdout
    both = run_cli(
        "check", "app/leaky.py", "lib", "--no-cache", "--output-format", "json", cwd=root
    )
    assert {f["path"] for f in json.loads(both.stdout)} == {"app/leaky.py", "lib/other.py"}


# ---- --config ------------------------------------------------------------------------------


def test_config_file_replaces_the_nearest_pyproject(tmp_path: Path) -> None:
    root = leaky_project(tmp_path, '[tool.isolint]\nignore = ["ISO1"]\n')
    assert json_codes(check_json(root)) == {"ISO301", "ISO402"}
    other = tmp_path / "configs" / "strict.toml"
    other.parent.mkdir()
    other.write_text('[tool.isolint]\nselect = ["ISO1"]\n', encoding="utf-8")
    result = check_json(root, "--config", str(other))
    assert json_codes(result) == {"ISO101", "ISO102"}


def test_config_file_with_an_error_exits_2_naming_it(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    other = tmp_path / "broken.toml"
    other.write_text('[tool.isolint]\nselect = "ISO1"\n', encoding="utf-8")
    result = run_cli("check", ".", "--config", str(other), cwd=root)
    assert result.returncode == 2
    assert "broken.toml" in result.stderr
    assert "select" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_option_rejects_a_folder(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", ".", "--config", str(tmp_path), cwd=root)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_an_empty_folder_says_nothing_was_checked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    result = run_cli("check", "empty", cwd=tmp_path)
    assert result.returncode == 0
    assert "No Python files found to check." in result.stdout
    assert "All checks passed" not in result.stdout
