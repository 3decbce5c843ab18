"""`isolint race gen`: which tests it writes, how they read, and that it never runs the project.

The CLI runs as a subprocess on real files. Golden files in ``tests/data/race_gen/`` hold
three generated tests of the demo fixture (a hook, a synthesised call, a skip);
``ISOLINT_UPDATE_GOLDEN=1`` rewrites them from what the generator produces now.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, run_cli, write_project

from isolint.config import ConfigError
from isolint.findings import Finding, Severity
from isolint.race.config import load_race_config
from isolint.race.runner import (
    CONFIRMED,
    NOT_CONFIRMED,
    Confirmation,
    attributed,
    leak_summary,
    through_path,
)
from isolint.race.targets import MissingDriver, RaceTarget, SharedRef

GOLDEN = REPO / "tests" / "data" / "race_gen"
UPDATE_GOLDEN = os.environ.get("ISOLINT_UPDATE_GOLDEN") == "1"
LEAKY = REPO / "fixtures" / "agent_platform"
_IGNORED = shutil.ignore_patterns(".isolint_cache", "__pycache__", "isolint_race*")

# A small service: a module-level cache written per request, an entry point with hints.
SERVICE = {
    "svc/__init__.py": "",
    "svc/models.py": (
        "from dataclasses import dataclass\n\n\n"
        "@dataclass\n"
        "class Order:\n"
        "    user_id: str\n"
        "    quantity: int\n"
        "    note: str = ''\n\n\n"
        "class Clock:\n"
        "    def now(self) -> int:\n"
        "        return 0\n"
    ),
    "svc/api.py": (
        "from svc.models import Clock, Order\n\n"
        "_LAST: dict[str, object] = {}\n\n\n"
        "def route(path):\n"
        "    return lambda handler: handler\n\n\n"
        '@route("/orders")\n'
        "def place(user_id: str, order: Order, clock: Clock, count: int) -> dict[str, object]:\n"
        '    _LAST["order"] = order\n'
        "    return dict(_LAST)\n\n\n"
        "def untyped(user_id: str, payload) -> None:\n"
        '    _LAST["payload"] = payload\n'
    ),
}


def copy_leaky(tmp_path: Path) -> Path:
    root = tmp_path / "agent_platform"
    shutil.copytree(LEAKY, root, ignore=_IGNORED)
    return root


def generated(root: Path) -> dict[str, str]:
    folder = root / "tests" / "isolint_race"
    return {path.name: path.read_text() for path in sorted(folder.glob("*.py"))}


@pytest.fixture(scope="module")
def generated_leaky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo fixture with the tests `race gen` writes for it (run once here;
    a test that changes it works on its own copy)."""
    root = copy_leaky(tmp_path_factory.mktemp("gen"))
    result = run_cli("race", "gen", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.parametrize(
    "name",
    [
        "test_iso401_websocket_manager_py_19.py",
        "test_iso401_connections_py_22.py",
        "test_iso204_triage_py_14.py",
    ],
)
def test_generated_tests_match_the_golden_files(generated_leaky: Path, name: str) -> None:
    text = generated(generated_leaky)[name]
    golden = GOLDEN / f"{name}.txt"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def test_generation_is_idempotent_and_removes_only_its_own_stale_files(
    generated_leaky: Path, tmp_path: Path
) -> None:
    root = tmp_path / "agent_platform"
    shutil.copytree(generated_leaky, root)
    first = generated(root)
    assert len(first) == 39
    mine = root / "tests" / "isolint_race" / "test_iso999_handwritten.py"
    mine.write_text("def test_mine() -> None:\n    pass\n")
    assert run_cli("race", "gen", ".", cwd=root).returncode == 0
    assert generated(root) == {**first, mine.name: mine.read_text()}
    result = run_cli("race", "gen", ".", "--select", "ISO401", cwd=root)
    assert result.returncode == 0, result.stderr
    assert sorted(generated(root)) == [
        "test_iso401_connections_py_22.py",
        "test_iso401_parsing_py_18.py",
        "test_iso401_pipeline_py_24.py",
        "test_iso401_websocket_manager_py_19.py",
        "test_iso401_websocket_manager_py_20.py",
        mine.name,
    ]
    assert "removed 34 stale" in result.stdout


def test_gen_reads_the_project_without_importing_it(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    files = {
        **SERVICE,
        "svc/__init__.py": f"open({str(marker)!r}, 'w').close()\n",
    }
    root = write_project(tmp_path / "project", files)
    result = run_cli("race", "gen", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "wrote 0 race" not in result.stdout  # it did read and target the project
    assert not marker.exists()


def test_type_hints_become_small_values_and_missing_ones_skip(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", SERVICE)
    result = run_cli("race", "gen", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    tests = generated(root)
    placed = tests["test_iso101_api_py_12.py"]
    assert "order = svc.models.Order(user_id=user.token, quantity=user.index + 1)" in placed
    assert "clock = svc.models.Clock()" in placed
    assert (
        "result = svc.api.place(user_id=user.token, order=order, clock=clock, count=user.index + 1)"
    ) in placed
    assert "return [result, order, clock]" in placed
    assert 'race.Shared(svc.api, "_LAST")' in placed
    untyped = tests["test_iso101_api_py_17.py"]
    assert '@pytest.mark.skip(reason="needs factory: svc.api:untyped: a type hint or factory ' in (
        untyped
    )
    assert "skipped: needs factory" in result.stdout


def test_hooks_and_configured_factories_and_fixtures_drive_the_call(tmp_path: Path) -> None:
    hooks = (
        "from isolint import race\n\n\n"
        '@race.entry("svc.api:untyped")\n'
        "def drive_untyped(user):\n"
        "    return user.token\n"
    )
    pyproject = (
        "[tool.isolint.race]\n"
        'factories = { "svc.api:place" = "tests.factories:place_order" }\n'
        'out = "checks/race"\n'
    )
    files = {**SERVICE, "tests/hooks.py": hooks}
    root = write_project(tmp_path / "project", files, pyproject)
    assert run_cli("race", "gen", ".", cwd=root).returncode == 0
    folder = root / "checks" / "race"
    untyped = (folder / "test_iso101_api_py_17.py").read_text()
    assert "tests.hooks.drive_untyped," in untyped
    assert "through the hook tests.hooks.drive_untyped" in " ".join(untyped.split())
    placed = (folder / "test_iso101_api_py_12.py").read_text()
    assert "tests.factories.place_order," in placed
    assert "Rerun: python -m pytest checks/race/test_iso101_api_py_12.py" in placed

    pyproject = '[tool.isolint.race]\nfixtures = { "svc.api:place" = "place_driver" }\n'
    (root / "pyproject.toml").write_text(pyproject)
    assert run_cli("race", "gen", ".", "--out", "elsewhere", cwd=root).returncode == 0
    placed = (root / "elsewhere" / "test_iso101_api_py_12.py").read_text()
    assert "def test_iso101_api_py_12(place_driver: object) -> None:" in placed
    assert "            place_driver,\n" in placed


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("budgett = 3", "unknown option `budgett` in [tool.isolint.race]"),
        ('users = "3"', "`users` in [tool.isolint.race] must be a whole number"),
        ("budget = -1", "`budget` in [tool.isolint.race] must be a positive number"),
        ('factories = { "nocolon" = "a:b" }', "`factories.nocolon` in [tool.isolint.race]"),
        ('fixtures = { "a.b:c" = "not a name" }', "must be a pytest fixture's name"),
    ],
)
def test_configuration_errors_name_file_and_key(tmp_path: Path, table: str, message: str) -> None:
    root = write_project(tmp_path / "project", SERVICE, f"[tool.isolint.race]\n{table}\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml") as error:
        load_race_config(root)
    assert message in str(error.value)
    for command in ("gen", "run"):
        result = run_cli("race", command, ".", cwd=root)
        assert result.returncode == 2
        assert message in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", SERVICE)
    assert run_cli("race", "gen", "missing", cwd=root).returncode == 2
    result = run_cli("race", "run", ".", "--select", "XYZ", cwd=root)
    assert result.returncode == 2
    assert "not a rule code" in result.stderr


def test_run_help_says_it_runs_the_project() -> None:
    result = run_cli("race", "run", "--help")
    assert result.returncode == 0
    assert "RUNS THE PROJECT'S CODE" in result.stdout


def test_leak_summary_keeps_what_was_seen_where_and_the_seed() -> None:
    message = (
        "isolint race: LEAK: user 2 (isolint-u2-1cb0914f) observed user 0's data\n"
        "  phase: asyncio-fifo, round 0\n"
        "  found in user 2 (isolint-u2-1cb0914f) at result[0]['user_id']\n"
        "  seed: 17 (replay: ISOLINT_RACE_SEED=17 python -m pytest <this test>)"
    )
    assert leak_summary(message) == (
        "LEAK: user 2 observed user 0's data at result[0]['user_id'] (round 0, seed 17)"
    )


POOL_FAILURE = (
    "isolint.race.runtime.LeakDetected: isolint race: LEAK: user 1 (isolint-u1-1cb0914f) "
    "observed user 0's data\n"
    "E             value: 'reply to GET isolint-u0-0a0b0c0d:plan'\n"
    "E             through: agent_platform.connections.pool._replies[0]\n"
    "E             interleaving:\n"
)


def _target(*shared: SharedRef) -> RaceTarget:
    finding = Finding(
        "ISO401", "shared-instance-state", Severity.ERROR, "pkg/mod.py", 3, 1, 3, 9, "m", "a"
    )
    return RaceTarget(finding, shared, None, MissingDriver("unused"))


def test_through_line_is_read_from_pytests_report() -> None:
    assert through_path(POOL_FAILURE) == "agent_platform.connections.pool._replies[0]"
    elsewhere = "  through: none of the named shared objects holds the token (the leak...)\n"
    assert through_path(elsewhere) is None
    assert through_path("  through: unknown (the test names no shared object)\n") is None
    assert through_path("no such line") is None


def test_a_leak_confirms_only_the_finding_whose_shared_object_carried_it() -> None:
    leak = Confirmation(CONFIRMED, "cancellation", "LEAK: ...", None, through_path(POOL_FAILURE))
    pool = SharedRef("agent_platform.connections", "agent_platform.connections", "pool", "_replies")
    cache = SharedRef("agent_platform.cache", "agent_platform.cache", "_RESPONSE_CACHE")
    mine = attributed(leak, _target(pool))
    assert mine.status == CONFIRMED
    assert mine.detail == "LEAK: ... through agent_platform.connections.pool._replies[0]"
    # a sibling whose name starts like the carrier's is another object
    sibling = SharedRef("agent_platform.connections", "agent_platform.connections", "pool_b")
    assert attributed(leak, _target(sibling)).status == NOT_CONFIRMED
    other = attributed(leak, _target(cache))
    assert other.status == NOT_CONFIRMED
    assert other.detail.startswith(
        "a leak on this path went through agent_platform.connections.pool._replies[0], "
        "not through agent_platform.cache._RESPONSE_CACHE"
    )
    unattributed = attributed(replace(leak, through=None), _target(cache))
    assert unattributed.detail.startswith("a leak on this path went through another path")
    nothing_named = attributed(leak, _target())
    assert nothing_named.status == CONFIRMED
    assert nothing_named.through is None
    assert nothing_named.detail.startswith("leak on this path; not attributed: ")


def test_race_run_drives_a_pytest_fixture_from_the_projects_conftest(tmp_path: Path) -> None:
    conftest = (
        "import pytest\n\n"
        "from svc import api, models\n\n\n"
        "@pytest.fixture\n"
        "def place_driver():\n"
        "    def drive(user):\n"
        "        order = models.Order(user.token, 1)\n"
        "        return api.place(user.token, order, models.Clock(), 1)\n\n"
        "    return drive\n"
    )
    pyproject = '[tool.isolint.race]\nfixtures = { "svc.api:place" = "place_driver" }\n'
    files = {**SERVICE, "tests/conftest.py": conftest}
    root = write_project(tmp_path / "project", files, pyproject)
    result = run_cli("race", "run", ".", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "svc/api.py:12:5 ISO101 confirmed" in result.stdout
    assert "svc/api.py:17:5 ISO101 not runnable: needs factory" in result.stdout
    assert sorted(path.name for path in (root / "tests").iterdir()) == [
        "__init__.py",
        "conftest.py",
    ]


def test_only_a_slot_each_request_rebinds_is_raced_where_requests_overlap(
    tmp_path: Path,
) -> None:
    root = copy_leaky(tmp_path)
    result = run_cli("race", "gen", ".", "--select", "ISO401", cwd=root)
    assert result.returncode == 0, result.stderr
    overlapping = {
        name for name, text in generated(root).items() if "overlapping_only=True" in text
    }
    # `self.state = state`, `self._parsed = ...`, `self.active = ...`: rebound per request;
    # a reply appended to a buffer and a keyed store are not.
    assert overlapping == {
        "test_iso401_pipeline_py_24.py",
        "test_iso401_parsing_py_18.py",
        "test_iso401_websocket_manager_py_19.py",
        "test_iso401_websocket_manager_py_20.py",
    }
