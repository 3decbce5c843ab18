"""The phases: each one runs the driver for several users under one kind of interleaving.

A phase is a generator of rounds. Before each round the runtime restores the shared state;
after it the oracles judge the round; the first confirmation stops everything. Phases know
their own time box and stop early; none of them waits past the call's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import sys
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from types import SimpleNamespace

from isolint.race.execution import (
    Driver,
    Observation,
    ReusedWorker,
    call_driver,
    call_driver_async,
    join_all,
    start_daemon,
)
from isolint.race.gating import DEFAULT_STALL_SECONDS, AccessIndex, Gate, GateTracer, run_traced
from isolint.race.tokens import SimulatedUser, TokenRegistry

SEQUENTIAL = "sequential"
POOL_REUSE = "pool-reuse"
GATED_THREADS = "gated-threads"
FREE_THREADS = "free-threads"
ASYNCIO_FIFO = "asyncio-fifo"
ASYNCIO_REVERSED = "asyncio-reversed"
ASYNCIO_SEEDED = "asyncio-seeded"
CANCELLATION = "cancellation"

# Cheapest first: the deterministic phases (a few rounds each) before the time-boxed
# explorations (free threads, seeded asyncio orders), which spend what is left.
PHASE_ORDER = (
    SEQUENTIAL,
    POOL_REUSE,
    GATED_THREADS,
    FREE_THREADS,
    ASYNCIO_FIFO,
    ASYNCIO_REVERSED,
    CANCELLATION,
    ASYNCIO_SEEDED,
)
SYNC_PHASES = (SEQUENTIAL, POOL_REUSE, GATED_THREADS, FREE_THREADS)
ASYNC_PHASES = (
    SEQUENTIAL,
    POOL_REUSE,
    ASYNCIO_FIFO,
    ASYNCIO_REVERSED,
    CANCELLATION,
    ASYNCIO_SEEDED,
)

GATED_ROUNDS = 3
FREE_THREADS_MIN_THREADS = 4
FREE_THREADS_SWITCH_INTERVAL = 1e-6
FREE_THREADS_TIME_BOX = 1.0
# how long a round of threads that outlives the budget may still finish before it is a hang
HANG_GRACE_SECONDS = 0.3
ASYNCIO_SEEDED_ROUNDS = 256
ASYNCIO_MAX_START_DELAY = 3
CANCELLATION_MAX_TURNS = 8


@dataclass(frozen=True)
class Holder:
    """Request-scoped state seen after a round (a ContextVar or threading.local in a worker).

    ``path`` names the value in failure messages, e.g. ``app._trail`` for a local's
    attributes (then ``value`` is a namespace of them) or ``ContextVar('user')``.
    """

    description: str
    path: str
    value: object


@dataclass
class RoundRecord:
    """One round of one phase: who ran, what each observed, and how they interleaved."""

    phase: str
    round: int
    users: tuple[SimulatedUser, ...]
    observations: list[Observation]
    log: list[str] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    hung: bool = False


@dataclass
class RaceContext:
    """Everything a phase needs: the driver, users, seed, watched names and the clock."""

    driver: Driver
    is_async: bool
    users: int
    seed: int
    budget: float
    deadline: float
    registry: TokenRegistry
    watch_names: frozenset[str]
    request_scoped: list[tuple[str, object]]
    stall: float = DEFAULT_STALL_SECONDS
    failures: list[str] = field(default_factory=list)
    _failure_kinds: set[tuple[str, str]] = field(default_factory=set)
    access_index: AccessIndex = field(init=False)

    def __post_init__(self) -> None:
        self.access_index = AccessIndex(self.watch_names)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def time_box(self, share: float, cap: float) -> float:
        """A phase deadline: at most ``cap`` seconds and ``share`` of what is left."""
        return time.monotonic() + min(cap, self.remaining() * share)

    def note_failures(self, record: RoundRecord) -> None:
        """Remember, once per phase and exception type, a call that failed when raced."""
        for observation in record.observations:
            error = observation.error
            if error is None or isinstance(error, asyncio.CancelledError):
                continue
            kind = (record.phase, type(error).__name__)
            if kind in self._failure_kinds:
                continue
            self._failure_kinds.add(kind)
            self.failures.append(
                f"{record.phase} round {record.round}: user {observation.user.index} raised "
                f"{type(error).__name__}: {error}"
            )

    def rng(self, phase: str, round_number: int) -> random.Random:
        return random.Random(f"{self.seed}:{phase}:{round_number}:order")


Rounds = Generator[RoundRecord, None, None]
Phase = Callable[[RaceContext], Rounds]


def sequential(context: RaceContext) -> Rounds:
    """Each user alone, one after another, each on a fresh thread: proves the driver runs."""
    users = context.registry.issue(SEQUENTIAL, 0, context.users)
    record = RoundRecord(SEQUENTIAL, 0, users, [])
    for user in users:
        observation = Observation(user)
        record.observations.append(observation)
        thread = start_daemon("isolint-sequential", call_driver, context.driver, observation)
        if not join_all([thread], context.deadline):
            record.hung = True
            break
    record.log.append("users ran one after another: " + ", then ".join(u.label for u in users))
    yield record


def run_alone(context: RaceContext, user: SimulatedUser) -> Observation:
    """One user alone on a fresh thread (used to tell isolation failures from interference)."""
    observation = Observation(user)
    thread = start_daemon("isolint-alone", call_driver, context.driver, observation)
    join_all([thread], context.deadline)
    return observation


def pool_reuse(context: RaceContext) -> Rounds:
    """Users one after another on ONE reused worker thread, then its leftovers examined."""
    users = context.registry.issue(POOL_REUSE, 0, context.users)
    record = RoundRecord(POOL_REUSE, 0, users, [])
    worker = ReusedWorker("isolint-pool-worker")
    loop: list[asyncio.AbstractEventLoop] = []
    try:
        for user in users:
            observation = Observation(user)
            record.observations.append(observation)
            if not worker.run(_pool_task(context, observation, loop), context.deadline):
                record.hung = True
                break
        if not record.hung:
            worker.run(lambda: record.holders.extend(_worker_leftovers(context)), context.deadline)
            if loop:
                worker.run(loop[0].close, context.deadline)
    finally:
        worker.stop()
    record.log.append(
        "one reused worker thread ran "
        + ", then ".join(u.label for u in users)
        + (" on one event loop" if context.is_async else "")
    )
    yield record


def _pool_task(
    context: RaceContext, observation: Observation, loop: list[asyncio.AbstractEventLoop]
) -> Callable[[], None]:
    def task() -> None:
        if not context.is_async:
            call_driver(context.driver, observation)
            return
        if not loop:  # one long-lived loop per worker, like a server's
            loop.append(asyncio.new_event_loop())
        loop[0].run_until_complete(call_driver_async(context.driver, observation))

    return task


def _worker_leftovers(context: RaceContext) -> list[Holder]:
    """Request-scoped state the worker thread still holds once every request has finished."""
    holders = [
        Holder(
            f"ContextVar {variable.name!r} in the reused worker thread",
            f"ContextVar({variable.name!r})",
            value,
        )
        for variable, value in contextvars.copy_context().items()
    ]
    for path, holder in context.request_scoped:
        if isinstance(holder, threading.local):
            attributes = SimpleNamespace(**vars(holder))  # this thread's view of the local
            description = f"threading.local {path} in the reused worker thread"
            holders.append(Holder(description, path, attributes))
    return holders


def gated_threads(context: RaceContext) -> Rounds:
    """Fresh threads, each held before its first read of the watched name after its write."""
    if not context.watch_names:
        return
    phase_deadline = context.time_box(0.4, float("inf"))
    for round_number in range(GATED_ROUNDS):
        if time.monotonic() >= phase_deadline:
            return
        users = context.registry.issue(GATED_THREADS, round_number, context.users)
        gate = Gate([u.label for u in users], stall=context.stall, deadline=phase_deadline)
        record = RoundRecord(GATED_THREADS, round_number, users, [Observation(u) for u in users])
        barrier = threading.Barrier(len(users))
        threads = [
            start_daemon(
                f"isolint-gated-{slot}",
                _gated_call,
                context,
                barrier,
                GateTracer(gate, slot, context.access_index),
                observation,
            )
            for slot, observation in enumerate(record.observations)
        ]
        record.hung = not _joined(threads, context)
        names = ", ".join(f"`{name}`" for name in sorted(context.watch_names))
        record.log.append(f"{len(users)} threads gated on {names}")
        record.log.extend(gate.log)
        yield record
        if gate.stalled:  # the driver serialises itself (a lock): more rounds show nothing new
            return


def _joined(threads: list[threading.Thread], context: RaceContext) -> bool:
    """The round's threads all finished: by the budget's deadline or, for a round that
    started close to it and is still making progress, within a short grace. A call that
    blocks (a deadlock, a network call) still hangs past the grace; a round merely slowed by
    a busy machine (a lock handed around at a tiny switch interval) is not a hang."""
    return join_all(threads, context.deadline) or join_all(
        threads, time.monotonic() + HANG_GRACE_SECONDS
    )


def free_threads(context: RaceContext) -> Rounds:
    """Fresh threads released by a barrier with a tiny switch interval, for a time box."""
    count = max(context.users, FREE_THREADS_MIN_THREADS)
    phase_deadline = context.time_box(0.6, min(FREE_THREADS_TIME_BOX, context.budget * 0.25))
    previous = sys.getswitchinterval()
    sys.setswitchinterval(FREE_THREADS_SWITCH_INTERVAL)
    try:
        round_number = 0
        while round_number == 0 or time.monotonic() < phase_deadline:
            users = context.registry.issue(FREE_THREADS, round_number, count)
            record = RoundRecord(FREE_THREADS, round_number, users, [Observation(u) for u in users])
            barrier = threading.Barrier(count)
            threads = [
                start_daemon("isolint-free", _free_call, context, barrier, observation)
                for observation in record.observations
            ]
            record.hung = not _joined(threads, context)
            record.log.append(
                f"{count} free-running threads released together, switch interval "
                f"{FREE_THREADS_SWITCH_INTERVAL:g} s, round {round_number}"
            )
            yield record
            round_number += 1
    finally:
        sys.setswitchinterval(previous)


def _gated_call(
    context: RaceContext, barrier: threading.Barrier, tracer: GateTracer, observation: Observation
) -> None:
    _wait_at(barrier, context.deadline)
    run_traced(tracer, lambda: call_driver(context.driver, observation))


def _free_call(context: RaceContext, barrier: threading.Barrier, observation: Observation) -> None:
    _wait_at(barrier, context.deadline)
    call_driver(context.driver, observation)


def _wait_at(barrier: threading.Barrier, deadline: float) -> None:
    # A sibling that failed to start breaks the barrier: run anyway rather than hang.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(max(0.001, deadline - time.monotonic()))


def asyncio_fifo(context: RaceContext) -> Rounds:
    """All users as tasks on one loop, released together, started in index order."""
    yield _asyncio_round(context, ASYNCIO_FIFO, 0, lambda users, _: [(u, 0) for u in users])


def asyncio_reversed(context: RaceContext) -> Rounds:
    """All users as tasks on one loop, released together, started in reverse order."""
    yield _asyncio_round(
        context, ASYNCIO_REVERSED, 0, lambda users, _: [(u, 0) for u in reversed(users)]
    )


def asyncio_seeded(context: RaceContext) -> Rounds:
    """Seeded orders: a shuffled start and a few loop turns of delay per task, per round."""
    phase_deadline = context.time_box(0.9, min(1.0, context.budget * 0.25))
    for round_number in range(ASYNCIO_SEEDED_ROUNDS):
        if round_number and time.monotonic() >= phase_deadline:
            return
        yield _asyncio_round(context, ASYNCIO_SEEDED, round_number, _seeded_order)


def _seeded_order(
    users: tuple[SimulatedUser, ...], rng: random.Random
) -> list[tuple[SimulatedUser, int]]:
    order = list(users)
    rng.shuffle(order)
    return [(user, rng.randint(0, ASYNCIO_MAX_START_DELAY)) for user in order]


OrderPlan = Callable[[tuple[SimulatedUser, ...], random.Random], list[tuple[SimulatedUser, int]]]


def _asyncio_round(
    context: RaceContext, phase: str, round_number: int, plan: OrderPlan
) -> RoundRecord:
    users = context.registry.issue(phase, round_number, context.users)
    starts = plan(users, context.rng(phase, round_number))
    observations = {user.index: Observation(user) for user in users}
    record = RoundRecord(phase, round_number, users, [observations[u.index] for u in users])
    finish_order: list[str] = []
    start_text = ", ".join(f"{u.label}+{turns}" for u, turns in starts)
    record.log.append(f"tasks started in order {start_text} (+n: loop turns before the call)")

    async def one(user: SimulatedUser, turns: int, release: asyncio.Event) -> None:
        await release.wait()
        for _ in range(turns):
            await asyncio.sleep(0)
        await call_driver_async(context.driver, observations[user.index])
        finish_order.append(user.label)

    async def main() -> None:
        release = asyncio.Event()
        tasks = [asyncio.ensure_future(one(user, turns, release)) for user, turns in starts]
        release.set()
        _, pending = await asyncio.wait(tasks, timeout=context.remaining())
        for task in pending:
            task.cancel()
        record.hung = bool(pending)

    thread = start_daemon(f"isolint-{phase}", asyncio.run, main())
    if not join_all([thread], context.deadline):
        record.hung = True
    record.log.append("finished in order " + ", ".join(finish_order))
    return record


def cancellation(context: RaceContext) -> Rounds:
    """Cancel A after k = 0..8 loop turns, then run B on the same loop: B must not see A."""
    for turns in range(CANCELLATION_MAX_TURNS + 1):
        if turns and context.remaining() <= 0:
            return
        record, finished_early = _cancellation_round(context, turns)
        yield record
        if finished_early:  # A completes within k turns: larger k cancel nothing
            return


def _cancellation_round(context: RaceContext, turns: int) -> tuple[RoundRecord, bool]:
    victim, observer = context.registry.issue(CANCELLATION, turns, 2)
    cancelled = Observation(victim)
    observed = Observation(observer)
    record = RoundRecord(CANCELLATION, turns, (victim, observer), [observed])
    finished_early: list[bool] = [False]

    async def main() -> None:
        task = asyncio.ensure_future(call_driver_async(context.driver, cancelled))
        for _ in range(turns):
            await asyncio.sleep(0)
        if task.done():
            finished_early[0] = True
            record.log.append(f"{victim.label} finished within {turns} loop turns")
        else:
            task.cancel()
            await asyncio.wait([task])
            record.log.append(f"{victim.label} cancelled after {turns} loop turns")
        await asyncio.wait_for(call_driver_async(context.driver, observed), context.remaining())
        record.log.append(f"then {observer.label} ran on the same loop")

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException:  # a timeout: reported as a hang below
            record.hung = True

    thread = start_daemon("isolint-cancellation", run)
    if not join_all([thread], context.deadline):
        record.hung = True
    return record, finished_early[0]


PHASES: dict[str, Phase] = {
    SEQUENTIAL: sequential,
    POOL_REUSE: pool_reuse,
    GATED_THREADS: gated_threads,
    FREE_THREADS: free_threads,
    ASYNCIO_FIFO: asyncio_fifo,
    ASYNCIO_REVERSED: asyncio_reversed,
    ASYNCIO_SEEDED: asyncio_seeded,
    CANCELLATION: cancellation,
}
