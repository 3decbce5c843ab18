"""``isolint race gen`` and ``isolint race run``: click commands only.

``gen`` reads the project and writes tests (it never runs the project); ``run`` executes the
generated tests, which import and call the project's code, so it runs only when asked.
Exit codes as ``check``: 0 nothing confirmed, 1 a leak confirmed, 2 usage or configuration
error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from isolint.cli_support import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, fail, parse_codes
from isolint.config import ConfigError
from isolint.engine import Settings
from isolint.files import display_path
from isolint.fix.runner import apply_fixes, unified_diff, write_changes
from isolint.race.generator import check_selection, generate
from isolint.race.prove import Proof, prove_fixes
from isolint.race.runner import (
    CONFIRMED,
    NOT_CONFIRMED,
    NOT_RUNNABLE,
    RaceRun,
    RaceRunError,
    run_race,
)
from isolint.race.targets import MissingDriver

_STATUS_WORDS = {
    CONFIRMED: "confirmed",
    NOT_CONFIRMED: "not confirmed",
    NOT_RUNNABLE: "not runnable",
}


@click.group("race", context_settings={"help_option_names": ["-h", "--help"]})
def race() -> None:
    """Confirm findings at run time: generated pytest files drive the flagged code for
    several simulated users at once and fail when one user's data reaches another."""


@race.command("gen")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", help="Rule codes or prefixes to generate tests for (e.g. ISO4,ISO101).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the tests (default: `out` in [tool.isolint.race], tests/isolint_race).",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=0.5),
    help="Seconds each test may take (default: `budget` in [tool.isolint.race], 5).",
)
def gen_command(
    paths: tuple[Path, ...], select: str | None, out: Path | None, budget: float | None
) -> None:
    """Write one race test per finding in PATHS (default: the current folder).

    Reads the project's files and never imports or runs them. Regenerating is idempotent;
    files of findings that are gone are removed (only files this command wrote).
    """
    targets = _existing(paths)
    try:
        codes = parse_codes(select)
        check_selection(codes)
        generation = generate(targets, out, select=codes, budget=budget)
    except ConfigError as error:
        fail(str(error))
    skipped = [t for t in generation.tests if isinstance(t.target.driver, MissingDriver)]
    for test in skipped:
        reason = test.target.driver.reason if isinstance(test.target.driver, MissingDriver) else ""
        click.echo(f"{test.path.name}: skipped: {reason}")
    folder = generation.tests[0].path.parent if generation.tests else out
    click.echo(
        f"wrote {len(generation.tests)} race test(s)"
        + (f" to {display_path(folder, Path.cwd())}" if folder else "")
        + f" ({len(skipped)} skipped until a driver exists)"
        + (f"; removed {len(generation.removed)} stale" if generation.removed else "")
    )


@race.command("run")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", help="Rule codes or prefixes to confirm (e.g. ISO4,ISO101).")
@click.option(
    "--budget",
    type=click.FloatRange(min=0.5),
    help="Seconds per finding (default: `budget` in [tool.isolint.race], 5).",
)
@click.option(
    "--output-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def run_command(
    paths: tuple[Path, ...], select: str | None, budget: float | None, output_format: str
) -> None:
    """Run the race tests of the findings in PATHS and report which leaks are confirmed.

    WARNING: this RUNS THE PROJECT'S CODE. The tests are generated into a scratch folder and
    run by pytest in a subprocess (working folder: the project root, which is put on
    PYTHONPATH); they import the project and call its entry points as several simulated users.
    Run it only on code you trust, as you would its own test suite.

    Each finding is reported as confirmed (one user's data reached another: exit 1), not
    confirmed, or not runnable (with the reason).
    """
    targets = _existing(paths)
    try:
        codes = parse_codes(select)
        check_selection(codes)
        outcome = run_race(targets, select=codes, budget=budget)
    except (ConfigError, RaceRunError) as error:
        fail(str(error))
    if output_format == "json":
        _write_json(outcome)
    else:
        _write_text(outcome)
    sys.exit(EXIT_FINDINGS if outcome.count(CONFIRMED) else EXIT_CLEAN)


def _write_text(outcome: RaceRun) -> None:
    for result in outcome.results:
        finding, confirmation = result.finding, result.confirmation
        status = _STATUS_WORDS[confirmation.status]
        if confirmation.phase:
            status += f" ({confirmation.phase})"
        location = f"{finding.path}:{finding.line}:{finding.column}"
        click.echo(f"{location} {finding.code} {status}: {confirmation.detail}")
    counts = [f"{outcome.count(status)} {word}" for status, word in _STATUS_WORDS.items()]
    unattributed = sum(
        r.confirmation.status == CONFIRMED and r.confirmation.through is None
        for r in outcome.results
    )
    if unattributed:  # a leak on the path of a finding that names no shared object
        counts[0] += f" ({unattributed} not attributed)"
    total = f"{', '.join(counts)} of {len(outcome.results)} finding(s)"
    click.echo(f"\n{total} in {outcome.seconds:.1f} s")


def _write_json(outcome: RaceRun) -> None:
    document = [
        {**result.finding.to_json(), "confirmation": result.confirmation.to_json()}
        for result in outcome.results
    ]
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def prove_and_fix(
    targets: list[Path], settings: Settings, *, unsafe: bool, show_diff: bool, use_cache: bool
) -> int:
    """``isolint fix --prove``: print each fix's proof, apply (or show) the proven ones; the
    exit code (0 when every fix was proven and applied, 1 when some was not)."""
    cwd = Path.cwd()
    try:
        proofs = prove_fixes(targets, settings, unsafe=unsafe, cwd=cwd, use_cache=use_cache)
    except RaceRunError as error:
        fail(str(error))
    for proof in proofs:
        click.echo(_proof_line(proof))
    proven = [proof.finding for proof in proofs if proof.proven]
    rewrite = apply_fixes(proven, cwd, settings.config.file_timeout)
    for problem in rewrite.problems:
        click.echo(f"isolint: {problem}", err=True)
    changed = rewrite.changed()
    if show_diff:
        sys.stdout.write(unified_diff(rewrite, cwd))
        verb = "would apply"
        not_written: list[str] = []
    else:
        not_written = write_changes(rewrite)
        for problem in not_written:
            click.echo(f"isolint: {problem}", err=True)
        verb = "applied"
    click.echo(
        f"isolint: {len(proven)} of {len(proofs)} fix(es) proven; {verb} them in "
        f"{len(changed) - len(not_written)} file(s)",
        err=True,
    )
    if not_written:
        return EXIT_ERROR
    return EXIT_CLEAN if len(proven) == len(proofs) else EXIT_FINDINGS


def _proof_line(proof: Proof) -> str:
    finding = proof.finding
    location = f"{finding.path}:{finding.line}:{finding.column}"
    return f"{location} {finding.code} {proof.verdict}: {proof.detail}"


def _existing(paths: tuple[Path, ...]) -> list[Path]:
    targets = list(paths) or [Path(".")]
    missing = [str(path) for path in targets if not path.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    return targets
