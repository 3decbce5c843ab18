"""Which frameworks a project uses, from its imports and its declared dependencies.

``isolint init`` reports them. Everything is read as text, nothing is imported or run: import
statements are found with a line pattern (no parse), dependencies in ``pyproject.toml``
(PEP 621, dependency groups, Poetry), ``requirements*.txt`` (and ``requirements/*.txt``)
and ``setup.cfg``. A framework is one of the shipped models (``isolint/models/*.toml``),
named by its key, known by the top-level packages the model lists in ``modules``.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isolint.config import DEFAULT_EXCLUDE
from isolint.files import discover
from isolint.models import builtin_models

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

# `from pkg.sub import x` and `import pkg.sub as y, other`, at the start of a line.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import\b|import[ \t]+([^\n#;]+))",
    re.MULTILINE,
)
# The distribution name at the start of a requirement (`Django>=5; python_version > "3"`).
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# Distributions whose name is not their package's (normalised: lower case, `_` separators).
_DISTRIBUTION_ALIASES = {
    "djangorestframework": "rest_framework",
    "django_channels": "channels",
    "python_socketio": "socketio",
    "llama_index_core": "llama_index",
    "strawberry_graphql": "strawberry",
    "pyautogen": "autogen",
}


@dataclass(frozen=True)
class Framework:
    """A shipped model the project evidently needs, and why we think so."""

    model: str  # the model's key: the file name in isolint/models/ (`fastapi`, `django`)
    name: str  # its description (`FastAPI / Starlette`)
    evidence: tuple[str, ...]  # `fastapi imported in app/main.py`, `Django in requirements.txt`


def detect_frameworks(root: Path) -> list[Framework]:
    """The frameworks of the project in ``root``, in the models' order."""
    evidence = list(dict.fromkeys((*_imports(root), *_dependencies(root))))
    found = []
    for model in builtin_models():
        reasons = tuple(reason for module, reason in evidence if module in model.modules)
        if reasons:
            found.append(Framework(model.key, model.name, reasons))
    return found


def _modelled_modules() -> frozenset[str]:
    return frozenset(module for model in builtin_models() for module in model.modules)


def _imports(root: Path) -> Iterator[tuple[str, str]]:
    """(top-level module, `module imported in path`) for the first file importing each one.
    The files are those `check` would look at (virtualenvs, builds and tests left out)."""
    wanted = _modelled_modules()
    seen: set[str] = set()
    for path in discover([root], DEFAULT_EXCLUDE, root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for module in imported_modules(text) & wanted - seen:
            seen.add(module)
            yield module, f"{module} imported in {path.relative_to(root).as_posix()}"


def imported_modules(source: str) -> set[str]:
    """The top-level modules a source's import statements name (absolute imports only)."""
    modules: set[str] = set()
    for match in _IMPORT.finditer(source):
        if match.group(1):
            modules.add(match.group(1))
            continue
        for item in match.group(2).split(","):
            name = item.strip().split(" ", 1)[0].split(".", 1)[0].strip("()\\")
            if name.isidentifier():
                modules.add(name)
    return modules


def _dependencies(root: Path) -> Iterator[tuple[str, str]]:
    """(top-level module, `Django in requirements.txt`) for each modelled dependency."""
    wanted = _modelled_modules()
    for file, requirements in _declared(root):
        for requirement in requirements:
            match = _REQUIREMENT.match(requirement)
            if match is None:
                continue
            module = module_of_distribution(match.group(1), wanted)
            if module is not None:
                yield module, f"{match.group(1)} in {file}"


def module_of_distribution(distribution: str, modules: Iterable[str]) -> str | None:
    """The modelled package a distribution provides or extends: `Flask-Login` -> flask,
    `djangorestframework` -> rest_framework, `strawberry-graphql` -> strawberry."""
    name = re.sub(r"[-_.]+", "_", distribution).lower()
    for alias, module in _DISTRIBUTION_ALIASES.items():
        if name == alias or name.startswith(alias + "_"):
            return module
    for module in sorted(modules, key=len, reverse=True):
        if name == module or name.startswith(module + "_"):
            return module
    return None


def _declared(root: Path) -> Iterator[tuple[str, list[str]]]:
    """(file name, requirement strings) of each dependency file found in ``root``."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        yield "pyproject.toml", _pyproject_requirements(pyproject)
    candidates = [*root.glob("requirements*.txt"), *root.glob("requirements/*.txt")]
    for path in sorted(candidates):
        if path.is_file():
            yield path.relative_to(root).as_posix(), _requirements_txt(path)
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        yield "setup.cfg", _setup_cfg_requirements(setup_cfg)


def _pyproject_requirements(path: Path) -> list[str]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # `isolint init` reports a broken pyproject.toml itself
    project = _table(document.get("project"))
    found = _strings(project.get("dependencies"))
    for extra in _table(project.get("optional-dependencies")).values():
        found += _strings(extra)
    for group in _table(document.get("dependency-groups")).values():
        found += _strings(group)
    poetry = _table(_table(document.get("tool")).get("poetry"))
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables += [_table(group).get("dependencies") for group in _table(poetry.get("group")).values()]
    for table in tables:
        found += list(_table(table))
    return found


def _requirements_txt(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if line.strip() and not line.lstrip().startswith(("#", "-"))]


def _setup_cfg_requirements(path: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return []
    values = [parser.get("options", "install_requires", fallback="")]
    if parser.has_section("options.extras_require"):
        values += [value for _, value in parser.items("options.extras_require")]
    return [line for value in values for line in value.splitlines() if line.strip()]


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
