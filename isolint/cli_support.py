"""What every command of the command line shares: exit codes, code lists, error exits.

Kept apart from cli.py so that command groups living elsewhere (``isolint race``) use the
same conventions without importing the main command module.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

# As ruff: 0 nothing found, 1 something found, 2 a usage, configuration or internal error.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def parse_codes(value: str | None) -> tuple[str, ...] | None:
    """``--select ISO1,iso301`` as ("ISO1", "ISO301"); None when not given."""
    if not value:
        return None
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def fail(message: str) -> NoReturn:
    """Print ``isolint: error: message`` on stderr and exit 2 (never a traceback)."""
    click.echo(f"isolint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)
