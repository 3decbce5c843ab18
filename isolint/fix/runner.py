"""`isolint fix`: apply the fixes of the selected findings until none is left to apply.

The rewrite happens in memory: each round checks the project with the rewritten texts in
place of the files, applies every fix that does not overlap another one, and stops when a
round has nothing left to apply (a fix may reveal or remove other findings, as in ruff). Only
then are the changed files handed to the writer, or shown as a diff. Nothing is written
here; ``write_changes`` does that.
"""

from __future__ import annotations

import difflib
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from isolint.config import DEFAULT_FILE_TIMEOUT, TEST_EXCLUDE
from isolint.engine import Settings, absolute, check
from isolint.files import discover
from isolint.findings import Applicability, Edit, Finding
from isolint.fix.edits import apply_edits, split_lines
from isolint.fix.remarks import Remark
from isolint.fix.target_python import RUNNING, PythonVersion, oldest_supported
from isolint.fix.writer import SourceFile, WriteRefused, ensure_parses, write_rewrite

# A fix that keeps producing new fixes is a bug in a fixer; stop instead of looping.
MAX_ROUNDS = 10


@dataclass
class Rewrite:
    """The outcome of rewriting a set of files in memory."""

    originals: dict[Path, SourceFile] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # what a codemod left for a person (uses it did not migrate, and why)
    remarks: list[Remark] = field(default_factory=list)
    # seconds a parse of one file may take (the `file-timeout`) before it is given up
    budget: float = DEFAULT_FILE_TIMEOUT
    # the oldest Python the project supports: every rewritten file must compile on it
    python: PythonVersion = RUNNING

    def changed(self) -> dict[Path, str]:
        """The new text of every file whose text differs from what was read."""
        return {
            path: text
            for path, text in sorted(self.texts.items())
            if text != self.originals[path].text
        }

    def text_of(self, path: Path) -> str:
        if path not in self.texts:
            original = self.originals[path] = SourceFile.read(path)
            self.texts[path] = original.text
        return self.texts[path]


@dataclass
class FixOutcome:
    rewrite: Rewrite
    fixed: list[Finding]
    remaining: list[Finding]
    files_checked: int

    def unsafe_available(self) -> int:
        """Findings left whose fix only `--unsafe-fixes` applies."""
        return sum(
            1
            for finding in self.remaining
            if finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
        )


def fix_project(
    paths: Sequence[Path],
    settings: Settings,
    *,
    unsafe: bool,
    use_cache: bool = True,
    jobs: int | None = None,
    cwd: Path | None = None,
) -> FixOutcome:
    """Apply the fixes of ``paths``'s findings in memory, round after round."""
    cwd = cwd or Path.cwd()
    rewrite = _new_rewrite(settings)
    fixed: list[Finding] = []
    for _ in range(MAX_ROUNDS):
        overrides = {path: _encoded(rewrite, path) for path in rewrite.changed()}
        result = check(paths, settings, use_cache=use_cache, jobs=jobs, cwd=cwd, sources=overrides)
        applicable = [
            f for f in result.findings if f.fix is not None and f.fix.applies(unsafe=unsafe)
        ]
        applied = _apply_round(applicable, rewrite, cwd)
        if not applied:
            return FixOutcome(rewrite, fixed, result.findings, result.files_checked)
        fixed += applied
    rewrite.problems.append(
        f"fixes were still changing the code after {MAX_ROUNDS} rounds; "
        "stopped (please report this)"
    )
    overrides = {path: _encoded(rewrite, path) for path in rewrite.changed()}
    result = check(paths, settings, use_cache=use_cache, jobs=jobs, cwd=cwd, sources=overrides)
    return FixOutcome(rewrite, fixed, result.findings, result.files_checked)


def apply_fixes(findings: Sequence[Finding], cwd: Path, budget: float) -> Rewrite:
    """``findings``' fixes applied in memory in one round, as found (``--prove`` applies only
    the fixes it proved; one that overlaps a fix taken before it is left out)."""
    rewrite = Rewrite(budget=budget)
    _apply_round([f for f in findings if f.fix is not None], rewrite, cwd)
    return rewrite


def _new_rewrite(settings: Settings) -> Rewrite:
    pyproject = Path(settings.config.source) if settings.config.source else None
    return Rewrite(budget=settings.config.file_timeout, python=oldest_supported(pyproject))


def _encoded(rewrite: Rewrite, path: Path) -> bytes:
    return rewrite.texts[path].encode(rewrite.originals[path].encoding)


def _apply_round(findings: Sequence[Finding], rewrite: Rewrite, cwd: Path) -> list[Finding]:
    """Apply every fix that overlaps no fix taken before it; the rest wait for a later round."""
    taken: list[Finding] = []
    edits_by_file: dict[Path, list[Edit]] = defaultdict(list)
    for finding in findings:
        assert finding.fix is not None
        mine = _edits_by_file(finding.fix.edits, cwd)
        if any(_overlaps(edits, edits_by_file[path]) for path, edits in mine.items()):
            continue
        for path, edits in mine.items():
            edits_by_file[path] += edits
        taken.append(finding)
    for path, edits in edits_by_file.items():
        try:
            new_text = apply_edits(rewrite.text_of(path), edits)
            ensure_parses(path, new_text, budget=rewrite.budget, python=rewrite.python)
        except (OSError, ValueError, WriteRefused) as error:  # overlapping or out-of-range edits
            rewrite.problems.append(f"{_relative(path, cwd)}: fixes not applied: {error}")
            dropped = {f for f in taken if _touches(f, path, cwd)}
            taken = [f for f in taken if f not in dropped]
            continue
        rewrite.texts[path] = new_text
    return taken


def _edits_by_file(edits: Iterable[Edit], cwd: Path) -> dict[Path, list[Edit]]:
    grouped: dict[Path, list[Edit]] = defaultdict(list)
    for edit in edits:
        grouped[absolute(cwd / edit.path)].append(edit)
    return grouped


def _touches(finding: Finding, path: Path, cwd: Path) -> bool:
    assert finding.fix is not None
    return path in _edits_by_file(finding.fix.edits, cwd)


def _overlaps(new: Sequence[Edit], taken: Sequence[Edit]) -> bool:
    """Whether two edit lists touch the same text (two insertions at one point count too)."""
    for edit in new:
        start, end = (edit.line, edit.column), (edit.end_line, edit.end_column)
        for other in taken:
            other_start, other_end = (other.line, other.column), (other.end_line, other.end_column)
            if start < other_end and other_start < end:
                return True
            if start == end == other_start or other_start == other_end == start:
                return True
    return False


def unified_diff(rewrite: Rewrite, cwd: Path) -> str:
    """Every change as one unified diff, paths relative to ``cwd`` (as ``git diff`` shows)."""
    chunks: list[str] = []
    for path, text in rewrite.changed().items():
        name = _relative(path, cwd)
        chunks.extend(
            difflib.unified_diff(
                split_lines(rewrite.originals[path].text),
                split_lines(text),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def write_changes(rewrite: Rewrite) -> list[str]:
    """Write every changed file; the problems (one line each) of those not written."""
    problems: list[str] = []
    for path, text in rewrite.changed().items():
        try:
            write_rewrite(
                rewrite.originals[path], text, budget=rewrite.budget, python=rewrite.python
            )
        except WriteRefused as error:
            problems.append(str(error))
    return problems


def _relative(path: Path, cwd: Path) -> str:
    try:
        return Path(os.path.relpath(path, cwd)).as_posix()
    except ValueError:
        return path.as_posix()


def migrate_context(
    paths: Sequence[Path],
    settings: Settings,
    cwd: Path | None = None,
    *,
    jobs: int | None = None,
) -> Rewrite:
    """Run the migrate-context codemod over the project, test code included; only files
    under ``paths`` change.

    The codemod reads every file of the project (callers elsewhere pass keyword arguments
    that a renamed parameter must match); files outside ``paths`` that would need a change
    are named in the problems instead of being edited.
    """
    from isolint.fix.codemods.migrate_context import load_migration_options, migrate_project

    cwd = cwd or Path.cwd()
    config, root = settings.config, settings.root
    # Unlike `check`, the migration covers test code: tests construct and pass the legacy
    # class too, and would break if only the code under test moved to the context.
    kept = tuple(pattern for pattern in config.exclude if pattern not in TEST_EXCLUDE)
    exclude = (*kept, *config.extend_exclude)
    targets = {absolute(path) for path in discover(paths or [Path(".")], exclude, root)}
    project = {absolute(path) for path in discover([root], exclude, root)} | targets
    rewrite = _new_rewrite(settings)
    for path in sorted(project):
        try:
            rewrite.text_of(path)
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            if path in targets:
                rewrite.problems.append(f"{_relative(path, cwd)}: cannot read: {error}")
    pyproject = Path(config.source) if config.source else None
    options = load_migration_options(pyproject)
    migration = migrate_project(
        dict(rewrite.texts), options, root, budget=rewrite.budget, python=rewrite.python, jobs=jobs
    )
    rewrite.remarks += [
        Remark(_relative(problem.path, cwd), problem.line, problem.reason)
        for problem in migration.problems
    ]
    for path, text in migration.changed.items():
        if path in targets:
            rewrite.texts[path] = text
        else:
            rewrite.problems.append(
                f"{_relative(path, cwd)}:1: outside the given paths but needs the migration too "
                "(callers or imports); run the codemod on the whole project"
            )
    return rewrite
