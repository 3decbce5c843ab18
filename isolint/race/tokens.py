"""Simulated users, their sentinel tokens, and finding those tokens inside observed objects.

Every simulated user carries a token such as ``isolint-u3-1f9c0a2b`` in its identity and its
payloads. A token is unique per user per round, so finding one user's token in what another
user observed is proof that data crossed between them, whatever path it took.
"""

from __future__ import annotations

import random
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Protocol

TOKEN_PATTERN = re.compile(r"isolint-u\d+-[0-9a-f]{8}")
_TOKEN_BYTES_PATTERN = re.compile(rb"isolint-u\d+-[0-9a-f]{8}")

# Bounds that keep a scan of an arbitrary object graph quick and finite.
MAX_SCAN_DEPTH = 16
MAX_SCAN_NODES = 50_000
_EXCERPT_WIDTH = 60

_ATOMIC_TYPES = (int, float, complex, bool, type(None), range)
# Code, not data: scanning them walks the whole program.
_OPAQUE_TYPES = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)


class SharedSpec(Protocol):
    """What snapshots and attribution need of a ``Shared``: the owner and the attribute."""

    @property
    def owner(self) -> object: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class SimulatedUser:
    """One simulated user of one round; its token doubles as its user id."""

    index: int
    token: str

    def text(self, label: str = "data") -> str:
        """A payload string carrying the token, e.g. ``data-isolint-u3-1f9c0a2b``."""
        return f"{label}-{self.token}"

    @property
    def label(self) -> str:
        """The short name used in logs: ``u3``."""
        return f"u{self.index}"


@dataclass(frozen=True)
class IssuedUser:
    """A user together with the phase and round that issued it (for messages)."""

    user: SimulatedUser
    phase: str
    round: int


class TokenRegistry:
    """Issues users with tokens that are unique within one ``assert_isolated`` call.

    Tokens come from a generator seeded by (seed, phase, round), so the same seed gives the
    same users whatever the earlier phases did: replaying a seed replays the round.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._issued: dict[str, IssuedUser] = {}

    def issue(self, phase: str, round_number: int, count: int) -> tuple[SimulatedUser, ...]:
        rng = random.Random(f"{self.seed}:{phase}:{round_number}:tokens")
        users = []
        for index in range(count):
            token = f"isolint-u{index}-{rng.getrandbits(32):08x}"
            while token in self._issued:
                token = f"isolint-u{index}-{rng.getrandbits(32):08x}"
            user = SimulatedUser(index, token)
            self._issued[token] = IssuedUser(user, phase, round_number)
            users.append(user)
        return tuple(users)

    def owner_of(self, token: str) -> IssuedUser | None:
        """The user this call issued ``token`` to, or None for a token from elsewhere."""
        return self._issued.get(token)


@dataclass(frozen=True)
class TokenHit:
    """A token found in an object: where (a Python-like path) and the text around it.

    ``text`` is the whole string the token sits in and ``chain`` the ids of the containers
    walked from the root to it: what attribution compares to link a leaked value to the
    shared object it came from (ids only mean something while both objects are alive).
    """

    token: str
    path: str
    excerpt: str
    text: str = ""
    chain: tuple[int, ...] = ()


def find_tokens(
    root: object,
    root_name: str = "result",
    *,
    skip_keyed: bool = False,
    max_nodes: int | None = None,
    max_chars: int | None = None,
    only: AbstractSet[str] | None = None,
) -> list[TokenHit]:
    """Every token inside ``root``, walking containers and objects' attributes.

    Strings and bytes are searched; numbers are ignored; dict keys and values, sequences,
    sets, objects' ``__dict__`` and ``__slots__`` are walked to a bounded depth, each object
    once (cycles are safe). With ``skip_keyed``, a mapping entry whose key carries a token is
    skipped whole: a holder keyed by user legitimately keeps several users' data.
    ``max_nodes`` lowers the bound on objects visited and ``max_chars`` bounds the text
    searched (for scans that run often); ``only`` limits the hits to those tokens, and lets
    a string without any of them be skipped with a plain substring test (much cheaper than
    the pattern on large text).
    """
    limit = MAX_SCAN_NODES if max_nodes is None else min(max_nodes, MAX_SCAN_NODES)
    hits: list[TokenHit] = []
    visited: set[int] = set()
    stack: list[tuple[object, str, int, tuple[int, ...]]] = [(root, root_name, 0, ())]
    nodes = 0
    while stack and nodes < limit:
        value, path, depth, chain = stack.pop()
        nodes += 1
        if isinstance(value, str):
            if only is None or any(token in value for token in only):
                found = _hits_in_text(value, path, chain)
                hits.extend(h for h in found if only is None or h.token in only)
            if max_chars is not None:
                max_chars -= len(value)
                if max_chars < 0:
                    break
            continue
        if isinstance(value, (bytes, bytearray, memoryview)):
            hits.extend(_hits_in_bytes(bytes(value), path, chain))
            continue
        if isinstance(value, (*_ATOMIC_TYPES, *_OPAQUE_TYPES)):
            continue
        if id(value) in visited or depth >= MAX_SCAN_DEPTH:
            continue
        visited.add(id(value))
        children = list(_children(value, path, skip_keyed=skip_keyed))
        inner = (*chain, id(value))
        # Reversed so that the first child is scanned first: hits come out in reading order.
        stack.extend(
            (child, child_path, depth + 1, inner) for child, child_path in reversed(children)
        )
    return hits


def find_tokens_in_exception(error: BaseException) -> list[TokenHit]:
    """Tokens in an exception: its message, its args and its attributes."""
    hits = _hits_in_text(_safe_str(error), "str(exception)")
    hits.extend(find_tokens(error.args, "exception.args"))
    attributes = getattr(error, "__dict__", None)
    if isinstance(attributes, dict):
        hits.extend(find_tokens(dict(attributes), "exception.__dict__"))
    return hits


def _children(value: object, path: str, *, skip_keyed: bool) -> Iterator[tuple[object, str]]:
    if isinstance(value, Mapping):
        for key, item in _mapping_items(value):
            if skip_keyed and (isinstance(key, str) and TOKEN_PATTERN.search(key)):
                continue
            yield key, f"{path} key {_short_repr(key)}"
            yield item, f"{path}[{_short_repr(key)}]"
    elif isinstance(value, (list, tuple, deque)) or (
        isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray, range))
    ):
        for index, item in enumerate(_snapshot_items(value)):
            yield item, f"{path}[{index}]"
    elif isinstance(value, (set, frozenset, AbstractSet)):
        for item in _snapshot_items(value):
            yield item, f"{path}{{{_short_repr(item)}}}"
    yield from _attributes(value, path)


def _attributes(value: object, path: str) -> Iterator[tuple[object, str]]:
    if isinstance(value, BaseException):
        yield value.args, f"{path}.args"
    try:
        attributes = getattr(value, "__dict__", None)
    except Exception:  # a proxy object whose attribute access fails: nothing to walk
        return
    if isinstance(attributes, dict):
        for name, item in _mapping_items(attributes):
            yield item, f"{path}.{name}"
    for name in slot_names(type(value)):
        item = getattr(value, name, _MISSING)
        if item is not _MISSING:
            yield item, f"{path}.{name}"


_MISSING = object()


def slot_names(cls: type) -> Iterator[str]:
    """The ``__slots__`` attributes of ``cls`` and its bases (not ``__dict__``/``__weakref__``)."""
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__"):
                yield name


def _mapping_items(mapping: Mapping[object, object]) -> list[tuple[object, object]]:
    # Another thread may still be writing (a driver that hung); retry, then give up quietly.
    for _ in range(3):
        try:
            return list(mapping.items())
        except RuntimeError:
            continue
        except Exception:
            return []
    return []


def _snapshot_items(values: Iterable[object]) -> list[object]:
    for _ in range(3):
        try:
            return list(values)
        except RuntimeError:
            continue
        except Exception:
            return []
    return []


def _hits_in_text(text: str, path: str, chain: tuple[int, ...] = ()) -> list[TokenHit]:
    return [
        TokenHit(m.group(), path, _excerpt(text, m.start(), m.end()), text, chain)
        for m in TOKEN_PATTERN.finditer(text)
    ]


def _hits_in_bytes(data: bytes, path: str, chain: tuple[int, ...]) -> list[TokenHit]:
    text = data.decode("latin-1")
    return [
        TokenHit(m.group().decode("ascii"), path, _excerpt(text, m.start(), m.end()), text, chain)
        for m in _TOKEN_BYTES_PATTERN.finditer(data)
    ]


def _excerpt(text: str, start: int, end: int) -> str:
    if len(text) <= _EXCERPT_WIDTH:
        return repr(text)
    margin = max(0, (_EXCERPT_WIDTH - (end - start)) // 2)
    left, right = max(0, start - margin), min(len(text), end + margin)
    return ("..." if left else "") + repr(text[left:right]) + ("..." if right < len(text) else "")


def _short_repr(value: object) -> str:
    text = _safe_repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"
