"""The pre-commit hook: the real ``pre-commit`` in a temporary git repository.

A staged leaky file fails the commit, a clean one passes, and what a staged file imports
from a module that is not staged is still resolved from the project. One test builds the
hook from ``.pre-commit-hooks.yaml`` itself (pre-commit installs isolint into its own
environment from a temporary copy of this repository: slow, needs the package index, so it
runs in the stress run, `python -m pytest -m stress`); the others run the manifest's command
with this interpreter's isolint (``language: system``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli, write_project

pytest.importorskip("pre_commit")

STATE = "SEEN: list[str] = []\n"
LEAKY = (
    "from app.state import SEEN\n\n\n"
    "async def handle(user_id: str) -> None:\n"
    "    SEEN.append(user_id)\n"
)
CLEAN = "async def handle(user_id: str) -> list[str]:\n    seen = [user_id]\n    return seen\n"


def manifest() -> list[dict[str, object]]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def git_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="isolint tests",
        GIT_AUTHOR_EMAIL="tests@isolint.invalid",
        GIT_COMMITTER_NAME="isolint tests",
        GIT_COMMITTER_EMAIL="tests@isolint.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
    )
    env.pop("PYTHONPATH", None)
    return env


def git(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def make_repository(root: Path, config: dict[str, object], env: dict[str, str]) -> Path:
    """A git repository with the pre-commit hook installed and a first (clean) commit."""
    root.mkdir(parents=True)
    assert git("init", "-q", ".", cwd=root, env=env).returncode == 0
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "state.py").write_text(STATE, encoding="utf-8")
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git("add", ".", cwd=root, env=env)
    first = git("commit", "-q", "-m", "state", cwd=root, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    return root


def assert_leaky_fails_and_clean_passes(root: Path, env: dict[str, str]) -> None:
    handlers = root / "app" / "handlers.py"
    handlers.write_text(LEAKY, encoding="utf-8")
    git("add", "app/handlers.py", cwd=root, env=env)
    leaky = git("commit", "-m", "leak", cwd=root, env=env)
    output = leaky.stdout + leaky.stderr
    assert leaky.returncode != 0, output
    assert "app/handlers.py:5:5 ISO101" in output, output  # SEEN is resolved from app/state.py
    assert "Failed" in output
    handlers.write_text(CLEAN, encoding="utf-8")
    git("add", "app/handlers.py", cwd=root, env=env)
    clean = git("commit", "-m", "clean", cwd=root, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout + clean.stderr
    # Test code is excluded by default, even when pre-commit names it (--force-exclude).
    (root / "tests").mkdir()
    (root / "tests" / "test_handlers.py").write_text(LEAKY, encoding="utf-8")
    git("add", "tests", cwd=root, env=env)
    excluded = git("commit", "-m", "tests", cwd=root, env=env)
    assert excluded.returncode == 0, excluded.stdout + excluded.stderr


def test_the_manifest_is_valid() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    check_hook, fix_hook = manifest()
    assert check_hook["id"] == "isolint"
    assert str(check_hook["entry"]).startswith("isolint check")
    assert fix_hook["id"] == "isolint-fix"
    assert str(fix_hook["entry"]).startswith("isolint fix")
    for hook in (check_hook, fix_hook):
        assert hook["types"] == ["python"]
        assert hook["require_serial"] is True
        assert "--force-exclude" in str(hook["entry"])


def test_pre_commit_runs_the_manifest_command_with_this_isolint(tmp_path: Path) -> None:
    """The manifest's hook, with ``isolint`` replaced by this interpreter's isolint."""
    hook = manifest()[0]
    entry = str(hook["entry"]).replace("isolint", f"{sys.executable} -m isolint", 1)
    local = {**hook, "entry": entry, "language": "system"}
    local.pop("minimum_pre_commit_version", None)
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    env = git_env(tmp_path)
    root = make_repository(tmp_path / "service", config, env)
    assert_leaky_fails_and_clean_passes(root, env)


@pytest.mark.stress
def test_slow_pre_commit_installs_the_hook_from_a_copy_of_this_repository(
    tmp_path: Path,
) -> None:
    """``repo:`` a commit of this working tree: pre-commit pip-installs isolint itself."""
    env = git_env(tmp_path)
    source = tmp_path / "isolint-src"
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", cwd=REPO, env=env)
    for name in listed.stdout.splitlines():
        if name.split("/", 1)[0] in ("bench", "fixtures", "tests") or not (REPO / name).is_file():
            continue
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    git("init", "-q", ".", cwd=source, env=env)
    git("add", ".", cwd=source, env=env)
    assert git("commit", "-q", "-m", "isolint", cwd=source, env=env).returncode == 0
    revision = git("rev-parse", "HEAD", cwd=source, env=env).stdout.strip()
    config = {"repos": [{"repo": str(source), "rev": revision, "hooks": [{"id": "isolint"}]}]}
    root = make_repository(tmp_path / "service", config, env)
    assert_leaky_fails_and_clean_passes(root, env)


def test_force_exclude_applies_exclude_to_named_files(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/handlers.py": LEAKY, "app/state.py": STATE})
    (root / "tests").mkdir()
    (root / "tests" / "test_handlers.py").write_text(LEAKY, encoding="utf-8")
    named = run_cli("check", "--no-cache", "tests/test_handlers.py", cwd=root)
    assert named.returncode == 1  # a named file is checked, as in ruff ...
    forced = run_cli("check", "--no-cache", "--force-exclude", "tests/test_handlers.py", cwd=root)
    assert forced.returncode == 0, forced.stdout  # ... unless --force-exclude
    assert forced.stdout == ""
    both = ("tests/test_handlers.py", "app/handlers.py")
    mixed = run_cli(
        "check", "--no-cache", "--force-exclude", "--output-format", "json", *both, cwd=root
    )
    assert mixed.returncode == 1
    assert "tests/" not in mixed.stdout and "app/handlers.py" in mixed.stdout


# ISO105 with a safe fix: the annotation rules None out.
TAGS = (
    "from __future__ import annotations\n\n\n"
    "def add_tag(tag: str, tags: list[str] = []) -> list[str]:\n"
    "    tags.append(tag)\n"
    "    return tags\n"
)


def test_the_fix_hook_fixes_a_staged_file_and_fails_the_commit_once(tmp_path: Path) -> None:
    """pre-commit fails a commit whose hook changed a file; staging the fix then passes."""
    hook = manifest()[1]
    entry = str(hook["entry"]).replace("isolint", f"{sys.executable} -m isolint", 1)
    local = {**hook, "entry": entry, "language": "system"}
    local.pop("minimum_pre_commit_version", None)
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    env = git_env(tmp_path)
    root = make_repository(tmp_path / "service", config, env)
    tags = root / "app" / "tags.py"
    tags.write_text(TAGS, encoding="utf-8")
    git("add", "app/tags.py", cwd=root, env=env)
    first = git("commit", "-m", "tags", cwd=root, env=env)
    assert first.returncode != 0, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout + first.stderr
    fixed = tags.read_text(encoding="utf-8")
    assert "tags: list[str] | None = None" in fixed and "if tags is None:" in fixed
    git("add", "app/tags.py", cwd=root, env=env)
    second = git("commit", "-m", "tags", cwd=root, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
