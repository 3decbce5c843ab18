"""`[tool.isolint]`: finding the pyproject.toml, the defaults, and validation with clear errors.

Every option has one definition here (key, type, default). A wrong key or type raises
``ConfigError`` naming the key and the file; the CLI turns that into exit code 2.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from isolint.models import FrameworkModels, ModelError, default_models, models_from_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


class ConfigError(Exception):
    """A configuration problem the user must fix; the message names the file and the key."""


# Test code patches shared state on purpose and never serves requests: `check` skips it.
# End-to-end suites (`e2e/`, Playwright's `e2e_playwright/`, Cypress's `cypress/`) hold small
# apps written to drive a browser against, not code that serves users.
TEST_EXCLUDE = (
    "tests",
    "test",
    "testing",
    "test_*.py",
    "*_test.py",
    "tests.py",
    "*_tests.py",
    "conftest.py",
    "e2e",
    "e2e_*",
    "*_e2e",
    "cypress",
)

# Folders of code that does not serve requests: examples, scripts, documentation and
# benchmarks. `init` excludes those at the top of a project; `check` takes what their modules
# build for the run of a program, not for a server, unless a module shows it serves requests.
NOT_SERVED_FOLDERS = ("examples", "example", "scripts", "docs", "doc", "benchmarks", "bench")

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "build",
    "dist",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".isolint_cache",
    "site-packages",
    "node_modules",
    "*.egg-info",
    *TEST_EXCLUDE,
)

# Calls whose result is unique to the call (a fresh id): a key made from one is no other
# request's, though it does not say who is asking either.
FRESH_ID_CALLS = (
    "current_task",
    "uuid4",
    "uuid1",
    "uuid7",
    "token_hex",
    "token_urlsafe",
    "token_bytes",
    "urandom",  # `base62.encodebytes(os.urandom(16))`
    "getrandbits",
    "ObjectId",
)

DEFAULT_USER_KEY_PATTERNS = (
    "user_id",
    "user.id",
    "user.pk",
    "user.uuid",
    "user_uuid",
    "uid",
    "tenant_id",
    "account_id",
    "org_id",
    "organization_id",
    "customer_id",
    "owner_id",
    "session_id",
    "session.id",
    # Gradio's id of one browser session
    "session_hash",
    # one client's own connection
    "connection_id",
    "conn_id",
    "socket_id",
    "websocket_id",
    # the caller's address: a rate limiter's window per client is that client's
    "client_ip",
    "remote_addr",
    "ip_address",
    # an email address names one person: an entry under it is that person's
    "email",
    "user_email",
    "user.email",
    # so does a login name
    "username",
    "user.username",
    # the user themselves (``CACHE[request.user]``, ``f"{user}:{path}"``): an object that
    # hashes and prints as its account, or the name a header gave
    "user",
    "sid",
    # a credential names its holder: a cache per API key or access token is per user, and
    # one per OAuth client secret is per client application
    "api_key",
    "client_secret",
    "access_token",
    "token",
    "refresh_token",
    "session_token",
    "sub",
    # a value computed from the user's own context object or key
    "user_key",
    "user_context",
    # unique to one task or request, so never shared between users either
    *FRESH_ID_CALLS,
)

DEFAULT_SESSION_CONSTRUCTORS = (
    "Session",
    "AsyncSession",
    "sqlite3.connect",
    "psycopg2.connect",
    "psycopg.connect",
    "pymysql.connect",
    "MySQLdb.connect",
    "cx_Oracle.connect",
    "oracledb.connect",
    "aiosqlite.connect",
)

# The standard library's enumerations: their instances are a few fixed members.
ENUM_BASES = ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag")

DEFAULT_DSL_BASES = (
    "BaseModel",
    "BaseSettings",
    "RootModel",
    "Model",
    "Form",
    "ModelForm",
    "Serializer",
    "ModelSerializer",
    "Migration",
    "AppConfig",
    "ModelAdmin",
    "Admin",
    "TabularInline",
    "StackedInline",
    "DeclarativeBase",
    *ENUM_BASES,
    "TypedDict",
    "NamedTuple",
    "Protocol",
    "Schema",
    "SQLModel",
    "Struct",  # msgspec: a mutable default is copied for each instance
)

# Declarative bases whose plain class-level containers stay ordinary class attributes,
# one for every instance (Django's forms, models and admin, DRF's serializers): a dict in
# the body of a `Form` is shared, where pydantic and msgspec copy a mutable default into
# each instance.
SHARED_BODY_DSL_BASES = frozenset(
    {
        "Form",
        "ModelForm",
        "Serializer",
        "ModelSerializer",
        "Model",
        "ModelAdmin",
        "Admin",
        "TabularInline",
        "StackedInline",
    }
)

DEFAULT_ENTRY_DECORATORS = (
    "route",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "websocket",
    "websocket_route",
    "api_view",
    "action",
    "task",
    "shared_task",
    "on_message",
    "on_event",
    "execute",
)


# How long one file's parse and analysis may take (`file-timeout`), in seconds.
DEFAULT_FILE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Config:
    """The effective settings of one run. Frozen: it travels to worker processes as is."""

    select: tuple[str, ...] = ("ISO",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    legacy_state_classes: tuple[str, ...] = ("DeepAgentState",)
    context_class: str = "UserExecutionContext"
    user_key_patterns: tuple[str, ...] = DEFAULT_USER_KEY_PATTERNS
    session_constructors: tuple[str, ...] = DEFAULT_SESSION_CONSTRUCTORS
    shared_safe_types: tuple[str, ...] = ()
    dsl_bases: tuple[str, ...] = DEFAULT_DSL_BASES
    entry_decorators: tuple[str, ...] = DEFAULT_ENTRY_DECORATORS
    # a findings baseline file, relative to the project root (see isolint/baseline.py)
    baseline: str | None = None
    # the framework models (isolint/models/), as adjusted by [tool.isolint.models]
    models: FrameworkModels = field(default_factory=default_models)
    # seconds one file's parse and analysis may take before it is reported as ISO900
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    source: str | None = field(default=None, compare=False)

    def analysis_fingerprint(self) -> str:
        """A hash of every option that changes per-file analysis results (the cache key)."""
        relevant = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in _REPORT_ONLY_OPTIONS and f.name not in _RUN_ONLY_OPTIONS
        }
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def is_selected(self, code: str) -> bool:
        """ruff's rule: the most specific matching prefix among select and ignore wins.

        Files that could not be checked (ISO900) are always reported unless ignored by name,
        as ruff always reports syntax errors: a selection must not hide an unchecked file.
        """
        chosen = self.select + self.extend_select
        best_select = max((len(p) for p in chosen if code.startswith(p)), default=-1)
        best_ignore = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        if code == "ISO900" and best_ignore < len("ISO9"):
            return True
        return best_select >= 0 and best_select > best_ignore


_REPORT_ONLY_OPTIONS = frozenset(
    {
        "select",
        "ignore",
        "extend_select",
        "exclude",
        "extend_exclude",
        "per_file_ignores",
        "baseline",
        "source",
        # models are applied to the project index, never to one file's facts
        "models",
    }
)

# Options that change how a run goes but not what a file's analysis finds. The time budget
# is one: facts found within any budget are the same, and the errors of files that ran out of
# time are cached under their budget (see isolint/engine.py).
_RUN_ONLY_OPTIONS = frozenset({"file_timeout"})

# key in pyproject -> (attribute, expected kind)
_OPTIONS: dict[str, tuple[str, str]] = {
    "select": ("select", "codes"),
    "ignore": ("ignore", "codes"),
    "extend-select": ("extend_select", "codes"),
    "exclude": ("exclude", "strings"),
    "extend-exclude": ("extend_exclude", "strings"),
    "per-file-ignores": ("per_file_ignores", "table-of-codes"),
    "legacy-state-classes": ("legacy_state_classes", "strings"),
    "context-class": ("context_class", "string"),
    "user-key-patterns": ("user_key_patterns", "strings"),
    "session-constructors": ("session_constructors", "extend-strings"),
    "shared-safe-types": ("shared_safe_types", "extend-strings"),
    "dsl-bases": ("dsl_bases", "extend-strings"),
    "entry-decorators": ("entry_decorators", "extend-strings"),
    "baseline": ("baseline", "string"),
    "file-timeout": ("file_timeout", "seconds"),
}

# Tables owned by other commands. Each is validated by its owner's own parser (so that a
# typo there fails `check` as it would fail the command that reads it), never re-defined here.
_SUBTABLES = frozenset({"migrate-context", "race", "models"})


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    start = Path(os.path.abspath(start))
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return pyproject
    return None


def load_config(pyproject: Path | None) -> Config:
    """The configuration in ``pyproject`` (defaults when None or without [tool.isolint])."""
    if pyproject is None:
        return Config()
    table = read_isolint_table(pyproject)
    if table is None:
        return Config(source=str(pyproject))
    return config_from_table(table, str(pyproject))


def read_isolint_table(pyproject: Path, subtable: str | None = None) -> dict[str, Any] | None:
    """``[tool.isolint]``, or its ``[tool.isolint.<subtable>]``, of ``pyproject``; None when
    absent. Raises ConfigError naming the file for unreadable or invalid TOML or a non-table
    (the subtables belong to other commands, which validate their own keys)."""
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{pyproject}: invalid TOML: {error}") from error
    tool = document.get("tool", {})
    table = tool.get("isolint") if isinstance(tool, dict) else None
    name = "[tool.isolint]"
    if table is not None and subtable is not None:
        if not isinstance(table, dict):
            raise ConfigError(f"{pyproject}: {name} must be a table")
        table, name = table.get(subtable), f"[tool.isolint.{subtable}]"
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: {name} must be a table")
    return table


def config_from_table(table: dict[str, Any], source: str) -> Config:
    config = Config(source=source)
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key in _SUBTABLES:
            continue
        if key not in _OPTIONS:
            raise unknown_option(source, key, "[tool.isolint]", _OPTIONS)
        attribute, kind = _OPTIONS[key]
        changes[attribute] = _parse_value(config, attribute, kind, key, value, source)
    _check_command_tables(table, source)
    models = table.get("models")
    if models is not None:
        if not isinstance(models, dict):
            raise ConfigError(f"{source}: [tool.isolint.models] must be a table")
        try:
            changes["models"] = models_from_table(models, source)
        except ModelError as error:
            raise ConfigError(str(error)) from error
    return replace(config, **changes)


def unknown_option(source: str, key: str, table: str, known: Iterable[str]) -> ConfigError:
    """The error for a key ``table`` does not define: the file, the key, the nearest known
    key when one is close (a typo), and every known key."""
    names = sorted(known)
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return ConfigError(
        f"{source}: unknown option `{key}` in {table}{hint} (known: {', '.join(names)})"
    )


def _check_command_tables(table: dict[str, Any], source: str) -> None:
    """Validate ``[tool.isolint.race]`` and ``[tool.isolint.migrate-context]`` with the parsers
    of the commands that read them, so `check` reports their mistakes first (exit 2).
    Imported here, lazily: those commands' modules import this one."""
    race = table.get("race")
    if race is not None:
        from isolint.race.config import race_options

        race_options(race, source)
    migrate = table.get("migrate-context")
    if migrate is not None:
        from isolint.fix.codemods.migrate_context_options import options_from_table

        if not isinstance(migrate, dict):
            raise ConfigError(f"{source}: [tool.isolint.migrate-context] must be a table")
        options_from_table(migrate, source)


def _parse_value(
    config: Config, attribute: str, kind: str, key: str, value: Any, source: str
) -> Any:
    if kind == "string":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{source}: `{key}` must be a non-empty string, got {value!r}")
        return value
    if kind in ("strings", "codes", "extend-strings"):
        if kind == "codes":
            return _code_list(key, value, source)
        items = _string_list(key, value, source)
        if kind == "extend-strings":
            return tuple(dict.fromkeys((*getattr(config, attribute), *items)))
        return items
    if kind == "seconds":
        return _seconds(key, value, source)
    if kind == "table-of-codes":
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: `{key}` must be a table of glob = [codes], got {value!r}")
        table = []
        for pattern, codes in value.items():
            table.append((pattern, _code_list(f"{key}.{pattern}", codes, source)))
        return tuple(table)
    raise AssertionError(kind)  # pragma: no cover


def _seconds(key: str, value: Any, source: str) -> float:
    """A positive, finite number of seconds (TOML integers and floats; not booleans)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigError(
            f"{source}: `{key}` must be a positive number of seconds (e.g. 10 or 2.5), "
            f"got {value!r}"
        )
    return float(value)


def _string_list(key: str, value: Any, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: `{key}` must be a list of strings, got {value!r}")
    return tuple(value)


def _code_list(key: str, value: Any, source: str) -> tuple[str, ...]:
    codes = tuple(code.strip().upper() for code in _string_list(key, value, source))
    _check_codes(key, codes, source)
    return codes


def _check_codes(key: str, codes: Iterable[str], source: str) -> None:
    for code in codes:
        suffix = code[3:]
        if not (code.startswith("ISO") and (suffix == "" or suffix.isdigit())):
            raise ConfigError(
                f"{source}: `{key}` holds `{code}`, which is not a rule code or prefix "
                "(ISO, ISO1, ISO101, ...)"
            )


def with_cli_overrides(
    config: Config,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    extend_select: tuple[str, ...] | None,
) -> Config:
    """Command-line rule selection on top of the file's (command line wins, as in ruff)."""
    source = "command line"
    changes: dict[str, Any] = {}
    if select:
        _check_codes("--select", select, source)
        changes["select"] = select
    if ignore:
        _check_codes("--ignore", ignore, source)
        changes["ignore"] = config.ignore + ignore
    if extend_select:
        _check_codes("--extend-select", extend_select, source)
        changes["extend_select"] = config.extend_select + extend_select
    return replace(config, **changes)
