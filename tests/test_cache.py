"""The per-file cache in ``.isolint_cache/`` at the project root, through the real CLI.

A cached run must give exactly what a ``--no-cache`` run gives: after edits (of the file or of
a module it imports), after configuration changes, with corrupted entries, and with two runs
at once. One project here has more files than the engine's process-pool threshold, so the
parallel path is exercised too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli, write_project

from isolint import __version__

CACHE = ".isolint_cache"

STATE = "SEEN = []\nCACHE = {}\n"
API = """from app.state import CACHE, SEEN


async def remember(request, value):
    SEEN.append(value)


async def store(request, path, value):
    CACHE[path] = value
"""
LEGACY = """from app.models import DeepAgentState, LegacyCtx


def run(state: DeepAgentState, other: LegacyCtx) -> None:
    return None
"""
MODELS = "class DeepAgentState:\n    pass\n\n\nclass LegacyCtx:\n    pass\n"


def small_project(tmp_path: Path, pyproject: str = "") -> Path:
    files = {"app/state.py": STATE, "app/api.py": API, "app/models.py": MODELS}
    files["app/legacy.py"] = LEGACY
    return write_project(tmp_path / "proj", files, pyproject)


def big_project(tmp_path: Path, count: int = 70) -> Path:
    """More files than the pool threshold (48), each with one finding of its own."""
    files = {
        f"app/handlers_{n:02d}.py": (
            f"SEEN_{n} = []\n\n\nasync def handle_{n}(request, value):\n"
            f"    SEEN_{n}.append(value)\n"
        )
        for n in range(count)
    }
    files["app/clean.py"] = "LIMIT = 3\n"
    return write_project(tmp_path / "big", files)


def check(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = run_cli("check", *args, "--output-format", "json", cwd=cwd or root)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return result


@pytest.fixture(scope="module")
def uncached(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``check . --no-cache`` of the small project, run once: its output names paths relative
    to the project, so it is what every fresh copy of the project gives."""
    return check(small_project(tmp_path_factory.mktemp("uncached")), ".", "--no-cache")


def cache_entries(root: Path) -> list[Path]:
    return sorted((root / CACHE).rglob("*.json"))


def assert_cached_equals_uncached(root: Path, *args: str) -> str:
    uncached = check(root, ".", "--no-cache", *args)
    first = check(root, ".", *args)
    second = check(root, ".", *args)
    assert first.stdout == uncached.stdout
    assert second.stdout == uncached.stdout
    assert first.returncode == second.returncode == uncached.returncode
    return uncached.stdout


def test_cached_runs_give_the_same_output_as_no_cache(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    output = assert_cached_equals_uncached(root)
    assert '"ISO101"' in output and '"ISO402"' in output and '"ISO202"' in output
    assert cache_entries(root)


def test_cached_runs_with_the_process_pool_give_the_same_output(tmp_path: Path) -> None:
    root = big_project(tmp_path)
    output = assert_cached_equals_uncached(root, "--jobs", "2")
    assert output.count('"ISO101"') == 70
    assert len(cache_entries(root)) >= 71


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    check(root, ".", "--no-cache")
    assert not (root / CACHE).exists()


def test_cache_folder_is_at_the_project_root_not_the_cwd(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    check(root, ".", cwd=root / "app")
    assert (root / CACHE).is_dir()
    assert cache_entries(root)
    assert not (root / "app" / CACHE).exists()
    check(root, "proj/app", cwd=tmp_path)
    assert not (tmp_path / CACHE).exists()


def test_cache_folder_ignores_itself_for_git(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    check(root, ".")
    gitignore = root / CACHE / ".gitignore"
    assert gitignore.is_file()
    assert "*" in gitignore.read_text(encoding="utf-8").split()


def test_entries_are_keyed_by_version_and_analysis_options(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    check(root, ".")
    (folder,) = [path for path in (root / CACHE).iterdir() if path.is_dir()]
    assert folder.name.startswith(f"v{__version__}-")
    (root / "pyproject.toml").write_text(
        '[tool.isolint]\nlegacy-state-classes = ["LegacyCtx"]\n', encoding="utf-8"
    )
    check(root, ".")
    folders = [path for path in (root / CACHE).iterdir() if path.is_dir()]
    assert len(folders) == 2


def test_editing_a_file_changes_its_result(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    before = check(root, ".")
    assert '"app/api.py"' in before.stdout
    api = root / "app" / "api.py"
    api.write_text(API.replace("SEEN.append(value)", "return [*SEEN, value]"), encoding="utf-8")
    after = check(root, ".")
    assert after.stdout == check(root, ".", "--no-cache").stdout
    assert after.stdout.count('"ISO101"') == before.stdout.count('"ISO101"') - 1


def test_editing_an_imported_module_changes_the_result_of_its_importer(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    before = check(root, ".")
    assert '"ISO101"' in before.stdout
    (root / "app" / "state.py").write_text("SEEN = ()\nCACHE = {}\n", encoding="utf-8")
    after = check(root, ".")
    assert '"ISO101"' not in after.stdout
    assert after.stdout == check(root, ".", "--no-cache").stdout


def test_reverting_an_edit_gives_the_first_result_again(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    first = check(root, ".").stdout
    api = root / "app" / "api.py"
    api.write_text(API + "\n\nasync def extra(request, v):\n    SEEN.append(v)\n", encoding="utf-8")
    assert check(root, ".").stdout != first
    api.write_text(API, encoding="utf-8")
    assert check(root, ".").stdout == first


@pytest.mark.parametrize(
    "table",
    [
        'ignore = ["ISO4"]',
        'select = ["ISO2"]',
        'legacy-state-classes = ["LegacyCtx"]',
        'user-key-patterns = ["path"]',
        'per-file-ignores = {"app/api.py" = ["ISO1"]}',
    ],
)
def test_a_config_change_is_honoured_with_the_cache(tmp_path: Path, table: str) -> None:
    root = small_project(tmp_path)
    default = check(root, ".").stdout
    (root / "pyproject.toml").write_text(f"[tool.isolint]\n{table}\n", encoding="utf-8")
    changed = check(root, ".")
    assert changed.stdout == check(root, ".", "--no-cache").stdout
    assert changed.stdout != default
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    assert check(root, ".").stdout == default


def test_legacy_state_classes_change_moves_the_findings(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    assert "`DeepAgentState` is used as an annotation" in check(root, ".").stdout
    (root / "pyproject.toml").write_text(
        '[tool.isolint]\nlegacy-state-classes = ["LegacyCtx"]\n', encoding="utf-8"
    )
    output = check(root, ".").stdout
    assert "`LegacyCtx` is used as an annotation" in output
    assert "`DeepAgentState` is used" not in output


def test_command_line_selection_is_honoured_with_the_cache(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    check(root, ".")
    selected = check(root, ".", "--select", "ISO4")
    assert selected.stdout == check(root, ".", "--no-cache", "--select", "ISO4").stdout
    assert '"ISO101"' not in selected.stdout and '"ISO402"' in selected.stdout


def corrupt_every_entry(root: Path, payload: bytes) -> int:
    entries = cache_entries(root)
    for entry in entries:
        entry.write_bytes(payload)
    return len(entries)


@pytest.mark.parametrize(
    "payload",
    [
        b"garbage",
        b"",
        b"\xff\xfe\x00\x00not utf-8",
        b'{"bindings": {',
        b"null",
    ],
    ids=["text", "empty", "binary", "truncated", "null"],
)
def test_a_corrupted_cache_entry_is_a_miss(
    tmp_path: Path, payload: bytes, uncached: subprocess.CompletedProcess[str]
) -> None:
    root = small_project(tmp_path)
    expected = uncached
    check(root, ".")
    assert corrupt_every_entry(root, payload) > 0
    result = check(root, ".")
    assert result.stdout == expected.stdout
    assert result.returncode == expected.returncode == 1
    assert result.stderr == ""
    assert check(root, ".").stdout == expected.stdout  # rewritten entries are good again


@pytest.mark.parametrize(
    "payload",
    [b"[]", b'"x"', b'{"bindings": []}', b"{}"],
    ids=["list", "string", "wrong-field-type", "empty-object"],
)
def test_a_cache_entry_of_the_wrong_shape_is_a_miss(
    tmp_path: Path, payload: bytes, uncached: subprocess.CompletedProcess[str]
) -> None:
    root = small_project(tmp_path)
    expected = uncached
    run_cli("check", ".", "--output-format", "json", cwd=root)
    assert corrupt_every_entry(root, payload) > 0
    result = run_cli("check", ".", "--output-format", "json", cwd=root)
    assert result.returncode == expected.returncode == 1, result.stderr
    assert result.stdout == expected.stdout


def test_an_unwritable_cache_folder_does_not_fail_the_run(
    tmp_path: Path, uncached: subprocess.CompletedProcess[str]
) -> None:
    root = small_project(tmp_path)
    (root / CACHE).write_text("a file where the cache folder should be", encoding="utf-8")
    result = check(root, ".")
    assert result.stdout == uncached.stdout
    assert result.returncode == 1


def test_two_runs_at_once_agree(tmp_path: Path) -> None:
    root = big_project(tmp_path)
    expected = check(root, ".", "--no-cache")
    command = [sys.executable, "-m", "isolint", "check", ".", "--output-format", "json"]
    runs = [
        subprocess.Popen(
            command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 1, stderr
        assert "Traceback" not in stderr
        assert stdout == expected.stdout
    assert not list((root / CACHE).rglob("*.tmp"))
    assert check(root, ".").stdout == expected.stdout


def test_an_unchanged_project_is_answered_from_the_run_cache(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    first = check(root, ".", "--output-format", "json")
    runs = list((root / CACHE).glob("*/runs/*.json"))
    assert len(runs) == 1
    second = check(root, ".", "--output-format", "json")
    assert second.stdout == first.stdout
    assert list((root / CACHE).glob("*/runs/*.json")) == runs


def test_every_fixture_module_s_facts_survive_the_cache_codec() -> None:
    """The JSON a cache entry holds reads back as equal facts, for every module of the
    bundled projects (the encoder is compiled per type from the field annotations)."""
    import json

    from isolint.analysis.facts import ModuleFacts, from_json, to_json
    from isolint.analysis.source import analyze_source
    from isolint.config import Config
    from isolint.engine import pass_options

    fixtures = Path(__file__).parent.parent / "fixtures"
    options = pass_options(Config())
    sources = sorted(fixtures.rglob("*.py"))
    assert len(sources) > 20
    for path in sources:
        facts = analyze_source(path.read_bytes(), options)
        data = json.loads(json.dumps(to_json(facts)))
        assert from_json(ModuleFacts, data) == facts, path


def test_every_fixture_module_s_facts_survive_the_trip_from_a_worker() -> None:
    """Workers pickle each module's facts as their field values (half the bytes of the
    default): they read back as equal facts, for every module of the bundled projects."""
    import pickle

    from isolint.analysis.source import analyze_source
    from isolint.config import Config
    from isolint.engine import pass_options

    fixtures = Path(__file__).parent.parent / "fixtures"
    options = pass_options(Config())
    for path in sorted(fixtures.rglob("*.py")):
        facts = analyze_source(path.read_bytes(), options)
        assert pickle.loads(pickle.dumps(facts)) == facts, path
