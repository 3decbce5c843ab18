"""Small, allocation-light readers of libcst expressions shared by the module pass.

They answer questions such as "which names does this expression read?", "what is the dotted
access path of this target?" and "is this subscript key constant, per user or dynamic?".
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import libcst as cst

from isolint.analysis.facts import Access, Key
from isolint.analysis.walk import children as walk_children

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
        # mappings of the caching libraries (entries expire or are evicted: still shared)
        "TTLCache",
        "LRUCache",
        "LFUCache",
        "TLRUCache",
        "FIFOCache",
        "RRCache",
        "MRUCache",
        "ExpiringDict",
    }
)
_CONTAINER_MODULES = frozenset(
    {"collections", "weakref", "builtins", "typing", "cachetools", "expiringdict"}
)

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

# Mutating methods that hand nothing of the container back (``pop`` and ``setdefault``
# return an entry: they read as well).
WRITING_METHODS = MUTATING_METHODS - {
    "pop",
    "popitem",
    "popleft",
    "setdefault",
    "__getitem__",
    "__contains__",
}
KEYED_METHODS = frozenset({"setdefault", "pop", "__setitem__", "__delitem__"})

_UPPER_CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def names_an_identifier(name: str) -> bool:
    """``id``, ``pk``, ``run_id``: the name of a record's or a party's identifier."""
    return name in ("id", "pk") or name.endswith("_id")


def unparameterized(node: cst.BaseExpression) -> cst.BaseExpression:
    """The class a generic alias names: ``ContextVar`` for ``ContextVar[list[str]]`` (called
    as ``ContextVar[list[str]]("steps", default=[])``, it builds a ``ContextVar``)."""
    if type(node) is not cst.Subscript:
        return node
    value = node.value
    if type(value) is cst.Name:
        name = value.value
    elif type(value) is cst.Attribute:
        name = value.attr.value
    else:
        return node
    return value if name[:1].isupper() else node


def last_name(node: cst.BaseExpression) -> str | None:
    """The rightmost name of a callee or decorator: ``route`` for ``app.route(...)``."""
    if type(node) is cst.Call:
        node = node.func
    if type(node) is cst.Subscript:
        node = unparameterized(node)
    if type(node) is cst.Attribute:
        return node.attr.value
    if type(node) is cst.Name:
        return node.value
    return None


def access_of(
    node: cst.BaseExpression, matcher: UserKeyMatcher, user_names: AbstractSet[str] = frozenset()
) -> Access | None:
    """The Access for a Name/Attribute/Subscript chain, or None for anything else."""
    if type(node) is cst.Name:
        return Access(node.value)
    if type(node) is cst.Attribute:
        inner = access_of(node.value, matcher, user_names)
        if inner is not None and not inner.keys:
            inner.attrs.append(node.attr.value)
        return inner
    if type(node) is cst.Subscript:
        inner = access_of(node.value, matcher, user_names)
        if inner is not None:
            inner.keys.append(classify_subscript(node, matcher, user_names))
        return inner
    return None


def classify_subscript(
    node: cst.Subscript, matcher: UserKeyMatcher, user_names: AbstractSet[str] = frozenset()
) -> Key:
    """``x[k]`` and ``x[a, b]`` classify their key; a slice ``x[1:]`` counts as constant."""
    indexes = [e.slice.value for e in node.slice if type(e.slice) is cst.Index]
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
    roots, attributes = read_names(node)
    could_be_user = not roots.isdisjoint(user_names) or matcher.may_match(roots | attributes)
    if could_be_user and any(
        is_user_chain(chain, matcher, user_names) for chain in dotted_chains(node)
    ):
        return Key("user", text)
    if not HEADER_MAPPINGS.isdisjoint(attributes) and reads_credential_header(node):
        return Key("user", text)  # `request.headers["Authorization"]`: one entry per caller
    if is_constant(node):
        return Key("const", text)
    return Key("dynamic", text)


# A request's headers and cookies, by the names frameworks give them.
# The classes whose instances keep one set of attributes per thread.
THREAD_LOCAL_CLASSES = frozenset({"threading.local", "_threading_local.local"})
HEADER_MAPPINGS = frozenset({"headers", "META", "cookies", "COOKIES", "environ"})
# What names who is asking among a request's keys (a header, a cookie, a form field)...
CREDENTIAL_WORDS = ("authorization", "cookie", "api-key", "api_key", "x-user")
# ... and among its headers and cookies only, where a session or a token is the caller's.
_CREDENTIAL_HEADER_WORDS = (*CREDENTIAL_WORDS, "session", "token")


def reads_credential_header(value: cst.BaseExpression) -> bool:
    """The value reads a credential from the request's headers or cookies by name
    (``request.headers["Authorization"]``, ``request.COOKIES.get("sessionid")``): who is
    asking, as much as their user id is."""
    stack: list[cst.CSTNode] = [value]
    while stack:
        node = stack.pop()
        mapping: cst.BaseExpression | None = None
        key: cst.BaseExpression | None = None
        if type(node) is cst.Subscript and len(node.slice) == 1:
            index = node.slice[0].slice
            if type(index) is cst.Index:
                mapping, key = node.value, index.value
        elif type(node) is cst.Call and type(node.func) is cst.Attribute and node.args:
            if node.func.attr.value == "get":
                mapping, key = node.func.value, node.args[0].value
        if (
            type(mapping) is cst.Attribute
            and mapping.attr.value in HEADER_MAPPINGS
            and type(key) is cst.SimpleString
            and any(word in key.value.lower() for word in _CREDENTIAL_HEADER_WORDS)
        ):
            return True
        stack.extend(_children(node))
    return False


def is_user_chain(chain: str, matcher: UserKeyMatcher, user_names: AbstractSet[str]) -> bool:
    root = chain.split(".", 1)[0]
    if root in user_names:
        return True
    if root[:1].isupper() and "." in chain:
        return False  # ``Folder.user_id``: a class's column or constant, nobody's id
    return matcher.matches(chain)


def is_constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return True
    if type(node) is cst.Name:
        return node.value in ("None", "True", "False") or bool(_UPPER_CONSTANT.match(node.value))
    if type(node) is cst.Attribute:
        return bool(_UPPER_CONSTANT.match(node.attr.value))
    if type(node) is cst.Tuple:
        return all(is_constant(element.value) for element in node.elements)
    return False


def expression_text(node: cst.BaseExpression) -> str:
    """A short, stable text of a key expression, for messages and for matching a check."""
    dotted = dotted_name(node)
    if dotted is not None:
        return dotted
    if type(node) is cst.SimpleString:
        return node.value
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.value
    return cst.Module(body=[]).code_for_node(node)


def dotted_chains(node: cst.CSTNode) -> Iterator[str]:
    """Every maximal Name/Attribute chain read inside ``node`` (``request.user.id``, ``x``);
    a field read by its name counts as an attribute (``data["user_id"]``: ``data.user_id``)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Name or kind is cst.Attribute:
            dotted = dotted_name(current)  # type: ignore[arg-type]
            if dotted is not None:
                yield dotted
                continue
        elif kind is cst.Subscript:
            field = _field_name(current)  # type: ignore[arg-type]
            dotted = dotted_name(current.value) if field else None  # type: ignore[attr-defined]
            if dotted is not None:
                yield f"{dotted}.{field}"
                continue
        stack.extend(_children(current))


def _field_name(node: cst.Subscript) -> str:
    """``"user_id"`` for ``data["user_id"]``: a field named by a string that could be an
    attribute's name; empty for anything else (an index, a computed key, a class's name in
    ``Literal["Name"]``)."""
    if len(node.slice) != 1:
        return ""
    index = node.slice[0].slice
    if type(index) is not cst.Index or type(index.value) is not cst.SimpleString:
        return ""
    text = index.value.value.strip("\"'")
    return text if text.isidentifier() and not text[:1].isupper() else ""  # not `Literal["X"]`


def names_read(node: cst.CSTNode | None) -> set[str]:
    """Root names read by an expression (``a`` in ``a.b[c]`` and ``c`` too)."""
    return read_names(node)[0]


def read_names(node: cst.CSTNode | None) -> tuple[set[str], set[str]]:
    """(root names, attribute names) read by an expression, in one pass."""
    roots: set[str] = set()
    attributes: set[str] = set()
    if node is None:
        return roots, attributes
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Name:
            roots.add(current.value)  # type: ignore[attr-defined]
        elif kind is cst.Attribute:
            attribute = current.attr.value  # type: ignore[attr-defined]
            attributes.add(attribute)
            if attribute not in APPLICATION_ATTRIBUTES:
                stack.append(current.value)  # type: ignore[attr-defined]
        else:
            if kind is cst.Subscript:
                field = _field_name(current)  # type: ignore[arg-type]
                if field:
                    attributes.add(field)
            stack.extend(_children(current))
    return roots, attributes


# The application object hanging off a request or a task (``request.app``, ``self.app``):
# what is read through it is the application's configuration and state, the same for every
# request, so the request (or task) it hangs off is not what the value is computed from.
APPLICATION_ATTRIBUTES = frozenset({"app"})


def _call_children(node: cst.Call) -> list[cst.CSTNode]:
    return [node.func, *(arg.value for arg in node.args)]


def _subscript_children(node: cst.Subscript) -> list[cst.CSTNode]:
    children: list[cst.CSTNode] = [node.value]
    for subscript_element in node.slice:
        if type(subscript_element.slice) is cst.Index:
            children.append(subscript_element.slice.value)
    return children


def _dict_children(node: cst.Dict) -> list[cst.CSTNode]:
    items: list[cst.CSTNode] = []
    for element in node.elements:
        if type(element) is cst.DictElement:
            items.extend((element.key, element.value))
        else:
            items.append(element.value)
    return items


def _no_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    return []


_CHILDREN: dict[type, Callable[[Any], list[cst.CSTNode]]] = {
    cst.Call: _call_children,
    cst.Subscript: _subscript_children,
    cst.BinaryOperation: lambda node: [node.left, node.right],
    cst.BooleanOperation: lambda node: [node.left, node.right],
    cst.Comparison: lambda node: [node.left, *(c.comparator for c in node.comparisons)],
    cst.Tuple: lambda node: [element.value for element in node.elements],
    cst.List: lambda node: [element.value for element in node.elements],
    cst.Set: lambda node: [element.value for element in node.elements],
    cst.Dict: _dict_children,
    cst.FormattedString: lambda node: [
        part.expression for part in node.parts if type(part) is cst.FormattedStringExpression
    ],
    cst.Await: lambda node: [node.expression],
    cst.UnaryOperation: lambda node: [node.expression],
    cst.SimpleString: _no_children,
    cst.Integer: _no_children,
    cst.Float: _no_children,
    cst.Ellipsis: _no_children,
}


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Expression children by node type, without libcst's generic (slow) child visitor."""
    reader = _CHILDREN.get(type(node))
    if reader is not None:
        return reader(node)
    return [child for child in walk_children(node)]


def passed_arguments(call: cst.Call) -> list[str]:
    """The arguments a call passes a value for: positional indexes (as strings) and keyword
    names, leaving out those passed a literal ``None``; ``["*"]`` when it unpacks
    ``*args`` or ``**kwargs`` and so may pass anything."""
    passed: list[str] = []
    position = 0
    for arg in call.args:
        if arg.star:
            return ["*"]
        if arg.keyword is None:
            if not is_none(arg.value):
                passed.append(str(position))
            position += 1
        elif not is_none(arg.value):
            passed.append(arg.keyword.value)
    return passed


def is_none(node: cst.BaseExpression) -> bool:
    """The literal ``None``."""
    return type(node) is cst.Name and node.value == "None"


def container_type(node: cst.BaseExpression | None) -> str | None:
    """``dict`` for ``{}`` or ``defaultdict(list)``; None when not a mutable container."""
    if node is None:
        return None
    literal = CONTAINER_LITERALS.get(type(node))
    if literal is not None:
        return literal
    if type(node) is cst.Call:
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
        # the last name of every pattern: a chain can only match if it reads one of them
        self.components = frozenset(p.rsplit(".", 1)[-1] for p in patterns)
        self._any_glob = any(_has_glob(p) for p in patterns)
        self._exact = frozenset(p for p in patterns if not _has_glob(p))
        self._suffixes = tuple("." + p for p in patterns if not _has_glob(p))
        # `slack_user_id`, `discord_user.id`: the pattern behind a name's `_` prefix
        self._prefixed = tuple(
            "_" + p for p in patterns if not _has_glob(p) and ("_" in p or "." in p)
        )
        self._prefixed_components = tuple(
            "_" + c for c in self.components if "_" in c and not _has_glob(c)
        )
        self._globs = tuple(p for p in patterns if _has_glob(p))

    def may_match(self, names: AbstractSet[str]) -> bool:
        """False when no chain made of ``names`` can match: the cheap test first."""
        if self._any_glob or not self.components.isdisjoint(names):
            return True
        return any(name.endswith(self._prefixed_components) for name in names)

    def matches(self, chain: str) -> bool:
        """``user_id`` also matches ``slack_user_id``, and ``user.id`` ``discord_user.id``:
        a qualified name of the same id is still the user's."""
        if chain in self._exact or chain.endswith(self._suffixes):
            return True
        if chain.endswith(self._prefixed):
            return True
        return any(
            fnmatch.fnmatchcase(chain, glob) or fnmatch.fnmatchcase(chain, "*." + glob)
            for glob in self._globs
        )


def _has_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def formatted_parts(text: str) -> list[str]:
    """The values a key formats into fixed text: ``f"doc:{doc_id}"``, ``"doc:%s" % doc_id``,
    ``"doc:" + doc_id``; none for any other expression (a call, a tuple, a lone name)."""
    try:
        node = cst.parse_expression(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return []
    if type(node) is cst.FormattedString:
        return [
            expression_text(part.expression)
            for part in node.parts
            if type(part) is cst.FormattedStringExpression
        ]
    if type(node) is cst.BinaryOperation and type(node.left) is cst.SimpleString:
        if type(node.operator) is cst.Modulo:
            right = node.right
            if type(right) is cst.Tuple:
                return [expression_text(element.value) for element in right.elements]
            return [expression_text(right)]
        if type(node.operator) is cst.Add:
            return [expression_text(node.right)]
    return []
