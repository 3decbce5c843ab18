"""The per-finding fixes behind ``isolint fix``, on real files checked by the real engine.

Goldens live in ``tests/data/rule_fixes/``:

- ``cases/<CODE>-<what>/before/``: a small project; ``after/`` holds the files the fixes of
  ``CODE`` change, as they must read once every such fix is applied. A case without
  ``after/`` must be offered no fix for ``CODE`` (its name says why, ``...-no-fix-...``).
- ``agent_platform/``: the demo fixture's files as its fixes leave them, and ``fixes.txt``,
  which finding got which fix.

``ISOLINT_UPDATE_GOLDEN=1`` rewrites the goldens from what the fixes produce now.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, check_project

from isolint.findings import Finding
from isolint.fix.edits import OverlappingEdits, apply_edits
from isolint.fix.rule_fixes import FIXERS, attach_fixes
from isolint.rules.catalog import RULES

DATA = REPO / "tests" / "data" / "rule_fixes"
CASES = sorted(path for path in (DATA / "cases").iterdir() if path.is_dir())
DEMO = REPO / "fixtures" / "agent_platform"
DEMO_GOLDEN = DATA / "agent_platform"
UPDATE = os.environ.get("ISOLINT_UPDATE_GOLDEN") == "1"


# -- helpers ---------------------------------------------------------------------------


def findings_with_fixes(root: Path) -> list[Finding]:
    findings = check_project(root)
    return attach_fixes(findings, lambda path: _read(root / path))


def fix_project(root: Path, codes: frozenset[str], rounds: int = 10) -> int:
    """Apply the fixes of ``codes`` until none is left, as ``isolint fix`` would.

    Each round applies, per file, every fix whose edits do not overlap the ones already
    chosen, then checks again; returns how many rounds changed something.
    """
    for round_number in range(rounds):
        by_file: dict[str, list[Finding]] = {}
        for finding in findings_with_fixes(root):
            if finding.fix is not None and finding.code in codes:
                by_file.setdefault(finding.path, []).append(finding)
        if not by_file:
            return round_number
        for path, findings in by_file.items():
            text = _read(root / path)
            chosen: list = []  # type: ignore[type-arg]
            for finding in findings:
                assert finding.fix is not None
                try:
                    apply_edits(text, [*chosen, *finding.fix.edits])
                except OverlappingEdits:
                    continue  # applied in a later round, on the re-checked file
                chosen.extend(finding.fix.edits)
            _write(root / path, apply_edits(text, chosen))
    raise AssertionError(f"fixes still offered after {rounds} rounds")


def python_files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): _read(path)
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def changed_files(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    return {path: text for path, text in after.items() if before.get(path) != text}


def compare_with_golden(golden: Path, changed: dict[str, str]) -> None:
    """``changed`` must equal the files under ``golden`` (rewritten when updating)."""
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        for path, text in changed.items():
            _write(golden / path, text)
        return
    expected = python_files(golden) if golden.is_dir() else {}
    assert sorted(changed) == sorted(expected), "the fixes changed other files than expected"
    for path, text in changed.items():
        assert text == expected[path], f"{path} differs from its golden"


def case_code(case: Path) -> str:
    return case.name.split("-", 1)[0]


def copy_case(case: Path, root: Path) -> Path:
    """The case's ``before/`` project under ``root`` (CRLF cases get CRLF line endings)."""
    shutil.copytree(case / "before", root)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    for path in root.rglob("*.py"):
        if "crlf" in case.name:
            _write(path, _read(path).replace("\n", "\r\n"))
    for folder in {path.parent for path in root.rglob("*.py")} - {root}:
        (folder / "__init__.py").touch()
    return root


def finding_counts(findings: list[Finding]) -> dict[tuple[str, str, str], int]:
    """How often each finding occurs, by what it says (lines move when code is inserted)."""
    counts: dict[tuple[str, str, str], int] = {}
    for finding in findings:
        key = (finding.code, finding.path, finding.message)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)


# -- focused cases ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case_golden(case: Path, tmp_path: Path) -> None:
    root = copy_case(case, tmp_path / "project")
    code = case_code(case)
    before = python_files(root)
    offered = [f for f in findings_with_fixes(root) if f.code == code]
    assert offered, f"the case must produce {code} findings"
    expects_fix = (case / "after").is_dir() or (UPDATE and "no-fix" not in case.name)
    if not expects_fix:
        assert [f.fix for f in offered] == [None] * len(offered)
        return
    assert all(f.fix is not None for f in offered), "every finding of the case gets a fix"
    fix_project(root, frozenset({code}))
    changed = changed_files(before, python_files(root))
    if "crlf" in case.name:
        assert all("\n" not in text.replace("\r\n", "") for text in changed.values())
        changed = {path: text.replace("\r\n", "\n") for path, text in changed.items()}
    compare_with_golden(case / "after", changed)


@pytest.mark.parametrize(
    "case", [case for case in CASES if "no-fix" not in case.name], ids=lambda case: case.name
)
def test_case_fixes_leave_no_finding_and_are_idempotent(case: Path, tmp_path: Path) -> None:
    root = copy_case(case, tmp_path / "project")
    code = case_code(case)
    fix_project(root, frozenset({code}))
    after = python_files(root)
    assert [f for f in check_project(root) if f.code == code] == []
    assert fix_project(root, frozenset(FIXERS)) == 0  # a second `isolint fix` changes nothing
    assert python_files(root) == after


# -- every fix, alone ------------------------------------------------------------------


def projects() -> Iterator[tuple[str, Path]]:
    yield "agent_platform", DEMO
    for case in CASES:
        yield case.name, case


@pytest.mark.parametrize(
    "name, source",
    [pytest.param(name, source, id=name) for name, source in projects() if "no-fix" not in name],
)
def test_each_fix_alone_reparses_and_removes_its_finding(
    name: str, source: Path, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    if source == DEMO:
        shutil.copytree(DEMO, root)
    else:
        copy_case(source, root)
    original = python_files(root)
    findings = findings_with_fixes(root)
    counts = finding_counts(findings)
    assert any(finding.fix for finding in findings), "a case meant to be fixed offers no fix"
    for finding in findings:
        if finding.fix is None:
            continue
        assert {edit.path for edit in finding.fix.edits} == {finding.path}
        fixed = apply_edits(original[finding.path], finding.fix.edits)
        ast.parse(fixed)
        _write(root / finding.path, fixed)
        remaining = finding_counts(check_project(root))
        key = (finding.code, finding.path, finding.message)
        assert remaining.get(key, 0) < counts[key], f"{finding.code} at {finding.line} remains"
        _write(root / finding.path, original[finding.path])


# -- the demo project ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixed_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Finding]]:
    """The demo with each fixable finding's edits applied (one fix per file there)."""
    root = tmp_path_factory.mktemp("demo") / "agent_platform"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__"))
    findings = findings_with_fixes(root)
    edits_by_file: dict[str, list] = {}  # type: ignore[type-arg]
    for finding in findings:
        if finding.fix is not None:
            edits_by_file.setdefault(finding.path, []).extend(finding.fix.edits)
    for path, edits in edits_by_file.items():
        _write(root / path, apply_edits(_read(root / path), edits))
    return root, findings


def test_demo_golden(fixed_demo: tuple[Path, list[Finding]]) -> None:
    root, findings = fixed_demo
    changed = changed_files(python_files(DEMO), python_files(root))
    summary = "".join(
        f"{f.path}:{f.line} {f.code} "
        + (f"{f.fix.applicability.value}: {f.fix.description}" if f.fix else "no fix")
        + "\n"
        for f in findings
        if f.code in FIXERS
    )
    if UPDATE:
        compare_with_golden(DEMO_GOLDEN, changed)
        _write(DEMO_GOLDEN / "fixes.txt", summary)
        return
    compare_with_golden(DEMO_GOLDEN, changed)
    assert summary == _read(DEMO_GOLDEN / "fixes.txt")


def test_demo_recheck_reports_none_of_the_fixed_findings(
    fixed_demo: tuple[Path, list[Finding]],
) -> None:
    root, findings = fixed_demo
    fixed = {(f.code, f.path) for f in findings if f.fix is not None}
    assert len(fixed) == 6
    again = findings_with_fixes(root)
    assert {(f.code, f.path) for f in again} & fixed == set()
    assert [f for f in again if f.fix is not None] == []  # a second `isolint fix`: no change
    unfixed = {(f.code, f.path, f.line) for f in findings if f.code in FIXERS and f.fix is None}
    assert {(f.code, f.path, f.line) for f in again if f.code in FIXERS} == unfixed


def test_fixed_demo_still_runs(fixed_demo: tuple[Path, list[Finding]]) -> None:
    root, _ = fixed_demo
    result = subprocess.run(
        [sys.executable, "-m", "agent_platform.demo"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.endswith("of 6 scenarios crossed users")
    assert int(last.split()[0]) < 6  # the event stream and the profile no longer leak


# -- the API ---------------------------------------------------------------------------


def test_attach_fixes_keeps_order_and_never_raises(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    # the engine attaches fixes itself; strip them to see what attach_fixes adds
    findings = [replace(finding, fix=None) for finding in check_project(root)]

    def unreadable(path: str) -> str | None:
        raise OSError(path)

    for read_source in (unreadable, lambda path: None, lambda path: "def broken(:\n"):
        attached = attach_fixes(findings, read_source)
        assert attached == findings  # same findings, same order, no fix
    moved = attach_fixes(findings, lambda path: "\n" * 3 + _read(root / path))
    assert moved == findings  # the file changed since the check: no node at the span


def test_fixable_flag_matches_the_fixers() -> None:
    assert {code for code, rule in RULES.items() if rule.fixable} == set(FIXERS)
