"""A fast pre-order walk over a libcst tree that calls ``visit_<Type>``/``leave_<Type>``.

libcst's own ``node.visit(visitor)`` rebuilds every node it passes (it is shared with the
transformer machinery) and dispatches through string formatting per node; on real code it
costs almost as much as parsing. This walk reads children straight from each node type's
dataclass fields, skipping whitespace and punctuation, which is about ten times faster. It
also numbers every node in pre-order: that number is how facts point back at a node when
positions are computed later (see ``isolint.analysis.positions``).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import typing
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

_NOT_CHILDREN = frozenset(
    {
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
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
# Per node type, the fields that can hold child nodes: (name, True for a sequence of nodes,
# False for one node or None or a sentinel, None for either a sequence or one node).
_Plan = tuple[tuple[str, bool | None], ...]
_PLANS: dict[type, _Plan] = {}
_Handler = Callable[..., Any] | None
# per visitor class: node type -> (visit handler, leave handler, child fields)
_TABLES: dict[type, dict[type, tuple[_Handler, _Handler, _Plan]]] = {}
_Visit = Callable[[cst.CSTNode, Any], None]


def _plan(node_type: type) -> _Plan:
    """The fields of a node type that can hold child nodes, in source order, each with how
    it holds them, read from libcst's field types: a ``str`` or ``bool`` field (a name's
    text, a flag) holds none, and punctuation and whitespace are skipped."""
    plan = _PLANS.get(node_type)
    if plan is None:
        plan = _PLANS[node_type] = tuple(
            (field.name, _holds_many(field.type))
            for field in dataclasses.fields(node_type)
            if field.name not in _NOT_CHILDREN
            and not field.name.startswith("whitespace")
            and field.type not in (str, bool, int)
        )
    return plan


def _holds_many(annotation: object) -> bool | None:
    """True for a sequence of nodes, False for a single node (or None or a sentinel), None
    when either may be there or the annotation is not one this reads (then the walk looks)."""
    origin = typing.get_origin(annotation)
    if origin is collections.abc.Sequence:
        return True
    if isinstance(annotation, type) or origin is typing.Literal:
        return False
    if origin is typing.Union:
        members = typing.get_args(annotation)
        if all(isinstance(member, type) for member in members):
            return False  # ``Optional[Name]``, ``Union[Name, Attribute]``
    return None  # ``from m import a, b`` or ``from m import *``; a forward reference


def _entry(visitor_type: type, node_type: type) -> tuple[_Handler, _Handler, _Plan]:
    name = node_type.__name__
    return (
        _handler(visitor_type, f"visit_{name}"),
        _handler(visitor_type, f"leave_{name}"),
        _plan(node_type),
    )


def _handler(visitor_type: type, name: str) -> _Handler:
    """The visitor's own handler called ``name``; None for libcst's do-nothing default,
    which a ``CSTVisitor`` subclass inherits for every node type (calling it for every node
    would cost a fifth of the walk)."""
    handler = getattr(visitor_type, name, None)
    if handler is not None and handler is getattr(cst.CSTVisitor, name, None):
        return None
    return handler


_IS_NODE: dict[type, bool] = {}


def _is_node(value_type: type) -> bool:
    known = _IS_NODE.get(value_type)
    if known is None:
        known = _IS_NODE[value_type] = issubclass(value_type, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """A node's child nodes, in source order, without whitespace and punctuation."""
    for name, many in _plan(type(node)):
        value = getattr(node, name)
        if many:
            yield from value
        elif _is_node(type(value)):
            yield value
        elif many is None and value:
            yield from value


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
        enter, leave, plan = entry
        if enter is None or enter(visitor, node) is not False:
            for name, many in plan:
                value = getattr(node, name)
                if many:
                    for item in value:
                        visit(item, visit)
                elif _is_node(type(value)):  # not None, not MaybeSentinel.DEFAULT
                    visit(value, visit)
                elif many is None and value:
                    for item in value:
                        visit(item, visit)
        if leave is not None:
            leave(visitor, node)

    visit(root, visit)
    return ordered
