"""The ``migrate-context`` codemod: from a shared legacy state class to a per-request context.

``migrate_project(sources, options, root)`` rewrites every use of the legacy class (by
default ``DeepAgentState``) in a project into the per-request context class (by default
``isolint.context.UserExecutionContext``) and lists what a person must finish. It returns
new sources; it never writes files, imports or runs user code.

What it rewrites
----------------
- Imports of the legacy class, also aliased or through its module (``import app.state as
  st`` then ``st.DeepAgentState``) or through a module that re-exports it (any module
  importing it at top level; see ``migrate_context_exports``): a ``from`` import whose
  every use is rewritten becomes the target's import in place; other legacy imports are
  removed once unused (an import nothing used too), and the target's import is added where
  needed. A re-export stays: a module-level import that ``__all__`` lists, that other
  project code imports from the module, or that a ``from module import *`` may carry; once
  the migration rewrote every module importing it, a last round removes it.
- Copies: with a dotted ``legacy``, a project class of the same name whose fields are all
  fields of the configured class and at least half of them (a copy a refactor left,
  which ``check`` reports by name too) is a legacy class as well, unless
  ``same-name-copies = false``; each module uses the one it imports (re-exports too).
- Annotations, also inside ``Optional``/``Union``/``X | None``/subscripts and strings.
  A string names the legacy class when the module binds it anywhere (an import inside a
  later function too), or, in a module that writes the name only in strings (a forward
  reference it never imports), when every project class of that name is a legacy class
  (the configured one or a copy): then it cannot mean another class.
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
  variables every assignment of which is a rewritten construction or a legacy-annotated
  value, ``self.x`` annotated with the legacy type in its class): mapped fields are renamed
  (``state.chat_thread_id`` -> ``context.thread_id``), unmapped ones are read and written
  through the dict (``state.results = x`` -> ``context.agent_context["results"] = x``). A
  variable assigned a construction left for a person still holds a legacy object: its
  accesses stay. A call of an attribute that is not a field of a legacy class with bases
  (pydantic's ``state.model_dump()``) is a method it inherits: reported, not rewritten.
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
``self.results = {}`` gives ``{}``; pydantic's ``Field(default=0.8)`` gives ``0.8`` and
``Field(default_factory=list)`` ``[]``). A default is copied when it means the same in any
module (literals and empty builtin containers), or when it is a call of a factory the
legacy module binds at top level (``Field(default_factory=AgentMetadata)`` gives
``AgentMetadata()``, imported from the legacy module); each construction then gets a fresh
value, which is the per-request behaviour the migration is for. A default that cannot be
copied is reported at the construction. When the legacy class is not defined in the
project, keyword names are taken as field names and no defaults are known.

Valid for the target and for the project's Python
--------------------------------------------------
The target class is read statically (``migrate_context_target``). A rewritten
construction passes every field the target requires: mapped from the call, or taken from a
parameter of an enclosing function (``thread_id``, or a legacy name mapped to it such as
``chat_thread_id``); otherwise it is left unchanged and reported as needing a person. A
construction from ``**kwargs`` becomes ``Target.from_legacy_kwargs(field_map, defaults,
**kwargs)`` when the target has that classmethod (``isolint.context`` does). Each rewritten
file must compile on the oldest Python the project supports (``requires-python``; see
``isolint.fix.target_python``), else it is left unchanged and reported.

Scale
-----
Only files that name the legacy class are parsed and migrated, in supervised worker
processes (``isolint.isolation``, as ``check`` analyses files) when there are many; their
functions' parameter renames form the project's index, and a second round migrates again
the files whose calls pass a renamed keyword (``f(state=...)``), with those of the rest of
the project that do.

What it leaves to a person (reported as ``path:line: reason``, never rewritten)
-------------------------------------------------------------------------------
Other subclasses of the legacy class; writes of mapped fields (the context is immutable; identity
fields such as ``user_id`` must be right when the context is created); the class used as a
value other than as a type (``Depends(DeepAgentState)``, ``DeepAgentState.model_validate``);
calls of legacy methods (or inherited ones) on a tracked name; constructions with
``*args`` (or ``**kwargs`` for a target without ``from_legacy_kwargs``), positional
arguments it cannot name, or no value for a field the target requires; a legacy-typed
parameter reassigned in its function; ambiguous keyword renames; files that do not parse
or whose result would not parse. Lines of problems refer to the file as migrated, the
version a person opens after the fix.
Attribute accesses on values whose type it cannot see (a function's return value, an
unannotated attribute) are left unchanged, and not reported: ``isolint check --select
ISO2`` afterwards lists the legacy uses that remain.

A second run changes nothing. It reports again what is still legacy (a subclass it left),
but not problems found on names it has already migrated (a write of ``context.user_id`` is
only reported by the run that renamed ``state``, a composed subclass by the run that
composed it), so keep the first run's list.

Module layout: ``migrate_context_options`` (the table), ``migrate_context_exports``
(re-exports of the legacy class and the imports other modules rely on),
``migrate_context_legacy`` (the
legacy class read from source; with a bare class name every project definition is read
and each module uses the one it imports), ``migrate_context_target`` (the target's
constructor), ``migrate_context_analysis`` (one module's plan),
``migrate_context_constructions``, ``migrate_context_subclass`` (which subclasses are
composed), ``migrate_context_syntax``, ``migrate_context_plan``
(the plan's data) and ``migrate_context_rewrite`` (applying it).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import libcst as cst

from isolint.analysis.source import syntax_error
from isolint.config import DEFAULT_FILE_TIMEOUT
from isolint.fix.codemods.migrate_context_analysis import ModuleAnalysis
from isolint.fix.codemods.migrate_context_exports import (
    LegacyExports,
    ScanCache,
    scan_exports,
)
from isolint.fix.codemods.migrate_context_keywords import (
    KeywordSite,
    decide_keyword,
    keyword_arguments,
    rename_keywords,
    scan_call_sites,
)
from isolint.fix.codemods.migrate_context_legacy import LegacyClassModel, find_legacy_classes
from isolint.fix.codemods.migrate_context_options import (
    MigrationOptions,
    load_migration_options,
)
from isolint.fix.codemods.migrate_context_plan import FunctionIndex, FunctionSignature
from isolint.fix.codemods.migrate_context_rewrite import rewrite_module
from isolint.fix.codemods.migrate_context_subclass import ProjectReferences
from isolint.fix.codemods.migrate_context_syntax import names_only_in_strings
from isolint.fix.codemods.migrate_context_target import TargetClassModel, find_target_class
from isolint.fix.guard import unsafe_to_parse
from isolint.fix.target_python import RUNNING, PythonVersion, grammar_problem
from isolint.isolation import Failure, run_isolated

__all__ = [
    "Migration",
    "MigrationOptions",
    "MigrationProblem",
    "load_migration_options",
    "migrate_project",
]

# Below this many files to migrate, worker processes cost more than they save: the files
# are migrated in this process, each first screened for what could crash the parser.
POOL_THRESHOLD = 24


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
class _Job:
    """What migrating any one file needs to know about the project (a worker gets it
    once, at start; forked workers share it without copying)."""

    sources: Mapping[Path, str]
    names: Mapping[Path, tuple[str, str]]
    options: MigrationOptions
    legacy: Mapping[str, LegacyClassModel]
    legacy_modules: frozenset[str]
    python: PythonVersion
    target: TargetClassModel
    exports: LegacyExports = field(default_factory=LegacyExports)
    # dotted paths of the legacy classes (the configured one and its copies)
    legacy_paths: frozenset[str] = frozenset()
    # the class a string annotation means by the legacy class's name in a module that
    # binds no such name (None: such strings are left alone; see ``_unbound_model``)
    unbound: LegacyClassModel | None = None
    index: FunctionIndex | None = None
    # set for the pass that only renames callers' keywords (``_follow_keywords``): the
    # files migrated before that have some, with their outcome and decisions
    follow: Mapping[Path, _Followup] | None = None


@dataclass(frozen=True)
class _FileOutcome:
    """One file migrated: its functions' parameter renames, its new source (None:
    unchanged) and its problems as (line, reason). Migrated without the function index, it
    also keeps what renaming its calls' keywords later needs: their ``sites``, the plan's
    problems at their original lines, and whether its plan was empty (``unchanged``),
    applied (``rewritten``) or ``refused`` (a clash or a rewrite that would not compile)."""

    signatures: tuple[FunctionSignature, ...] = ()
    new_source: str | None = None
    problems: tuple[tuple[int, str], ...] = ()
    sites: tuple[KeywordSite, ...] = ()
    unplaced: tuple[tuple[int, str], ...] = ()
    state: Literal["unchanged", "rewritten", "refused"] = "refused"


# a keyword argument's new name and problem (None: none), as the function index decides
_Decision = tuple[KeywordSite, str | None, str | None]
_Followup = tuple[_FileOutcome, tuple[_Decision, ...]]


def migrate_project(
    sources: Mapping[Path, str],
    options: MigrationOptions,
    root: Path,
    *,
    budget: float = DEFAULT_FILE_TIMEOUT,
    python: PythonVersion = RUNNING,
    jobs: int | None = None,
) -> Migration:
    """Rewrite the uses of ``options.legacy`` in ``sources`` (every Python file of the
    project under ``root``, by absolute path); returns the changed files and problems.

    Only files that name the legacy class, or pass a keyword a migrated parameter was
    renamed from, are parsed; they are migrated in ``jobs`` worker processes (default:
    every core) when there are many. A file that would crash libcst's parser or keep it
    busy beyond ``budget`` seconds is skipped and listed as a problem, and so is a file
    whose rewrite would not compile on Python ``python`` (the oldest the project
    supports)."""
    migration = Migration()
    names = _module_names(sources, root)
    legacy, definers = _legacy_models(sources, names, options, migration, budget)
    by_module = {name: path for path, (name, _) in names.items()}
    target = find_target_class(options.target, by_module, sources)
    scans: ScanCache = {}
    paths = _legacy_paths(options, legacy)
    exports = scan_exports(sources, names, paths, options.legacy_class_name, scans)
    legacy = _with_reexports(legacy, exports)
    job = _Job(
        sources,
        names,
        options,
        legacy,
        _legacy_modules(options, legacy, exports),
        python,
        target,
        exports,
        paths,
        _unbound_model(options, legacy, definers),
    )
    class_names = {options.legacy_class_name} | exports.local_names()
    class_pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(class_names))) + r")\b")
    candidates = [path for path in sorted(sources) if class_pattern.search(sources[path])]
    outcomes = _migrate_files(job, candidates, budget, jobs)
    index = FunctionIndex()
    for outcome in outcomes.values():
        if isinstance(outcome, _FileOutcome):
            for signature in outcome.signatures:
                index.add(signature)
    job = replace(job, index=index)
    if index.renamed_params:
        renamed = index.renamed_params
        # a keyword argument, not an assignment statement: after `(` or `,`
        keyword = re.compile(
            r"[(,]\s*(?:" + "|".join(map(re.escape, sorted(renamed))) + r")\s*=(?!=)"
        )
        follow: dict[Path, _Followup] = {}
        for path, outcome in outcomes.items():
            if isinstance(outcome, _FileOutcome):
                decisions = _decisions(outcome.sites, index)
                if decisions:
                    follow[path] = (outcome, decisions)
        callers = [
            path
            for path in sorted(sources)
            if path not in outcomes and keyword.search(sources[path])
        ]
        following = replace(job, follow=follow)
        outcomes.update(_migrate_files(following, [*follow, *callers], budget, jobs))
    _drop_reexports_nobody_imports(job, outcomes, scans, budget, jobs)
    for path, outcome in sorted(outcomes.items()):
        _collect(path, outcome, migration)
    migration.problems.sort(key=lambda problem: (str(problem.path), problem.line, problem.reason))
    return migration


def _decisions(sites: Sequence[KeywordSite], index: FunctionIndex) -> tuple[_Decision, ...]:
    """The keyword arguments of ``sites`` that the index renames or reports."""
    decided = []
    for site in sites:
        if site.keyword in index.renamed_params:
            new_name, problem = decide_keyword(site.keyword, site.callee, site.method, index)
            if new_name is not None or problem is not None:
                decided.append((site, new_name, problem))
    return tuple(decided)


def _drop_reexports_nobody_imports(
    job: _Job,
    outcomes: dict[Path, _FileOutcome | Failure],
    scans: ScanCache,
    budget: float,
    jobs: int | None,
) -> None:
    """A module kept its legacy import because other code imported the class from it;
    when the migration rewrote every such importer, nothing imports it any more: migrate
    that module again without the re-export (a second run would, and must change nothing).
    Repeated for chains of re-exports."""
    by_module = {job.names[path][0]: path for path in outcomes}
    for _ in range(_REEXPORT_ROUNDS):
        if not job.exports.imported:
            return
        after = dict(job.sources)
        for path, outcome in outcomes.items():
            if isinstance(outcome, _FileOutcome) and outcome.new_source is not None:
                after[path] = outcome.new_source
        class_name = job.options.legacy_class_name
        scanned = scan_exports(after, job.names, job.legacy_paths, class_name, scans)
        modules = {name.rpartition(".")[0] for name in job.exports.imported - scanned.imported}
        again = sorted(by_module[module] for module in modules if module in by_module)
        exports = LegacyExports(job.exports.aliases, scanned.imported, job.exports.origins)
        job = replace(job, exports=exports)
        if not again:
            return
        outcomes.update(_migrate_files(job, again, budget, jobs))


# chains of re-exports longer than this keep their farther links until the next run
_REEXPORT_ROUNDS = 4


def _collect(path: Path, outcome: _FileOutcome | Failure, migration: Migration) -> None:
    if isinstance(outcome, Failure):
        migration.problems.append(
            MigrationProblem(path, 1, f"{outcome.reason}; the file was skipped")
        )
        return
    migration.problems.extend(MigrationProblem(path, *item) for item in outcome.problems)
    if outcome.new_source is not None:
        migration.changed[path] = outcome.new_source


def _module_names(sources: Mapping[Path, str], root: Path) -> dict[Path, tuple[str, str]]:
    packages: dict[Path, bool] = {}

    def is_package(folder: Path) -> bool:
        if folder not in packages:
            init = folder / "__init__.py"
            packages[folder] = init in sources or init.is_file()
        return packages[folder]

    return {path: _module_name(path, root, is_package) for path in sources}


def _module_name(path: Path, root: Path, is_package: Callable[[Path], bool]) -> tuple[str, str]:
    """(dotted module name, its package), walking up through folders with ``__init__.py``."""
    package_file = path.name == "__init__.py"
    parts = [] if package_file else [path.stem]
    folder = path.parent
    while folder != root.parent and is_package(folder):
        parts.insert(0, folder.name)
        folder = folder.parent
    name = ".".join(parts) or path.stem
    package = name if package_file else name.rpartition(".")[0]
    return name, package


def _legacy_models(
    sources: Mapping[Path, str],
    names: Mapping[Path, tuple[str, str]],
    options: MigrationOptions,
    migration: Migration,
    budget: float,
) -> tuple[dict[str, LegacyClassModel], frozenset[str]]:
    """The legacy class as each project module that defines it at top level has it, and
    the modules that define a class of its name at top level."""
    definition = re.compile(rf"^class\s+{re.escape(options.legacy_class_name)}\b", re.MULTILINE)
    defining = {path: text for path, text in sources.items() if definition.search(text)}
    unsafe = unsafe_to_parse(defining, budget)
    modules: dict[Path, tuple[str, cst.Module]] = {}
    for path, text in sorted(defining.items()):
        if path in unsafe:
            continue  # reported when the file itself is migrated
        try:
            modules[path] = (names[path][0], cst.parse_module(text))
        except cst.ParserSyntaxError:
            continue
    found = find_legacy_classes(
        modules,
        options.legacy_class_name,
        options.legacy_module,
        copies=options.same_name_copies,
    )
    return found, frozenset(names[path][0] for path in defining)


def _unbound_model(
    options: MigrationOptions, legacy: Mapping[str, LegacyClassModel], definers: frozenset[str]
) -> LegacyClassModel | None:
    """The class that ``"DeepAgentState"`` in an annotation of a module binding no such
    name can only mean: the configured legacy class when it is defined in the project and
    every project class of that name is a legacy class (the configured one or a copy), so
    that the string cannot mean another; None otherwise."""
    models = {model.module: model for model in legacy.values()}
    if not definers or set(models) != definers:
        return None
    if options.legacy_module is None:
        return next(iter(models.values())) if len(models) == 1 else None
    return models.get(options.legacy_module)


def _legacy_paths(
    options: MigrationOptions, legacy: Mapping[str, LegacyClassModel]
) -> frozenset[str]:
    """The dotted paths of the legacy classes: the configured one and its copies (none
    for a bare class name, where every class of that name counts)."""
    if options.legacy_module is None:
        return frozenset()
    return frozenset(
        {options.legacy} | {f"{module}.{options.legacy_class_name}" for module in legacy}
    )


def _with_reexports(
    legacy: Mapping[str, LegacyClassModel], exports: LegacyExports
) -> dict[str, LegacyClassModel]:
    """``legacy`` with each module re-exporting a legacy class mapped to that class's
    model, so that a module importing the class from a re-export knows which one it is."""
    found = dict(legacy)
    for alias, origin in sorted(exports.origins.items()):
        model = legacy.get(origin.rpartition(".")[0])
        if model is not None:
            found.setdefault(alias.rpartition(".")[0], model)
    return found


def _legacy_modules(
    options: MigrationOptions, legacy: Mapping[str, LegacyClassModel], exports: LegacyExports
) -> frozenset[str]:
    """Modules through which ``module.LegacyClass`` may be reached (re-exports too)."""
    found = {options.legacy_module} if options.legacy_module else set()
    found |= {
        alias.rpartition(".")[0]
        for alias in exports.aliases
        if alias.rpartition(".")[2] == options.legacy_class_name
    }
    return frozenset(name for name in found | set(legacy) if name)


# -- migrating files, here or in worker processes ---------------------------------------


def _migrate_files(
    job: _Job, paths: Sequence[Path], budget: float, jobs: int | None
) -> dict[Path, _FileOutcome | Failure]:
    """Each file migrated, or why not (its parse crashed or ran over ``budget``)."""
    workers = jobs or os.cpu_count() or 1
    if workers > 1 and len(paths) >= POOL_THRESHOLD:
        outcomes = run_isolated(
            _migrate_in_worker,
            list(paths),
            workers=workers,
            budget=budget,
            initializer=_init_worker,
            initargs=(job,),
        )
        return dict(zip(paths, outcomes, strict=True))
    unsafe = unsafe_to_parse({path: job.sources[path] for path in paths}, budget)
    results: dict[Path, _FileOutcome | Failure] = {}
    references = ProjectReferences(job.sources)
    for path in paths:
        if path in unsafe:
            reason, line = unsafe[path].reason, unsafe[path].line
            if not reason.startswith("syntax error"):
                reason += "; the file was skipped"
            results[path] = _FileOutcome(problems=((line, reason),))
        else:
            results[path] = _migrate_one(job, path, references)
    return results


_WORKER_JOB: _Job | None = None
_WORKER_REFERENCES: ProjectReferences | None = None


def _init_worker(job: _Job) -> None:
    global _WORKER_JOB, _WORKER_REFERENCES
    _WORKER_JOB, _WORKER_REFERENCES = job, ProjectReferences(job.sources)


def _migrate_in_worker(path: Path) -> _FileOutcome | Failure:
    assert _WORKER_JOB is not None and _WORKER_REFERENCES is not None
    return _migrate_one(_WORKER_JOB, path, _WORKER_REFERENCES)


def _migrate_one(job: _Job, path: Path, references: ProjectReferences) -> _FileOutcome | Failure:
    """``migrate_file``, where a failure costs this file only, here as in a worker. libcst's
    native parser takes some sources (a 1,000-attribute chain) that its Python code (positions,
    code generation) then recurses through once per node, past the interpreter's stack."""
    try:
        if job.follow is not None:
            return _follow_keywords(job, path, references)
        return migrate_file(job, path, references)
    except RecursionError:
        return Failure("too deeply nested to migrate")
    except Exception as error:  # a bug in isolint must cost one file, not the run
        return Failure(f"isolint could not migrate this file ({type(error).__name__}: {error})")


def migrate_file(job: _Job, path: Path, references: ProjectReferences) -> _FileOutcome:
    """Plan and rewrite one file (with the project's function index when ``job`` has one:
    then callers' keyword arguments follow renamed parameters; without it, the outcome
    keeps the keyword arguments' sites for ``_follow_keywords``)."""
    source = job.sources[path]
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        message, span = syntax_error(source, error)
        return _FileOutcome(problems=((span.line, message),))
    name, package = job.names[path]
    analysis = ModuleAnalysis(
        path,
        name,
        package,
        module,
        job.options,
        job.legacy,
        job.legacy_modules,
        references,
        job.target,
        job.exports,
        unbound=_unbound_here(job, source, module),
    )
    analysis.run()
    if job.index is not None:
        analysis.plan_call_sites(job.index)
        new_source, problems, _ = _apply(source, analysis, job.options, job.python)
        return _FileOutcome(tuple(analysis.signatures), new_source, tuple(problems))
    kept: dict[cst.Arg, cst.Arg] = {}
    new_source, problems, result = _apply(source, analysis, job.options, job.python, kept)
    return _FileOutcome(
        tuple(analysis.signatures),
        new_source,
        tuple(problems),
        _sites(analysis, result, kept),
        tuple(analysis.plan.problems),
        "refused" if result is None else "unchanged" if result is module else "rewritten",
    )


def _unbound_here(job: _Job, source: str, module: cst.Module) -> LegacyClassModel | None:
    """``job.unbound`` when this module names the legacy class only in strings."""
    if job.unbound is None:
        return None
    class_name = job.options.legacy_class_name
    return job.unbound if names_only_in_strings(source, module, class_name) else None


def _sites(
    analysis: ModuleAnalysis, result: cst.Module | None, kept: Mapping[cst.Arg, cst.Arg]
) -> tuple[KeywordSite, ...]:
    """The module's keyword arguments, each with its slot in ``result`` (the module as
    rewritten, or as it was when its plan was empty)."""
    sites = analysis.keyword_sites()
    if not sites or result is None:
        return tuple(site for _, site in sites)
    slots = {id(arg): slot for slot, arg in enumerate(keyword_arguments(result))}
    return tuple(
        replace(site, slot=slots.get(id(kept.get(arg, arg) if kept else arg)))
        for arg, site in sites
    )


def _follow_keywords(job: _Job, path: Path, references: ProjectReferences) -> _FileOutcome:
    """The file with its calls' keyword arguments renamed after the parameters the first
    pass renamed (``job.index``), as ``migrate_file`` with the index would have it: an
    exact edit of the first pass's result, without analysing the file again (when a
    renamed argument is not found there, inside a rebuilt construction, or the rewrite was
    refused: analysed again)."""
    assert job.follow is not None and job.index is not None
    source = job.sources[path]
    if path not in job.follow:  # a file that only calls: it needs no plan of its own
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            return migrate_file(job, path, references)  # which reports it
        name, package = job.names[path]
        scan = scan_call_sites(module, name, package, job.index, job.legacy_modules)
        if scan is None:
            return migrate_file(job, path, references)
        if not scan.renames:
            return _FileOutcome(problems=tuple(scan.problems))
        new_source, problems, _ = _verified(
            source, lambda: rename_keywords(module, scan.renames).code, scan.problems, job.python
        )
        return _FileOutcome(new_source=new_source, problems=tuple(problems))
    prior, decisions = job.follow[path]
    renames: dict[int, str] = {}
    for site, new_name, _ in decisions:
        if new_name is not None:
            if site.slot is None:
                return migrate_file(job, path, references)
            renames[site.slot] = new_name
    if prior.state == "refused":
        return migrate_file(job, path, references)
    problems = [*prior.unplaced]
    problems += [(site.line, problem) for site, _, problem in decisions if problem is not None]
    base = prior.new_source if prior.new_source is not None else source
    if renames:
        new_source, problems, _ = _verified(
            source,
            lambda: rename_keywords(cst.parse_module(base), renames).code,
            problems,
            job.python,
        )
    elif prior.state == "rewritten":  # the same text, its new problems placed in it
        new_source = prior.new_source
        new_line = _line_map(source, base)
        problems = [(new_line(line), reason) for line, reason in problems]
    else:
        new_source = None
    return _FileOutcome(prior.signatures, new_source, tuple(problems))


def _apply(
    source: str,
    analysis: ModuleAnalysis,
    options: MigrationOptions,
    python: PythonVersion,
    kept: dict[cst.Arg, cst.Arg] | None = None,
) -> tuple[str | None, list[tuple[int, str]], cst.Module | None]:
    """The module's new source (None when unchanged or not rewritten), its problems, and
    the module the new source is the code of (the original one when the plan is empty;
    None when the rewrite was refused). ``kept`` receives the rewrite's keyword arguments
    (``rewrite_module``)."""
    problems = list(analysis.plan.problems)
    if analysis.plan.is_empty:
        return None, problems, analysis.module
    if analysis.plan.uses_target and analysis.target_name_clash:
        problems.append(
            (
                1,
                f"`{options.target_class_name}` already names something else in this module: "
                "not rewritten",
            )
        )
        return None, problems, None
    rewritten: list[cst.Module] = []

    def rewrite() -> str:
        rewritten.append(rewrite_module(analysis.module, analysis.plan, options, kept))
        return rewritten[0].code

    new_source, problems, valid = _verified(source, rewrite, problems, python)
    return new_source, problems, rewritten[0] if valid else None


def _verified(
    source: str, rewrite: Callable[[], str], problems: list[tuple[int, str]], python: PythonVersion
) -> tuple[str | None, list[tuple[int, str]], bool]:
    """The new source ``rewrite`` makes (None when unchanged or when it fails or would
    not compile on ``python``), ``problems`` placed in it, and whether it is valid (when
    not, the problems say why)."""
    problems = list(problems)
    try:
        new_source = rewrite()
        new_module = cst.parse_module(new_source)
    except (cst.ParserSyntaxError, cst.CSTValidationError, ValueError) as error:
        problems.append((1, f"rewrite failed, file left unchanged: {error}"))
        return None, problems, False
    invalid = grammar_problem(new_source, python, new_module)
    if invalid is not None:
        problems.append((1, f"the rewrite would not compile, file left unchanged: {invalid}"))
        return None, problems, False
    if problems:  # the line map compares the files line by line: only when it is needed
        new_line = _line_map(source, new_source)
        problems = [(new_line(line), reason) for line, reason in problems]
    return (new_source if new_source != source else None), problems, True


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
