"""Small, allocation-light readers of libcst expressions shared by the module pass.

They answer questions such as "which names does this expression read?", "what is the dotted
access path of this target?" and "is this subscript key constant, per user or dynamic?".
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

import libcst as cst

from isolint.analysis.facts import Access, Key

CONTAINER_LITERALS: dict[type[cst.CSTNode], str] = {
    cst.List: "list",
    cst.Dict: "dict",
    cst.Set: "set",
    cst.ListComp: "list",
    cst.DictComp: "dict",
    cst.SetComp: "set",
}

CONTAINER_CONSTRUCTORS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "deque",
        "ChainMap",
        "WeakValueDictionary",
        "WeakKeyDictionary",
        "WeakSet",
    }
)
_CONTAINER_MODULES = frozenset({"collections", "weakref", "builtins", "typing"})

MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
        "appendleft",
        "extendleft",
        "popleft",
        "rotate",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "__setitem__",
        "__delitem__",
    }
)
KEYED_METHODS = frozenset({"setdefault", "pop", "__setitem__", "__delitem__"})

_UPPER_CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def last_name(node: cst.BaseExpression) -> str | None:
    """The rightmost name of a callee or decorator: ``route`` for ``app.route(...)``."""
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


def access_of(
    node: cst.BaseExpression, matcher: UserKeyMatcher, user_names: AbstractSet[str] = frozenset()
) -> Access | None:
    """The Access for a Name/Attribute/Subscript chain, or None for anything else."""
    if isinstance(node, cst.Name):
        return Access(node.value)
    if isinstance(node, cst.Attribute):
        inner = access_of(node.value, matcher, user_names)
        if inner is not None and not inner.keys:
            inner.attrs.append(node.attr.value)
        return inner
    if isinstance(node, cst.Subscript):
        inner = access_of(node.value, matcher, user_names)
        if inner is not None:
            inner.keys.append(classify_subscript(node, matcher, user_names))
        return inner
    return None


def classify_subscript(
    node: cst.Subscript, matcher: UserKeyMatcher, user_names: AbstractSet[str] = frozenset()
) -> Key:
    """``x[k]`` and ``x[a, b]`` classify their key; a slice ``x[1:]`` counts as constant."""
    indexes = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if len(indexes) != len(node.slice):
        return Key("const", "slice")
    keys = [classify_key(index, matcher, user_names) for index in indexes]
    text = ", ".join(key.text for key in keys)
    for kind in ("user", "dynamic"):
        if any(key.kind == kind for key in keys):
            return Key(kind, text)
    return Key("const", text)


def classify_key(
    node: cst.BaseExpression, matcher: UserKeyMatcher, user_names: AbstractSet[str] = frozenset()
) -> Key:
    """``user_names`` are locals already known to hold a user-scoped value (``key = (uid, p)``)."""
    text = expression_text(node)
    if any(is_user_chain(chain, matcher, user_names) for chain in dotted_chains(node)):
        return Key("user", text)
    if is_constant(node):
        return Key("const", text)
    return Key("dynamic", text)


def is_user_chain(chain: str, matcher: UserKeyMatcher, user_names: AbstractSet[str]) -> bool:
    return matcher.matches(chain) or chain.split(".", 1)[0] in user_names


def is_constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False") or bool(_UPPER_CONSTANT.match(node.value))
    if isinstance(node, cst.Attribute):
        return bool(_UPPER_CONSTANT.match(node.attr.value))
    if isinstance(node, cst.Tuple):
        return all(is_constant(element.value) for element in node.elements)
    return False


def expression_text(node: cst.BaseExpression) -> str:
    """A short, stable text of a key expression, for messages and for matching a check."""
    dotted = dotted_name(node)
    if dotted is not None:
        return dotted
    if isinstance(node, cst.SimpleString):
        return node.value
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.value
    return cst.Module(body=[]).code_for_node(node)


def dotted_chains(node: cst.CSTNode) -> Iterator[str]:
    """Every maximal Name/Attribute chain read inside ``node`` (``request.user.id``, ``x``)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Name, cst.Attribute)):
            dotted = dotted_name(current)
            if dotted is not None:
                yield dotted
                continue
        stack.extend(_children(current))


def names_read(node: cst.CSTNode | None) -> set[str]:
    """Root names read by an expression (``a`` in ``a.b[c]`` and ``c`` too)."""
    found: set[str] = set()
    if node is None:
        return found
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
        else:
            stack.extend(_children(current))
    return found


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Expression children without libcst's generic (slow) child visitor, where we can."""
    if isinstance(node, cst.Call):
        return [node.func, *(arg.value for arg in node.args)]
    if isinstance(node, cst.Subscript):
        children: list[cst.CSTNode] = [node.value]
        for subscript_element in node.slice:
            if isinstance(subscript_element.slice, cst.Index):
                children.append(subscript_element.slice.value)
        return children
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right]
    if isinstance(node, cst.BooleanOperation):
        return [node.left, node.right]
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return [element.value for element in node.elements]
    if isinstance(node, cst.Dict):
        items: list[cst.CSTNode] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                items.extend((element.key, element.value))
            else:
                items.append(element.value)
        return items
    if isinstance(node, cst.FormattedString):
        return [
            part.expression
            for part in node.parts
            if isinstance(part, cst.FormattedStringExpression)
        ]
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Ellipsis)):
        return []
    if isinstance(node, cst.Await):
        return [node.expression]
    if isinstance(node, cst.UnaryOperation):
        return [node.expression]
    return list(node.children)


def container_type(node: cst.BaseExpression | None) -> str | None:
    """``dict`` for ``{}`` or ``defaultdict(list)``; None when not a mutable container."""
    if node is None:
        return None
    literal = CONTAINER_LITERALS.get(type(node))
    if literal is not None:
        return literal
    if isinstance(node, cst.Call):
        dotted = dotted_name(node.func)
        if dotted is None:
            return None
        module, _, name = dotted.rpartition(".")
        if name in CONTAINER_CONSTRUCTORS and (not module or module in _CONTAINER_MODULES):
            return name
    return None


class UserKeyMatcher:
    """Decides whether a dotted chain identifies a user (``request.user.id`` ~ ``user.id``)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._exact = frozenset(p for p in patterns if not _has_glob(p))
        self._suffixes = tuple("." + p for p in patterns if not _has_glob(p))
        self._globs = tuple(p for p in patterns if _has_glob(p))

    def matches(self, chain: str) -> bool:
        if chain in self._exact or chain.endswith(self._suffixes):
            return True
        return any(
            fnmatch.fnmatchcase(chain, glob) or fnmatch.fnmatchcase(chain, "*." + glob)
            for glob in self._globs
        )


def _has_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")
