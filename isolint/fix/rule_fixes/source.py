"""One parsed file for the fixers: its tree, positions, parents, and the node a finding names.

A file is parsed once however many of its findings are fixed. Findings point at an exact
node (line, column, end line, end column, with 1-based columns), so the node is found by
its span rather than searched for again with the rule's own logic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from isolint.findings import Edit, Finding, Fix
from isolint.fix.edits import split_lines

NodeT = TypeVar("NodeT", bound=cst.CSTNode)
SpanKey = tuple[int, int, int, int]


@dataclass
class ParsedSource:
    """A file's text and tree, with the positions and parents of every node."""

    path: str
    text: str
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    _by_span: dict[SpanKey, list[cst.CSTNode]] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, path: str, text: str) -> ParsedSource:
        module = cst.parse_module(text)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        parents = wrapper.resolve(ParentNodeProvider)
        parsed = cls(path, text, module, positions, parents)
        parsed._lines = [line.rstrip("\r\n") for line in split_lines(text)]
        for node, code_range in positions.items():
            parsed._by_span.setdefault(_key(code_range), []).append(node)
        return parsed

    # -- finding the reported node -------------------------------------------------------

    def nodes_at(self, finding: Finding) -> list[cst.CSTNode]:
        """Every node whose extent is exactly the finding's span (outermost first)."""
        key = (finding.line, finding.column - 1, finding.end_line, finding.end_column - 1)
        return list(self._by_span.get(key, []))

    def node_at(self, finding: Finding, kind: type[NodeT]) -> NodeT | None:
        """The node of type ``kind`` at exactly the finding's span, if there is one."""
        for node in self.nodes_at(finding):
            if isinstance(node, kind):
                return node
        return None

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def enclosing(self, node: cst.CSTNode, kind: type[NodeT]) -> NodeT | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, kind):
                return ancestor
        return None

    # -- text and positions --------------------------------------------------------------

    @property
    def newline(self) -> str:
        return self.module.default_newline

    @property
    def indent_unit(self) -> str:
        return self.module.default_indent

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        """Line and 1-based column where ``node`` starts."""
        position = self.positions[node].start
        return position.line, position.column + 1

    def end(self, node: cst.CSTNode) -> tuple[int, int]:
        """Line and 1-based column just past ``node``."""
        position = self.positions[node].end
        return position.line, position.column + 1

    def indentation_of(self, node: cst.CSTNode) -> str:
        """The whitespace before ``node`` on its first line (the indent of a statement)."""
        line, column = self.start(node)
        return self.line_text(line)[: column - 1]

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line_text(self, line: int) -> str:
        return self._lines[line - 1] if 1 <= line <= len(self._lines) else ""

    def first_line_with_comments(self, statement: cst.CSTNode) -> int:
        """The first line of ``statement``, its decorators and the comments right above it.

        Blank lines above those comments are not counted: code inserted at this line goes
        after the blank separator and before the comments that describe the statement.
        """
        decorators = getattr(statement, "decorators", ())
        first: cst.CSTNode = decorators[0] if decorators else statement
        line, _ = self.start(first)
        comments = 0
        # a decorated definition keeps the lines above its first decorator in leading_lines
        for empty_line in reversed(getattr(statement, "leading_lines", ())):
            if empty_line.comment is None:
                break
            comments += 1
        return line - comments

    def replace(self, node: cst.CSTNode, content: str) -> Edit:
        """An edit replacing exactly the text of ``node``."""
        (line, column), (end_line, end_column) = self.start(node), self.end(node)
        return Edit(self.path, line, column, end_line, end_column, content)

    def insert_lines(self, before_line: int, lines: list[str]) -> Edit:
        """An edit inserting whole lines (without line endings) before line ``before_line``."""
        content = "".join(line + self.newline if line else self.newline for line in lines)
        return Edit(self.path, before_line, 1, before_line, 1, content)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


# A fixer turns one finding of its rule into a fix, or says None when it is not sure.
Fixer = Callable[[Finding, ParsedSource], Fix | None]


def _key(code_range: CodeRange) -> SpanKey:
    return (
        code_range.start.line,
        code_range.start.column,
        code_range.end.line,
        code_range.end.column,
    )
