"""Calling a driver for one user, sync or async, and running calls on daemon threads.

Every call made by the runtime happens on a daemon thread joined with a timeout: a driver
that blocks forever is abandoned (and reported), never allowed to hang the test run or the
interpreter's exit. ``concurrent.futures`` is not used for that reason: its workers are
joined at exit.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from isolint.race.tokens import SimulatedUser

Driver = Callable[[SimulatedUser], object] | Callable[[SimulatedUser], Awaitable[object]]


@dataclass
class Observation:
    """What one user observed in one round: the driver's result or the exception it raised."""

    user: SimulatedUser
    result: object = None
    error: BaseException | None = None
    finished: bool = False
    awaited: bool = False
    seconds: float = 0.0


def is_async_driver(driver: Driver) -> bool:
    # A callable object's async __call__ counts too; a sync def returning an awaitable is
    # recognised later, when the sequential phase sees what it returns.
    method = type(driver).__dict__.get("__call__")
    return inspect.iscoroutinefunction(driver) or inspect.iscoroutinefunction(method)


def call_driver(driver: Driver, observation: Observation) -> None:
    """Run the driver for ``observation.user`` in this thread (a fresh loop if it is async)."""
    started = time.perf_counter()
    try:
        outcome = driver(observation.user)
        if inspect.isawaitable(outcome):
            observation.awaited = True
            outcome = asyncio.run(_awaited(outcome))
        observation.result = outcome
    except BaseException as error:  # the oracle judges every exception, even SystemExit
        observation.error = error
    finally:
        observation.seconds = time.perf_counter() - started
        observation.finished = True


async def call_driver_async(driver: Driver, observation: Observation) -> None:
    """Await the driver for ``observation.user`` on the running loop."""
    try:
        outcome = driver(observation.user)
        if inspect.isawaitable(outcome):
            observation.awaited = True
            outcome = await outcome
        observation.result = outcome
    except BaseException as error:
        observation.error = error
    finally:
        observation.finished = True


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def probing(driver: Driver, probe: Callable[[], None], *, is_async: bool) -> Driver:
    """``driver``, calling ``probe`` once each call has returned, raised or been cancelled.

    The probe sees the shared state the call left behind before any other call runs on
    the same thread or loop (a cancelled request's reply still in a pooled buffer).
    """

    async def _probed(awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        finally:
            probe()

    if is_async:

        async def drive_async(user: SimulatedUser) -> object:
            return await _probed(driver(user))  # type: ignore[arg-type]

        return drive_async

    def drive(user: SimulatedUser) -> object:
        try:
            outcome = driver(user)
        except BaseException:
            probe()
            raise
        if inspect.isawaitable(outcome):
            return _probed(outcome)
        probe()
        return outcome

    return drive


def start_daemon(name: str, target: Callable[..., object], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread


def join_all(threads: list[threading.Thread], deadline: float) -> bool:
    """Join ``threads`` until ``deadline``; True when every one of them finished."""
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


class ReusedWorker:
    """One long-lived daemon worker thread running submitted calls one after another.

    It stands for a server's thread pool worker (``ThreadPoolExecutor(max_workers=1)``):
    whatever one task leaves in ``threading.local`` or the thread's context is still there
    for the next task.
    """

    def __init__(self, name: str) -> None:
        self._tasks: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = start_daemon(name, self._serve)

    def _serve(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            task()

    def run(self, action: Callable[[], None], deadline: float) -> bool:
        """Run ``action`` on the worker; False when it did not finish before ``deadline``."""
        done = threading.Event()

        def task() -> None:
            try:
                action()
            finally:
                done.set()

        self._tasks.put(task)
        return done.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        self._tasks.put(None)
