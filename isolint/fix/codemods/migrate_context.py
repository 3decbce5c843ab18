"""The ``migrate-context`` codemod: from a shared legacy state class to a per-request context.

``migrate_project(sources, options, root)`` rewrites every use of the legacy class (by
default ``DeepAgentState``) in a project into the per-request context class (by default
``isolint.context.UserExecutionContext``) and lists what a person must finish. It returns
new sources; it never writes files, imports or runs user code.

What it rewrites
----------------
- Imports of the legacy class, also aliased or through its module (``import app.state as
  st`` then ``st.DeepAgentState``): a ``from`` import whose every use is rewritten becomes
  the target's import in place; other legacy imports are removed once unused, and the
  target's import is added where needed.
- Annotations, also inside ``Optional``/``Union``/``X | None``/subscripts and strings.
  Parameters annotated with the legacy type (alone or optional) are renamed to
  ``parameter-name`` (``state`` -> ``context``) with every use in the function, and the
  keyword arguments of callers in the project follow. A rename is skipped, keeping only
  the new annotation, when the new name already appears in the function, when the old one
  is declared ``global``/``nonlocal``, or for a second legacy parameter of the same function.
  Callers are resolved by qualified name; for a method call on an unknown receiver
  (``agent.execute(state=...)``) the keyword is renamed when every project function of that
  name taking that keyword renamed it the same way, and reported otherwise.
- Constructions: arguments are passed by keyword under their context names (``field-map``);
  every other legacy field goes into one ``agent_context={...}`` dict literal.
- Attribute accesses on names known to hold the legacy type (legacy-typed parameters,
  variables every assignment of which is a construction or a legacy-annotated value,
  ``self.x`` annotated with the legacy type in its class): mapped fields are renamed
  (``state.chat_thread_id`` -> ``context.thread_id``), unmapped ones are read and written
  through the dict (``state.results = x`` -> ``context.agent_context["results"] = x``).
- ``isinstance``/``issubclass`` arguments and plain aliases (``StateType = DeepAgentState``)
  name the target instead.
- A simple subclass that no other code of the project names holds the context instead of
  inheriting (ISO204's advice): ``class TriageState(DeepAgentState)`` loses the legacy
  base and its ``super().__init__(...)`` becomes ``self.context = UserExecutionContext(...)``
  (``parameter-name`` names the attribute), built like a construction. Simple means: no
  decorators, metaclass or bases but ``object``; a body of a docstring, annotations and
  constants, an ``__init__`` of that one ``super().__init__(...)`` statement and
  assignments of the subclass's own attributes, and methods that never reach the legacy
  class's attributes, ``self.context`` or ``super()`` through ``self`` nor pass ``self``
  along; and a legacy class defined in the project that inherits from nothing else.
  Any occurrence of the subclass's name elsewhere (a construction, annotation, import,
  ``isinstance``, subclass, string; comments and docstrings aside) keeps it a problem. The
  public shape of the class changed, so the migration is also listed as a problem to review.

Defaults of unmapped fields (a deliberate choice)
--------------------------------------------------
The legacy constructor gives every field a value, so code reads ``state.messages`` right
after ``DeepAgentState(user_id=...)``. To keep such code running, a rewritten construction
puts into ``agent_context`` every unmapped field the legacy ``__init__`` sets: the argument
when passed, otherwise the legacy default read statically from the class's source
(``messages=None`` then ``messages if messages is not None else []`` gives ``[]``;
``self.results = {}`` gives ``{}``). A default is only copied when it means the same in any
module (literals and empty builtin containers); each construction then gets a fresh
container, which is the per-request behaviour the migration is for (the legacy class
already built fresh ones in ``__init__``). A default that cannot be copied is reported at
the construction. When the legacy class is not defined in the project, keyword names are
taken as field names and no defaults are known.

What it leaves to a person (reported as ``path:line: reason``, never rewritten)
-------------------------------------------------------------------------------
Other subclasses of the legacy class; writes of mapped fields (the context is immutable; identity
fields such as ``user_id`` must be right when the context is created); the class used as a
value other than as a type (``Depends(DeepAgentState)``, ``DeepAgentState.model_validate``);
calls of legacy methods on a tracked name; constructions with ``*args``/``**kwargs`` or
positional arguments it cannot name; a legacy-typed parameter reassigned in its function;
ambiguous keyword renames; files that do not parse or whose result would not parse. Lines
of problems refer to the file as migrated, the version a person opens after the fix.
Attribute accesses on values whose type it cannot see (a function's return value, an
unannotated attribute) are left unchanged, and not reported: ``isolint check --select
ISO2`` afterwards lists the legacy uses that remain.

A second run changes nothing. It reports again what is still legacy (a subclass it left),
but not problems found on names it has already migrated (a write of ``context.user_id`` is
only reported by the run that renamed ``state``, a composed subclass by the run that
composed it), so keep the first run's list.

Module layout: ``migrate_context_options`` (the table), ``migrate_context_legacy`` (the
legacy class read from source; with a bare class name every project definition is read
and each module uses the one it imports), ``migrate_context_analysis`` (one module's plan),
``migrate_context_constructions``, ``migrate_context_subclass`` (which subclasses are
composed), ``migrate_context_syntax``, ``migrate_context_plan``
(the plan's data) and ``migrate_context_rewrite`` (applying it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from isolint.analysis.source import syntax_error
from isolint.config import DEFAULT_FILE_TIMEOUT
from isolint.fix.codemods.migrate_context_analysis import ModuleAnalysis
from isolint.fix.codemods.migrate_context_legacy import LegacyClassModel, find_legacy_classes
from isolint.fix.codemods.migrate_context_options import (
    MigrationOptions,
    load_migration_options,
)
from isolint.fix.codemods.migrate_context_plan import FunctionIndex
from isolint.fix.codemods.migrate_context_rewrite import rewrite_module
from isolint.fix.codemods.migrate_context_subclass import ProjectReferences
from isolint.fix.guard import unsafe_to_parse

__all__ = [
    "Migration",
    "MigrationOptions",
    "MigrationProblem",
    "load_migration_options",
    "migrate_project",
]


@dataclass(frozen=True)
class MigrationProblem:
    """A use the codemod left for a person, printed as ``path:line: reason``."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class Migration:
    """New sources of the files that change, and what a person must resolve."""

    changed: dict[Path, str] = field(default_factory=dict)
    problems: list[MigrationProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _ParsedModule:
    path: Path
    source: str
    module: cst.Module
    name: str
    package: str


def migrate_project(
    sources: Mapping[Path, str],
    options: MigrationOptions,
    root: Path,
    *,
    budget: float = DEFAULT_FILE_TIMEOUT,
) -> Migration:
    """Rewrite the uses of ``options.legacy`` in ``sources`` (every Python file of the
    project under ``root``, by absolute path); returns the changed files and problems.

    A file that would crash libcst's parser or keep it busy beyond ``budget`` seconds is
    skipped and listed as a problem."""
    migration = Migration()
    parsed = _parse_all(sources, root, migration, budget)
    legacy = find_legacy_classes(
        {module.path: (module.name, module.module) for module in parsed},
        options.legacy_class_name,
        options.legacy_module,
    )
    legacy_modules = _legacy_modules(options, legacy)
    references = ProjectReferences(
        {module.path: (module.source, module.module) for module in parsed}
    )
    class_pattern = re.compile(rf"\b{re.escape(options.legacy_class_name)}\b")
    analyses = {
        module.path: _analysis(module, options, legacy, legacy_modules, references)
        for module in parsed
        if class_pattern.search(module.source)
    }
    index = FunctionIndex()
    for analysis in analyses.values():
        analysis.run()
        for signature in analysis.signatures:
            index.add(signature)
    if index.renamed_params:
        keyword_pattern = re.compile(
            r"\b(?:" + "|".join(map(re.escape, sorted(index.renamed_params))) + r")\s*="
        )
        for module in parsed:
            if module.path not in analyses and keyword_pattern.search(module.source):
                caller = _analysis(module, options, legacy, legacy_modules, references)
                caller.run()
                analyses[module.path] = caller
    for analysis in analyses.values():
        analysis.plan_call_sites(index)
    modules = {module.path: module for module in parsed}
    for path, analysis in sorted(analyses.items()):
        _apply(modules[path], analysis, options, migration)
    migration.problems.sort(key=lambda problem: (str(problem.path), problem.line, problem.reason))
    return migration


def _parse_all(
    sources: Mapping[Path, str], root: Path, migration: Migration, budget: float
) -> list[_ParsedModule]:
    parsed = []
    unsafe = unsafe_to_parse(sources, budget)
    for path, source in sorted(sources.items()):
        if path in unsafe:
            reason, line = unsafe[path].reason, unsafe[path].line
            if not reason.startswith("syntax error"):
                reason += "; the file was skipped"
            migration.problems.append(MigrationProblem(path, line, reason))
            continue
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as error:
            message, span = syntax_error(source, error)
            migration.problems.append(MigrationProblem(path, span.line, message))
            continue
        name, package = _module_name(path, root, sources)
        parsed.append(_ParsedModule(path, source, module, name, package))
    return parsed


def _module_name(path: Path, root: Path, sources: Mapping[Path, str]) -> tuple[str, str]:
    """(dotted module name, its package), walking up through folders with ``__init__.py``."""
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    folder = path.parent
    while folder != root.parent and (
        folder / "__init__.py" in sources or (folder / "__init__.py").is_file()
    ):
        parts.insert(0, folder.name)
        folder = folder.parent
    name = ".".join(parts) or path.stem
    package = name if is_package else name.rpartition(".")[0]
    return name, package


def _legacy_modules(
    options: MigrationOptions, legacy: Mapping[str, LegacyClassModel]
) -> frozenset[str]:
    """Modules through which ``module.LegacyClass`` may be reached."""
    found = {options.legacy_module} if options.legacy_module else set()
    return frozenset(name for name in found | set(legacy) if name)


def _analysis(
    module: _ParsedModule,
    options: MigrationOptions,
    legacy: Mapping[str, LegacyClassModel],
    legacy_modules: frozenset[str],
    references: ProjectReferences,
) -> ModuleAnalysis:
    return ModuleAnalysis(
        module.path,
        module.name,
        module.package,
        module.module,
        options,
        legacy,
        legacy_modules,
        references,
    )


def _apply(
    module: _ParsedModule, analysis: ModuleAnalysis, options: MigrationOptions, migration: Migration
) -> None:
    problems = analysis.plan.problems
    if analysis.plan.is_empty:
        migration.problems.extend(MigrationProblem(module.path, *item) for item in problems)
        return
    if analysis.plan.uses_target and analysis.target_name_clash:
        migration.problems.append(
            MigrationProblem(
                module.path,
                1,
                f"`{options.target_class_name}` already names something else in this module: "
                "not rewritten",
            )
        )
        return
    try:
        new_source = rewrite_module(
            analysis.module, analysis.plan, options, module.name, module.package
        ).code
        cst.parse_module(new_source)
    except (cst.ParserSyntaxError, cst.CSTValidationError, ValueError) as error:
        migration.problems.extend(MigrationProblem(module.path, *item) for item in problems)
        migration.problems.append(
            MigrationProblem(module.path, 1, f"rewrite failed, file left unchanged: {error}")
        )
        return
    new_line = _line_map(module.source, new_source)
    migration.problems.extend(
        MigrationProblem(module.path, new_line(line), reason) for line, reason in problems
    )
    if new_source != module.source:
        migration.changed[module.path] = new_source


def _line_map(old: str, new: str) -> Callable[[int], int]:
    """Where a line of ``old`` is in ``new``: problems name lines of the migrated file,
    the one a person opens (a rewritten line maps to the start of its replacement)."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    blocks = matcher.get_opcodes()

    def new_line(line: int) -> int:
        index = line - 1
        for _, old_start, old_end, new_start, new_end in blocks:
            if old_start <= index < old_end:
                return min(new_start + index - old_start, max(new_end - 1, new_start)) + 1
        return line

    return new_line
