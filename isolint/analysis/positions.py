"""Line and column numbers for facts, computed only for modules that have findings.

libcst computes positions by regenerating the whole module's code, which costs about twice
the parse; most modules never report anything, so the pass records node numbers only and
this module turns them into positions on demand (the result is cached with the facts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from isolint.analysis.facts import ModuleFacts, Span
from isolint.analysis.walk import walk


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


def resolve_positions(source: bytes, facts: ModuleFacts) -> bool:
    """Fill in line and column of every span in ``facts``; False if the source changed."""
    spans = list(unresolved_spans(facts))
    if not spans:
        return True
    try:
        module = cst.parse_module(source)
        ordered = walk(module)
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    for span in spans:
        if span.node >= len(ordered):
            return False
        code_range = positions.get(ordered[span.node])
        if code_range is None:
            continue
        span.line = code_range.start.line
        span.column = code_range.start.column + 1
        span.end_line = code_range.end.line
        span.end_column = code_range.end.column + 1
    return True
