"""``isolint fix --prove``: a fix is kept only when its finding's race test goes from failing
to passing.

For every finding with a fix that ``isolint fix`` would apply, on a scratch copy of the
project (the real tree is not touched until the end):

1. its race test is generated and run on the code as it is: it must fail through the
   finding's own shared object (the leak is confirmed);
2. the fix alone is applied to the copy and the same test runs again: it must pass;
3. the copy is put back before the next fix.

The verdicts: ``proven`` (failing before, passing after), ``not proven`` (no confirmed leak
before the fix, or still a leak after it) and ``not runnable`` (the test could not drive the
code: the reason ``race run`` gives). Only proven fixes are then applied to the real tree,
by the fix command. Like ``race run``, this runs the project's code.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from isolint.engine import Settings, absolute, check
from isolint.findings import Finding
from isolint.fix.edits import apply_edits
from isolint.race.config import load_race_config
from isolint.race.generator import GeneratedTest, Generation, generate
from isolint.race.render import shared_label
from isolint.race.runner import (
    CONFIRMED,
    NOT_RUNNABLE,
    Confirmation,
    PytestSession,
    confirmation_of,
    run_tests,
    scratch_folder,
)
from isolint.race.runtime import ATTRIBUTED_ONLY_VARIABLE
from isolint.race.targets import MissingDriver

PROVEN, NOT_PROVEN = "proven", "not proven"
# Folders never copied into the scratch project: not code, or not the project's.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".hg",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".isolint_cache",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    "isolint_race*",
)


@dataclass(frozen=True)
class Proof:
    """What one fix's race test showed before and after the fix."""

    finding: Finding
    verdict: str  # PROVEN, NOT_PROVEN or NOT_RUNNABLE
    detail: str
    before: Confirmation | None = None
    after: Confirmation | None = None

    @property
    def proven(self) -> bool:
        return self.verdict == PROVEN


def prove_fixes(
    paths: Sequence[Path],
    settings: Settings,
    *,
    unsafe: bool,
    cwd: Path,
    use_cache: bool = True,
    python: str | None = None,
) -> list[Proof]:
    """A proof for every finding in ``paths`` whose fix ``isolint fix`` would apply."""
    result = check(paths, settings, use_cache=use_cache, cwd=cwd)
    fixable = [f for f in result.findings if f.fix is not None and f.fix.applies(unsafe=unsafe)]
    if not fixable:
        return []
    race_root = load_race_config(paths[0] if paths else Path(".")).root
    with _scratch_copy(race_root, settings.root) as copy:
        return _prove_in_copy(fixable, paths, race_root, copy, cwd, python or sys.executable)


@contextmanager
def _scratch_copy(race_root: Path, project_root: Path) -> Iterator[Path]:
    """A copy of the project under a temporary folder (only the package tree when the project
    has no pyproject.toml: its root is then the folder above, which may hold anything)."""
    with tempfile.TemporaryDirectory(prefix="isolint_prove_") as temporary:
        copy = Path(temporary) / race_root.name
        source = absolute(project_root)
        if not source.is_relative_to(absolute(race_root)):  # a --config from elsewhere
            source = absolute(race_root)
        target = copy / source.relative_to(absolute(race_root))
        shutil.copytree(source, target, ignore=_NOT_COPIED, symlinks=True)
        yield copy


def _prove_in_copy(
    fixable: list[Finding],
    paths: Sequence[Path],
    race_root: Path,
    copy: Path,
    cwd: Path,
    python: str,
) -> list[Proof]:
    def in_copy(path: Path) -> Path:
        return copy / absolute(cwd / path).relative_to(absolute(race_root))

    config = load_race_config(in_copy(paths[0] if paths else Path(".")))
    scratch = scratch_folder(config.root, config.hooks)
    codes = tuple(sorted({finding.code for finding in fixable}))
    generation = generate([in_copy(p) for p in paths or [Path(".")]], scratch, select=codes)
    only_attributed = ((ATTRIBUTED_ONLY_VARIABLE, "1"),)  # a leak elsewhere is not this fix's
    session = PytestSession(config.root, generation.import_paths, scratch, python, only_attributed)
    tests = _tests_by_finding(generation, fixable, in_copy)
    runnable = [t for t in tests.values() if not isinstance(t.target.driver, MissingDriver)]
    before = run_tests(session, runnable, config.budget)
    proofs = []
    for finding in fixable:
        test = tests.get(_key(finding, in_copy(Path(finding.path))))
        if test is None:
            proofs.append(Proof(finding, NOT_RUNNABLE, "no race test was generated for it"))
            continue
        verdict = confirmation_of(test, before, generation.own_modules)
        if verdict.status != CONFIRMED or verdict.through is None:
            proofs.append(_unconfirmed(finding, verdict, test))
            continue
        after = _after_fix(finding, test, session, config.budget, in_copy)
        proofs.append(_judged(finding, verdict, after))
    return proofs


_Key = tuple[str, int, int, Path]


def _key(finding: Finding, path: Path) -> _Key:
    return (finding.code, finding.line, finding.column, absolute(path))


def _tests_by_finding(
    generation: Generation, fixable: list[Finding], in_copy: Callable[[Path], Path]
) -> dict[_Key, GeneratedTest]:
    """The generated test of each fixable finding, matched by code, file and position."""
    wanted = {_key(f, in_copy(Path(f.path))) for f in fixable}
    found: dict[_Key, GeneratedTest] = {}
    for test in generation.tests:
        finding = test.target.finding
        key = _key(finding, generation.root / finding.path)
        if key in wanted:
            found[key] = test
    return found


def _unconfirmed(finding: Finding, before: Confirmation, test: GeneratedTest) -> Proof:
    if before.status == NOT_RUNNABLE:
        return Proof(finding, NOT_RUNNABLE, before.detail, before)
    labels = " or ".join(shared_label(ref) for ref in test.target.shared)
    if not labels:  # a leak on the path proves nothing about this finding's own object
        detail = "its race test names no shared object to watch, so a fix cannot be proven"
    else:
        detail = f"no leak through {labels} was seen before the fix"
    return Proof(finding, NOT_PROVEN, detail, before)


def _after_fix(
    finding: Finding,
    test: GeneratedTest,
    session: PytestSession,
    budget: float,
    in_copy: Callable[[Path], Path],
) -> Confirmation:
    """The test's raw outcome with only ``finding``'s fix applied to the copy."""
    assert finding.fix is not None
    originals: dict[Path, bytes] = {}
    try:
        for path in dict.fromkeys(edit.path for edit in finding.fix.edits):
            target = in_copy(Path(path))
            originals[target] = original = target.read_bytes()
            edits = [edit for edit in finding.fix.edits if edit.path == path]
            target.write_bytes(apply_edits(original.decode("utf-8"), edits).encode("utf-8"))
        outcomes = run_tests(session, [test], budget)
    finally:
        for target, original in originals.items():
            target.write_bytes(original)
    return outcomes.get(test.test_name) or Confirmation(NOT_RUNNABLE, None, "no outcome")


def _judged(finding: Finding, before: Confirmation, after: Confirmation) -> Proof:
    if after.status == NOT_RUNNABLE:
        return Proof(finding, NOT_RUNNABLE, f"after the fix: {after.detail}", before, after)
    if after.status == CONFIRMED:
        detail = f"still leaks after the fix ({after.phase}): {after.detail}"
        return Proof(finding, NOT_PROVEN, detail, before, after)
    detail = f"its race test failed before the fix ({before.phase}) and passes after it"
    return Proof(finding, PROVEN, detail, before, after)
