"""Options of the ``migrate-context`` codemod: the ``[tool.isolint.migrate-context]`` table.

```toml
[tool.isolint.migrate-context]
legacy = "app.agents.state.DeepAgentState"    # dotted path, or a bare class name
target = "isolint.context.UserExecutionContext"
field-map = { chat_thread_id = "thread_id" }  # added to the identity defaults
unmapped = "agent_context"                    # where every other legacy field goes
parameter-name = "context"                    # new name of legacy-typed parameters
same-name-copies = true                       # also migrate copies of a dotted legacy class
```

``same-name-copies``: a refactor often leaves a second class of the legacy class's name in
another module, a copy of (part of) its fields, which ``check`` reports as legacy too (it
matches the class name). When ``legacy`` is a dotted path, a project class of the same
name whose fields are all fields of the configured class and cover at least half of them
is migrated as the legacy class as well (each module with the copy it imports, defaults
and all). ``false`` migrates the configured class only. A bare class name already means
every project class of that name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from isolint.config import ConfigError, read_isolint_table

IDENTITY_FIELDS = frozenset({"user_id", "thread_id", "run_id", "request_id"})
TABLE = "[tool.isolint.migrate-context]"


def _default_field_map() -> Mapping[str, str]:
    return MappingProxyType({name: name for name in sorted(IDENTITY_FIELDS)})


@dataclass(frozen=True)
class MigrationOptions:
    """What to migrate from, to what, and how legacy fields map onto the context."""

    legacy: str = "DeepAgentState"
    target: str = "isolint.context.UserExecutionContext"
    field_map: Mapping[str, str] = field(default_factory=_default_field_map)
    unmapped: str = "agent_context"
    identity_fields: frozenset[str] = IDENTITY_FIELDS
    parameter_name: str = "context"
    same_name_copies: bool = True

    @property
    def legacy_class_name(self) -> str:
        return self.legacy.rpartition(".")[2]

    @property
    def legacy_module(self) -> str | None:
        """The module named by a dotted ``legacy``; None for a bare class name."""
        module, _, _ = self.legacy.rpartition(".")
        return module or None

    @property
    def target_class_name(self) -> str:
        return self.target.rpartition(".")[2]

    @property
    def target_module(self) -> str:
        return self.target.rpartition(".")[0]


# key in the table -> attribute of MigrationOptions
_KEYS = {
    "legacy": "legacy",
    "target": "target",
    "field-map": "field_map",
    "unmapped": "unmapped",
    "parameter-name": "parameter_name",
    "same-name-copies": "same_name_copies",
}


def load_migration_options(pyproject: Path | None) -> MigrationOptions:
    """The options in ``pyproject`` (the defaults when None or without the table).

    Raises ``ConfigError`` naming the file and the key for an unknown key or a wrong type.
    """
    if pyproject is None:
        return MigrationOptions()
    table = read_isolint_table(pyproject, "migrate-context")
    if table is None:
        return MigrationOptions()
    return options_from_table(table, str(pyproject))


def options_from_table(table: Mapping[str, Any], source: str) -> MigrationOptions:
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{source}: unknown option `{key}` in {TABLE} (known: {known})")
        if key == "field-map":
            changes["field_map"] = _field_map(value, source)
        elif key == "same-name-copies":
            if not isinstance(value, bool):
                raise ConfigError(
                    f"{source}: `same-name-copies` in {TABLE} must be true or false, got {value!r}"
                )
            changes["same_name_copies"] = value
        else:
            changes[_KEYS[key]] = _dotted_or_identifier(key, value, source)
    return MigrationOptions(**changes)


def _field_map(value: Any, source: str) -> Mapping[str, str]:
    """The identity defaults updated with the table's entries (the table wins)."""
    if not isinstance(value, dict):
        raise ConfigError(
            f"{source}: `field-map` in {TABLE} must be a table of legacy_field = "
            f'"context_field", got {value!r}'
        )
    merged = dict(_default_field_map())
    for legacy_field, context_field in value.items():
        if not legacy_field.isidentifier():
            raise ConfigError(
                f"{source}: `field-map.{legacy_field}` in {TABLE}: not a Python identifier"
            )
        if not isinstance(context_field, str) or not context_field.isidentifier():
            raise ConfigError(
                f"{source}: `field-map.{legacy_field}` in {TABLE} must be a field name "
                f"(a string), got {context_field!r}"
            )
        merged[legacy_field] = context_field
    return MappingProxyType(merged)


def _dotted_or_identifier(key: str, value: Any, source: str) -> str:
    dotted = key in ("legacy", "target")
    valid = isinstance(value, str) and all(part.isidentifier() for part in value.split("."))
    if not valid or (not dotted and "." in value):
        expected = "a dotted path or a class name" if dotted else "a Python identifier"
        raise ConfigError(f"{source}: `{key}` in {TABLE} must be {expected}, got {value!r}")
    if key == "target" and "." not in value:
        raise ConfigError(
            f"{source}: `target` in {TABLE} must be a dotted path (module.Class), got {value!r}"
        )
    return str(value)
