"""Text edits: applying a set of them to a file's text, and computing them from two texts.

An ``Edit`` addresses text by 1-based line and 1-based character column with an exclusive
end, so the same edit means the same place whatever the file's line endings. ``apply_edits``
is the one place that turns those positions into offsets; ``edits_between`` is the inverse,
for fixes that are easier to compute by transforming a syntax tree and diffing the code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from isolint.findings import Edit


class OverlappingEdits(ValueError):
    """Two edits of one set touch the same text, so no order of applying them is right."""

    def __init__(self, first: Edit, second: Edit) -> None:
        super().__init__(
            f"edits overlap: {_where(first)} and {_where(second)} replace the same text"
        )
        self.first = first
        self.second = second


class EditOutOfRange(ValueError):
    """An edit addresses a line or column the text does not have."""


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with every edit applied; edits are independent of the order they come in.

    Edits are sorted by position; insertions at the same point keep their given order, and
    an insertion at the end of a replacement follows it. Edits that overlap raise
    ``OverlappingEdits`` (nothing is applied). The position just past the last line (line
    ``count + 1``, column 1) addresses the end of the text, with or without a final newline.
    """
    line_starts = _line_starts(text)
    spans = [(_offset(text, line_starts, e.line, e.column, e), e) for e in edits]
    ends = [_offset(text, line_starts, e.end_line, e.end_column, e) for _, e in spans]
    located = sorted(
        ((start, end, edit) for (start, edit), end in zip(spans, ends, strict=True)),
        key=lambda item: (item[0], item[1]),
    )
    pieces: list[str] = []
    cursor = 0
    previous: Edit | None = None
    for start, end, edit in located:
        if end < start:
            raise EditOutOfRange(f"edit ends before it starts: {_where(edit)}")
        if start < cursor and previous is not None:  # previous is set once cursor moved
            raise OverlappingEdits(previous, edit)
        pieces.append(text[cursor:start])
        pieces.append(edit.content)
        cursor = end
        previous = edit
    pieces.append(text[cursor:])
    return "".join(pieces)


def edits_between(path: str, old_text: str, new_text: str) -> tuple[Edit, ...]:
    """A minimal set of whole-line edits that turns ``old_text`` into ``new_text``.

    Lines are compared with their line endings, so a changed ending is a changed line, and
    each differing block of lines becomes one edit from the start of its first line to the
    start of the line after it.
    """
    old_lines = split_lines(old_text)
    new_lines = split_lines(new_text)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    return tuple(
        Edit(path, first + 1, 1, last + 1, 1, "".join(new_lines[new_first:new_last]))
        for tag, first, last, new_first, new_last in matcher.get_opcodes()
        if tag != "equal"
    )


# Python ends lines at \n, \r\n and \r only; str.splitlines would also split at form
# feeds and other separators that may sit inside a line of code.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as Python counts them, each with its line ending."""
    return _LINE.findall(text)


def _line_starts(text: str) -> list[int]:
    """The offset where each line starts, plus one entry for the end of the text."""
    starts = [0]
    for line in split_lines(text):
        starts.append(starts[-1] + len(line))
    return starts


def _offset(text: str, line_starts: list[int], line: int, column: int, edit: Edit) -> int:
    if line == len(line_starts) and column == 1:
        return len(text)  # just past a last line that has no line ending
    if not 1 <= line < len(line_starts) or column < 1:
        raise EditOutOfRange(f"no such position in the text: {_where(edit)}")
    start, next_start = line_starts[line - 1], line_starts[line]
    offset = start + column - 1
    if offset > next_start:
        raise EditOutOfRange(f"column past the end of line {line}: {_where(edit)}")
    return offset


def _where(edit: Edit) -> str:
    return f"{edit.path}:{edit.line}:{edit.column}-{edit.end_line}:{edit.end_column}"
