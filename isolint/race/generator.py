"""``isolint race gen``: one pytest file per finding, written idempotently.

It runs the same check as ``isolint check``, indexes the project, finds the hooks the project
wrote (statically: nothing of the project is imported here), asks ``targets`` what each
finding's test drives, has ``render`` write the text, and keeps the output folder in step:
files of findings that are gone are removed, but only files this generator wrote (their
header carries ``GENERATED_MARK``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from isolint import engine
from isolint.config import Config, with_cli_overrides
from isolint.files import display_path
from isolint.findings import Finding
from isolint.project import Project
from isolint.race.config import RaceConfig, is_target_name, load_race_config
from isolint.race.render import GENERATED_MARK, render_test, test_file_stem
from isolint.race.sources import project_root_module
from isolint.race.targets import (
    HookDriver,
    Providers,
    RaceTarget,
    Targeting,
)


@dataclass(frozen=True)
class GeneratedTest:
    target: RaceTarget
    path: Path
    test_name: str


@dataclass(frozen=True)
class Generation:
    """What ``generate`` wrote: one test per finding, and the stale files it removed."""

    tests: list[GeneratedTest]
    removed: list[Path]
    root: Path
    findings: list[Finding]
    # Folders the tests import the project from (the project root first), and the project's
    # own top-level module names (a missing one is not a missing dependency).
    import_paths: tuple[Path, ...] = ()
    own_modules: frozenset[str] = frozenset()


def generate(
    paths: Sequence[Path],
    out: Path | None = None,
    *,
    select: tuple[str, ...] | None = None,
    budget: float | None = None,
    rerun_folder: str | None = None,
    cwd: Path | None = None,
) -> Generation:
    """Write the race tests of the findings in ``paths`` into ``out`` (default: the
    configured folder under the project root). ``rerun_folder`` is the folder the headers
    name in their rerun command (default: ``out`` as seen from ``cwd``, where the command
    ran)."""
    targets_paths = list(paths) or [Path(".")]
    settings = engine.load_settings(targets_paths)
    race_config = load_race_config(targets_paths[0])
    if select:
        settings = engine.Settings(
            with_cli_overrides(settings.config, select, None, None), settings.root
        )
    root = settings.root
    result = engine.check(targets_paths, settings, cwd=root)
    findings = [f for f in result.findings if f.code != "ISO900" and not f.code.startswith("ISO8")]
    project = engine.index_project(settings, root)
    providers = find_providers(project, race_config)
    targeting = Targeting(project, providers)
    out = out or race_config.root / race_config.out
    rerun = rerun_folder or display_path(out, cwd or Path.cwd())
    per_test_budget = budget or race_config.budget
    planned = _plan(findings, targeting)
    out.mkdir(parents=True, exist_ok=True)
    tests: list[GeneratedTest] = []
    for stem, target in planned.items():
        path = out / f"{stem}.py"
        text = render_test(
            target,
            stem,
            rerun_path=f"{rerun}/{stem}.py",
            budget=runtime_budget(per_test_budget),
            users=race_config.users,
        )
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        tests.append(GeneratedTest(target, path, stem))
    removed = _remove_stale(out, {f"{stem}.py" for stem in planned})
    own = frozenset(name.split(".")[0] for name in project.modules)
    imports = import_paths(project, race_config.root)
    return Generation(tests, removed, root, findings, imports, own)


def import_paths(project: Project, root: Path) -> tuple[Path, ...]:
    """``root``, then the folder each top-level package of the project is imported from
    (``src/`` in a src layout): what ``sys.path`` needs for the tests' imports."""
    found: dict[Path, None] = {root.resolve(): None}
    for record in project.modules.values():
        parts = record.name.split(".")
        if record.path is None or (len(parts) == 1 and not record.is_package):
            continue
        depth = len(parts) if record.is_package else len(parts) - 1
        found.setdefault(record.path.resolve().parents[depth], None)
    return tuple(found)


def runtime_budget(per_test: float) -> float:
    """What the runtime may spend searching: the test's budget minus room to import and set
    up (a fifth, at most one second)."""
    return round(max(0.5, per_test - min(1.0, per_test / 5)), 2)


def _plan(findings: list[Finding], targeting: Targeting) -> dict[str, RaceTarget]:
    """A unique, stable file stem per finding, in finding order."""
    planned: dict[str, RaceTarget] = {}
    for finding in findings:
        stem = test_file_stem(finding, detailed=False)
        if stem in planned:
            stem = test_file_stem(finding, detailed=True)
        planned[stem] = targeting.target(finding)
    return planned


def _remove_stale(out: Path, keep: set[str]) -> list[Path]:
    removed: list[Path] = []
    for path in sorted(out.glob("test_iso*.py")):
        if path.name in keep:
            continue
        try:
            head = path.read_text(encoding="utf-8")[:4000]
        except (OSError, UnicodeDecodeError):
            continue
        if GENERATED_MARK in head:
            path.unlink()
            removed.append(path)
    return removed


# --- hooks, factories and fixtures the project provides -------------------------------------

_ENTRY_DECORATOR = re.compile(r"(^|\.)race\.entry$|^entry$")


def find_providers(project: Project, race_config: RaceConfig) -> Providers:
    """Drivers by target: ``@isolint.race.entry`` hooks in the project and its hook folders,
    then the configured factories (a factory wins over a hook for the same target)."""
    hooks: dict[str, HookDriver] = {}
    for path in _hook_files(project, race_config):
        module = project_root_module(path, race_config.root)
        if module is None:
            continue
        for target, function in _entry_hooks(path):
            hooks.setdefault(target, HookDriver(target, module, function, "hook"))
    for target, factory in race_config.factories.items():
        module, _, function = factory.partition(":")
        hooks[target] = HookDriver(target, module, function, "factory")
    return Providers(hooks, dict(race_config.fixtures))


def _hook_files(project: Project, race_config: RaceConfig) -> list[Path]:
    files = {record.path for record in project.modules.values() if record.path is not None}
    for folder in race_config.hooks:
        files.update((race_config.root / folder).rglob("*.py"))
    return sorted(path for path in files if _mentions_entry(path))


def _mentions_entry(path: Path) -> bool:
    try:
        return b"entry(" in path.read_bytes()
    except OSError:
        return False


def _entry_hooks(path: Path) -> list[tuple[str, str]]:
    """(target, function name) of every top-level function decorated with a race entry."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return []
    found: list[tuple[str, str]] = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            target = _entry_target(decorator)
            if target is not None:
                found.append((target, node.name))
    return found


def _entry_target(decorator: ast.expr) -> str | None:
    if not isinstance(decorator, ast.Call) or len(decorator.args) != 1:
        return None
    name = ast.unparse(decorator.func)
    argument = decorator.args[0]
    if not _ENTRY_DECORATOR.search(name) or not isinstance(argument, ast.Constant):
        return None
    value = argument.value
    return value if isinstance(value, str) and is_target_name(value) else None


def check_selection(select: tuple[str, ...] | None) -> None:
    """Raise ConfigError for a malformed ``--select`` (before any work is done)."""
    if select:
        with_cli_overrides(Config(), select, None, None)
