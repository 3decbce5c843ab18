"""``isolint init``: a starter ``[tool.isolint]`` and a pre-commit hook for a project.

It plans first and writes after, so ``--dry-run`` shows exactly what a run would write.
Existing files are only ever appended to (or, in ``.pre-commit-config.yaml``, a hook is
inserted at the end of the ``repos:`` list): every byte already there stays as it was, and
nothing is re-serialised. A file that already has isolint's table or hook is left alone,
so a second run changes nothing. Each new text is checked before it is written: the
pyproject must still parse and isolint must accept its new table.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from isolint.config import NOT_SERVED_FOLDERS, ConfigError, config_from_table
from isolint.detect import Framework
from isolint.files import display_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


# The hook `init` adds; the README shows the same text. `language: system` runs the isolint
# installed where `git commit` runs, so pre-commit needs no network to set it up.
HOOK = """\
  - repo: local
    hooks:
      - id: isolint
        name: isolint
        entry: isolint check --force-exclude
        language: system
        types: [python]
        require_serial: true
"""

_HAS_HOOK = re.compile(r"^[ \t-]*id:[ \t]*[\"']?isolint[\"']?[ \t]*(#[^\r\n]*)?\r?$", re.MULTILINE)
_REPOS = re.compile(r"^repos:[ \t]*(#[^\r\n]*)?\r?$", re.MULTILINE)
_TOP_LEVEL_KEY = re.compile(r"^[^\s#-]")


class Action(Enum):
    CREATE = "create"
    APPEND = "append"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    """What happens to one file: its new text is ``before`` + ``added`` at ``offset``."""

    path: Path
    action: Action
    before: str
    added: str
    offset: int
    reason: str  # why, for the report: "[tool.isolint] is already there"

    @property
    def after(self) -> str:
        return self.before[: self.offset] + self.added + self.before[self.offset :]


def plan(root: Path, frameworks: Sequence[Framework]) -> list[Change]:
    """The changes for the project in ``root``; raises ConfigError for a file it cannot edit."""
    return [plan_pyproject(root, frameworks), plan_pre_commit(root)]


def apply(changes: Sequence[Change]) -> None:
    """Write each changed file; one edited since it was planned is an error, not overwritten."""
    for change in changes:
        if change.action is Action.UNCHANGED:
            continue
        current = _read(change.path) if change.path.exists() else ""
        if current != change.before:
            raise ConfigError(f"{change.path}: changed while `isolint init` ran; run it again")
        _write_atomically(change.path, change.after)


# ---- pyproject.toml ------------------------------------------------------------------------


def plan_pyproject(root: Path, frameworks: Sequence[Framework]) -> Change:
    path = root / "pyproject.toml"
    before = _read(path) if path.exists() else ""
    document = _parse_toml(before, path)
    tool = document.get("tool")
    if isinstance(tool, dict) and "isolint" in tool:
        return Change(path, Action.UNCHANGED, before, "", len(before), "[tool.isolint] is there")
    newline = "\r\n" if "\r\n" in before else "\n"
    table = starter_table(frameworks, _not_served(root))
    separator = "" if not before else ("\n" if before.endswith("\n") else "\n\n")
    added = (separator + table).replace("\n", newline)
    _check_pyproject(before + added, path)
    action = Action.APPEND if path.exists() else Action.CREATE
    return Change(path, action, before, added, len(before), "[tool.isolint]")


def starter_table(frameworks: Sequence[Framework], not_served: Sequence[str]) -> str:
    """The ``[tool.isolint]`` text: what was found, as comments, and the excludes."""
    lines = [
        "[tool.isolint]",
        "# Written by `isolint init`; every key is described in isolint's README (Configuration).",
    ]
    if frameworks:
        lines.append("# Frameworks found (from imports and dependencies), each with its model:")
        lines += [f"#   {f.name}: `{f.model}` ({'; '.join(f.evidence[:2])})" for f in frameworks]
        lines.append("# Every shipped model is on by default: nothing to enable here. To switch")
        lines.append('# one off: [tool.isolint.models] disable = ["ui"]')
    else:
        lines.append("# No framework found in the imports or dependencies. Every shipped model")
        lines.append("# is on, and applies as soon as the code imports its framework.")
    if not_served:
        quoted = ", ".join(f'"{folder}/*"' for folder in not_served)
        lines.append("# Code that serves no request:")
        lines.append(f"extend-exclude = [{quoted}]")
    else:
        lines.append('# extend-exclude = ["scripts/*"]  # folders of code that serves no request')
    return "\n".join(lines) + "\n"


def _not_served(root: Path) -> list[str]:
    return [name for name in NOT_SERVED_FOLDERS if (root / name).is_dir()]


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    return document


def _check_pyproject(text: str, path: Path) -> None:
    """The file with the new table must parse and its table must be accepted by isolint."""
    try:
        table = tomllib.loads(text)["tool"]["isolint"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise ConfigError(
            f"{path}: cannot append [tool.isolint] without rewriting the file ({error}); "
            "add the table by hand"
        ) from error
    config_from_table(table, str(path))


# ---- .pre-commit-config.yaml ---------------------------------------------------------------


def plan_pre_commit(root: Path) -> Change:
    path = root / ".pre-commit-config.yaml"
    if not path.exists():
        return Change(path, Action.CREATE, "", "repos:\n" + HOOK, 0, "the isolint hook")
    before = _read(path)
    if _HAS_HOOK.search(before):
        return Change(path, Action.UNCHANGED, before, "", 0, "an isolint hook is there")
    offset, indent = _end_of_repos(before, path)
    hook = "".join(indent + line[2:] + "\n" for line in HOOK.splitlines())
    if _REPOS.search(before) is None:
        hook = "repos:\n" + hook
    if offset == len(before) and before and not before.endswith("\n"):
        hook = "\n" + hook
    newline = "\r\n" if "\r\n" in before else "\n"
    return Change(
        path, Action.APPEND, before, hook.replace("\n", newline), offset, "the isolint hook"
    )


def _end_of_repos(text: str, path: Path) -> tuple[int, str]:
    """Where the block-style ``repos:`` list ends (an offset in ``text``) and the indentation
    of its items. A file without ``repos:`` gets one at its end."""
    match = _REPOS.search(text)
    if match is None:
        if re.search(r"^[^\s#]", text, re.MULTILINE) is None:  # empty, or comments only
            return len(text), "  "
        raise ConfigError(
            f"{path}: has no block-style `repos:` list to add the isolint hook to; "
            f"add it by hand:\n{HOOK}"
        )
    position = text.find("\n", match.end())
    position = len(text) if position < 0 else position + 1
    end: int = position
    indent: str | None = None
    for line in re.findall(r"[^\n]*\n|[^\n]+$", text[position:]):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            if indent is None:
                if not line.lstrip(" ").startswith("- "):
                    break
                indent = line[: len(line) - len(line.lstrip(" "))]
            elif _TOP_LEVEL_KEY.match(line):
                break
            end = position + len(line)
        position += len(line)
    return end, indent if indent is not None else "  "


# ---- files ---------------------------------------------------------------------------------


def _read(path: Path) -> str:
    """The file's text exactly (no newline translation)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error


def _write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside ``path`` and rename it over (permissions kept)."""
    temporary = path.with_name(f".{path.name}.isolint-init.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {error}") from error


# ---- the report ----------------------------------------------------------------------------


def report(
    frameworks: Sequence[Framework], changes: Sequence[Change], *, dry_run: bool, cwd: Path
) -> list[str]:
    """What was found and, file by file, what was (or with ``dry_run`` would be) written."""
    lines = _frameworks_lines(frameworks)
    for change in changes:
        name = display_path(change.path, cwd)
        if change.action is Action.UNCHANGED:
            lines.append(f"{name}: unchanged ({change.reason})")
            continue
        verb = {Action.CREATE: "created with", Action.APPEND: "added"}[change.action]
        if dry_run:
            verb = {Action.CREATE: "would create with", Action.APPEND: "would add"}[change.action]
        lines.append(f"{name}: {verb} {change.reason}:")
        lines += [f"    {line}".rstrip() for line in change.added.strip("\r\n").splitlines()]
    if all(change.action is Action.UNCHANGED for change in changes):
        lines.append("isolint init: nothing to change")
    elif dry_run:
        lines.append("isolint init: dry run, nothing written")
    return lines


def _frameworks_lines(frameworks: Sequence[Framework]) -> list[str]:
    if not frameworks:
        return ["frameworks: none found in the imports or dependencies"]
    lines = ["frameworks:"]
    for framework in frameworks:
        evidence = ", ".join(framework.evidence)
        lines.append(f"    {framework.name} (model `{framework.model}`): {evidence}")
    return lines
