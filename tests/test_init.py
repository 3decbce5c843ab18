"""``isolint init`` end to end: the real CLI on small projects written to a temporary folder.

What it finds (imports and dependencies, read, never imported), what it writes (a starter
``[tool.isolint]`` that ``check`` accepts, the pre-commit hook), that existing text is kept
byte for byte, that a second run changes nothing, and that ``--dry-run`` writes nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from isolint.detect import detect_frameworks, imported_modules, module_of_distribution
from isolint.init_project import HOOK

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

LEAKY_SCRIPT = "SEEN = []\n\n\nasync def remember(user_id):\n    SEEN.append(user_id)\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def init(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli("init", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def tool_isolint(root: Path) -> dict[str, object]:
    document = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    table = document["tool"]["isolint"]
    assert isinstance(table, dict)
    return table


def test_a_fastapi_project_gets_its_table_excludes_and_hook(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "svc"\ndependencies = ["fastapi>=0.110", "uvicorn"]\n'
    root = write(
        tmp_path / "svc",
        {
            "pyproject.toml": pyproject,
            "app/__init__.py": "",
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "scripts/backfill.py": LEAKY_SCRIPT,
            "docs/conf.py": LEAKY_SCRIPT,
        },
    )
    # the scripts' modules serve no request (their folders say so), so nothing is reported
    # even before `init` leaves them out
    assert run_cli("check", "--no-cache", cwd=root).returncode == 0
    result = init(root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "frameworks:",
        "    FastAPI / Starlette (model `fastapi`): fastapi imported in app/main.py, "
        "fastapi in pyproject.toml",
    ]
    assert "pyproject.toml: added [tool.isolint]:" in lines
    assert ".pre-commit-config.yaml: created with the isolint hook:" in lines
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(pyproject + "\n[tool.isolint]\n")
    assert tool_isolint(root) == {"extend-exclude": ["scripts/*", "docs/*"]}
    assert "#   FastAPI / Starlette: `fastapi`" in text
    assert (root / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos:\n" + HOOK
    checked = run_cli("check", "--no-cache", cwd=root)
    assert checked.returncode == 0, checked.stdout + checked.stderr  # accepted; scripts left out


def test_a_django_project_with_requirements_gets_a_new_pyproject(tmp_path: Path) -> None:
    requirements = "# web\nDjango==5.0.6\ndjangorestframework>=3.15  # api\n-r base.txt\n"
    root = write(
        tmp_path / "site",
        {
            "requirements.txt": requirements,
            "requirements/dev.txt": "celery[redis]==5.4\n",
            "shop/views.py": "from rest_framework.views import APIView\n",
            "examples/demo.py": "import gradio as gr\n",  # not detected: not the service
        },
    )
    result = init(root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "frameworks:",
        "    Django / DRF / Channels (model `django`): rest_framework imported in shop/views.py, "
        "Django in requirements.txt, djangorestframework in requirements.txt",
        "    Celery / RQ / Dramatiq / arq (model `tasks`): celery in requirements/dev.txt",
    ]
    assert "pyproject.toml: created with [tool.isolint]:" in result.stdout
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith("[tool.isolint]\n")
    assert tool_isolint(root) == {"extend-exclude": ["examples/*"]}
    assert (root / "requirements.txt").read_text(encoding="utf-8") == requirements


def test_existing_files_are_kept_byte_for_byte(tmp_path: Path) -> None:
    pyproject = b'[project]\r\nname = "svc"\r\n\r\n[tool.ruff]\r\nline-length = 100'  # no EOL
    pre_commit = (
        "repos:\n"
        "- repo: https://github.com/astral-sh/ruff-pre-commit  # lint\n"
        "  rev: v0.6.0\n"
        "  hooks:\n"
        "  - id: ruff\n"
        "# keep me\n"
        "\n"
        "ci:\n"
        "  autofix_prs: false\n"
    )
    root = write(
        tmp_path / "svc",
        {
            "pyproject.toml": pyproject,
            ".pre-commit-config.yaml": pre_commit,
            "app/api.py": "import flask\n",
        },
    )
    result = init(root)
    assert result.returncode == 0, result.stderr
    written = (root / "pyproject.toml").read_bytes()
    assert written.startswith(pyproject + b"\r\n\r\n[tool.isolint]\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")  # the file's own line endings
    assert "Flask / Quart: `flask`" in written.decode()
    assert tomllib.loads(written.decode())["tool"]["ruff"] == {"line-length": 100}
    config = (root / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    hook = "".join(line[2:] + "\n" for line in HOOK.splitlines())  # the file's indentation
    head, tail = pre_commit.split("# keep me\n")
    assert config == head + hook + "# keep me\n" + tail
    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_a_second_run_changes_nothing_and_says_so(tmp_path: Path) -> None:
    root = write(tmp_path / "svc", {"app/main.py": "import fastapi\n", "docs/index.md": ""})
    assert init(root).returncode == 0
    before = snapshot(root)
    again = init(root)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-3:] == [
        "pyproject.toml: unchanged ([tool.isolint] is there)",
        ".pre-commit-config.yaml: unchanged (an isolint hook is there)",
        "isolint init: nothing to change",
    ]
    assert snapshot(root) == before


def test_dry_run_shows_what_a_run_writes_and_writes_nothing(tmp_path: Path) -> None:
    root = write(tmp_path / "svc", {"pyproject.toml": "[project]\nname = 'svc'\n"})
    (root / "scripts").mkdir()
    before = snapshot(root)
    dry = init(root, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert snapshot(root) == before
    assert dry.stdout.splitlines()[-1] == "isolint init: dry run, nothing written"
    real = init(root)
    expected = real.stdout.replace("added", "would add").replace(
        "created with", "would create with"
    )
    assert dry.stdout == expected + "isolint init: dry run, nothing written\n"


def test_an_existing_table_and_hook_are_left_alone(tmp_path: Path) -> None:
    pyproject = "[tool.isolint.race]\nusers = 4\n"  # a subtable counts: the table exists
    pre_commit = "repos:\n  - repo: local\n    hooks:\n      - id: 'isolint'\n"
    root = write(
        tmp_path / "svc", {"pyproject.toml": pyproject, ".pre-commit-config.yaml": pre_commit}
    )
    before = snapshot(root)
    result = init(root)
    assert result.returncode == 0
    assert "nothing to change" in result.stdout
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("[project\nname = 'x'\n", "invalid TOML"),
        ("tool = { ruff = { line-length = 100 } }\n", "add the table by hand"),
    ],
    ids=["invalid", "inline-tool-table"],
)
def test_a_pyproject_it_cannot_append_to_exits_2_and_writes_nothing(
    tmp_path: Path, pyproject: str, message: str
) -> None:
    root = write(tmp_path / "svc", {"pyproject.toml": pyproject})
    result = init(root)
    assert result.returncode == 2
    assert message in result.stderr and "pyproject.toml" in result.stderr
    assert snapshot(root) == {"pyproject.toml": pyproject.encode()}


def test_a_pre_commit_config_without_a_block_repos_list_exits_2(tmp_path: Path) -> None:
    root = write(tmp_path / "svc", {".pre-commit-config.yaml": "repos: []\n"})
    result = init(root)
    assert result.returncode == 2
    assert "add it by hand" in result.stderr and "id: isolint" in result.stderr
    assert snapshot(root) == {".pre-commit-config.yaml": b"repos: []\n"}


# ---- detection, in process (pure functions of the files) ------------------------------------


def test_imports_are_read_from_import_statements_only() -> None:
    source = (
        "import os, celery.app as c\n"
        "from django.db import models\n"
        "from . import local\n"
        "    import strawberry\n"
        "x = 'import flask'\n"
        "# import gradio\n"
    )
    assert imported_modules(source) == {"os", "celery", "django", "strawberry"}


@pytest.mark.parametrize(
    ("distribution", "module"),
    [
        ("Flask-Login", "flask"),
        ("djangorestframework-simplejwt", "rest_framework"),
        ("strawberry-graphql", "strawberry"),
        ("langchain_openai", "langchain"),
        ("langchain-core", "langchain_core"),
        ("fastapi", "fastapi"),
        ("flake8", None),
        ("requests", None),
    ],
)
def test_a_distribution_maps_to_the_package_it_provides_or_extends(
    distribution: str, module: str | None
) -> None:
    modules = ["flask", "rest_framework", "strawberry", "langchain", "langchain_core", "fastapi"]
    assert module_of_distribution(distribution, modules) == module


def test_dependencies_in_setup_cfg_and_poetry_are_read(tmp_path: Path) -> None:
    root = write(
        tmp_path / "svc",
        {
            "setup.cfg": "[options]\ninstall_requires =\n    aiohttp>=3\n",
            "pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.11'\ncelery = '*'\n",
        },
    )
    found = {framework.model: framework.evidence for framework in detect_frameworks(root)}
    assert found == {
        "servers": ("aiohttp in setup.cfg",),
        "tasks": ("celery in pyproject.toml",),
    }
