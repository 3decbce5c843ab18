"""Line and column numbers for facts, computed only for modules that have findings.

libcst computes positions by regenerating the whole module's code, which costs about twice
the parse; most modules never report anything, so the pass records node numbers only and
this module turns them into positions on demand (the result is cached with the facts).

This runs in the main process, after the analysis: a module on which libcst's parser might
crash (see ``isolint.analysis.source.parse_risk``) is parsed in an isolated worker process,
so that a crash or a hang costs that module's positions, not the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider

from isolint.analysis.facts import ModuleFacts, Span
from isolint.analysis.source import decode_source, parse_module, parse_risk, python_verdict
from isolint.analysis.walk import walk
from isolint.config import DEFAULT_FILE_TIMEOUT
from isolint.isolation import Failure, crash_test_marker_in, run_isolated

# (line, column, end line, end column) of a node, 1-based columns; None when it has none
_Position = tuple[int, int, int, int] | None


def unresolved_spans(value: object) -> Iterator[Span]:
    """Every Span inside ``value`` (facts are plain dataclasses, lists and dicts)."""
    if isinstance(value, Span):
        if not value.resolved and value.node >= 0:
            yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from unresolved_spans(getattr(value, field.name))
    elif isinstance(value, list):
        for item in value:
            yield from unresolved_spans(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from unresolved_spans(item)


def resolve_positions(
    source: bytes, facts: ModuleFacts, *, budget: float = DEFAULT_FILE_TIMEOUT
) -> bool:
    """Fill in line and column of every span in ``facts``; False if the source changed or
    could not be parsed (within ``budget`` seconds, where it is parsed in isolation)."""
    spans = list(unresolved_spans(facts))
    if not spans:
        return True
    nodes = [span.node for span in spans]
    if _safe_here(source):
        positions = node_positions((source, nodes))
    else:
        (outcome,) = run_isolated(node_positions, [(source, nodes)], workers=1, budget=budget)
        positions = None if isinstance(outcome, Failure) else outcome
    return _fill_in(spans, positions)


def resolve_many_positions(
    modules: Sequence[tuple[bytes, ModuleFacts]], *, workers: int, budget: float
) -> list[bool | None]:
    """``resolve_positions`` for many modules at once, in ``workers`` processes: for a run
    that reports in many modules, the parsing is shared out instead of done one module at a
    time in this process. None for a module left to ``resolve_positions`` (one libcst's
    parser might crash on, which it parses alone)."""
    spans = [list(unresolved_spans(facts)) for _, facts in modules]
    chosen = [
        index for index, (source, _) in enumerate(modules) if spans[index] and _safe_here(source)
    ]
    jobs = [(modules[index][0], [span.node for span in spans[index]]) for index in chosen]
    outcomes = run_isolated(node_positions, jobs, workers=workers, budget=budget, cost=_job_size)
    done: list[bool | None] = [None if found else True for found in spans]
    for index, outcome in zip(chosen, outcomes, strict=True):
        positions = None if isinstance(outcome, Failure) else outcome
        done[index] = _fill_in(spans[index], positions)
    return done


def _job_size(job: tuple[bytes, list[int]]) -> int:
    return len(job[0])


def _fill_in(spans: list[Span], positions: list[_Position] | None) -> bool:
    if positions is None:
        return False
    for span, position in zip(spans, positions, strict=True):
        if position is not None:
            span.line, span.column, span.end_line, span.end_column = position
    return True


def node_positions(job: tuple[bytes, list[int]]) -> list[_Position] | None:
    """The positions of the nodes with these pre-order numbers; None if there are fewer
    nodes (the source changed) or it does not parse."""
    source, nodes = job
    try:
        module = parse_module(source)
        ordered = walk(module)
        positions = _syntactic_positions(module)
    except (cst.ParserSyntaxError, RecursionError):
        return None
    found: list[_Position] = []
    for node in nodes:
        if node >= len(ordered):
            return None
        code_range = positions.get(ordered[node])
        if code_range is None:
            found.append(None)
            continue
        start, end = code_range.start, code_range.end
        found.append((start.line, start.column + 1, end.line, end.column + 1))
    return found


def _syntactic_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """What ``MetadataWrapper(module).resolve(PositionProvider)`` answers, at half the cost:
    the provider's own pass over the generated code, without the wrapper's visit of the
    whole tree (which rebuilds every node, for providers this one does not depend on)."""
    provider = PositionProvider()
    provider._gen_impl(module)
    return cast(Mapping[cst.CSTNode, CodeRange], provider._computed)


def _safe_here(source: bytes) -> bool:
    """Whether libcst cannot crash on ``source`` (a module whose analysis succeeded: a huge
    one may be slow, but it was parsed within the budget already)."""
    try:
        verdict = python_verdict(decode_source(source))
    except (UnicodeDecodeError, LookupError, SyntaxError):
        return False
    return parse_risk(verdict, len(source), slow=False) is None and not crash_test_marker_in(source)
