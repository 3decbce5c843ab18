"""The machine-readable outputs and the run options around them, end to end through the CLI.

SARIF 2.1.0 (validated against the official schema, vendored in tests/data), GitHub workflow
commands, JSON lines, ``--statistics``, source read from stdin with ``--stdin-filename``, and
the progress bar (only at a terminal, never when piped).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO, check_demo, run_cli, write_project
from rich.console import Console

from isolint.cli import _progress_bar
from isolint.findings import Finding, Related, Severity
from isolint.progress import DelayedProgress
from isolint.report.github import escape_data, escape_property, github_command
from isolint.report.sarif import line_fingerprint, sarif_log
from isolint.rule_docs import DOCS_BASE_URL
from isolint.rules.catalog import RULES

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
DEMO = REPO / "fixtures" / "agent_platform"

LEAKY = """import sqlite3

CACHE = {}
SEEN = []
conn = sqlite3.connect("app.db")


async def handle(user_id, path, value):
    CACHE[path] = value
    SEEN.append(value)
    SEEN.append(value)


def helper(value):
    SEEN.append(value)


async def route(request):
    helper(request)
"""
LEAKY_COUNTS = {"ISO101": 3, "ISO301": 1, "ISO402": 1}


def leaky_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj", {"app/leaky.py": LEAKY})


def validate_sarif(log: Any) -> None:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    errors = sorted(validator.iter_errors(log), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:10])


def sarif_of(root: Path, *paths: str, cwd: Path | None = None) -> dict[str, Any]:
    result = run_cli(
        "check", *(paths or (".",)), "--no-cache", "--output-format", "sarif", cwd=cwd or root
    )
    assert result.returncode in (0, 1), result.stderr
    assert result.stderr == ""
    log: dict[str, Any] = json.loads(result.stdout)
    return log


# ---- SARIF ---------------------------------------------------------------------------------


def test_sarif_of_the_demo_project_is_valid_and_complete() -> None:
    sarif = check_demo("sarif")
    assert sarif.returncode in (0, 1), sarif.stderr
    assert sarif.stderr == ""
    log = json.loads(sarif.stdout)
    validate_sarif(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    expected = json.loads(check_demo("json").stdout)
    assert len(run["results"]) == len(expected) > 10
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == DEMO.as_uri() + "/"
    for result, finding in zip(run["results"], expected, strict=True):
        assert result["ruleId"] == finding["code"]
        assert result["level"] == finding["severity"]
        assert result["message"]["text"] == finding["message"]
        assert result["properties"]["advice"] == finding["advice"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        # Relative to the project root (fixtures/agent_platform has its own pyproject.toml).
        assert "fixtures/agent_platform/" + artifact["uri"] == finding["path"]
        assert (DEMO / artifact["uri"]).is_file()
        assert location["physicalLocation"]["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
            "endLine": finding["end_line"],
            "endColumn": finding["end_column"],
        }
        related = result.get("relatedLocations", [])
        assert len(related) == len(finding["related"])
        for place, note in zip(related, finding["related"], strict=True):
            uri = place["physicalLocation"]["artifactLocation"]["uri"]
            assert "fixtures/agent_platform/" + uri == note["path"]
            assert place["physicalLocation"]["region"]["startLine"] == note["line"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]
        assert ("fixes" in result) == (finding["fix"] is not None)
        if finding["fix"] is not None:
            (fix,) = result["fixes"]
            (change,) = fix["artifactChanges"]
            assert "fixtures/agent_platform/" + change["artifactLocation"]["uri"] == finding["path"]
            assert [r["insertedContent"]["text"] for r in change["replacements"]] == [
                edit["content"] for edit in finding["fix"]["edits"]
            ]
    assert any("relatedLocations" in result for result in run["results"])
    assert any("fixes" in result for result in run["results"])


def test_sarif_describes_every_rule_with_its_document() -> None:
    log = sarif_log([], REPO)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    for rule in rules:
        assert rule["name"] == RULES[rule["id"]].name
        assert rule["shortDescription"]["text"] == RULES[rule["id"]].summary
        assert rule["fullDescription"]["text"]
        assert rule["help"]["markdown"].startswith(f"# {rule['id']}: ")
        assert rule["help"]["text"]
        assert rule["helpUri"] == f"{DOCS_BASE_URL}/{rule['id']}.md"
        assert rule["helpUri"].startswith("https://github.com/isolint/isolint/blob/main/rules/")
    validate_sarif(log)


def test_sarif_of_a_clean_project_has_no_results(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/clean.py": "LIMIT = 3\n"})
    log = sarif_of(root)
    validate_sarif(log)
    assert log["runs"][0]["results"] == []


def test_sarif_uris_are_relative_to_the_project_root_wherever_the_run_starts(
    tmp_path: Path,
) -> None:
    root = leaky_project(tmp_path)
    from_root = sarif_of(root)
    from_above = sarif_of(root, "proj", cwd=tmp_path)
    from_inside = sarif_of(root, ".", cwd=root / "app")
    for log in (from_root, from_above, from_inside):
        validate_sarif(log)
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]
        }
        assert uris == {"app/leaky.py"}

    def hashes(log: dict[str, Any]) -> list[str]:
        return [
            r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]
        ]

    assert hashes(from_root) == hashes(from_above) == hashes(from_inside)


def test_sarif_fingerprints_survive_moved_code_and_tell_identical_lines_apart(
    tmp_path: Path,
) -> None:
    root = leaky_project(tmp_path)
    before = sarif_of(root)["runs"][0]["results"]
    moved = LEAKY.replace("import sqlite3\n", "import sqlite3\nimport os\n\n\nLIMIT = 3\n")
    (root / "app" / "leaky.py").write_text(moved, encoding="utf-8")
    after = sarif_of(root)["runs"][0]["results"]

    def by_hash(results: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
        return {
            r["partialFingerprints"]["primaryLocationLineHash"]: (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
        }

    old, new = by_hash(before), by_hash(after)
    assert len(old) == len(before) == 5  # the two identical `SEEN.append(value)` lines differ
    assert old.keys() == new.keys()
    for key, (code, line) in old.items():
        assert new[key] == (code, line + 4)


def test_line_fingerprint_ignores_indentation_and_isolint_comments() -> None:
    plain = line_fingerprint("ISO101", "app/x.py", "    SEEN.append(value)")
    assert plain == line_fingerprint("ISO101", "app/x.py", "SEEN.append( value)".replace(" ", ""))
    assert plain == line_fingerprint("ISO101", "app/x.py", "\tSEEN.append(value)  # isolint: x")
    assert plain != line_fingerprint("ISO102", "app/x.py", "SEEN.append(value)")
    assert plain != line_fingerprint("ISO101", "app/y.py", "SEEN.append(value)")
    assert plain != line_fingerprint("ISO101", "app/x.py", "SEEN.append(other)")


def test_sarif_of_a_file_outside_the_root_uses_an_absolute_uri(tmp_path: Path) -> None:
    finding = Finding(
        "ISO101", "mutated-module-container", Severity.WARNING, str(tmp_path / "x.py"),
        1, 1, 1, 5, "message", "fix", (Related(str(tmp_path / "y.py"), 2, "defined here"),),
    )  # fmt: skip
    log = sarif_log([finding], tmp_path / "root", cwd=tmp_path)
    validate_sarif(log)
    result = log["runs"][0]["results"][0]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": (tmp_path / "x.py").as_uri()}
    assert result["level"] == "warning"


# ---- GitHub workflow commands ----------------------------------------------------------------


def test_github_output_has_one_command_per_finding(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", ".", "--no-cache", "--output-format", "github", cwd=root)
    assert result.returncode == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    findings = json.loads(
        run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root).stdout
    )
    assert len(lines) == len(findings) == sum(LEAKY_COUNTS.values())
    for line, finding in zip(lines, findings, strict=True):
        level = "error" if finding["severity"] == "error" else "warning"
        assert line.startswith(
            f"::{level} file={finding['path']},line={finding['line']},col={finding['column']},"
            f"endLine={finding['end_line']},endColumn={finding['end_column']},"
            f"title={finding['code']}::"
        )


def test_github_command_escapes_data_and_properties() -> None:
    finding = Finding(
        "ISO402", "unscoped-registry-write", Severity.WARNING, "app/we,ird:name%.py",
        3, 5, 4, 9, "100% shared\r\nby: all", "key it, by user", (),
    )  # fmt: skip
    command = github_command(finding)
    assert command == (
        "::warning file=app/we%2Cird%3Aname%25.py,line=3,col=5,endLine=4,endColumn=9,"
        "title=ISO402::100%25 shared%0D%0Aby: all%0Afix: key it, by user"
    )
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_property("a:b,c\n") == "a%3Ab%2Cc%0A"


# ---- JSON lines and statistics -----------------------------------------------------------------


def test_json_lines_has_the_json_objects_one_per_line(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    as_json = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root)
    as_lines = run_cli("check", ".", "--no-cache", "--output-format", "json-lines", cwd=root)
    assert as_lines.returncode == as_json.returncode == 1
    assert [json.loads(line) for line in as_lines.stdout.splitlines()] == json.loads(as_json.stdout)


def test_json_lines_of_a_clean_project_is_empty(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/clean.py": "LIMIT = 3\n"})
    result = run_cli("check", ".", "--no-cache", "--output-format", "json-lines", cwd=root)
    assert result.returncode == 0
    assert result.stdout == ""


def test_statistics_text_is_a_table_sorted_by_count_then_code(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", ".", "--no-cache", "--statistics", cwd=root)
    assert result.returncode == 1
    assert result.stderr == ""
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows == [
        ["3", "ISO101", "mutated-module-container"],
        ["1", "ISO301", "module-level-db-session"],
        ["1", "ISO402", "unscoped-registry-write"],
    ]


def test_statistics_json_is_a_list_of_code_name_count(tmp_path: Path) -> None:
    root = leaky_project(tmp_path)
    result = run_cli(
        "check", ".", "--no-cache", "--statistics", "--output-format", "json", cwd=root
    )
    assert result.returncode == 1
    assert json.loads(result.stdout) == [
        {"code": "ISO101", "name": "mutated-module-container", "count": 3},
        {"code": "ISO301", "name": "module-level-db-session", "count": 1},
        {"code": "ISO402", "name": "unscoped-registry-write", "count": 1},
    ]
    lines = run_cli(
        "check", ".", "--no-cache", "--statistics", "--output-format", "json-lines", cwd=root
    )
    assert [json.loads(line) for line in lines.stdout.splitlines()] == json.loads(result.stdout)


def test_statistics_of_a_clean_project_is_empty_and_exits_0(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/clean.py": "LIMIT = 3\n"})
    text = run_cli("check", ".", "--no-cache", "--statistics", cwd=root)
    assert (text.returncode, text.stdout) == (0, "")
    as_json = run_cli(
        "check", ".", "--no-cache", "--statistics", "--output-format", "json", cwd=root
    )
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])


@pytest.mark.parametrize("output_format", ["sarif", "github"])
def test_statistics_with_sarif_or_github_is_a_usage_error(
    tmp_path: Path, output_format: str
) -> None:
    root = leaky_project(tmp_path)
    result = run_cli("check", "--statistics", "--output-format", output_format, cwd=root)
    assert result.returncode == 2
    assert "--statistics" in result.stderr
    assert result.stdout == ""


# ---- stdin --------------------------------------------------------------------------------------

STATE = "ITEMS = []\n"
HANDLER = (
    "from app.state import ITEMS\n\n\nasync def handle(user_id, item):\n    ITEMS.append(item)\n"
)


def test_stdin_is_checked_as_the_named_file_with_its_project_context(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj",
        {"app/state.py": STATE, "app/x.py": "VALUE = 1\n"},
        '[tool.isolint]\nignore = ["ISO402"]\n',
    )
    result = run_cli(
        "check", "-", "--stdin-filename", "app/x.py", "--no-cache", "--output-format", "json",
        cwd=root, stdin=HANDLER,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)
    assert (finding["code"], finding["path"], finding["line"], finding["column"]) == (
        "ISO101",
        "app/x.py",
        5,
        5,
    )
    # The shared list is found in the project's other module, on disk.
    assert finding["related"][0]["path"] == "app/state.py"
    # The file on disk is untouched and is not what was checked.
    assert (root / "app" / "x.py").read_text() == "VALUE = 1\n"


def test_stdin_filename_may_name_a_new_file_and_text_output_shows_its_source(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path / "proj", {"app/state.py": STATE})
    result = run_cli("check", "-", "--stdin-filename", "app/new.py", cwd=root, stdin=HANDLER)
    assert result.returncode == 1, result.stderr
    assert "app/new.py:5:5 ISO101" in result.stdout
    assert ">    5 |     ITEMS.append(item)" in result.stdout
    assert not (root / "app" / "new.py").exists()


def test_stdin_uses_the_configuration_of_the_stdin_filename(tmp_path: Path) -> None:
    write_project(tmp_path / "proj", {"app/state.py": STATE}, '[tool.isolint]\nignore = ["ISO1"]\n')
    result = run_cli(
        "check", "-", "--stdin-filename", "proj/app/new.py", "--no-cache",
        "--output-format", "json", cwd=tmp_path, stdin=HANDLER,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_stdin_sarif_hashes_the_stdin_source(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/state.py": STATE})
    result = run_cli(
        "check", "-", "--stdin-filename", "app/new.py", "--no-cache", "--output-format", "sarif",
        cwd=root, stdin=HANDLER,
    )  # fmt: skip
    log = json.loads(result.stdout)
    validate_sarif(log)
    (sarif_result,) = log["runs"][0]["results"]
    expected = line_fingerprint("ISO101", "app/new.py", "ITEMS.append(item)")
    assert sarif_result["partialFingerprints"]["primaryLocationLineHash"] == f"{expected}:1"


def test_stdin_without_a_filename_and_clean_source(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/state.py": STATE})
    result = run_cli("check", "-", "--no-cache", cwd=root, stdin="LIMIT = 3\n")
    assert result.returncode == 0, result.stderr
    assert "All checks passed" in result.stdout


def test_stdin_with_a_syntax_error_reports_iso900(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/state.py": STATE})
    result = run_cli(
        "check", "-", "--stdin-filename", "app/bad.py", "--no-cache", "--output-format", "json",
        cwd=root, stdin="def broken(:\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert [f["code"] for f in json.loads(result.stdout)] == ["ISO900"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-", "app"), "cannot be combined"),
        (("app", "--stdin-filename", "app/x.py"), "--stdin-filename"),
    ],
)
def test_stdin_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    root = write_project(tmp_path / "proj", {"app/state.py": STATE})
    result = run_cli("check", *args, cwd=root, stdin="")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# ---- progress -----------------------------------------------------------------------------------


def test_piped_runs_print_nothing_on_stderr() -> None:
    for output_format in ("text", "json", "sarif", "github", "json-lines"):
        result = check_demo(output_format)
        assert result.returncode == 1
        assert result.stderr == "", output_format


def test_no_progress_bar_when_stderr_is_not_a_terminal_or_output_is_for_machines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Under pytest stderr is captured, so it is not a terminal.
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    with _progress_bar("text") as bar:
        assert bar is None
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats stderr as a terminal
    with _progress_bar("text") as bar:
        assert isinstance(bar, DelayedProgress)
    for output_format in ("json", "json-lines", "sarif", "github"):
        with _progress_bar(output_format) as bar:
            assert bar is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_progress_bar_appears_only_after_the_delay() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80)
    clock = FakeClock()
    with DelayedProgress(console, delay=2.0, clock=clock) as progress:
        progress(1, 10)
        clock.now += 1.5
        progress(2, 10)
        assert not progress.shown
        clock.now += 1.0
        progress(3, 10)
        assert progress.shown
        progress(10, 10)
    assert "Analysing" in stream.getvalue()


def test_a_run_that_ends_before_the_delay_prints_nothing() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80)
    clock = FakeClock()
    with DelayedProgress(console, delay=2.0, clock=clock) as progress:
        for done in range(11):
            progress(done, 10)
        clock.now += 5
        progress(10, 10)  # finished: no bar for the last update
    assert not progress.shown
    assert stream.getvalue() == ""


def test_the_engine_reports_progress_for_every_file(tmp_path: Path) -> None:
    from isolint.engine import check, load_settings

    root = write_project(tmp_path / "proj", {f"app/m{index}.py": "X = 1\n" for index in range(5)})
    calls: list[tuple[int, int]] = []
    settings = load_settings([root])
    check([root], settings, use_cache=False, jobs=1, cwd=root, progress=lambda *a: calls.append(a))
    total = len(list(root.rglob("*.py")))
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_positions_computed_in_worker_processes_match_those_computed_in_process(
    tmp_path: Path,
) -> None:
    """A run reporting in many modules computes their positions in parallel worker
    processes (an old codebase's every use of the legacy class): same lines as one by one."""
    from isolint.engine import check, load_settings

    uses = (
        "from app.state import DeepAgentState\n\n\n\ndef step(state: DeepAgentState):\n    pass\n"
    )
    files = {"app/state.py": "class DeepAgentState:\n    pass\n"}
    files.update({f"app/step{index}.py": "\n" * index + uses for index in range(20)})
    root = write_project(tmp_path / "proj", files)
    settings = load_settings([root])
    one_by_one = check([root], settings, use_cache=False, jobs=1, cwd=root).findings
    in_workers = check([root], settings, use_cache=False, jobs=2, cwd=root).findings
    located = sorted((f.path, f.line, f.column, f.code) for f in in_workers)
    assert located == sorted((f.path, f.line, f.column, f.code) for f in one_by_one)
    assert ("app/step7.py", 12, 17, "ISO202") in located  # not vacuous: real positions
