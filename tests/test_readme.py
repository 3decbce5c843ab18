"""Every fenced snippet in README.md works as written: each is run for real by a check here.

Each snippet is preceded in the README by ``<!-- snippet: NAME -->`` (invisible once rendered),
and each check here claims the names it runs with ``@claims(NAME)``. A snippet without a name,
a name no check claims, and a claim of a snippet that is gone all fail
(``test_every_snippet_is_claimed_by_a_check``), so a new snippet cannot go untested. Console
snippets are run line by line through ``bash`` with this interpreter's ``isolint`` first on
``PATH``; every line must be listed with its expected exit code, so an edited or added
command fails until a check knows it. TOML snippets are the ``pyproject.toml`` of a small
project that ``isolint check`` must accept (and that must change what it finds, where a
snippet says it does). The slow parts (a real ``pip install`` from a git URL, pre-commit
building its own environment, ``isolint race run`` on the demo) run with ``-m stress``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from conftest import REPO, check_demo, write_project

import isolint

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

README = REPO / "README.md"
CI_SCRIPT = REPO / ".ci" / "run"
MARKER = re.compile(r"^<!-- snippet: ([a-z0-9-]+) -->$")
FENCE = re.compile(r"^```([a-z]*)$")


@dataclass(frozen=True)
class Snippet:
    name: str | None  # None: no marker on the line before the fence
    language: str
    text: str
    line: int  # of the opening fence, 1-based


def read_snippets() -> list[Snippet]:
    """Every fenced block of the README, with the name of the marker just above it."""
    found: list[Snippet] = []
    lines = README.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        marker = MARKER.match(lines[index - 1]) if index else None
        end = lines.index("```", index + 1)
        text = "".join(line + "\n" for line in lines[index + 1 : end])
        found.append(Snippet(marker and marker.group(1), fence.group(1), text, index + 1))
        index = end + 1
    return found


SNIPPETS = {snippet.name: snippet for snippet in read_snippets() if snippet.name}
CLAIMED: dict[str, str] = {}
F = TypeVar("F", bound=Callable[..., Any])


def claims(*names: str) -> Callable[[F], F]:
    """Mark a check as the one that runs the README snippets ``names``."""

    def mark(check: F) -> F:
        for name in names:
            CLAIMED[name] = check.__name__
        return check

    return mark


def snippet(name: str) -> str:
    assert name in SNIPPETS, f"README.md has no snippet marked `<!-- snippet: {name} -->`"
    return SNIPPETS[name].text


def commands(name: str) -> list[str]:
    """The snippet's command lines without their trailing ``  # comment``."""
    lines = snippet(name).splitlines()
    return [re.sub(r"\s+# .*$", "", line) for line in lines if line.strip()]


def shell(
    command: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` as a user types it, with this interpreter's ``isolint`` first on PATH."""
    environment = dict(os.environ, **(env or {}))
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment["PATH"]])
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, f"{command}\n{result.stderr}"
    return result


def run_expecting(
    command: str, expected: int, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    result = shell(command, cwd, env)
    assert result.returncode == expected, (
        f"`{command}` exited {result.returncode}, not {expected}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def known_lines(name: str, expected: dict[str, Any]) -> None:
    """Every command of the snippet is one the check knows (and the check knows no other)."""
    assert set(commands(name)) == set(expected), f"snippet `{name}` changed: update its check"


# ---- the claim itself ----------------------------------------------------------------------


def test_every_snippet_is_claimed_by_a_check() -> None:
    snippets = read_snippets()
    unnamed = [f"line {s.line} ({s.language or 'no language'})" for s in snippets if s.name is None]
    assert not unnamed, f"README snippets without a `<!-- snippet: NAME -->` marker: {unnamed}"
    names = [s.name for s in snippets]
    assert len(names) == len(set(names)), f"a snippet name is used twice: {names}"
    unclaimed = sorted(set(SNIPPETS) - set(CLAIMED))
    assert not unclaimed, f"README snippets no check in this file runs: {unclaimed}"
    gone = sorted(set(CLAIMED) - set(SNIPPETS))
    assert not gone, f"checks claim snippets that are no longer in the README: {gone}"


# ---- quick start and what a finding looks like ---------------------------------------------


@claims("quick-start")
def test_the_quick_start_is_what_ci_runs_and_the_demo_check_exits_1() -> None:
    install, suite = commands("quick-start")
    ci_lines = {line.strip() for line in CI_SCRIPT.read_text(encoding="utf-8").splitlines()}
    assert install in ci_lines and suite in ci_lines  # CI runs exactly these (and this suite)
    assert install.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
    check = install.rsplit(" && ", 1)[1]
    assert check == "isolint check fixtures/agent_platform"
    # The install is this very environment; the check is run for real (without the cache).
    assert check_demo("text").returncode == 1  # findings
    stress = "python -m pytest -m stress -n 0"
    assert f"`{stress}`" in README.read_text(encoding="utf-8") and stress in ci_lines


@claims("finding")
def test_the_finding_shown_is_printed_by_the_demo_check() -> None:
    output = check_demo("text").stdout
    assert snippet("finding") in output


# ---- isolint init --------------------------------------------------------------------------


@claims("init", "pre-commit-local")
def test_init_dry_run_then_init_then_nothing_to_change(tmp_path: Path) -> None:
    root = write_project(tmp_path / "svc", {"app/main.py": "from fastapi import FastAPI\n"})
    (root / "scripts").mkdir()
    dry_run, real_run = commands("init")
    assert (dry_run, real_run) == ("isolint init --dry-run", "isolint init")
    dry = run_expecting(dry_run, 0, root)
    assert not (root / ".pre-commit-config.yaml").exists()
    assert "would add [tool.isolint]" in dry.stdout and "FastAPI" in dry.stdout
    run_expecting(real_run, 0, root)
    written = (root / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    # the hook init writes is the README's local pre-commit snippet, word for word
    assert "# .pre-commit-config.yaml\n" + written == snippet("pre-commit-local")
    assert 'extend-exclude = ["scripts/*"]' in (root / "pyproject.toml").read_text(encoding="utf-8")
    again = run_expecting(real_run, 0, root)
    assert again.stdout.endswith("isolint init: nothing to change\n")


# ---- usage ---------------------------------------------------------------------------------

STATE = "SEEN: list[str] = []\n"
LEAK = (
    "from app.state import SEEN\n\n\n"
    "async def handle(user_id: str) -> None:\n    SEEN.append(user_id)\n"
)
USAGE = {
    "isolint check": 1,
    "isolint check src/ --select ISO1,ISO301 --ignore ISO105": 1,
    "isolint check src/ --output-format json": 1,
    "isolint check src/ --exit-zero": 0,
    "isolint check app/one_file.py": 1,
    "isolint check src/ --output-format sarif > isolint.sarif": 1,
    "isolint check src/ --output-format html -o isolint.html": 1,
    "isolint check src/ --statistics": 1,
    "cat app/x.py | isolint check - --stdin-filename app/x.py": 1,
    "isolint rule ISO101": 0,
    "isolint rules": 0,
    "isolint init": 0,
}


@pytest.fixture(scope="module")
def usage_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service with a leak in src/ and in app/, which imports its state from app/state.py."""
    root = tmp_path_factory.mktemp("usage") / "svc"
    files = {
        "src/svc/handlers.py": "SEEN = []\n\n\nasync def f(user_id):\n    SEEN.append(user_id)\n",
        "app/state.py": STATE,
        "app/one_file.py": LEAK,
        "app/x.py": LEAK,
    }
    return write_project(root, files, '[project]\nname = "svc"\n')


def test_the_usage_snippet_lists_only_known_commands() -> None:
    known_lines("usage", USAGE)


@claims("usage")
@pytest.mark.parametrize("command", list(USAGE))
def test_each_usage_command_runs_with_its_exit_code(
    command: str, usage_project: Path, tmp_path: Path
) -> None:
    cwd = usage_project
    if "isolint init" in command:  # it writes the project's files: give it its own copy
        cwd = Path(shutil.copytree(usage_project, tmp_path / "svc"))
    result = run_expecting(command, USAGE[command], cwd)
    if "--output-format json" in command:
        assert {finding["path"] for finding in json.loads(result.stdout)} == {"src/svc/handlers.py"}
    if "sarif" in command:
        assert json.loads((cwd / "isolint.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    if "--stdin-filename" in command or "one_file" in command:
        assert "ISO101" in result.stdout


# ---- suppressing, baseline -----------------------------------------------------------------


@claims("suppression")
def test_the_suppression_comments_hide_exactly_their_findings(tmp_path: Path) -> None:
    lines = snippet("suppression").splitlines()
    body = "".join(f"    {line}\n" for line in lines)
    bare = "".join(f"    {line.split('  # isolint')[0]}\n" for line in lines)
    head = "CACHE = {}\nRECENT = []\nHISTORY = []\n\n\n"
    head += "async def handle(user_id, key, value, event, message):\n"
    without = write_project(tmp_path / "without", {"app/mod.py": head + bare})
    found = json.loads(run_expecting("isolint check --output-format json", 1, without).stdout)
    assert [(f["line"], f["code"]) for f in found] == [(7, "ISO402"), (8, "ISO101"), (9, "ISO101")]
    with_comments = write_project(tmp_path / "with", {"app/mod.py": head + body})
    shown = run_expecting("isolint check --show-fixme --output-format json", 0, with_comments)
    assert [(f["line"], f["code"]) for f in json.loads(shown.stdout)] == [(9, "ISO101")]  # fixme


@claims("baseline")
def test_the_baseline_hides_todays_findings_and_fails_on_a_new_one(tmp_path: Path) -> None:
    root = write_project(tmp_path / "svc", {"app/state.py": STATE, "app/handlers.py": LEAK})
    write, use = commands("baseline")
    known_lines("baseline", {write: 0, use: 0})
    assert write.startswith("isolint check --write-baseline .isolint-baseline.json")
    run_expecting(write, 0, root)
    run_expecting(use, 0, root)
    (root / "app" / "more.py").write_text(LEAK, encoding="utf-8")
    assert "app/more.py" in run_expecting(use, 1, root).stdout


@claims("html-report")
def test_the_html_report_command_writes_one_offline_page(tmp_path: Path) -> None:
    root = write_project(tmp_path / "svc", {"src/app/state.py": STATE, "src/app/handlers.py": LEAK})
    (command,) = commands("html-report")
    known_lines("html-report", {command: 0})
    run_expecting(command, 0, root)
    page = (root / "isolint.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "ISO101" in page
    assert "http://" not in page.replace("http://www.w3.org", "")


# ---- pre-commit ----------------------------------------------------------------------------


def git_repository(root: Path, files: dict[str, str], env: dict[str, str]) -> None:
    write_project(root, files, '[project]\nname = "svc"\n')
    for command in (["git", "init", "-q", "."], ["git", "add", "."]):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True, timeout=60)


def quiet_git_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }


def test_the_local_pre_commit_snippet_runs_offline(tmp_path: Path) -> None:
    """``repo: local`` with ``language: system``: pre-commit builds nothing, no network."""
    env = quiet_git_env(tmp_path)
    root = tmp_path / "svc"
    config = {".pre-commit-config.yaml": snippet("pre-commit-local")}
    git_repository(root, {**config, "app/state.py": STATE, "app/handlers.py": LEAK}, env)
    run = f"{sys.executable} -m pre_commit run --all-files"
    leaky = run_expecting(run, 1, root, **env)
    assert "app/handlers.py:5:5 ISO101" in leaky.stdout and "Failed" in leaky.stdout
    (root / "app" / "handlers.py").write_text("async def handle(user_id: str) -> None:\n    pass\n")
    subprocess.run(["git", "add", "."], cwd=root, env=env, check=True, timeout=60)
    assert "Passed" in run_expecting(run, 0, root, **env).stdout


def remote_hook() -> dict[str, Any]:
    (repo,) = yaml.safe_load(snippet("pre-commit-remote"))["repos"]
    assert isinstance(repo, dict)
    return repo


def git_output(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def require_tagged_checkout(tag: str, version: str) -> str:
    """The tag, when this checkout carries tags; a skip when it carries none (a clone made
    without them, as some CI systems do), a failure when others exist but not this one."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tag cannot be checked")
    if not git_output("tag", "--list").strip():
        pytest.skip("this clone carries no tags: the release tag cannot be checked")
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"],
        cwd=REPO,
        capture_output=True,
    )
    assert found.returncode == 0, (
        f"the tag {tag} is missing: git tag -a {tag} -m 'isolint {version}'"
    )
    return tag


@claims("pre-commit-remote")
def test_the_remote_pre_commit_rev_is_the_tagged_release_of_this_version() -> None:
    repo = remote_hook()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    version = pyproject["project"]["version"]
    assert isolint.__version__ == version
    assert repo["rev"] == f"v{version}", "the README's rev: must be the tag of this version"
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in repo["hooks"]} <= {hook["id"] for hook in manifest}
    tag = require_tagged_checkout(repo["rev"], version)
    assert git_output("cat-file", "-t", tag).strip() == "tag", f"{tag} must be an annotated tag"
    assert f'__version__ = "{version}"' in git_output("show", f"{tag}:isolint/__init__.py")
    assert "- id: isolint\n" in git_output("show", f"{tag}:.pre-commit-hooks.yaml")


@pytest.mark.stress
def test_slow_pre_commit_installs_the_remote_snippets_rev_from_a_git_url(tmp_path: Path) -> None:
    """The remote snippet with this repository's path as its URL: pre-commit clones the
    tag and pip-installs isolint (this needs the package index for its dependencies)."""
    require_tagged_checkout(remote_hook()["rev"], isolint.__version__)
    env = quiet_git_env(tmp_path)
    text = snippet("pre-commit-remote").replace(remote_hook()["repo"], str(REPO))
    root = tmp_path / "svc"
    git_repository(
        root, {".pre-commit-config.yaml": text, "app/state.py": STATE, "app/handlers.py": LEAK}, env
    )
    result = run_expecting(f"{sys.executable} -m pre_commit run --all-files", 1, root, **env)
    assert "app/handlers.py:5:5 ISO101" in result.stdout


# ---- GitHub Actions ------------------------------------------------------------------------


def workflow_runs() -> list[str]:
    steps = yaml.safe_load(snippet("github-actions"))["jobs"]["isolint"]["steps"]
    return [step["run"] for step in steps if "run" in step]


INSTALL = re.compile(r'^pip install "git\+(?P<url>[^"@]+)@(?P<rev>[^"@]+)"$')


@claims("github-actions")
def test_the_workflow_installs_the_tagged_release_and_its_checks_run(tmp_path: Path) -> None:
    install, sarif, annotations = workflow_runs()
    match = INSTALL.match(install)
    assert match, f"unexpected install step: {install}"
    assert (match["url"], match["rev"]) == (remote_hook()["repo"], remote_hook()["rev"])
    steps = yaml.safe_load(snippet("github-actions"))["jobs"]["isolint"]["steps"]
    uploaded = [
        step["with"]["sarif_file"] for step in steps if "upload-sarif" in step.get("uses", "")
    ]
    assert uploaded == ["isolint.sarif"] and "> isolint.sarif" in sarif
    root = write_project(tmp_path / "svc", {"app/state.py": STATE, "app/handlers.py": LEAK})
    run_expecting(sarif, 0, root)
    log = json.loads((root / "isolint.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    github = run_expecting(annotations, 1, root)
    assert github.stdout.startswith("::error file=app/handlers.py,line=5")


@pytest.mark.stress
def test_slow_the_workflow_install_line_installs_this_version_from_a_git_url(
    tmp_path: Path,
) -> None:
    """pip installs isolint from a git URL at the tag (a clone stands in for the published
    repository; the build backend comes from the package index, the dependencies are
    this environment's)."""
    (install, *_) = workflow_runs()
    match = INSTALL.match(install)
    assert match
    require_tagged_checkout(match["rev"], isolint.__version__)
    clone = tmp_path / "isolint"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=300)
    pip = f"{sys.executable} -m pip install -q --no-deps"
    target = f"--target {tmp_path / 'site'}"
    command = install.replace(match["url"], clone.as_uri()).replace(
        "pip install", f"{pip} {target}"
    )
    run_expecting(command, 0, tmp_path)
    env = {"PYTHONPATH": str(tmp_path / "site")}
    version = run_expecting(
        f"{sys.executable} -c 'import isolint; print(isolint.__file__, isolint.__version__)'",
        0,
        tmp_path,
        **env,
    )
    assert version.stdout.split() == [
        str(tmp_path / "site" / "isolint" / "__init__.py"),
        match["rev"].removeprefix("v"),
    ]
    run_expecting(
        f"{sys.executable} -m isolint check {REPO / 'fixtures' / 'agent_platform'} --no-cache",
        1,
        tmp_path,
        **env,
    )


# ---- isolint fix and the codemod -----------------------------------------------------------

TAGS = (
    "from __future__ import annotations\n\n\n"
    "def add_tag(tag: str, tags: list[str] = []) -> list[str]:\n"
    "    tags.append(tag)\n"
    "    return tags\n"
)
FIX = {
    "isolint fix src/": 0,
    "isolint fix src/ --diff": 1,
    "isolint fix src/ --unsafe-fixes": 0,
    "isolint fix src/ --select ISO105": 0,
}


@claims("fix")
@pytest.mark.parametrize("command", list(FIX))
def test_each_fix_command_runs_with_its_exit_code(command: str, tmp_path: Path) -> None:
    known_lines("fix", FIX)
    root = write_project(tmp_path / "svc", {"src/svc/tags.py": TAGS})
    result = run_expecting(command, FIX[command], root)
    fixed = (root / "src" / "svc" / "tags.py").read_text(encoding="utf-8")
    if "--diff" in command:
        assert fixed == TAGS and "+    if tags is None:" in result.stdout
    else:
        assert "tags: list[str] | None = None" in fixed


PROVE_OUTCOME = re.compile(r"^\S+:\d+:\d+ ISO\d{3} (proven|not proven|not runnable): \S")


@claims("fix-prove")
def test_prove_keeps_only_the_fixes_its_race_test_proves(tmp_path: Path) -> None:
    write_then_diff = commands("fix-prove")
    known_lines("fix-prove", dict.fromkeys(write_then_diff, 0))
    shown, written = write_then_diff[1], write_then_diff[0]
    root = write_project(tmp_path / "svc", {"src/svc/tags.py": TAGS})
    diff = run_expecting(shown, 0, root)
    assert "+    if tags is None:" in diff.stdout and "proven" in diff.stdout
    assert (root / "src" / "svc" / "tags.py").read_text(encoding="utf-8") == TAGS
    run_expecting(written, 0, root)
    fixed = (root / "src" / "svc" / "tags.py").read_text(encoding="utf-8")
    assert "tags: list[str] | None = None" in fixed


@claims("fix-prove-outcomes")
def test_the_prove_outcomes_shown_have_the_shape_prove_prints() -> None:
    lines = snippet("fix-prove-outcomes").splitlines()
    assert lines and all(PROVE_OUTCOME.match(line) for line in lines), lines


LEGACY = """class DeepAgentState:
    def __init__(self, user_id: str, chat_thread_id: str = "") -> None:
        self.user_id = user_id
        self.chat_thread_id = chat_thread_id
"""
AGENT = """from app.state import DeepAgentState


def start(user_id: str, thread_id: str) -> DeepAgentState:
    return DeepAgentState(user_id, chat_thread_id=thread_id)
"""
CODEMOD_DEMO = "isolint fix --codemod migrate-context --diff fixtures/agent_platform"
CODEMOD_SRC = "isolint fix --codemod migrate-context src/"


@claims("codemod")
def test_the_codemod_applies_to_a_project(tmp_path: Path) -> None:
    known_lines("codemod", {CODEMOD_DEMO: 1, CODEMOD_SRC: 0})
    root = write_project(tmp_path / "svc", {"src/app/state.py": LEGACY, "src/app/agent.py": AGENT})
    run_expecting(CODEMOD_SRC, 0, root)
    assert "UserExecutionContext" in (root / "src" / "app" / "agent.py").read_text(encoding="utf-8")


@pytest.mark.stress
def test_slow_the_codemod_diff_of_the_demo_writes_nothing() -> None:
    before = git_output("status", "--porcelain", "fixtures")
    result = run_expecting(CODEMOD_DEMO, 1, REPO)
    assert "+from isolint.context import UserExecutionContext" in result.stdout
    assert git_output("status", "--porcelain", "fixtures") == before


@claims("migrate-context-config")
def test_the_migrate_context_table_drives_the_codemod(tmp_path: Path) -> None:
    files = {"app/state.py": LEGACY, "app/agent.py": AGENT}
    root = write_project(tmp_path / "svc", files, snippet("migrate-context-config"))
    diff = run_expecting("isolint fix --codemod migrate-context --diff .", 1, root).stdout
    assert "+    return UserExecutionContext(" in diff and "thread_id=thread_id" in diff
    assert "+def start(user_id: str, thread_id: str) -> UserExecutionContext:" in diff


# ---- the reference runtime -----------------------------------------------------------------


@claims("context")
def test_the_context_example_runs() -> None:
    """The snippet's free names stand for a request's values; everything else is real."""
    records: list[dict[str, Any]] = []
    namespace: dict[str, Any] = {
        "current_user": types.SimpleNamespace(id="alice-7f3a"),
        "thread_id": "thread-51c2",
        "session": object(),
        "result": {"route": "billing"},
        "log": types.SimpleNamespace(info=lambda message, extra: records.append(extra)),
    }
    exec(compile(snippet("context"), "README.md", "exec"), namespace)
    context, research = namespace["ctx"], namespace["research"]
    assert context.agent_context["triage"] == {"route": "billing"}
    assert research.depth == 1 and research.user_id == "alice-7f3a"
    assert records and records[0]["user_id"] == "alice-7f3a"


# ---- isolint race --------------------------------------------------------------------------

RACE_DEMO = "isolint race run fixtures/agent_platform"
RACE_JSON = "isolint race run src/ --output-format json"
RACE_GEN = "isolint race gen src/ --out tests/isolint_race"
LEAKY_RUN = """import asyncio

LAST: dict[str, str] = {}


async def create_run(user_id: str, text: str) -> dict[str, str]:
    LAST["text"] = text
    await asyncio.sleep(0)
    return {"user": user_id, "text": LAST["text"]}
"""


@claims("race")
def test_race_confirms_and_generates_on_a_src_layout(tmp_path: Path) -> None:
    known_lines("race", {RACE_DEMO: 1, RACE_JSON: 1, RACE_GEN: 0})
    root = write_project(tmp_path / "svc", {"src/app/api.py": LEAKY_RUN})
    found = json.loads(run_expecting(RACE_JSON, 1, root, PYTHONPATH="src").stdout)
    assert [f["confirmation"]["status"] for f in found] == ["confirmed"]
    run_expecting(RACE_GEN, 0, root, PYTHONPATH="src")
    assert [path.name for path in (root / "tests" / "isolint_race").glob("test_*.py")]


@pytest.mark.stress
def test_slow_race_run_on_the_demo_confirms_leaks() -> None:
    result = run_expecting(RACE_DEMO, 1, REPO)
    assert " confirmed (" in result.stdout


@claims("race-factories")
def test_a_registered_driver_makes_a_handler_runnable(tmp_path: Path) -> None:
    untyped = LEAKY_RUN.replace("(user_id: str, text: str)", "(user_id, text)")
    root = write_project(tmp_path / "svc", {"app/api.py": untyped})
    skipped = run_expecting("isolint race run .", 0, root)
    assert "needs factory" in skipped.stdout  # no type hints: nothing to call it with ...
    (root / "tests").mkdir()
    (root / "tests" / "race_factories.py").write_text(snippet("race-factories"), encoding="utf-8")
    confirmed = run_expecting("isolint race run .", 1, root)  # ... until the driver is there
    assert "app/api.py:7:5 ISO101 confirmed" in confirmed.stdout


# ---- configuration -------------------------------------------------------------------------

CLEAN = "async def handle(user_id: str) -> list[str]:\n    return [user_id]\n"


@claims("race-config", "config")
@pytest.mark.parametrize("name", ["race-config", "config"])
def test_the_configuration_tables_are_accepted_by_check(name: str, tmp_path: Path) -> None:
    root = write_project(tmp_path / "svc", {"app/handlers.py": CLEAN}, snippet(name))
    assert tomllib.loads(snippet(name))["tool"]["isolint"]
    result = run_expecting("isolint check", 0, root)
    assert "All checks passed" in result.stdout


INHOUSE = {
    "inhouse/web.py": (
        "class Server:\n    def expose(self, f):\n        return f\n\n\nclass Request:\n    pass\n"
    ),
    "app/views.py": (
        "from inhouse.web import Server\n\nserver = Server()\nSEEN = []\n\n\n"
        "@server.expose\ndef handle(item):\n    SEEN.append(item)\n"
    ),
}


@claims("models-config")
def test_a_model_in_the_configuration_makes_its_decorator_an_entry_point(tmp_path: Path) -> None:
    plain = write_project(tmp_path / "plain", INHOUSE)
    assert json.loads(run_expecting("isolint check --output-format json", 0, plain).stdout) == []
    modelled = write_project(tmp_path / "modelled", INHOUSE, snippet("models-config"))
    found = json.loads(run_expecting("isolint check --output-format json", 1, modelled).stdout)
    assert [(f["path"], f["line"], f["code"], f["entry_point"]) for f in found] == [
        ("app/views.py", 9, "ISO101", "handle")
    ]


# ---- the source layout ---------------------------------------------------------------------


@claims("layout")
def test_every_path_in_the_layout_exists() -> None:
    folder = REPO
    for line in snippet("layout").splitlines():
        name = line.split()[0] if line.strip() else ""
        if not name or line.startswith(" " * 4):
            continue  # a continuation of the line above
        base = REPO if not line.startswith(" ") else folder
        path = base / name
        if "ISOnnn" in name:
            assert list(REPO.glob(name.replace("ISOnnn", "ISO[0-9][0-9][0-9]"))), name
        else:
            assert path.exists(), (
                f"the README's layout names {path.relative_to(REPO)}, which is gone"
            )
        if not line.startswith(" ") and name.endswith("/"):
            folder = path
