"""The command line: click commands that parse options, call the engine, choose a reporter.

Exit codes (as ruff): 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from isolint import __version__
from isolint.config import ConfigError, with_cli_overrides
from isolint.engine import Settings, check, load_settings
from isolint.report.json_report import write_json
from isolint.report.text import write_text

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print findings.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
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
    exit_zero: bool,
    config_file: Path | None,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Check PATHS (default: the current folder) for state shared between users.

    isolint reads the files; it never imports or runs them.
    """
    targets = list(paths) or [Path(".")]
    missing = [str(path) for path in targets if not path.exists() and not path.is_symlink()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    try:
        settings = load_settings(targets, config_file)
        config = with_cli_overrides(
            settings.config, _codes(select), _codes(ignore), _codes(extend_select)
        )
        settings = Settings(config, settings.root)
        result = check(targets, settings, use_cache=not no_cache, jobs=jobs)
    except ConfigError as error:
        _fail(str(error))
    except Exception as error:  # never a traceback for the user; say what went wrong
        _fail(f"internal error: {type(error).__name__}: {error} (please report this)")
    if output_format == "json":
        write_json(result.findings, sys.stdout)
    else:
        write_text(result.findings, Console(soft_wrap=True), result.files_checked)
    code = EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN
    sys.exit(code)


def _fail(message: str) -> None:
    click.echo(f"isolint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def main() -> None:
    cli()
