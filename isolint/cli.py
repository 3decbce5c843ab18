"""The command line: click commands that parse options, call the engine, choose a reporter.

Exit codes (as ruff): 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
from rich.console import Console
from rich.table import Table

from isolint import __version__
from isolint.baseline import (
    BaselineError,
    Fingerprint,
    LineReader,
    apply_baseline,
    fingerprints,
    read_baseline,
    write_baseline,
)
from isolint.cli_support import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, fail, parse_codes
from isolint.config import ConfigError, with_cli_overrides
from isolint.detect import detect_frameworks
from isolint.engine import CheckResult, Settings, check, load_settings
from isolint.files import display_path, excluded_below_root
from isolint.findings import Finding
from isolint.init_project import apply as apply_init
from isolint.init_project import plan as plan_init
from isolint.init_project import report as init_report
from isolint.progress import DelayedProgress
from isolint.report.github import write_github
from isolint.report.html import write_html
from isolint.report.json_report import write_json, write_json_lines
from isolint.report.sarif import write_sarif
from isolint.report.statistics import (
    write_statistics_json,
    write_statistics_json_lines,
    write_statistics_text,
)
from isolint.report.text import write_text
from isolint.rule_docs import doc_url, rule_doc
from isolint.rules.catalog import FAMILIES, RULES

if TYPE_CHECKING:
    from isolint.fix.remarks import Remark
    from isolint.fix.runner import FixOutcome, Rewrite

# Commands and libraries that only some commands need (fixes, codemods, the race tests,
# Markdown rendering) are imported where they are used: every run pays for what is imported
# here, and a warm `isolint check` takes little more than that.

OUTPUT_FORMATS = ("text", "json", "json-lines", "sarif", "github", "html")
STATISTICS_FORMATS = ("text", "json", "json-lines")
CODEMODS = ("migrate-context",)


class _Commands(click.Group):
    """The command group; ``race`` (which loads the race-test machinery) is imported only
    when it is asked for, or listed by ``--help``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "race"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "race":
            # `isolint race gen` and `isolint race run` live with the race tests
            from isolint.race.cli import race

            return race
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="isolint")
def cli() -> None:
    """isolint finds request-time code that leaks one user's data to another."""


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", help="Rule codes or prefixes to enable (e.g. ISO1,ISO301).")
@click.option("--ignore", help="Rule codes or prefixes to disable.")
@click.option("--extend-select", help="Rule codes or prefixes to enable on top of `select`.")
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="How to print findings.",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the findings (or statistics) to this file instead of stdout.",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print the number of findings of each code instead of the findings.",
)
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With the path `-`: the name of the file whose source is read from stdin.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--show-fixme",
    is_flag=True,
    help="Also print findings marked `# isolint: fixme[...]` (they never fail the run).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Hide the findings recorded in this baseline file (see --write-baseline).",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record the current findings in this baseline file and exit 0.",
)
@click.option(
    "--add-ignore",
    "add_ignore_reason",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[=REASON]",
    help="Suppress every current finding in place with `# isolint: ignore[CODE] -- REASON`.",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply `exclude` to paths named on the command line too (for pre-commit).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Use this pyproject.toml instead of the nearest one.",
)
@click.option(
    "--no-cache", is_flag=True, help="Analyse every file; neither read nor write the cache."
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
def check_command(
    paths: tuple[Path, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    output_format: str,
    output_file: Path | None,
    statistics: bool,
    stdin_filename: Path | None,
    exit_zero: bool,
    show_fixme: bool,
    baseline_file: Path | None,
    write_baseline_file: Path | None,
    add_ignore_reason: str | None,
    force_exclude: bool,
    config_file: Path | None,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Check PATHS (default: the current folder) for state shared between users.

    isolint reads the files; it never imports or runs them. With the path `-`, the source
    of one file is read from stdin; `--stdin-filename` names it, and its project context
    (configuration, the modules it imports) comes from that name's location.
    """
    if statistics and output_format not in STATISTICS_FORMATS:
        fail(f"--statistics works with the output formats {', '.join(STATISTICS_FORMATS)}")
    sources: dict[Path, bytes] = {}
    if "-" in (str(path) for path in paths):
        if len(paths) > 1:
            fail("the path `-` (read stdin) cannot be combined with other paths")
        stdin_path = stdin_filename or Path("-")
        sources[stdin_path] = sys.stdin.buffer.read()
        targets = [stdin_path]
    elif stdin_filename is not None:
        fail("--stdin-filename needs the path `-` (read the source from stdin)")
    else:
        targets = list(paths) or [Path(".")]
    missing = [
        str(path)
        for path in targets
        if path not in sources and not path.exists() and not path.is_symlink()
    ]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    try:
        settings = _settings(targets, config_file, select, ignore, extend_select)
        if force_exclude:
            targets = _not_force_excluded(targets, settings, sources)
        with _progress_bar(output_format) as progress:
            result = check(
                targets,
                settings,
                use_cache=not no_cache,
                jobs=jobs,
                sources=sources,
                progress=progress,
            )
    except ConfigError as error:
        fail(str(error))
    except Exception as error:  # never a traceback for the user; say what went wrong
        fail(f"internal error: {type(error).__name__}: {error} (please report this)")
    texts = {
        display_path(path, Path.cwd()): source.decode("utf-8", errors="replace")
        for path, source in sources.items()
    }
    if write_baseline_file is not None:
        _write_baseline(result, write_baseline_file, texts)
    result = _hide_baselined(result, baseline_file, targets, texts)
    if add_ignore_reason is not None:
        _add_ignore(result, add_ignore_reason, sources)
    failing = result.findings
    if show_fixme and result.fixmes:
        result = replace(result, findings=sorted(failing + result.fixmes, key=Finding.sort_key))
    with _output_stream(output_file) as stream:
        if statistics:
            _write_statistics(result.findings, output_format, stream)
        else:
            _write_findings(result, output_format, texts, stream)
    for failure in result.failures:
        click.echo(f"isolint: error: {failure}", err=True)
    code = EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN
    sys.exit(EXIT_ERROR if result.failures else code)


def _settings(
    targets: Sequence[Path],
    config_file: Path | None,
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
) -> Settings:
    """The project's settings with the rule selection given on the command line."""
    settings = load_settings(targets, config_file)
    config = with_cli_overrides(
        settings.config, parse_codes(select), parse_codes(ignore), parse_codes(extend_select)
    )
    return Settings(config, settings.root)


def _not_force_excluded(
    targets: list[Path], settings: Settings, sources: dict[Path, bytes]
) -> list[Path]:
    """``--force-exclude``: drop the named paths that ``exclude`` covers; exit 0 if none is left."""
    config = settings.config
    exclude = (*config.exclude, *config.extend_exclude)
    kept = [path for path in targets if not excluded_below_root(path, exclude, settings.root)]
    if not kept:
        sys.exit(EXIT_CLEAN)
    for path in set(sources) - set(kept):
        del sources[path]
    return kept


def _write_baseline(result: CheckResult, file: Path, texts: dict[str, str]) -> None:
    """``--write-baseline``: record every finding reported now, then exit 0."""
    cwd = Path.cwd()
    entries = fingerprints(result.findings, result.settings.root, cwd, LineReader(cwd, texts))
    try:
        write_baseline(file, entries)
    except OSError as error:
        fail(f"cannot write the baseline {file}: {error}")
    noun = "entry" if len(entries) == 1 else "entries"
    click.echo(f"isolint: wrote {len(entries)} baseline {noun} to {file}", err=True)
    sys.exit(EXIT_CLEAN)


def _hide_baselined(
    result: CheckResult, file: Path | None, targets: list[Path], texts: dict[str, str]
) -> CheckResult:
    """``--baseline`` (or `baseline` in the configuration): hide what the file records, and
    say how many of its entries for the checked files and rules no longer match."""
    settings = result.settings
    if file is None and settings.config.baseline is not None:
        file = settings.root / settings.config.baseline
    if file is None:
        return result
    try:
        entries = read_baseline(file)
    except BaselineError as error:
        fail(str(error))
    cwd = Path.cwd()
    scopes = [os.path.abspath(path) for path in targets]

    def in_scope(entry: Fingerprint) -> bool:
        where = os.path.abspath(settings.root / entry.path)
        inside = any(
            where == top or where.startswith(top.rstrip(os.sep) + os.sep) for top in scopes
        )
        return inside and settings.config.is_selected(entry.code)

    filtered = apply_baseline(
        result.findings, entries, settings.root, cwd, LineReader(cwd, texts), in_scope
    )
    if filtered.stale:
        count = len(filtered.stale)
        noun = "entry no longer matches" if count == 1 else "entries no longer match"
        click.echo(
            f"isolint: {count} baseline {noun}; rewrite the baseline with --write-baseline",
            err=True,
        )
    return replace(result, findings=filtered.findings)


def _add_ignore(result: CheckResult, reason: str, sources: dict[Path, bytes]) -> None:
    """``--add-ignore``: suppress every reported finding in its file, then exit (0 when all
    were suppressed, 1 when some could not be)."""
    if sources:
        fail("--add-ignore edits files, so it cannot read the source from stdin")
    if reason and "--add-ignore" in sys.argv[1:]:
        # click took the next word as the reason: it may well have been a path
        fail(f"give the reason as --add-ignore=REASON (is `{reason}` a reason or a path?)")
    budget = result.settings.config.file_timeout
    from isolint.add_ignore import add_ignores

    report = add_ignores(result.findings, reason, Path.cwd(), budget=budget)
    for problem in report.problems:
        click.echo(f"isolint: {problem}", err=True)
    noun = "finding" if report.suppressed == 1 else "findings"
    files = "file" if report.files == 1 else "files"
    click.echo(
        f"isolint: suppressed {report.suppressed} {noun} in {report.files} {files}", err=True
    )
    sys.exit(EXIT_FINDINGS if report.problems else EXIT_CLEAN)


def _progress_bar(
    output_format: str,
) -> contextlib.AbstractContextManager[DelayedProgress | None]:
    """A progress bar on stderr for long runs: only with text output and at a terminal."""
    console = Console(stderr=True)
    if output_format != "text" or not console.is_terminal:
        return contextlib.nullcontext()
    return DelayedProgress(console)


@contextlib.contextmanager
def _output_stream(output_file: Path | None) -> Iterator[TextIO]:
    """stdout, or ``--output-file`` (created with its folder, UTF-8, replaced whole)."""
    if output_file is None:
        yield sys.stdout
        return
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        stream = output_file.open("w", encoding="utf-8", newline="\n")
    except OSError as error:
        fail(f"cannot write the output file {output_file}: {error.strerror or error}")
    with stream:
        yield stream


def _write_findings(
    result: CheckResult, output_format: str, texts: dict[str, str], stream: TextIO
) -> None:
    findings = result.findings
    if output_format == "json":
        write_json(findings, stream)
    elif output_format == "json-lines":
        write_json_lines(findings, stream)
    elif output_format == "sarif":
        write_sarif(findings, stream, result.settings.root, sources=texts)
    elif output_format == "github":
        write_github(findings, stream)
    elif output_format == "html":
        write_html(findings, stream, result.files_checked, sources=texts)
    else:
        console = Console(file=stream, soft_wrap=True)
        write_text(findings, console, result.files_checked, texts=texts)


def _write_statistics(findings: Sequence[Finding], output_format: str, stream: TextIO) -> None:
    if output_format == "json":
        write_statistics_json(findings, stream)
    elif output_format == "json-lines":
        write_statistics_json_lines(findings, stream)
    else:
        write_statistics_text(findings, stream)


@cli.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print the document of rule CODE (e.g. ISO101): what it finds, why, examples, the fix."""
    code = code.strip().upper()
    if code not in RULES:
        fail(f"unknown rule code: {code} (`isolint rules` lists the codes)")
    markdown = rule_doc(code).markdown
    console = Console()
    if console.is_terminal:
        from rich.markdown import Markdown

        console.print(Markdown(markdown))
    else:
        click.echo(markdown, nl=not markdown.endswith("\n"))


@cli.command("rules")
@click.option(
    "--output-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the list.",
)
def rules_command(output_format: str) -> None:
    """List every rule: its code, name, family and whether `isolint fix` can fix it."""
    if output_format == "json":
        rows = [
            {
                "code": rule.code,
                "name": rule.name,
                "family": f"{rule.family}xx",
                "family_name": FAMILIES[rule.family],
                "summary": rule.summary,
                "fixable": rule.fixable,
                "url": doc_url(rule.code),
            }
            for rule in RULES.values()
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    header = ("code", "name", "family", "fix")
    lines = [
        (rule.code, rule.name, f"{rule.family}xx {FAMILIES[rule.family]}", _yes_no(rule.fixable))
        for rule in RULES.values()
    ]
    console = Console()
    if console.is_terminal:
        table = Table(*header)
        for line in lines:
            table.add_row(*line)
        console.print(table)
        return
    widths = [max(len(row[column]) for row in (header, *lines)) for column in range(3)]
    for row in (header, *lines):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[3]]))


@cli.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply unsafe fixes: they may change behaviour callers rely on; review them.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print the changes as a unified diff and write nothing; exit 1 when there are any.",
)
@click.option(
    "--codemod",
    type=click.Choice(CODEMODS),
    help="Run a whole-project codemod instead of the rule fixes (migrate-context: the legacy "
    "state class to UserExecutionContext, configured in [tool.isolint.migrate-context]).",
)
@click.option("--select", help="Rule codes or prefixes whose fixes to apply (e.g. ISO105).")
@click.option("--ignore", help="Rule codes or prefixes whose fixes not to apply.")
@click.option("--extend-select", help="Rule codes or prefixes to enable on top of `select`.")
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply `exclude` to files named on the command line too (for pre-commit).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Use this pyproject.toml instead of the nearest one.",
)
@click.option("--no-cache", is_flag=True, help="Analyse every file afresh.")
@click.option(
    "--prove",
    is_flag=True,
    help="Keep only the fixes whose race test fails before the fix and passes after it "
    "(tried on a scratch copy; RUNS THE PROJECT'S CODE, as `isolint race run` does).",
)
@click.option(
    "--verbose",
    is_flag=True,
    help="With --codemod: list every remark (use left for a person), not one line per kind.",
)
@click.option(
    "--output-format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="With --codemod: json prints the changed files, every remark and the remarks by "
    "kind as one JSON object on stdout (with --diff, the diff too).",
)
def fix_command(
    paths: tuple[Path, ...],
    unsafe_fixes: bool,
    show_diff: bool,
    codemod: str | None,
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    force_exclude: bool,
    config_file: Path | None,
    no_cache: bool,
    prove: bool,
    verbose: bool,
    output_format: str,
) -> None:
    """Apply the fixes of the findings in PATHS (default: the current folder).

    Safe fixes are applied by default; unsafe ones only with --unsafe-fixes. A file is
    written only if the new code parses and the file did not change since it was read,
    and it is replaced atomically. Exit 0 when no finding is left, 1 when some are (or,
    with --diff, when there would be changes), 2 on errors.
    """
    from isolint.fix.runner import fix_project, migrate_context, unified_diff, write_changes

    targets = list(paths) or [Path(".")]
    missing = [str(path) for path in targets if not path.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    if output_format == "json" and codemod is None:
        fail("--output-format json is for --codemod")
    cwd = Path.cwd()
    try:
        settings = _settings(targets, config_file, select, ignore, extend_select)
        if force_exclude:
            targets = _not_force_excluded(targets, settings, {})
        if prove:
            from isolint.race.cli import prove_and_fix

            if codemod is not None:
                fail("--prove proves the rule fixes; it cannot be used with --codemod")
            use_cache = not no_cache
            sys.exit(
                prove_and_fix(
                    targets, settings, unsafe=unsafe_fixes, show_diff=show_diff, use_cache=use_cache
                )
            )
        if codemod is not None:
            outcome = None
            rewrite = migrate_context(targets, settings, cwd)
        else:
            outcome = fix_project(targets, settings, unsafe=unsafe_fixes, use_cache=not no_cache)
            rewrite = outcome.rewrite
    except ConfigError as error:
        fail(str(error))
    except Exception as error:  # never a traceback for the user; say what went wrong
        fail(f"internal error: {type(error).__name__}: {error} (please report this)")
    for problem in rewrite.problems:
        click.echo(f"isolint: {problem}", err=True)
    changed = rewrite.changed()
    json_report = output_format == "json"
    if not json_report:
        _write_remarks(rewrite.remarks, verbose)
    if show_diff:
        diff = unified_diff(rewrite, cwd)
        if json_report:
            _write_codemod_json(rewrite, cwd, [], diff)
        else:
            sys.stdout.write(diff)
        _summarise_fix(outcome, len(changed), written=False)
        sys.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
    not_written = write_changes(rewrite)
    for problem in not_written:
        click.echo(f"isolint: {problem}", err=True)
    if json_report:
        _write_codemod_json(rewrite, cwd, not_written, None)
    _summarise_fix(outcome, len(changed) - len(not_written), written=True)
    if not_written:
        sys.exit(EXIT_ERROR)
    if outcome is not None and outcome.remaining:
        write_text(outcome.remaining, Console(soft_wrap=True), outcome.files_checked)
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


def _write_remarks(remarks: Sequence[Remark], verbose: bool) -> None:
    """The codemod's remarks on stderr: every one with --verbose, else by kind."""
    from isolint.fix.remarks import group_remarks, summary_lines

    lines = (
        [str(remark) for remark in remarks] if verbose else summary_lines(group_remarks(remarks))
    )
    for line in lines:
        click.echo(f"isolint: {line}", err=True)


def _write_codemod_json(
    rewrite: Rewrite, cwd: Path, not_written: Sequence[str], diff: str | None
) -> None:
    from isolint.fix.remarks import codemod_report

    report = codemod_report(
        [display_path(path, cwd) for path in rewrite.changed()],
        rewrite.remarks,
        [*rewrite.problems, *not_written],
        diff,
    )
    click.echo(json.dumps(report, indent=2))


def _summarise_fix(outcome: FixOutcome | None, files: int, *, written: bool) -> None:
    """One line on stderr: what was (or would be) fixed and what is left."""
    verb = "fixed" if written else "would fix"
    noun = "file" if files == 1 else "files"
    if outcome is None:
        action = "migrated" if written else "would migrate"
        click.echo(f"isolint: {action} {files} {noun}", err=True)
        return
    fixed = len(outcome.fixed)
    line = f"isolint: {verb} {fixed} finding{'' if fixed == 1 else 's'} in {files} {noun}"
    line += f", {len(outcome.remaining)} remaining"
    unsafe = outcome.unsafe_available()
    if unsafe:
        line += f" ({unsafe} more fixable with --unsafe-fixes)"
    click.echo(line, err=True)


@cli.command("init")
@click.argument(
    "path", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
def init_command(path: Path, dry_run: bool) -> None:
    """Set up isolint in the project in PATH (default: the current folder).

    Finds the frameworks the project uses (its imports and dependencies, read, never
    imported), adds a starter [tool.isolint] to pyproject.toml (created if missing) and the
    isolint hook to .pre-commit-config.yaml. Existing text is never changed, only added to;
    a file that already has isolint's table or hook is left alone, so a second run changes
    nothing.
    """
    if not path.is_dir():
        fail(f"no such folder: {path}")
    try:
        frameworks = detect_frameworks(path)
        changes = plan_init(path, frameworks)
        if not dry_run:
            apply_init(changes)
    except ConfigError as error:
        fail(str(error))
    for line in init_report(frameworks, changes, dry_run=dry_run, cwd=Path.cwd()):
        click.echo(line)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def main() -> None:
    """The console script: run the command, then leave without freeing what it built.

    A check's project index is millions of small objects: freeing them one by one, and the
    interpreter's last collection walking them, cost about a second on a large project at
    every exit, for nothing (mypy leaves the same way). Output is flushed first; nothing
    isolint does needs the interpreter's clean-up (no exit hooks, the workers have ended).
    """
    try:
        cli()
    except SystemExit as leaving:
        _leave(leaving.code)


def _leave(code: object) -> None:
    """``sys.exit(code)``'s meaning (None is 0, a number is itself, anything else is printed
    and is 1), without the interpreter's clean-up."""
    if code is None:
        status = EXIT_CLEAN
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe or stream: nothing more can be said
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
