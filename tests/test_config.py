"""`[tool.isolint]` in pyproject.toml: which file is used, what each option does, and errors.

The nearest pyproject.toml at or above the checked path wins (a nested project keeps its own
settings). Every option is shown changing a result; every kind of configuration mistake exits
2 with a message that names the file and, where there is one, the key.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import check_project, run_cli, write_project

from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]

APPEND = """SEEN = []


async def remember(request, value):
    SEEN.append(value)
"""


def found(findings: list[Finding]) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.code) for f in findings}


def cli_found(result: subprocess.CompletedProcess[str]) -> set[tuple[str, int, str]]:
    assert "Traceback" not in result.stderr, result.stderr
    return {(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)}


def check_json(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", *args, "--no-cache", "--output-format", "json", cwd=cwd)


# ---- which pyproject.toml ------------------------------------------------------------------


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """An outer project that ignores ISO1 holding an inner project with its own pyproject."""
    outer = write_project(
        tmp_path / "outer", {"app/mod.py": APPEND}, '[tool.isolint]\nignore = ["ISO1"]\n'
    )
    write_project(outer / "inner", {"pkg/mod.py": APPEND}, "[tool.isolint]\n")
    return outer


def test_the_outer_config_applies_to_the_outer_project(nested: Path) -> None:
    assert cli_found(check_json(nested, "app")) == set()


def test_a_nested_project_uses_its_own_pyproject(nested: Path) -> None:
    assert cli_found(check_json(nested, "inner")) == {("inner/pkg/mod.py", 5, "ISO101")}


def test_a_single_file_uses_the_pyproject_nearest_to_it(nested: Path) -> None:
    assert cli_found(check_json(nested, "inner/pkg/mod.py")) == {("inner/pkg/mod.py", 5, "ISO101")}
    assert cli_found(check_json(nested, "app/mod.py")) == set()


def test_the_pyproject_is_found_from_a_subfolder(nested: Path) -> None:
    assert cli_found(check_json(nested / "app")) == set()
    assert cli_found(check_json(nested / "inner" / "pkg")) == {("mod.py", 5, "ISO101")}


def test_a_pyproject_without_a_tool_isolint_table_means_defaults(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND}, '[project]\nname = "x"\n')
    assert cli_found(check_json(root, ".")) == {("app/mod.py", 5, "ISO101")}


def test_tables_of_other_commands_are_accepted(project: MakeProject) -> None:
    pyproject = (
        '[tool.isolint]\nselect = ["ISO"]\n\n[tool.isolint.race]\nusers = 4\n\n'
        '[tool.isolint.migrate-context]\nlegacy = "app.state.DeepAgentState"\n'
    )
    assert found(project({"app/mod.py": APPEND}, pyproject)) == {("app/mod.py", 5, "ISO101")}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "[tool.isolint.race]\nuser = 4",
            "unknown option `user` in [tool.isolint.race]; did you mean `users`?",
        ),
        ('[tool.isolint.race]\nbudget = "5"', "`budget` in [tool.isolint.race] must be"),
        ('[tool.isolint.race]\nhooks = "tests"', "`hooks` in [tool.isolint.race] must be"),
        ("[tool.isolint]\nrace = 3", "[tool.isolint.race] must be a table"),
        (
            '[tool.isolint.migrate-context]\nlegacy-class = "A"',
            "unknown option `legacy-class` in [tool.isolint.migrate-context]",
        ),
    ],
    ids=["race-unknown-key", "race-wrong-type", "race-list", "race-not-a-table", "migrate"],
)
def test_check_reports_a_mistake_in_another_commands_table(
    tmp_path: Path, table: str, message: str
) -> None:
    """A typo in [tool.isolint.race] must not wait for `isolint race run` to surface: `check`
    stops with exit 2, as for a mistake in [tool.isolint] itself."""
    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND}, f"{table}\n")
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert str((root / "pyproject.toml").resolve()) in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("table", "hint"),
    [
        ('[tool.isolint]\nselcet = ["ISO1"]', "did you mean `select`?"),
        ('[tool.isolint]\nextend-exlude = ["x"]', "did you mean `extend-exclude`?"),
        ("[tool.isolint.race]\nbudgett = 3", "did you mean `budget`?"),
    ],
)
def test_an_unknown_key_suggests_the_nearest_known_one(
    project: MakeProject, table: str, hint: str
) -> None:
    from isolint.config import ConfigError

    with pytest.raises(ConfigError) as error:
        project({"app/mod.py": APPEND}, f"{table}\n")
    assert hint in str(error.value)
    assert "(known: " in str(error.value)


def test_an_unknown_key_far_from_any_known_one_suggests_nothing(project: MakeProject) -> None:
    from isolint.config import ConfigError

    with pytest.raises(ConfigError) as error:
        project({"app/mod.py": APPEND}, "[tool.isolint]\nzzzz = 1\n")
    assert "did you mean" not in str(error.value)


# ---- select / ignore -----------------------------------------------------------------------


LEAKY = """import sqlite3

CACHE = {}
SEEN = []
conn = sqlite3.connect("app.db")


async def handle(request, path, value):
    CACHE[path] = value
    SEEN.append(value)
"""


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("", {"ISO101", "ISO301", "ISO402"}),
        ('select = ["ISO1", "ISO3"]', {"ISO101", "ISO301"}),
        ('ignore = ["ISO301"]', {"ISO101", "ISO402"}),
        ('select = ["ISO1"]\nextend-select = ["ISO4"]', {"ISO101", "ISO402"}),
        ('select = ["ISO"]\nignore = ["ISO1", "ISO4"]', {"ISO301"}),
        ('select = ["ISO101"]\nignore = ["ISO1"]', {"ISO101"}),
    ],
)
def test_select_and_ignore_in_pyproject(
    project: MakeProject, table: str, expected: set[str]
) -> None:
    findings = project({"app/leaky.py": LEAKY}, f"[tool.isolint]\n{table}\n")
    assert {finding.code for finding in findings} == expected


# ---- analysis options ----------------------------------------------------------------------


LEGACY = {
    "app/state.py": "class DeepAgentState:\n    pass\n\n\nclass LegacyCtx:\n    pass\n",
    "app/use.py": """from app.state import DeepAgentState
from app.state import LegacyCtx


def old(state: DeepAgentState) -> None:
    return None


def new(state: LegacyCtx) -> None:
    return None
""",
}


def test_legacy_state_classes_default_is_deep_agent_state(project: MakeProject) -> None:
    assert found(project(LEGACY)) == {("app/use.py", 1, "ISO201"), ("app/use.py", 5, "ISO202")}


def test_legacy_state_classes_replaces_the_default(project: MakeProject) -> None:
    findings = project(LEGACY, '[tool.isolint]\nlegacy-state-classes = ["LegacyCtx"]\n')
    assert found(findings) == {("app/use.py", 2, "ISO201"), ("app/use.py", 9, "ISO202")}
    assert all("LegacyCtx" in finding.message for finding in findings)


def test_context_class_names_the_replacement_in_the_fix(project: MakeProject) -> None:
    default = project(LEGACY)
    assert default and all("UserExecutionContext" in f.advice for f in default)
    custom = project(LEGACY, '[tool.isolint]\ncontext-class = "RequestScope"\n')
    assert custom and all("RequestScope" in f.advice for f in custom)
    assert not any("UserExecutionContext" in f.advice for f in custom)


WORKSPACE_STORE = """STORE = {}


async def save(request, workspace_name, value):
    STORE[workspace_name] = value


async def save_for_user(request, uid, value):
    STORE[uid] = value
"""


def test_user_key_patterns_default_does_not_know_a_workspace_name(project: MakeProject) -> None:
    assert found(project({"app/store.py": WORKSPACE_STORE})) == {("app/store.py", 5, "ISO402")}


def test_user_key_patterns_adding_workspace_name_silences_the_write(project: MakeProject) -> None:
    pyproject = '[tool.isolint]\nuser-key-patterns = ["uid", "workspace_name"]\n'
    assert found(project({"app/store.py": WORKSPACE_STORE}, pyproject)) == set()


def test_user_key_patterns_replaces_the_defaults(project: MakeProject) -> None:
    pyproject = '[tool.isolint]\nuser-key-patterns = ["workspace_name"]\n'
    assert found(project({"app/store.py": WORKSPACE_STORE}, pyproject)) == {
        ("app/store.py", 9, "ISO402")
    }


DSL = """from framework import Record


class Note(Record):
    tags = []

    async def tag(self, request):
        self.tags.append(request)
"""


def test_dsl_bases_adding_a_base_silences_iso103(project: MakeProject) -> None:
    assert found(project({"app/models.py": DSL})) == {("app/models.py", 8, "ISO103")}
    assert (
        found(project({"app/models.py": DSL}, '[tool.isolint]\ndsl-bases = ["Record"]\n')) == set()
    )


def test_dsl_bases_extends_the_defaults(project: MakeProject) -> None:
    pydantic = DSL.replace("from framework import Record", "from pydantic import BaseModel")
    pydantic = pydantic.replace("(Record)", "(BaseModel)")
    assert (
        found(project({"app/models.py": pydantic}, '[tool.isolint]\ndsl-bases = ["Record"]\n'))
        == set()
    )


ENTRY = """from framework import endpoint

SEEN = []


@endpoint
def view(item):
    SEEN.append(item)


@endpoint
def listing():
    return list(SEEN)
"""


def test_entry_decorators_make_the_write_an_entry_point_error(project: MakeProject) -> None:
    # Without the decorator known as an entry point nothing shows the write runs per request.
    assert project({"app/views.py": ENTRY}) == []
    (custom,) = project(
        {"app/views.py": ENTRY}, '[tool.isolint]\nentry-decorators = ["endpoint"]\n'
    )
    assert (custom.code, custom.line, custom.severity.value) == ("ISO101", 8, "error")


SESSIONS = """import mydb
import sqlite3

conn = mydb.open()
raw = sqlite3.connect("app.db")
"""


def test_session_constructors_adds_a_constructor(project: MakeProject) -> None:
    assert found(project({"app/db.py": SESSIONS})) == {("app/db.py", 5, "ISO301")}
    findings = project(
        {"app/db.py": SESSIONS}, '[tool.isolint]\nsession-constructors = ["mydb.open"]\n'
    )
    assert found(findings) == {("app/db.py", 4, "ISO301"), ("app/db.py", 5, "ISO301")}


REGISTRY = """class Registry:
    def __init__(self):
        self.current = None


REGISTRY = Registry()


async def set_current(request, value):
    REGISTRY.current = value
"""


def test_shared_safe_types_silences_writes_to_its_instances(project: MakeProject) -> None:
    assert found(project({"app/reg.py": REGISTRY})) == {("app/reg.py", 10, "ISO101")}
    pyproject = '[tool.isolint]\nshared-safe-types = ["Registry"]\n'
    assert found(project({"app/reg.py": REGISTRY}, pyproject)) == set()


# ---- which files ---------------------------------------------------------------------------


def test_default_excludes_skip_virtualenvs_builds_and_caches(project: MakeProject) -> None:
    skipped = [
        ".venv/lib/python3.11/site-packages/pkg/mod.py",
        "venv/mod.py",
        ".git/hooks/mod.py",
        "build/lib/mod.py",
        "dist/mod.py",
        ".tox/py311/mod.py",
        "__pycache__/mod.py",
        ".mypy_cache/mod.py",
        "lib/site-packages/mod.py",
        "node_modules/pkg/mod.py",
        "thing.egg-info/mod.py",
    ]
    files = {"app/mod.py": APPEND, **{path: APPEND for path in skipped}}
    assert found(project(files)) == {("app/mod.py", 5, "ISO101")}


def test_default_excludes_skip_tests_and_end_to_end_suites(project: MakeProject) -> None:
    skipped = [
        "tests/mod.py",
        "app/test_mod.py",
        "app/tests.py",
        "app/views_tests.py",
        "e2e/app.py",
        "e2e_playwright/st_cache.py",
        "web_e2e/app.py",
        "cypress/e2e/data_layer/main.py",
    ]
    files = {"app/mod.py": APPEND, **{path: APPEND for path in skipped}}
    assert found(project(files)) == {("app/mod.py", 5, "ISO101")}


def test_exclude_skips_a_folder(project: MakeProject) -> None:
    files = {"app/mod.py": APPEND, "generated/mod.py": APPEND}
    assert len(project(files)) == 2
    assert found(project(files, '[tool.isolint]\nexclude = ["generated"]\n')) == {
        ("app/mod.py", 5, "ISO101")
    }


def test_extend_exclude_skips_a_glob_and_keeps_the_defaults(project: MakeProject) -> None:
    files = {"app/mod.py": APPEND, "app/api_pb2.py": APPEND, ".venv/mod.py": APPEND}
    findings = project(files, '[tool.isolint]\nextend-exclude = ["*_pb2.py"]\n')
    assert found(findings) == {("app/mod.py", 5, "ISO101")}


def test_exclude_with_a_slash_matches_the_path_from_the_root(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj",
        {"app/mod.py": APPEND, "app/generated/gen.py": APPEND},
        '[tool.isolint]\nextend-exclude = ["app/generated"]\n',
    )
    assert cli_found(check_json(root, ".")) == {("app/mod.py", 5, "ISO101")}


def test_exclude_with_a_slash_does_not_depend_on_the_checked_path(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj",
        {"app/mod.py": APPEND, "app/generated/gen.py": APPEND},
        '[tool.isolint]\nextend-exclude = ["app/generated"]\n',
    )
    assert cli_found(check_json(root, "app")) == {("app/mod.py", 5, "ISO101")}
    assert cli_found(check_json(root / "app")) == {("mod.py", 5, "ISO101")}


def test_a_file_named_on_the_command_line_is_checked_even_if_excluded(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj",
        {"app/mod.py": APPEND, "generated/mod.py": APPEND},
        '[tool.isolint]\nextend-exclude = ["generated"]\n',
    )
    assert cli_found(check_json(root, ".")) == {("app/mod.py", 5, "ISO101")}
    assert cli_found(check_json(root, "generated/mod.py")) == {("generated/mod.py", 5, "ISO101")}


PER_FILE = {
    "app/mod.py": APPEND,
    "jobs/mod.py": APPEND
    + "\n\nCACHE = {}\n\n\nasync def put(request, path, value):\n    CACHE[path] = value\n",
}


def test_per_file_ignores_silences_codes_for_matching_paths(project: MakeProject) -> None:
    assert found(project(PER_FILE)) == {
        ("app/mod.py", 5, "ISO101"),
        ("jobs/mod.py", 5, "ISO101"),
        ("jobs/mod.py", 12, "ISO402"),
    }
    findings = project(PER_FILE, '[tool.isolint]\nper-file-ignores = {"jobs/*" = ["ISO1"]}\n')
    assert found(findings) == {("app/mod.py", 5, "ISO101"), ("jobs/mod.py", 12, "ISO402")}


def test_per_file_ignores_match_from_the_project_root_in_a_subfolder(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj", PER_FILE, '[tool.isolint]\nper-file-ignores = {"jobs/*" = ["ISO1"]}\n'
    )
    assert cli_found(check_json(root / "jobs")) == {("mod.py", 12, "ISO402")}


# ---- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("bogus = 1", "bogus"),
        ('selcet = ["ISO1"]', "selcet"),
        ('select = "ISO1"', "select"),
        ('ignore = "ISO101"', "ignore"),
        ('exclude = "build"', "exclude"),
        ("legacy-state-classes = [1]", "legacy-state-classes"),
        ('context-class = ["A"]', "context-class"),
        ('context-class = ""', "context-class"),
        ('user-key-patterns = "workspace_id"', "user-key-patterns"),
        ('session-constructors = "mydb.open"', "session-constructors"),
        ("shared-safe-types = true", "shared-safe-types"),
        ('dsl-bases = "Record"', "dsl-bases"),
        ('entry-decorators = {"x" = 1}', "entry-decorators"),
        ('select = ["E501"]', "select"),
        ('extend-select = ["ISO1", "PLW0603"]', "extend-select"),
        ('per-file-ignores = ["tests/*"]', "per-file-ignores"),
        ('per-file-ignores = {"tests/*" = ["X1"]}', "per-file-ignores"),
        ('per-file-ignores = {"tests/*" = "ISO1"}', "per-file-ignores"),
        ("baseline = true", "baseline"),
        ('baseline = ""', "baseline"),
        ('file-timeout = "10"', "file-timeout"),
        ("file-timeout = 0", "file-timeout"),
        ("file-timeout = -2.5", "file-timeout"),
        ("file-timeout = true", "file-timeout"),
        ("file-timeout = inf", "file-timeout"),
        ("file-timeout = nan", "file-timeout"),
    ],
)
def test_a_bad_option_exits_2_naming_the_key_and_the_file(
    tmp_path: Path, table: str, key: str
) -> None:
    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND}, f"[tool.isolint]\n{table}\n")
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode == 2, result.stdout + result.stderr
    assert key in result.stderr
    assert str((root / "pyproject.toml").resolve()) in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        "[tool.isolint\nselect = []\n",
        "[tool.isolint]\nselect = [\n",
        "[tool.isolint]\nselect = ISO1\n",
    ],
    ids=["unclosed-header", "unclosed-list", "bare-value"],
)
def test_invalid_toml_exits_2_naming_the_file(tmp_path: Path, text: str) -> None:
    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND}, text)
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode == 2
    assert str((root / "pyproject.toml").resolve()) in result.stderr
    assert "TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_tool_isolint_that_is_not_a_table_exits_2(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND}, "[tool]\nisolint = 3\n")
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode == 2
    assert "tool.isolint" in result.stderr
    assert "pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_config_file_given_with_config_is_named(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND})
    config = tmp_path / "custom.toml"
    config.write_text("[tool.isolint]\nunknown-thing = 1\n", encoding="utf-8")
    result = run_cli("check", ".", "--config", str(config), "--no-cache", cwd=root)
    assert result.returncode == 2
    assert "unknown-thing" in result.stderr
    assert "custom.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_error_in_a_nested_pyproject_names_that_file(nested: Path) -> None:
    (nested / "inner" / "pyproject.toml").write_text(
        '[tool.isolint]\nignore = "ISO1"\n', encoding="utf-8"
    )
    result = run_cli("check", "inner", "--no-cache", cwd=nested)
    assert result.returncode == 2
    assert str((nested / "inner" / "pyproject.toml").resolve()) in result.stderr
    assert "ignore" in result.stderr


def test_in_process_api_raises_config_error(tmp_path: Path) -> None:
    from isolint.config import ConfigError

    root = write_project(tmp_path / "proj", {"app/mod.py": APPEND}, "[tool.isolint]\nbogus = 1\n")
    with pytest.raises(ConfigError, match="bogus"):
        check_project(root)
