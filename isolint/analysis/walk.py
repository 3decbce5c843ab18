"""A fast pre-order walk over a libcst tree that calls ``visit_<Type>``/``leave_<Type>``.

libcst's own ``node.visit(visitor)`` rebuilds every node it passes (it is shared with the
transformer machinery) and dispatches through string formatting per node; on real code it
costs almost as much as parsing. This walk reads children straight from each node type's
dataclass fields, skipping whitespace and punctuation, which is about ten times faster. It
also numbers every node in pre-order: that number is how facts point back at a node when
positions are computed later (see ``isolint.analysis.positions``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

_NOT_CHILDREN = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "equal",
        "colon",
        "dot",
        "star",
        "operator",
        "header",
        "footer",
        "leading_lines",
        "lines_after_decorators",
        "trailing_whitespace",
        "newline",
        "default_indent",
        "default_newline",
        "asynchronous",
        "encoding",
        "has_trailing_newline",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
_Handler = Callable[..., Any] | None
# per visitor class: node type -> (visit handler, leave handler, child fields)
_TABLES: dict[type, dict[type, tuple[_Handler, _Handler, tuple[str, ...]]]] = {}
_Visit = Callable[[cst.CSTNode, Any], None]


def child_fields(node_type: type) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = tuple(
            field.name
            for field in dataclasses.fields(node_type)
            if field.name not in _NOT_CHILDREN and not field.name.startswith("whitespace")
        )
        _FIELDS[node_type] = fields
    return fields


def _entry(visitor_type: type, node_type: type) -> tuple[_Handler, _Handler, tuple[str, ...]]:
    name = node_type.__name__
    return (
        getattr(visitor_type, f"visit_{name}", None),
        getattr(visitor_type, f"leave_{name}", None),
        child_fields(node_type),
    )


_IS_NODE: dict[type, bool] = {}


def _is_node(value_type: type) -> bool:
    known = _IS_NODE.get(value_type)
    if known is None:
        known = _IS_NODE[value_type] = issubclass(value_type, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """A node's child nodes, in source order, without whitespace and punctuation."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        value_type = type(value)
        if value_type is tuple or value_type is list:
            for item in value:
                if _is_node(type(item)):
                    yield item
        elif _is_node(value_type):
            yield value


def walk(root: cst.CSTNode, visitor: object | None = None) -> list[cst.CSTNode]:
    """Call the visitor's handlers in pre-order; return every node in that order.

    A node's index in the returned list is its pre-order number. A ``visit_*`` handler that
    returns False skips the node's children, as in libcst.
    """
    ordered: list[cst.CSTNode] = []
    append = ordered.append
    visitor_type = type(visitor)
    table = _TABLES.setdefault(visitor_type, {})

    # ``visit`` gets itself as an argument: a nested function that named itself would be a
    # reference cycle holding the whole tree until the garbage collector found it
    def visit(node: cst.CSTNode, visit: _Visit) -> None:
        append(node)
        node_type = type(node)
        entry = table.get(node_type)
        if entry is None:
            entry = table[node_type] = _entry(visitor_type, node_type)
        enter, leave, fields = entry
        if enter is None or enter(visitor, node) is not False:
            for name in fields:
                value = getattr(node, name)
                value_type = type(value)
                if value_type is tuple or value_type is list:
                    for item in value:
                        if _is_node(type(item)):
                            visit(item, visit)
                elif _is_node(value_type):
                    visit(value, visit)
        if leave is not None:
            leave(visitor, node)

    visit(root, visit)
    return ordered
