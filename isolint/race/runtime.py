"""``assert_isolated``: race one driver across simulated users and fail on proof of a leak.

This is the public face of the runtime that generated race tests import. It only uses the
standard library, because those tests run inside the user's project. The call:

1. snapshots the shared objects (restored in place between rounds and at the end);
2. runs the sequential phase, which also proves the driver works for one user alone
   (otherwise ``NotRunnable``);
3. runs the other phases that apply, cheapest first, each in its time box, and stops at the
   first confirmation of the round's own users (a leak of an earlier round's token is kept
   only in case nothing else shows up);
4. before restoring anything, attributes the confirmation: which named shared object held
   the offending token (``attribution``), then raises ``LeakDetected`` or
   ``CorruptionDetected`` with a message that names phase, round, users, token, the shared
   object it went through, the interleaving and the seed to replay.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TypeVar

from isolint.race.attribution import ATTRIBUTED, ELSEWHERE, Attribution, Attributor, owner_name
from isolint.race.execution import Driver, Observation, is_async_driver, probing
from isolint.race.gating import DEFAULT_STALL_SECONDS, MAX_STALL_SECONDS
from isolint.race.messages import SEED_VARIABLE, failure_message
from isolint.race.oracles import CORRUPTION, RESIDUE, Confirmation, judge, proofs
from isolint.race.phases import (
    ASYNC_PHASES,
    PHASE_ORDER,
    PHASES,
    POOL_REUSE,
    SEQUENTIAL,
    SYNC_PHASES,
    RaceContext,
    RoundRecord,
    run_alone,
)
from isolint.race.restore import StateSnapshot
from isolint.race.tokens import TokenRegistry, find_tokens

F = TypeVar("F", bound=Callable[..., object])


DEFAULT_BUDGET = 4.0
# Set (to 1) by `isolint fix --prove`: only a leak through a named shared object fails the
# test; leaks that took another path are passed over and the search goes on.
ATTRIBUTED_ONLY_VARIABLE = "ISOLINT_RACE_ATTRIBUTED_ONLY"


@dataclass(frozen=True)
class Shared:
    """A long-lived object the finding names: snapshotted before, restored in place after,
    scanned for residue, and its attribute/name used to gate threads."""

    owner: object
    name: str
    watch: str | None = None


class NotRunnable(Exception):
    """The call cannot run at all, even for one user alone; the test is then skipped."""


class _Detected(AssertionError):
    """A confirmation, with the seed that replays it."""

    def __init__(self, message: str, confirmation: Confirmation, seed: int) -> None:
        super().__init__(message)
        self.confirmation = confirmation
        self.seed = seed


class LeakDetected(_Detected):
    """One user's token reached another user's result, exception or request-scoped state."""


class CorruptionDetected(_Detected):
    """A call failed the way unsynchronised shared containers fail under concurrency."""


_ENTRIES: dict[str, Callable[..., object]] = {}


def entry(target: str) -> Callable[[F], F]:
    """Register a user-written driver for ``'pkg.module:function'``."""
    if ":" not in target:
        raise ValueError(f"entry target must look like 'pkg.module:function', got {target!r}")

    def register(driver: F) -> F:
        _ENTRIES[target] = driver
        return driver

    return register


def driver_for(target: str) -> Driver | None:
    """The driver registered with ``@entry(target)``, if any."""
    return _ENTRIES.get(target)


def assert_isolated(
    driver: Driver,
    *,
    shared: Sequence[Shared] = (),
    users: int = 3,
    phases: Sequence[str] | None = None,
    seed: int | None = None,
    budget: float = DEFAULT_BUDGET,
    overlapping_only: bool = False,
    attributed_only: bool | None = None,
) -> None:
    """Raise ``LeakDetected`` or ``CorruptionDetected`` when users' requests interfere.

    ``NotRunnable`` when the driver fails for one user alone, hangs, or the budget ends
    before any concurrent phase ran: a skip, never a silent pass. ``overlapping_only``
    judges only the phases where requests overlap, for a slot each request rebinds on a
    singleton (``self.state = state``): when requests run one after another the slot holds
    the observer's own request, so whatever reached the observer sits there too.
    ``attributed_only`` (default: ``ISOLINT_RACE_ATTRIBUTED_ONLY`` set to 1) counts only
    leaks through the ``shared`` objects: one fix is proven on a path that leaks elsewhere too.
    """
    if users < 2:
        raise ValueError("assert_isolated needs at least 2 users")
    unknown = [name for name in phases or () if name not in PHASES]
    if unknown:
        raise ValueError(f"unknown phase(s) {unknown}; known: {', '.join(PHASE_ORDER)}")
    seed = resolve_seed(seed)
    attributor = Attributor(shared, budget=budget, only=_attributed_only(attributed_only))
    is_async = is_async_driver(driver)
    context = RaceContext(
        driver=probing(driver, attributor.probe, is_async=is_async) if shared else driver,
        is_async=is_async,
        users=users,
        seed=seed,
        budget=budget,
        deadline=time.monotonic() + budget,
        registry=TokenRegistry(seed),
        watch_names=frozenset(item.watch or item.name for item in shared),
        request_scoped=list(_request_scoped_holders(shared)),
    )
    snapshot = StateSnapshot.take(shared)
    switch_interval = sys.getswitchinterval()
    trace = sys.gettrace()
    try:
        confirmation = _race(context, snapshot, phases, attributor, overlapping_only)
    finally:
        snapshot.restore()
        sys.setswitchinterval(switch_interval)
        if sys.gettrace() is not trace:
            sys.settrace(trace)
        for problem in snapshot.problems:
            warnings.warn(f"isolint race: {problem}", RuntimeWarning, stacklevel=2)
    if confirmation is not None:
        message = failure_message(confirmation, seed)
        if confirmation.kind == CORRUPTION:
            raise CorruptionDetected(message, confirmation, seed)
        raise LeakDetected(message, confirmation, seed)
    if context.failures:
        # Not proof of a leak, but worth a look: the calls worked alone and failed raced.
        failures = "\n  ".join(context.failures)
        warnings.warn(
            f"isolint race: no leak confirmed, but calls failed only when raced "
            f"(seed {seed}):\n  {failures}",
            RuntimeWarning,
            stacklevel=2,
        )


def _attributed_only(requested: bool | None) -> bool:
    if requested is not None:
        return requested
    return os.environ.get(ATTRIBUTED_ONLY_VARIABLE, "").strip() == "1"


def resolve_seed(seed: int | None) -> int:
    """The explicit seed, else ``ISOLINT_RACE_SEED``, else a fresh random one."""
    if seed is not None:
        return seed
    configured = os.environ.get(SEED_VARIABLE, "").strip()
    if configured:
        try:
            return int(configured)
        except ValueError:
            raise ValueError(f"{SEED_VARIABLE} must be an integer, got {configured!r}") from None
    return random.SystemRandom().randrange(2**32)


def _race(
    context: RaceContext,
    snapshot: StateSnapshot,
    requested: Sequence[str] | None,
    attributor: Attributor,
    overlapping_only: bool = False,
) -> Confirmation | None:
    sequential = _iterate_rounds(context, snapshot, SEQUENTIAL)
    record = next(sequential, None)
    if record is None:
        raise NotRunnable(f"the sequential phase did not run (budget {context.budget} s)")
    confirmation = _confirm(record, context, attributor)  # before the next restore
    sequential.close()
    if confirmation is not None and _judged(SEQUENTIAL, requested) and not overlapping_only:
        replayed = _replayed_without_shared(confirmation, record, context, snapshot)
        if not attributor.only or _is_attributed(replayed):
            return replayed
    _require_runnable(context, snapshot, record)
    context.is_async = context.is_async or any(o.awaited for o in record.observations)
    slowest = max(observation.seconds for observation in record.observations)
    context.stall = min(MAX_STALL_SECONDS, max(DEFAULT_STALL_SECONDS, 3 * slowest))
    concurrent_rounds = 0
    stale: Confirmation | None = None  # a leak left by an earlier round: kept, search goes on
    skipped = (POOL_REUSE,) if overlapping_only else ()
    for phase in _selected_phases(context, requested):
        if context.remaining() <= 0:
            break
        if phase in skipped:
            continue
        for round_record in _iterate_rounds(context, snapshot, phase):
            concurrent_rounds += 1
            if round_record.hung:
                raise NotRunnable(_hang_message(context, round_record))
            confirmation = _confirm(round_record, context, attributor)
            if confirmation is not None and not _is_stale(confirmation):
                return confirmation
            stale = stale or confirmation
            context.note_failures(round_record)
    if stale is not None:
        return stale
    if concurrent_rounds == 0:
        raise NotRunnable(
            f"no concurrent phase ran within the {context.budget} s budget; "
            "the race was not tried (raise the budget or make the driver faster)"
        )
    return None


def _is_attributed(confirmation: Confirmation) -> bool:
    attribution = confirmation.attribution
    return attribution is not None and attribution.verdict == ATTRIBUTED and not attribution.stale


def _is_stale(confirmation: Confirmation) -> bool:
    attribution = confirmation.attribution
    return attribution is not None and attribution.stale


def _replayed_without_shared(
    confirmation: Confirmation,
    record: RoundRecord,
    context: RaceContext,
    snapshot: StateSnapshot,
) -> Confirmation:
    """A sequential leak attributed to a named object, checked by replaying the observer
    alone with only the named objects restored: if the same value still reaches it at the
    same place, something else carried it (a singleton that keeps each request's own state
    holds the observer's result too, so holding the value is not proof there)."""
    attribution = confirmation.attribution
    evidence = confirmation.evidence
    if attribution is None or attribution.verdict != ATTRIBUTED or evidence is None:
        return confirmation
    observer = next(
        (o.user for o in record.observations if o.user.index == confirmation.observer_index),
        None,
    )
    if observer is None or context.remaining() <= 0:
        return confirmation
    snapshot.restore()
    replay = run_alone(context, observer)
    if not replay.finished or replay.error is not None:
        return confirmation
    hits = find_tokens(replay.result, "result", only={evidence.token})
    if not any(hit.path == evidence.path for hit in hits):
        return confirmation
    return replace(confirmation, attribution=Attribution(ELSEWHERE, replayed=True))


def _confirm(
    record: RoundRecord, context: RaceContext, attributor: Attributor
) -> Confirmation | None:
    """The oracles' proof in ``record``, attributed while the shared state is still as the
    round left it (the next round starts with a restore)."""
    if attributor.only:
        attributed = (_attributed(found, attributor) for found in proofs(record, context.registry))
        return next((found for found in attributed if _is_attributed(found)), None)
    confirmation = judge(record, context.registry)
    return None if confirmation is None else _attributed(confirmation, attributor)


def _attributed(confirmation: Confirmation, attributor: Attributor) -> Confirmation:
    """The confirmation with the named shared object that carried its token, if any.

    A token issued in an earlier round was left in state nobody restores: the named objects
    are restored before every round, so they cannot have carried it."""
    owner = confirmation.owner
    if owner is not None and owner.user not in confirmation.users:
        return replace(confirmation, attribution=Attribution(ELSEWHERE, stale=True))
    if confirmation.kind == RESIDUE:
        first_path = confirmation.where.split(", ")[0]
        holder = attributor.holder(first_path)
        if holder is not None:
            return replace(confirmation, attribution=holder)
    attribution = attributor.attribute(confirmation.offending_tokens(), confirmation.evidence)
    return replace(confirmation, attribution=attribution)


def _judged(phase: str, requested: Sequence[str] | None) -> bool:
    return requested is None or phase in requested


def _selected_phases(context: RaceContext, requested: Sequence[str] | None) -> list[str]:
    applicable = ASYNC_PHASES if context.is_async else SYNC_PHASES
    if requested is None:
        return [phase for phase in PHASE_ORDER if phase in applicable and phase != SEQUENTIAL]
    chosen = [phase for phase in PHASE_ORDER if phase in requested and phase != SEQUENTIAL]
    # Asyncio phases need an async driver; thread phases run async drivers on a loop each.
    return [phase for phase in chosen if context.is_async or phase in SYNC_PHASES]


def _iterate_rounds(
    context: RaceContext, snapshot: StateSnapshot, phase: str
) -> Generator[RoundRecord, None, None]:
    rounds = PHASES[phase](context)
    try:
        while True:
            snapshot.restore()  # every round starts from the state the test started with
            record = next(rounds, None)
            if record is None:
                return
            yield record
    finally:
        rounds.close()  # runs the phase's own clean-up (switch interval) on early exit


def _require_runnable(context: RaceContext, snapshot: StateSnapshot, record: RoundRecord) -> None:
    """NotRunnable unless every user's call worked alone (a later user may fail only after
    an earlier one: then it is run again alone before judging)."""
    for observation in record.observations:
        if not observation.finished:
            raise NotRunnable(_hang_message(context, record))
        if observation.error is None:
            continue
        failed = observation
        if observation.user.index > 0:
            snapshot.restore()
            failed = run_alone(context, observation.user)
            if failed.finished and failed.error is None:
                continue  # it failed only after another user's call: interference, judged later
        raise NotRunnable(_isolation_failure(failed))


def _isolation_failure(observation: Observation) -> str:
    error = observation.error
    if isinstance(error, NotRunnable):
        return str(error)
    if not observation.finished:
        return f"the driver did not finish for user {observation.user.index} alone"
    return (
        f"the driver failed for user {observation.user.index} ({observation.user.token}) "
        f"alone, so it cannot be raced: {type(error).__name__}: {error}"
    )


def _hang_message(context: RaceContext, record: RoundRecord) -> str:
    stuck = [o.user.label for o in record.observations if not o.finished]
    who = f" ({', '.join(stuck)} still running)" if stuck else ""
    return (
        f"the driver did not finish within the {context.budget} s budget in phase "
        f"{record.phase}, round {record.round}{who}; a call that blocks (a deadlock, a real "
        f"network call) cannot be raced, so the leak is not confirmed (seed {context.seed})"
    )


def _request_scoped_holders(shared: Sequence[Shared]) -> Iterable[tuple[str, object]]:
    """threading.local and ContextVar objects among the shared objects and their attributes."""
    for item in shared:
        value = getattr(item.owner, item.name, None)
        described = f"{owner_name(item.owner)}.{item.name}"
        if isinstance(value, (threading.local, ContextVar)):
            yield described, value
            continue
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            for name, attribute in list(attributes.items()):
                if isinstance(attribute, (threading.local, ContextVar)):
                    yield f"{described}.{name}", attribute
