"""Which sources `isolint fix` and the codemods may hand to libcst in this process.

The rule fixes, the migrate-context codemod and the writer parse whole files with libcst in
the main process, where a crash of the native parser (a stack overflow on deeply nested
code) would end the run with nothing written or reported, and a pathological file could
keep it busy for minutes. So each source is first shown to CPython's parser, which answers
in milliseconds (see ``isolint.analysis.source``): a source CPython refuses outright (a parser
limit, a NUL byte) is never parsed; one it finds risky for libcst (deeply nested, huge) is
parsed once in an isolated worker process under the time budget, and only if that worker
survives in time is it parsed here. A file that would crash or hang the parser is therefore
skipped and reported by the caller, never written.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst

from isolint.analysis.source import decode_source, parse_risk, python_verdict
from isolint.isolation import Failure, crash_test_marker_in, run_isolated

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Unparsable:
    """Why a source must not be parsed here, and the line to report it at."""

    reason: str
    line: int = 1


def unsafe_to_parse(
    sources: Mapping[Key, str | bytes], budget: float, *, slow: bool = True
) -> dict[Key, Unparsable]:
    """The sources that must not be handed to libcst in this process, and why.

    Sources whose libcst parse merely fails (a syntax error) are not listed: parsing them
    here is safe, and the caller reports the error as it always has. ``slow=False`` tries
    only the sources the parser might crash on, not the merely huge ones: for sources known
    to parse within the budget (files whose analysis succeeded, and rewrites of them).
    """
    unsafe: dict[Key, Unparsable] = {}
    trials: list[Key] = []
    for key, source in sources.items():
        try:
            text = source if isinstance(source, str) else decode_source(source)
        except (UnicodeDecodeError, LookupError, SyntaxError):
            continue  # libcst refuses undecodable bytes without crashing
        verdict = python_verdict(text)
        if verdict.refusal is not None:
            message, span = verdict.refusal
            unsafe[key] = Unparsable(message, span.line if span is not None else 1)
        elif parse_risk(verdict, len(source), slow=slow) is not None or crash_test_marker_in(
            source
        ):
            trials.append(key)
    if trials:
        outcomes = run_isolated(
            trial_parse,
            [sources[key] for key in trials],
            workers=min(len(trials), os.cpu_count() or 1),
            budget=budget,
        )
        for key, outcome in zip(trials, outcomes, strict=True):
            if isinstance(outcome, Failure):
                unsafe[key] = Unparsable(_to_parse(outcome.reason))
    return unsafe


def trial_parse(source: str | bytes) -> bool:
    """Parse ``source`` with libcst (in a worker process); whether it parsed."""
    try:
        cst.parse_module(source)
    except Exception:  # a syntax error, or RecursionError: the caller sees it again, safely
        return False
    return True


def _to_parse(reason: str) -> str:
    return f"{reason} to parse" if reason.startswith("took longer than") else reason
