"""``isolint race run``: generate the race tests into a scratch folder, run them with pytest in
a subprocess, and turn each test's outcome into the finding's confirmation.

A failing test proves a leak on the path it drives, not necessarily through the object its
finding names: findings sharing an entry point fail on the same first leak. The runtime's
``through:`` line says which named shared object held the offending token, and the status
follows it:

- ``confirmed``: the token sat in the finding's own shared object (``through`` names it);
- ``confirmed`` with the detail "leak on this path; not attributed": the test names no shared
  object (legacy-state findings, and findings whose object could not be resolved), so the
  leak is evidence for the path only;
- ``not_confirmed``: the finding names a shared object and the leak went through another
  path (the detail says which): it is no evidence for this finding.

This runs the project's code (the generated tests import it), so it only happens when a user
asks for it. Outcomes come from pytest's own ``--junitxml`` report: no plugin is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from isolint.files import display_path
from isolint.findings import Finding
from isolint.race.config import load_race_config
from isolint.race.generator import GeneratedTest, generate
from isolint.race.phases import PHASES as RUNTIME_PHASES
from isolint.race.render import shared_label
from isolint.race.targets import MissingDriver, RaceTarget

CONFIRMED, NOT_CONFIRMED, NOT_RUNNABLE = "confirmed", "not_confirmed", "not_runnable"
# the runtime's phase names, as its failure messages spell them
PHASES = tuple(RUNTIME_PHASES)
_LEAK_ERRORS = ("LeakDetected", "CorruptionDetected")
# Time pytest needs to start and import the project, on top of the tests' budgets.
_STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class Confirmation:
    """What running a finding's race test showed."""

    status: str
    phase: str | None
    detail: str
    seconds: float | None = None
    # The path inside a named shared object where the offending token sat (from the
    # runtime's ``through:`` line); None when no named object held it or none was named.
    through: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "phase": self.phase,
            "detail": self.detail,
            "through": self.through,
        }


@dataclass(frozen=True)
class RaceResult:
    finding: Finding
    test: str
    confirmation: Confirmation


@dataclass(frozen=True)
class RaceRun:
    results: list[RaceResult]
    seconds: float

    def count(self, status: str) -> int:
        return sum(result.confirmation.status == status for result in self.results)


class RaceRunError(Exception):
    """pytest could not be started or produced no report."""


def run_race(
    paths: Sequence[Path],
    *,
    select: tuple[str, ...] | None = None,
    budget: float | None = None,
    cwd: Path | None = None,
    python: str | None = None,
) -> RaceRun:
    """Generate and run the race tests of the findings in ``paths``."""
    started = time.monotonic()
    cwd = cwd or Path.cwd()
    targets = list(paths) or [Path(".")]
    race_config = load_race_config(targets[0])
    per_test = budget or race_config.budget
    scratch = scratch_folder(race_config.root, race_config.hooks)
    try:
        generation = generate(
            targets,
            scratch,
            select=select,
            budget=per_test,
            rerun_folder=display_path(race_config.root / race_config.out, cwd),
        )
        runnable = [t for t in generation.tests if not isinstance(t.target.driver, MissingDriver)]
        session = PytestSession(
            race_config.root, generation.import_paths, scratch, python or sys.executable
        )
        outcomes = run_tests(session, runnable, per_test)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = [
        RaceResult(
            _relocated(test.target.finding, generation.root, cwd),
            test.test_name,
            confirmation_of(test, outcomes, generation.own_modules),
        )
        for test in generation.tests
    ]
    return RaceRun(results, time.monotonic() - started)


def _relocated(finding: Finding, root: Path, cwd: Path) -> Finding:
    """``finding`` with its paths (its own, its notes', its fix's) as seen from ``cwd``; the
    check behind the tests ran from the project root."""
    fix = finding.fix
    if fix is not None:
        edits = tuple(replace(edit, path=_shown(edit.path, root, cwd)) for edit in fix.edits)
        fix = replace(fix, edits=edits)
    return replace(
        finding,
        path=_shown(finding.path, root, cwd),
        related=tuple(replace(note, path=_shown(note.path, root, cwd)) for note in finding.related),
        fix=fix,
    )


def _shown(path: str, root: Path, cwd: Path) -> str:
    return display_path(root / path, cwd)


def scratch_folder(root: Path, hook_folders: tuple[str, ...]) -> Path:
    """A fresh folder for the generated tests inside the project's tests folder, so that its
    conftest.py fixtures apply (the system's temporary folder if that is not writable)."""
    parent = next((root / f for f in hook_folders if (root / f).is_dir()), root)
    try:
        return Path(tempfile.mkdtemp(prefix="isolint_race_run_", dir=parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="isolint_race_run_"))


@dataclass(frozen=True)
class PytestSession:
    """How to run generated tests: from the project root, with the project importable."""

    root: Path
    import_paths: tuple[Path, ...]
    folder: Path
    python: str
    environment: tuple[tuple[str, str], ...] = ()  # variables the tests run with


def run_tests(
    session: PytestSession, tests: Sequence[GeneratedTest], per_test: float
) -> dict[str, Confirmation]:
    """Each test's outcome, keyed by test name.

    All tests run in one pytest process first, each file collected on its own (a file whose
    imports fail costs only its own tests). Tests that process did not report (it timed out
    or died) run again one file per process, so one hung or crashing test costs only itself.
    """
    if not tests:
        return {}
    timeout = _STARTUP_SECONDS + per_test * len(tests)
    batch = _run_pytest(session, [session.folder], timeout, "batch")
    outcomes = {name: outcome for name, outcome in batch.items() if name != _NO_REPORT}
    missing = [test for test in tests if test.test_name not in outcomes]
    if len(tests) == 1:
        return outcomes | _unreported(missing, batch, timeout)
    for test in missing:
        timeout = _STARTUP_SECONDS + per_test
        alone = _run_pytest(session, [test.path], timeout, test.test_name)
        outcomes |= _unreported([test], alone, timeout) | alone
    outcomes.pop(_NO_REPORT, None)
    return outcomes


def _unreported(
    tests: Sequence[GeneratedTest], outcomes: dict[str, Confirmation], timeout: float
) -> dict[str, Confirmation]:
    """``tests`` as not runnable, with the reason their run left no outcome for them."""
    reason = outcomes.get(_NO_REPORT)
    if reason is not None:
        detail = reason.detail
    elif outcomes:
        detail = "no outcome: pytest did not report this test"
    else:
        detail = f"the test did not finish within {timeout:.0f} s"
    return {test.test_name: Confirmation(NOT_RUNNABLE, None, detail) for test in tests}


# the key under which ``_run_pytest`` says why a run left no report
_NO_REPORT = ""


def _run_pytest(
    session: PytestSession, targets: Sequence[Path], timeout: float, label: str
) -> dict[str, Confirmation]:
    """The outcomes pytest reported for ``targets``; when it left no report, only why, under
    the key ``_NO_REPORT`` (a timeout leaves nothing)."""
    report = session.folder / ("junit-" + re.sub(r"\W", "_", label) + ".xml")
    report.unlink(missing_ok=True)  # an earlier run's report must not stand for this one
    command = [
        session.python,
        "-m",
        "pytest",
        *map(str, targets),
        "-q",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        f"--junitxml={report}",
        f"--rootdir={session.root}",
    ]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [*map(str, session.import_paths), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    environment.update(session.environment)
    try:
        completed = subprocess.run(
            command,
            cwd=session.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {}
    except OSError as error:
        raise RaceRunError(f"cannot start {session.python}: {error}") from error
    if report.is_file():
        return read_junit(report)
    output = (completed.stdout + completed.stderr).strip().splitlines()
    if completed.returncode == 4 or "No module named pytest" in completed.stderr:
        raise RaceRunError("pytest produced no report: " + " | ".join(output[-5:]))
    detail = f"the test process stopped without a report (exit code {completed.returncode})"
    last = _summary(" | ".join(output[-3:]), 200)
    return {_NO_REPORT: Confirmation(NOT_RUNNABLE, None, detail + (f": {last}" if last else ""))}


def read_junit(report: Path) -> dict[str, Confirmation]:
    """Each test's confirmation from pytest's JUnit XML, keyed by test function name (a
    file that could not be collected is reported under its module's name, which is its
    test's name too)."""
    outcomes: dict[str, Confirmation] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = case.get("name", "").rsplit(".", 1)[-1]
        seconds = float(case.get("time", "0") or 0)
        outcomes[name] = _outcome(case, seconds)
    return outcomes


def _outcome(case: ElementTree.Element, seconds: float) -> Confirmation:
    failure = case.find("failure")
    error = case.find("error")
    skipped = case.find("skipped")
    if failure is not None:
        message = failure.get("message") or failure.text or ""
        text = f"{message}\n{failure.text or ''}"
        if any(kind in text for kind in _LEAK_ERRORS):
            return Confirmation(
                CONFIRMED, _phase(message or text), leak_summary(text), seconds, through_path(text)
            )
        missing = import_failure(text)
        if missing is not None:
            return Confirmation(NOT_RUNNABLE, None, missing, seconds)
        return Confirmation(NOT_RUNNABLE, None, "the test failed: " + _summary(message), seconds)
    if error is not None:
        return Confirmation(NOT_RUNNABLE, None, _error_detail(error), seconds)
    if skipped is not None:
        reason = (skipped.get("message") or "").removeprefix("Skipped: ")
        detail = import_failure(reason) or _summary(reason.removeprefix("not runnable: "))
        return Confirmation(NOT_RUNNABLE, None, detail, seconds)
    return Confirmation(NOT_CONFIRMED, None, "no user saw another user's data", seconds)


def _error_detail(error: ElementTree.Element) -> str:
    """What stopped a test before it ran: a missing dependency, another import or collection
    error (its exception line), or a fixture's error."""
    message, text = error.get("message") or "", error.text or ""
    missing = import_failure(text)
    if missing is not None:
        return missing
    raised = _raised(text)
    if message == "collection failure":
        return _summary("cannot import the test: " + (raised or message))
    return _summary("error: " + message + (f": {raised}" if raised else ""))


_MISSING_MODULE = re.compile(r"(ModuleNotFoundError: No module named '([\w.]+)'[^\n]*)")


def import_failure(text: str) -> str | None:
    """``needs `celery`: ModuleNotFoundError: No module named 'celery'`` when a module could
    not be imported; None when ``text`` shows no such error."""
    found = _MISSING_MODULE.findall(text)
    if not found:
        return None
    line, module = found[-1]
    return _summary(f"needs `{module.split('.')[0]}`: {line.strip()}")


def _raised(text: str) -> str | None:
    """The exception line of a pytest traceback (its last ``E   ...`` line)."""
    lines = re.findall(r"^E\s+(\S.*)$", text, re.MULTILINE)
    return lines[-1].strip() if lines else None


def leak_summary(message: str) -> str:
    """One line from the runtime's failure message: what was seen where, and the seed.

    ``isolint race: LEAK: user 2 (isolint-u2-...) observed user 0's data`` ... ``found in
    ... at result[0]['user_id']`` ... ``seed: 17`` -> ``LEAK: user 2 observed user 0's
    data at result[0]['user_id'] (round 0, seed 17)``.
    """
    headline = re.search(r"isolint race: ((?:LEAK|CORRUPTION|RESIDUE): [^\n]*)", message)
    if headline is None:
        return _summary(message)
    summary = re.sub(r" \(isolint-[^)]*\)", "", headline.group(1))
    where = re.search(r"found in .*? at ([^\n]*)", message)
    if where is not None:
        summary += f" at {where.group(1).strip()}"
    facts = []
    round_number = re.search(r"phase: [\w-]+, round (\d+)", message)
    if round_number is not None:
        facts.append(f"round {round_number.group(1)}")
    seed = re.search(r"seed: (\d+)", message)
    if seed is not None:
        facts.append(f"seed {seed.group(1)}")
    return _summary(summary + (f" ({', '.join(facts)})" if facts else ""))


def through_path(message: str) -> str | None:
    """The path of the runtime's ``through: pkg.mod.name._attr`` line; None for its "none of
    the named shared objects" and "unknown" forms, or when the line is missing."""
    # pytest's report prefixes the lines of an exception with "E   ".
    match = re.search(r"^(?:E\s)?\s*through: (\S+)[ \t]*$", message, re.MULTILINE)
    if match is None or match.group(1) in ("none", "unknown"):
        return None
    return match.group(1)


def _phase(message: str) -> str | None:
    """The phase the failure message names first."""
    positions = [(message.find(phase), phase) for phase in PHASES if phase in message]
    return min(positions)[1] if positions else None


def _summary(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def confirmation_of(
    test: GeneratedTest, outcomes: dict[str, Confirmation], own_modules: frozenset[str]
) -> Confirmation:
    driver = test.target.driver
    if isinstance(driver, MissingDriver):
        return Confirmation(NOT_RUNNABLE, None, driver.reason)
    outcome = outcomes.get(test.test_name)
    if outcome is None:
        return Confirmation(NOT_RUNNABLE, None, "no outcome: pytest did not report this test")
    return attributed(_own_module_missing(outcome, own_modules), test.target)


def _own_module_missing(outcome: Confirmation, own_modules: frozenset[str]) -> Confirmation:
    """A "needs `pkg`" naming the project's own package is no missing dependency: the
    project could not be imported from its root."""
    needed = re.match(r"needs `(\w+)`: (.*)", outcome.detail)
    if needed is None or needed.group(1) not in own_modules:
        return outcome
    return replace(outcome, detail=f"cannot import the project: {needed.group(2)}")


def attributed(outcome: Confirmation, target: RaceTarget) -> Confirmation:
    """A leak confirms ``target``'s finding only through the shared object the finding names
    (see the module docstring for the rule)."""
    if outcome.status != CONFIRMED:
        return outcome
    labels = [shared_label(ref) for ref in target.shared]
    if not labels:
        return replace(
            outcome,
            detail=_summary(f"leak on this path; not attributed: {outcome.detail}"),
            through=None,
        )
    through = outcome.through
    if through is not None and any(_inside(through, label) for label in labels):
        return replace(outcome, detail=_summary(f"{outcome.detail} through {through}"))
    return replace(
        outcome,
        status=NOT_CONFIRMED,
        detail=_summary(
            f"a leak on this path went through {through or 'another path'}, "
            f"not through {' or '.join(labels)} ({outcome.detail})"
        ),
    )


def _inside(path: str, label: str) -> bool:
    """``pkg.mod.pool._replies`` and ``pkg.mod.pool[0]`` are inside ``pkg.mod.pool``."""
    return path == label or path.startswith((f"{label}.", f"{label}[", f"{label} "))
