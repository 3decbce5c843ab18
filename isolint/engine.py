"""The check pipeline: settings, files, facts (cached, in parallel), project index, findings.

This is the library API the CLI calls (``load_settings`` then ``check``). It never imports or
runs the code it analyses.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from isolint.analysis.expressions import UserKeyMatcher
from isolint.analysis.facts import ModuleFacts
from isolint.analysis.module_pass import PassOptions, read_suppressions
from isolint.analysis.source import (
    analyze_screened,
    analyze_source,
    decode_source,
    looks_hostile,
    parse_risk,
    screen_source,
)
from isolint.cache import FactsCache, content_hash, package_code_fingerprint
from isolint.config import Config, ConfigError, find_pyproject, load_config
from isolint.files import discover, display_path, is_package_folder
from isolint.findings import Finding
from isolint.isolation import Failure, crash_test_marker_in, run_isolated
from isolint.program import release_program
from isolint.project import ModuleRecord, Project
from isolint.rules import run_rules
from isolint.rules.catalog import RULES, rule_for
from isolint.rules.writes import classified_writes
from isolint.suppress import ignored_by_path, suppressions_of, unused_suppressions

# Below this many files to analyse, a process pool costs more than it saves: the files are
# analysed in this process, except those the screen finds risky for libcst's parser.
_POOL_THRESHOLD = 48

# Called as ``progress(done, total)`` while files are read and analysed.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Settings:
    """The configuration of a run and the project root it belongs to."""

    config: Config
    root: Path


@dataclass
class CheckResult:
    findings: list[Finding]
    files_checked: int
    settings: Settings
    # findings silenced by `# isolint: fixme[...]`: shown with --show-fixme, never failing
    fixmes: list[Finding] = field(default_factory=list)
    # rule families that failed (a bug in isolint): the run is incomplete, and says so
    failures: list[str] = field(default_factory=list)
    # the project index the findings came from (None when a remembered run answered): it
    # lives as long as the result, so that a process about to exit need not free it
    index: Project | None = field(default=None, repr=False, compare=False)


def load_settings(paths: Sequence[Path], config_file: Path | None = None) -> Settings:
    """The nearest pyproject.toml at or above the first path (or ``config_file``) and its root.

    Without a pyproject.toml the root is the top of the package tree the first path is in.
    """
    first = paths[0] if paths else Path(".")
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: no such configuration file")
        return Settings(load_config(config_file), absolute(config_file).parent)
    pyproject = find_pyproject(first)
    if pyproject is not None:
        return Settings(load_config(pyproject), pyproject.parent)
    return Settings(Config(), package_top(absolute(first)))


def package_top(path: Path) -> Path:
    """The outermost package folder containing ``path`` (or its folder if not in a package)."""
    folder = path if path.is_dir() else path.parent
    top = folder
    while is_package_folder(top) and is_package_folder(top.parent):
        top = top.parent
    return top


def pass_options(config: Config) -> PassOptions:
    return PassOptions(
        legacy_classes=frozenset(config.legacy_state_classes),
        context_class=config.context_class,
        user_keys=UserKeyMatcher(config.user_key_patterns),
        entry_decorators=frozenset(config.entry_decorators),
        dsl_bases=frozenset(config.dsl_bases),
        callable_runners=callable_runners(config.models.values("callable-runners")),
        graph_runs=config.models.values("graph-run-methods"),
        downstream_handlers=config.models.values("downstream-handlers"),
    )


def callable_runners(declared: frozenset[str]) -> tuple[tuple[str, int], ...]:
    """The models' ``callable-runners`` (``"asyncio.to_thread@0"``): runner -> position."""
    runners = []
    for item in sorted(declared):
        name, _, position = item.rpartition("@")
        if name and position.isdigit():
            runners.append((name, int(position)))
    return tuple(runners)


def check(
    paths: Sequence[Path],
    settings: Settings,
    *,
    use_cache: bool = True,
    jobs: int | None = None,
    cwd: Path | None = None,
    sources: Mapping[Path, bytes] | None = None,
    progress: ProgressCallback | None = None,
) -> CheckResult:
    """Check ``paths`` within the project of ``settings``; findings sorted by path and line.

    ``sources`` replaces the content of files (source read from stdin for a file that may
    not exist on disk): the rest of the project still comes from disk. ``progress`` is
    called as files are analysed.
    """
    with collector_paused():
        return _check(paths, settings, use_cache, jobs, cwd, sources, progress)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Turn off the cyclic garbage collector for the duration of a run.

    A run builds millions of small acyclic objects (every module's facts) that reference
    counting frees; each pass of the collector walks all of them, which cost about a fifth
    of a run. Whatever cyclic garbage the run leaves is collected once it is turned on again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _check(
    paths: Sequence[Path],
    settings: Settings,
    use_cache: bool,
    jobs: int | None,
    cwd: Path | None,
    sources: Mapping[Path, bytes] | None,
    progress: ProgressCallback | None,
) -> CheckResult:
    cwd = cwd or Path.cwd()
    overrides = {absolute(cwd / path): source for path, source in (sources or {}).items()}
    config, root = settings.config, settings.root
    exclude = (*config.exclude, *config.extend_exclude)
    scope = {absolute(path): None for path in discover([root], exclude, root)}
    asked = list(paths) or [Path(".")]
    if [absolute(path) for path in asked] == [absolute(root)]:
        targets = list(scope)  # the whole project: one walk serves both
    else:
        targets = [absolute(path) for path in discover(asked, exclude, root)]
        scope.update(dict.fromkeys(targets))
    target_set = set(targets)
    options = pass_options(config)
    cache = FactsCache(root, config.analysis_fingerprint()) if use_cache else None
    contents = _read_all(list(scope), overrides)
    digests = _digests(contents)
    run_key = None
    if cache is not None and not overrides:
        run_key = _run_key(contents, digests, targets, cwd, config)
        remembered = cache.get_run(run_key)
        if remembered is not None:  # nothing changed since a run with the same question
            return CheckResult(remembered[0], len(targets), settings, remembered[1])
    facts = _facts_for(contents, digests, options, cache, jobs, config.file_timeout, progress)
    project = Project(_records(facts, target_set, cwd, config, overrides), config)
    project.prefetch_positions(_likely_to_report(project), jobs or os.cpu_count() or 1)
    failures: list[str] = []
    findings, fixmes = _reportable(project, root, config, failures)
    findings = _with_fixes(findings, project, contents)
    if cache is not None:
        _remember_positions(project, digests, cache)
        if run_key is not None and not failures:
            cache.put_run(run_key, findings, fixmes)
    release_program(project)
    return CheckResult(findings, len(targets), settings, fixmes, failures, project)


def index_project(
    settings: Settings, cwd: Path | None = None, *, use_cache: bool = True
) -> Project:
    """The index of every module of the project (facts from the cache), as ``check`` builds
    it; for commands that need the project's structure rather than its findings."""
    config, root = settings.config, settings.root
    exclude = (*config.exclude, *config.extend_exclude)
    files = [absolute(path) for path in discover([root], exclude, root)]
    cache = FactsCache(root, config.analysis_fingerprint()) if use_cache else None
    contents = _read_all(files, {})
    with collector_paused():
        facts = _facts_for(
            contents, _digests(contents), pass_options(config), cache, None, config.file_timeout
        )
    return Project(_records(facts, set(files), cwd or Path.cwd(), config), config)


def _read_all(files: list[Path], overrides: Mapping[Path, bytes]) -> dict[Path, bytes | OSError]:
    """Every file's bytes (or why it could not be read); ``overrides`` replace contents."""
    contents: dict[Path, bytes | OSError] = {}
    for path in files:
        try:
            contents[path] = overrides[path] if path in overrides else path.read_bytes()
        except OSError as error:
            contents[path] = error
    return contents


def _digests(contents: Mapping[Path, bytes | OSError]) -> dict[Path, str]:
    """The content hash of every file that could be read (computed once per run)."""
    return {path: content_hash(c) for path, c in contents.items() if isinstance(c, bytes)}


def _run_key(
    contents: Mapping[Path, bytes | OSError],
    digests: Mapping[Path, str],
    targets: list[Path],
    cwd: Path,
    config: Config,
) -> str:
    """What a whole run's answer depends on: every file's content, the checked paths, the
    folder paths are shown relative to, and the complete configuration."""
    digest = hashlib.blake2b(digest_size=20)
    for path in sorted(contents):
        digest.update(str(path).encode() + b"\0")
        digest.update(digests[path].encode() if path in digests else b"!")
    for path in targets:
        digest.update(b"T" + str(path).encode() + b"\0")
    digest.update(str(cwd).encode() + b"\0" + repr(config).encode())
    digest.update(package_code_fingerprint().encode())  # a changed rule never answers stale
    return digest.hexdigest()


def absolute(path: Path) -> Path:
    """An absolute path without resolving symlinks (a symlink loop must not raise here)."""
    return Path(os.path.abspath(path))


def _remember_positions(project: Project, digests: dict[Path, str], cache: FactsCache) -> None:
    """Store the positions computed for reported modules, so a warm run skips that work."""
    for record in project.modules.values():
        if record.positions_added and record.path is not None and record.path in digests:
            cache.put(digests[record.path], record.facts)


def _facts_for(
    contents: Mapping[Path, bytes | OSError],
    digests: Mapping[Path, str],
    options: PassOptions,
    cache: FactsCache | None,
    jobs: int | None,
    budget: float,
    progress: ProgressCallback | None = None,
) -> dict[Path, ModuleFacts]:
    """Facts for every file: from the cache where the content is unchanged, else analysed.

    A file whose analysis crashed or ran over ``budget`` seconds gets an error fact, cached
    under its content hash and the budget (never as the file's facts): a later run with the
    same budget does not pay for it again, a run with another budget tries again.
    """
    results: dict[Path, ModuleFacts] = {}
    misses: list[tuple[Path, bytes, str]] = []
    files = list(contents)
    for path, source in contents.items():
        if isinstance(source, OSError):
            reason = source.strerror or type(source).__name__
            results[path] = ModuleFacts(error=f"cannot read: {reason}")
            continue
        digest = digests[path]
        cached = None
        if cache is not None:
            cached = cache.get(digest) or cache.get(_failure_key(digest, budget))
        if cached is not None:
            results[path] = cached
        else:
            misses.append((path, source, digest))
    done_before = len(files) - len(misses)

    def analysed(count: int) -> None:
        if progress is not None:
            progress(done_before + count, len(files))

    analysed(0)
    work = [(source, digest) for _, source, digest in misses]
    outcomes = _analyze(work, options, jobs, budget, analysed, cache)
    for (path, source, digest), outcome in zip(misses, outcomes, strict=True):
        if isinstance(outcome, Failure):
            facts, key = _python_refusal(source), digest
            if facts is None:
                facts, key = _failure_facts(source, outcome.reason), _failure_key(digest, budget)
            if cache is not None:
                cache.put(key, facts)
        else:
            facts = outcome
        results[path] = facts
    return results


def _failure_key(digest: str, budget: float) -> str:
    return f"{digest}-failed-{budget:g}s"


def _python_refusal(source: bytes) -> ModuleFacts | None:
    """CPython's refusal of a file libcst crashed or ran out of time on in a worker that
    did not ask CPython first (it asks only about files that look hostile): the answer the
    file gets when CPython is asked first. None when CPython accepts it."""
    if looks_hostile(source):
        return None  # CPython was asked, and accepted it
    return screen_source(source).facts


def _failure_facts(source: bytes, reason: str) -> ModuleFacts:
    """The error fact of a file whose analysis crashed or ran out of time; its suppression
    comments still count (they can silence its ISO900)."""
    try:
        suppressions, _ = read_suppressions(decode_source(source))
    except (SyntaxError, UnicodeDecodeError, LookupError):
        suppressions = []
    return ModuleFacts(error=reason, suppressions=suppressions)


def _analyze(
    work: list[tuple[bytes, str]],
    options: PassOptions,
    jobs: int | None,
    budget: float,
    analysed: Callable[[int], None],
    cache: FactsCache | None,
) -> list[ModuleFacts | Failure]:
    """The facts of each ``(source, digest)``, in order, or why there are none; each one
    computed is stored in ``cache`` under its digest; ``analysed(n)`` after each of them.

    A large run analyses every file in supervised worker processes (``run_isolated``): a
    worker that crashes or runs over ``budget`` costs that file only, and the worker stores
    the facts it computed, so that encoding them for the cache is shared out with the
    parsing rather than left to this process at the end. A small run analyses in this
    process, which is much cheaper, every file that CPython's parser finds safe for libcst
    (shallow and not huge); only the others go to a worker process.
    """
    workers = jobs or os.cpu_count() or 1
    if workers > 1 and len(work) >= _POOL_THRESHOLD:
        return run_isolated(
            _analyze_in_worker,
            work,
            workers=workers,
            budget=budget,
            initializer=_init_worker,
            initargs=(options, cache),
            on_done=analysed,
            cost=_source_size,
        )
    results: dict[int, ModuleFacts | Failure] = {}
    risky: list[int] = []
    for index, (source, digest) in enumerate(work):
        screened = screen_source(source)
        if screened.facts is not None:
            facts = screened.facts
        elif screened.verdict is None or (
            parse_risk(screened.verdict, len(source)) is None and not crash_test_marker_in(source)
        ):
            facts = analyze_screened(source, screened.without_tree(), options)
        else:
            risky.append(index)
            continue
        results[index] = facts
        if cache is not None:
            cache.put(digest, facts)
        analysed(len(results))
    done = len(results)
    if risky:
        outcomes = run_isolated(
            _analyze_in_worker,
            [work[index] for index in risky],
            workers=min(workers, len(risky)),
            budget=budget,
            initializer=_init_worker,
            initargs=(options, cache),
            on_done=lambda count: analysed(done + count),
        )
        results.update(zip(risky, outcomes, strict=True))
    return [results[index] for index in range(len(work))]


def _source_size(item: tuple[bytes, str]) -> int:
    return len(item[0])


_WORKER_OPTIONS: PassOptions | None = None
_WORKER_CACHE: FactsCache | None = None


def _init_worker(options: PassOptions, cache: FactsCache | None) -> None:
    global _WORKER_OPTIONS, _WORKER_CACHE
    _WORKER_OPTIONS, _WORKER_CACHE = options, cache  # once per worker process, at start


def _analyze_in_worker(item: tuple[bytes, str]) -> ModuleFacts:
    """A file's facts, stored in the cache before they are sent back."""
    assert _WORKER_OPTIONS is not None
    source, digest = item
    facts = analyze_source(source, _WORKER_OPTIONS, isolated=True)
    if _WORKER_CACHE is not None:
        _WORKER_CACHE.put(digest, facts)
    return facts


def _records(
    facts: dict[Path, ModuleFacts],
    targets: set[Path],
    cwd: Path,
    config: Config,
    overrides: Mapping[Path, bytes] | None = None,
) -> dict[str, ModuleRecord]:
    records: dict[str, ModuleRecord] = {}
    packages: dict[Path, bool] = {}
    for path, module_facts in facts.items():
        name, is_package = module_name(path, packages)
        if name in records:
            name = path.as_posix()
        records[name] = ModuleRecord(
            name=name,
            display_path=display_path(path, cwd),
            is_package=is_package,
            facts=module_facts,
            is_target=path in targets,
            path=path,
            source=(overrides or {}).get(path),
            parse_budget=config.file_timeout,
        )
    return records


def module_name(path: Path, packages: dict[Path, bool]) -> tuple[str, bool]:
    """The dotted module name of a file, found by walking up through ``__init__.py`` folders."""
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    folder = path.parent
    while _is_package(folder, packages):
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or path.stem, is_package


def _is_package(folder: Path, packages: dict[Path, bool]) -> bool:
    known = packages.get(folder)
    if known is None:
        known = packages[folder] = is_package_folder(folder)
    return known


def _likely_to_report(project: Project) -> list[str]:
    """Modules that findings will point into: those using the legacy class (each use is a
    finding) and those with a write the rules classify (computed here once, as the rules
    would). Others still get their positions when a finding asks."""
    config = project.config
    legacy = any(config.is_selected(code) for code, rule in RULES.items() if rule.family == "ISO2")
    likely = {record.name for record in project.targets() if legacy and record.facts.legacy_uses}
    with contextlib.suppress(Exception):  # a bug in the rules is reported when they run
        likely.update(classified.record.name for classified in classified_writes(project))
    return sorted(likely)


def _reportable(
    project: Project, root: Path, config: Config, failures: list[str] | None = None
) -> tuple[list[Finding], list[Finding]]:
    """The findings to report, and those silenced as known debt by ``fixme`` comments."""
    by_path = {record.display_path: record for record in project.targets()}
    seen: set[tuple[str, str, int, int]] = set()
    raw: dict[str, list[Finding]] = {path: [] for path in by_path}
    for finding in run_rules(project, failures):
        key = (finding.code, finding.path, finding.line, finding.column)
        if key not in seen:
            seen.add(key)
            raw[finding.path].append(finding)
    for path, record in by_path.items():
        if not record.facts.skip_file and record.facts.error is None:
            raw[path] += unused_suppressions(path, record.facts.suppressions, raw[path])
    kept: list[Finding] = []
    fixmes: list[Finding] = []
    for path, found in raw.items():
        facts = by_path[path].facts
        for finding in found:
            if facts.skip_file or not config.is_selected(finding.code):
                continue
            if config.per_file_ignores and ignored_by_path(
                finding, _relative_to_root(finding.path, root), config
            ):
                continue
            silencing = suppressions_of(finding, facts.suppressions)
            if not silencing:
                kept.append(finding)
            elif all(suppression.kind == "fixme" for suppression in silencing):
                reason = next((s.reason for s in silencing if s.reason), "")
                note = f" (fixme: {reason})" if reason else " (fixme)"
                fixmes.append(replace(finding, message=finding.message + note))
    kept.sort(key=Finding.sort_key)
    fixmes.sort(key=Finding.sort_key)
    return kept, fixmes


def _with_fixes(
    findings: list[Finding], project: Project, contents: Mapping[Path, bytes | OSError]
) -> list[Finding]:
    """The findings with their machine fixes attached, where their rule has one."""
    if not any(rule_for(finding.code).fixable for finding in findings):
        return findings
    # Imported here: a run without fixable findings (most pre-commit runs) does not need
    # the fixers; the one fixer that loads libcst's codemods (a fifth of a second, for its
    # matchers) imports them when it fixes something.
    from isolint.fix.rule_fixes import attach_fixes

    budget = project.config.file_timeout
    return attach_fixes(findings, _source_reader(project, contents), budget=budget)


def _source_reader(
    project: Project, contents: Mapping[Path, bytes | OSError]
) -> Callable[[str], str | None]:
    """Reads a reported file's text (as analysed, so edits line up) by its display path."""
    paths = {record.display_path: record.path for record in project.targets()}

    def read(display: str) -> str | None:
        path = paths.get(display)
        content = contents.get(path) if path is not None else None
        if not isinstance(content, bytes):
            return None
        try:
            return decode_source(content)
        except (SyntaxError, UnicodeDecodeError, LookupError):
            return None

    return read


def _relative_to_root(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path
