"""``[tool.isolint.race]``: where race tests go and which drivers the project provides.

Every key has one definition here. A wrong key or type raises ``ConfigError`` naming the
file and the key, as ``[tool.isolint]`` does; the CLI turns that into exit code 2.

```toml
[tool.isolint.race]
out = "tests/isolint_race"          # where `isolint race gen` writes
hooks = ["tests"]                   # folders searched for @isolint.race.entry hooks
budget = 5.0                        # seconds per finding for `isolint race run`
users = 3                           # simulated users per round
factories = { "pkg.api:create" = "tests.factories:drive_create" }   # a driver per target
fixtures = { "pkg.api:upload" = "upload_driver" }   # a pytest fixture returning a driver
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from isolint.config import ConfigError, find_pyproject, read_isolint_table, unknown_option
from isolint.files import is_package_folder

_TABLE = "[tool.isolint.race]"


@dataclass(frozen=True)
class RaceConfig:
    """The race settings of one project; ``root`` is the folder of its pyproject.toml (else
    the first folder above the package tree, see ``import_root``): the tests run there."""

    root: Path
    out: str = "tests/isolint_race"
    hooks: tuple[str, ...] = ("tests",)
    budget: float = 5.0
    users: int = 3
    # "pkg.mod:func" -> "tests.factories:make_call" (a driver) / a pytest fixture's name
    factories: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, str] = field(default_factory=dict)


def load_race_config(start: Path) -> RaceConfig:
    """The race settings of the project ``start`` is in (defaults without a table)."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return RaceConfig(root=import_root(start))
    race = read_isolint_table(pyproject, "race") or {}
    return race_config_from_table(race, pyproject)


def import_root(start: Path) -> Path:
    """The project root of a project without a pyproject.toml: the first folder at or above
    ``start`` that is not a package (a folder holding ``__init__.py`` is imported from its
    parent, so the tests run there and ``import chatsvc`` works)."""
    folder = (start if start.is_dir() else start.parent).resolve()
    while is_package_folder(folder) and folder.parent != folder:
        folder = folder.parent
    return folder


def race_config_from_table(table: Any, pyproject: Path) -> RaceConfig:
    return RaceConfig(root=pyproject.parent.resolve(), **race_options(table, str(pyproject)))


def race_options(table: Any, source: str) -> dict[str, Any]:
    """The table's settings by key, validated; ``isolint check`` calls this too, so a typo
    here fails `check` (exit 2) before it can stop `isolint race run`."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {_TABLE} must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        parse = _PARSERS.get(key)
        if parse is None:
            raise unknown_option(source, key, _TABLE, _PARSERS)
        values[key] = parse(key, value, source)
    return values


def _string(key: str, value: Any, source: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"{source}: `{key}` in {_TABLE} must be a non-empty string, got {value!r}"
        )
    return value


def _strings(key: str, value: Any, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: `{key}` in {_TABLE} must be a list of strings, got {value!r}")
    return tuple(value)


def _seconds(key: str, value: Any, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(
            f"{source}: `{key}` in {_TABLE} must be a positive number of seconds, got {value!r}"
        )
    return float(value)


def _users(key: str, value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 16:
        raise ConfigError(
            f"{source}: `{key}` in {_TABLE} must be a whole number from 2 to 16, got {value!r}"
        )
    return value


def _targets(key: str, value: Any, source: str) -> dict[str, str]:
    """A table of "pkg.mod:func" = "..."; both sides checked for shape."""
    if not isinstance(value, dict):
        raise ConfigError(
            f'{source}: `{key}` in {_TABLE} must be a table of "pkg.mod:func" = ..., got {value!r}'
        )
    for target, provider in value.items():
        if not is_target_name(target):
            raise ConfigError(
                f"{source}: `{key}.{target}` in {_TABLE}: the key must name a function "
                'as "pkg.module:function" (methods as "pkg.module:Class.method")'
            )
        if not isinstance(provider, str) or not provider:
            raise ConfigError(f"{source}: `{key}.{target}` in {_TABLE} must be a string")
        if key == "factories" and not is_target_name(provider):
            raise ConfigError(
                f"{source}: `{key}.{target}` in {_TABLE} must name the factory "
                'as "pkg.module:function"'
            )
        if key == "fixtures" and not provider.isidentifier():
            raise ConfigError(
                f"{source}: `{key}.{target}` in {_TABLE} must be a pytest fixture's name"
            )
    return dict(value)


def is_target_name(text: str) -> bool:
    """``pkg.module:function`` or ``pkg.module:Class.method``."""
    module, colon, function = text.partition(":")
    parts = [*module.split("."), *function.split(".")]
    return bool(colon) and all(part.isidentifier() for part in parts)


_PARSERS = {
    "out": _string,
    "hooks": _strings,
    "budget": _seconds,
    "users": _users,
    "factories": _targets,
    "fixtures": _targets,
}
