"""Attribution: which of the shared objects a test named carried the other user's data.

A generated test drives an entry point, and the oracles fail it on any cross-user leak seen
there; several findings on one path would all be "confirmed" by the first leak that shows up.
To keep a confirmation honest, the runtime asks where the leaked value sat: the named shared
objects are scanned (bounded, like the oracles' scans) right after every call returns, raises
or is cancelled, and once more when the proof is found, before any restore. A value consumed
by the time the leak shows (a reply popped from a pooled connection's buffer) was still seen
by the probe that ran when its owner's request was cancelled.

Holding the other user's token is not enough: a global written on every request (the last
user's id) holds it after that user's request, whatever path the leak took. A named object
carries a leak when it holds the leaked value itself:

- the very container the observer found the token in (same object, while both are alive), or
- the same string, or a string the observed one contains, that is more than the bare token
  (a user id alone is too common to link anything).

Corruption and residue have no observed value; for them holding the token is the rule.
The runtime adds two checks on top (``runtime``): a leak of a token issued in an earlier
round is never through a named object (those are restored before every round), and a leak
attributed in the sequential phase is replayed for its observer alone with the named objects
restored: if the same value still arrives at the same place, it came another way (a
singleton slot that holds each request's own run holds the observer's result too).
A known weakness: a named object that stores whole responses (a response cache) holds text
the leaked string contains, so it is linked even when the leak came through another object.

Three verdicts: ``through`` a named object (the path where the value sat, e.g.
``agent_platform.connections.pool._replies[0]``), ``elsewhere`` (none of the named objects
held it: the leak took another path), or ``unknown`` (the test named no shared object).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextvars import ContextVar
from dataclasses import dataclass, replace
from types import FunctionType, MethodType

from isolint.race.tokens import SharedSpec, TokenHit, find_tokens

ATTRIBUTED, ELSEWHERE, UNKNOWN = "attributed", "elsewhere", "unknown"

# A probe runs after every call, so it is kept much smaller than a detection-time scan,
# and probing stops once it has cost this share of the call's budget (a shared object that
# grew huge would otherwise eat the time the race needs).
PROBE_MAX_NODES = 5_000
PROBE_MAX_CHARS = 1_000_000
PROBE_BUDGET_SHARE = 0.05


@dataclass(frozen=True)
class Attribution:
    """Where the offending token sat. For ``ATTRIBUTED``, ``shared`` is the named object's
    dotted name (``pkg.connections.pool``) and ``through`` the path inside it where the token
    sat (``pkg.connections.pool._replies``)."""

    verdict: str
    shared: str | None = None
    through: str | None = None
    probes_stopped: bool = False  # the shared objects were too big to scan after every call
    replayed: bool = False  # a named object held it, but the leak recurred without them
    stale: bool = False  # the token was issued in an earlier round (restored since)

    def line(self) -> str:
        """The ``through:`` line of the failure message (without its indentation)."""
        if self.verdict == ATTRIBUTED:
            return f"through: {self.through}"
        if self.verdict == ELSEWHERE:
            if self.stale:
                return (
                    "through: none of the named shared objects (the token is from an earlier "
                    "round and they were restored since: the leak took another path)"
                )
            if self.replayed:
                return (
                    "through: none of the named shared objects (the observer, replayed alone "
                    "with them restored, still saw the value: the leak took another path)"
                )
            stopped = "; only scanned at the end, too big to scan after every call"
            return (
                "through: none of the named shared objects holds the token "
                f"(the leak took another path{stopped if self.probes_stopped else ''})"
            )
        return "through: unknown (the test names no shared object to attribute the leak to)"


@dataclass(frozen=True)
class _Root:
    """One named shared object: its dotted label and how to read its current value."""

    label: str
    owner: object
    name: str


class Attributor:
    """Scans the named shared objects for tokens and remembers where each token was seen."""

    def __init__(
        self, shared: Sequence[SharedSpec], *, budget: float = 4.0, only: bool = False
    ) -> None:
        # ``only``: the runtime counts only leaks these objects carried (see ``runtime``)
        self.only = only and bool(shared)
        self._roots = [_Root(f"{owner_name(s.owner)}.{s.name}", s.owner, s.name) for s in shared]
        self._sightings: list[tuple[str, TokenHit]] = []  # (label, hit), ids dropped
        self._seen: set[tuple[str, str]] = set()  # (path, text) of the sightings
        self._lock = threading.Lock()
        self._probe_allowance = budget * PROBE_BUDGET_SHARE
        self._probe_seconds = 0.0

    @property
    def probes_stopped(self) -> bool:
        return self._probe_seconds > self._probe_allowance

    def probe(self) -> None:
        """Record every token the named objects hold now (first place seen wins)."""
        if not self._roots or self.probes_stopped:
            return
        started = time.perf_counter()
        trace = sys.gettrace()
        sys.settrace(None)  # a gated thread's tracer must not step through the scan
        try:
            hits = self.scan(max_nodes=PROBE_MAX_NODES, max_chars=PROBE_MAX_CHARS)
        finally:
            sys.settrace(trace)
            with self._lock:
                self._probe_seconds += time.perf_counter() - started
        with self._lock:
            for label, hit in hits:
                if (hit.path, hit.text) not in self._seen:
                    self._seen.add((hit.path, hit.text))
                    # Container ids are dropped: those objects may be gone when it is read.
                    self._sightings.append((label, replace(hit, chain=())))

    def scan(
        self,
        *,
        max_nodes: int | None = None,
        max_chars: int | None = None,
        only: AbstractSet[str] | None = None,
    ) -> list[tuple[str, TokenHit]]:
        """Every token in the named objects now: the object's label and the hit."""
        hits: list[tuple[str, TokenHit]] = []
        for root in self._roots:
            value = getattr(root.owner, root.name, None)
            for part, path in _readable_parts(value, root.label):
                hits.extend(
                    (root.label, hit)
                    for hit in find_tokens(
                        part, path, max_nodes=max_nodes, max_chars=max_chars, only=only
                    )
                )
        return hits

    def attribute(self, tokens: Sequence[str], evidence: TokenHit | None = None) -> Attribution:
        """The named object that held the leaked value ``evidence`` (or, without one, any of
        ``tokens``): now (a full scan) or at an earlier probe."""
        if not self._roots:
            return Attribution(UNKNOWN)
        wanted = set(tokens)
        with self._lock:
            earlier = list(self._sightings)
        for label, hit in [*self.scan(only=wanted), *earlier]:
            if hit.token in wanted and (evidence is None or carries(hit, evidence)):
                return Attribution(ATTRIBUTED, label, hit.path)
        return Attribution(ELSEWHERE, probes_stopped=self.probes_stopped)

    def holder(self, holder_path: str) -> Attribution | None:
        """A request-scoped holder (``pkg.mod.local.attr``, ``ContextVar('user')``) that is,
        or sits inside, a named object."""
        for root in self._roots:
            if holder_path == root.label or holder_path.startswith(
                (f"{root.label}.", f"{root.label}[")
            ):
                return Attribution(ATTRIBUTED, root.label, holder_path)
            value = getattr(root.owner, root.name, None)
            if isinstance(value, ContextVar) and holder_path.startswith(
                f"ContextVar({value.name!r})"
            ):
                return Attribution(ATTRIBUTED, root.label, root.label)
        return None


def carries(held: TokenHit, observed: TokenHit) -> bool:
    """Whether a shared object's ``held`` hit is the ``observed`` leaked value (see above)."""
    if held.chain and set(held.chain) & set(observed.chain):
        return True
    if held.text.strip() == held.token:
        return False
    return held.text == observed.text or held.text in observed.text


def _readable_parts(value: object, label: str) -> Iterator[tuple[object, str]]:
    """What of a shared value the token scanner can read.

    The scanner treats classes and functions as code, so their data is handed to it here: a
    class's own attributes and its methods' defaults, a function's defaults, and the cache
    of an ``functools.lru_cache`` wrapper (reachable only through the garbage collector).
    A ``ContextVar`` is read in the current context (its default when unset there): the
    probe after each call runs in that call's context.
    """
    if isinstance(value, ContextVar):
        for current in _current_value(value):
            yield current, f"{label}.get()"
        return
    if isinstance(value, type):
        for name, attribute in list(vars(value).items()):
            function = _function_of(attribute)
            if function is not None:
                yield from _defaults(function, f"{label}.{name}")
            elif not (name.startswith("__") and name.endswith("__")):
                yield attribute, f"{label}.{name}"
        return
    function = _function_of(value)
    if function is not None:
        yield from _defaults(function, label)
        if _is_lru_cache(value):
            for referent in gc.get_referents(value):
                if isinstance(referent, dict):
                    yield referent, f"{label}.<cache>"
        return
    yield value, label


def _current_value(variable: ContextVar[object]) -> list[object]:
    """The variable's value here, else its default (``get(x)`` would return ``x`` instead)."""
    try:
        return [variable.get()]
    except LookupError:
        return []


def _function_of(value: object) -> FunctionType | None:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, MethodType):
        value = value.__func__
    if isinstance(value, FunctionType):
        return value
    wrapped = getattr(value, "__wrapped__", None) if _is_lru_cache(value) else None
    return wrapped if isinstance(wrapped, FunctionType) else None


def _is_lru_cache(value: object) -> bool:
    return callable(getattr(value, "cache_info", None)) and hasattr(value, "cache_clear")


def _defaults(function: FunctionType, label: str) -> Iterator[tuple[object, str]]:
    if function.__defaults__:
        yield function.__defaults__, f"{label}.__defaults__"
    if function.__kwdefaults__:
        yield function.__kwdefaults__, f"{label}.__kwdefaults__"


def owner_name(owner: object) -> str:
    """``pkg.module`` for a module (its ``__name__``), else the owner's type name."""
    name = getattr(owner, "__name__", None)
    return name if isinstance(name, str) else type(owner).__name__
