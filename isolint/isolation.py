"""Work that may crash or hang, run in worker processes so that it costs one input, not the run.

libcst's parser is native code: on pathological input it can overflow its stack (the process
dies of a signal, with no Python exception to catch) or take minutes. ``run_isolated`` runs a
task on each input in worker processes it supervises itself: a worker that dies is replaced
and the input it was working on is reported as a ``Failure`` naming the signal, a worker that
runs over the per-input time budget is killed and its input reported as timed out, and the
other inputs go on. (``concurrent.futures`` cannot do this: its pool is broken for good once
one worker dies, and it cannot stop one task that runs too long.)

Each worker gets a few inputs in one message (one round trip per batch instead of per input,
which kept workers waiting on the supervisor) and answers them one by one, in order: what it
was working on when it died is the first input not answered yet, and the rest of its batch
goes back to the queue. The supervisor sends a batch only when the last one is answered, so
neither side ever blocks writing to a pipe the other is not reading.

The budget is processor time where the system tells it (Linux, through ``/proc``): on a busy
machine a file that needs 3 s of work may take 20 s of wall-clock time, and reporting it as
timed out would make results depend on the load. A worker that makes no progress at all
(swapping, stopped) is still killed after ``_WALL_FACTOR`` times the budget of wall-clock
time. Elsewhere the budget is wall-clock time.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# How long the workers get to leave on their own at the end before they are killed.
_GOODBYE_SECONDS = 2.0

# A worker using less processor time than the budget is killed after this many budgets of
# wall-clock time all the same.
_WALL_FACTOR = 5

# At most this many inputs per message to a worker (fewer near the end, so that the
# workers finish together).
_MAX_BATCH = 8

# A worker whose memory grew by more than this since it started leaves after answering its
# batch, and a fresh one takes its place: memory a big input left fragmented in a worker
# would otherwise stay taken, next to the supervisor's growing results, until the end.
_RETIRE_AFTER_GROWTH = 96 * 1024 * 1024

# A worker collects cyclic garbage between inputs, once every this many (see _worker_main).
_COLLECT_EVERY = 32

# A test double for a crash of native code: when this environment variable holds a marker,
# a worker given an input that contains the marker kills itself with SIGSEGV, as libcst's
# parser does when its stack overflows. Callers that choose between parsing in their own
# process and here send such inputs here (``crash_test_marker_in``). Only the tests set it.
CRASH_TEST_VARIABLE = "ISOLINT_TEST_CRASH_MARKER"


@dataclass(frozen=True)
class Failure:
    """Why an input has no result: its worker crashed, ran out of time, or the task raised."""

    reason: str


def budget_text(budget: float) -> str:
    """A time budget as people write it: ``10 s``, ``0.5 s``."""
    return f"{budget:g} s"


def crash_reason(exitcode: int | None) -> str:
    """What a worker's exit code says about how it ended."""
    if exitcode is not None and exitcode < 0:
        return f"the parser crashed (signal {-exitcode}{_signal_name(-exitcode)})"
    return f"the parser's process ended unexpectedly (exit code {exitcode})"


def timeout_reason(budget: float) -> str:
    return f"took longer than {budget_text(budget)}"


def crash_test_marker_in(item: object) -> bool:
    """Whether the tests asked for a native crash on this input (see CRASH_TEST_VARIABLE):
    a text or bytes input, or a tuple holding one, that contains the marker."""
    marker = os.environ.get(CRASH_TEST_VARIABLE)
    if not marker:
        return False
    if isinstance(item, tuple):
        return any(crash_test_marker_in(part) for part in item)
    if isinstance(item, str):
        return marker in item
    return isinstance(item, bytes) and marker.encode() in item


def _signal_name(number: int) -> str:
    try:
        return f", {signal.Signals(number).name}"
    except ValueError:
        return ""


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    # the inputs sent and not answered yet, in order: the first is being worked on
    pending: deque[int] = field(default_factory=deque)
    # since when the first pending input is worked on (time.monotonic()), the worker's
    # processor time then (None where the system does not tell), and when to look again
    started: float = 0.0
    cpu_at_start: float | None = None
    check_at: float = 0.0
    # the worker said it leaves once its batch is answered
    retiring: bool = False


@dataclass
class _Run(Generic[Item, Result]):
    task: Callable[[Item], Result]
    items: Sequence[Item]
    budget: float
    initializer: Callable[..., None] | None
    initargs: tuple[Any, ...]
    on_done: Callable[[int], None] | None
    results: list[Result | Failure | None] = field(default_factory=list)
    queue: deque[int] = field(default_factory=deque)
    done: int = 0


def run_isolated(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    workers: int,
    budget: float,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    on_done: Callable[[int], None] | None = None,
    cost: Callable[[Item], int] | None = None,
) -> list[Result | Failure]:
    """``task(item)`` for each item, in order, each computed in a worker process.

    An item whose worker dies, runs longer than ``budget`` seconds, or whose task raises
    gets a ``Failure`` instead of a result. ``initializer(*initargs)`` runs once in each
    worker (and again in a replacement). ``task`` and ``initializer`` must be module-level
    functions, and items and results picklable. ``on_done(n)`` is called after the n-th
    item is finished. With ``cost``, the costliest items are handed out first, so that no
    worker is left with a big one while the others have finished (results keep the order of
    ``items``).
    """
    run: _Run[Item, Result] = _Run(task, items, budget, initializer, initargs, on_done)
    run.results = [None] * len(items)
    order = range(len(items))
    run.queue.extend(sorted(order, key=lambda i: -cost(items[i])) if cost else order)
    if not items:
        return []
    context = _context()
    pool = [_start(context, run) for _ in range(max(1, min(workers, len(items))))]
    try:
        while run.done < len(items):
            for worker in pool:
                if not worker.pending and not worker.retiring and run.queue:
                    _assign(worker, run, len(pool))
            _wait_for_news(pool)
            alive = [worker for worker in pool if _collect(worker, run)]
            # a dead or killed worker is replaced by a fresh one while there is work left
            fresh = min(len(pool) - len(alive), len(run.queue))
            pool = alive + [_start(context, run) for _ in range(fresh)]
    finally:
        _stop(pool)
    return [result if result is not None else Failure("not run") for result in run.results]


def _context() -> multiprocessing.context.BaseContext:
    """Forked workers where that is safe (Linux): they start in milliseconds with libcst
    already imported. Elsewhere the platform's default (spawn)."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _start(context: multiprocessing.context.BaseContext, run: _Run[Any, Any]) -> _Worker:
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(  # type: ignore[attr-defined]
        target=_worker_main,
        args=(theirs, run.task, run.initializer, run.initargs),
        daemon=True,
        name="isolint-worker",
    )
    process.start()
    theirs.close()
    return _Worker(process, ours)


def _assign(worker: _Worker, run: _Run[Any, Any], workers: int) -> None:
    size = max(1, min(_MAX_BATCH, len(run.queue) // (2 * workers)))
    batch = [run.queue.popleft() for _ in range(min(size, len(run.queue)))]
    worker.pending.extend(batch)
    _start_clock(worker, run.budget)
    # if the worker is gone, _collect sees it die and reports the input
    with contextlib.suppress(OSError, ValueError):
        worker.connection.send([(index, run.items[index]) for index in batch])


def _start_clock(worker: _Worker, budget: float) -> None:
    """The first pending input's budget starts now."""
    worker.started = time.monotonic()
    worker.cpu_at_start = _cpu_seconds(worker.process.pid)
    worker.check_at = worker.started + budget


def _wait_for_news(pool: list[_Worker]) -> None:
    """Sleep until a worker answers or dies, or it is time to look at one's budget."""
    busy = [worker for worker in pool if worker.pending]
    if not busy:
        return
    deadline = min(worker.check_at for worker in busy)
    waitables: list[Any] = [worker.connection for worker in busy]
    waitables += [worker.process.sentinel for worker in busy]
    multiprocessing.connection.wait(waitables, timeout=max(0.0, deadline - time.monotonic()))


def _collect(worker: _Worker, run: _Run[Any, Any]) -> bool:
    """Take the worker's answers if it has some; False when the worker is dead (or was
    killed for running over the budget) and must be replaced."""
    if not worker.pending:
        return worker.process.is_alive()
    try:
        # answers a worker sent before it died are still in the pipe: take them all first
        while worker.pending and worker.connection.poll():
            index, (kind, value), retiring = worker.connection.recv()
            worker.pending.popleft()
            worker.retiring = retiring
            _finish(run, index, value if kind == "ok" else Failure(value))
            if worker.pending:
                _start_clock(worker, run.budget)
    except (EOFError, OSError):
        pass  # the pipe broke: the worker died while answering
    if not worker.pending:
        if worker.retiring:  # it leaves on its own; a fresh one takes its place
            _stop([worker])
            return False
        return True
    if not worker.process.is_alive():
        worker.process.join()
        _give_up(worker, run, Failure(crash_reason(worker.process.exitcode)))
        return False
    if _over_budget(worker, run.budget):
        worker.process.kill()
        worker.process.join()
        _give_up(worker, run, Failure(timeout_reason(run.budget)))
        return False
    return True


def _give_up(worker: _Worker, run: _Run[Any, Any], failure: Failure) -> None:
    """The worker is gone: its current input fails, the rest of its batch is queued again."""
    _finish(run, worker.pending.popleft(), failure)
    run.queue.extendleft(reversed(worker.pending))
    worker.pending.clear()
    _close(worker)


def _over_budget(worker: _Worker, budget: float) -> bool:
    """Whether the worker has spent the budget on its input; if not, ``check_at`` is set to
    the earliest moment it could have."""
    now = time.monotonic()
    if now < worker.check_at:
        return False
    hard_limit = worker.started + budget * _WALL_FACTOR
    cpu_now = _cpu_seconds(worker.process.pid)
    if worker.cpu_at_start is None or cpu_now is None or now >= hard_limit:
        return now - worker.started >= budget
    left = budget - (cpu_now - worker.cpu_at_start)
    if left <= 0:
        return True
    # processor time cannot pass faster than the clock (one thread per worker)
    worker.check_at = min(now + max(left, 0.01), hard_limit)
    return False


def _cpu_seconds(pid: int | None) -> float | None:
    """The processor time (user and system) a process has used so far; None where the
    system does not say (no ``/proc``) or the process is gone."""
    if pid is None or _CLOCK_TICKS is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # the fields after the command name, which is in parentheses and may hold spaces:
    # state is field 3, utime 14 and stime 15
    try:
        fields = stat[stat.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (IndexError, ValueError):
        return None


def _clock_ticks() -> int | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError):
        return None


_CLOCK_TICKS = _clock_ticks()


def _finish(run: _Run[Any, Any], index: int, outcome: object) -> None:
    run.results[index] = outcome
    run.done += 1
    if run.on_done is not None:
        run.on_done(run.done)


def _close(worker: _Worker) -> None:
    with contextlib.suppress(OSError):
        worker.connection.close()


def _stop(pool: list[_Worker]) -> None:
    """Ask every worker to leave, and kill those that do not in time."""
    for worker in pool:
        with contextlib.suppress(OSError, ValueError):
            worker.connection.send(None)
    deadline = time.monotonic() + _GOODBYE_SECONDS
    for worker in pool:
        worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        _close(worker)


def _worker_main(
    connection: Connection,
    task: Callable[[Any], Any],
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> None:
    """A worker: answer each ``(index, item)`` of a batch (a list) with a message
    ``(index, (kind, value), retiring)``, until told to stop (``None``), the supervisor goes
    away, or it leaves after a batch (``retiring``) because its memory grew too much."""
    # Ctrl-C reaches the whole process group; the supervisor stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A crash is reported by the supervisor as the input's result; a traceback dump on
    # stderr (PYTHONFAULTHANDLER, or inherited from a test runner) would only be noise.
    faulthandler.disable()
    if initializer is not None:
        initializer(*initargs)
    # The collector's passes during a task cost a tenth of a parse, walking objects that are
    # nearly all freed by reference counting when the input is done; what the worker
    # inherited (the interpreter, libcst) is set aside for good, which also keeps it shared
    # with the supervisor after a fork. Cycles left by tasks are collected between inputs.
    gc.freeze()
    gc.disable()
    handled = 0
    resident_at_start = _resident_bytes()
    parent = multiprocessing.parent_process()
    waitables: list[Any] = [connection] if parent is None else [connection, parent.sentinel]
    while True:
        try:
            # a supervisor killed outright cannot say goodbye: leave when it is gone
            if connection not in multiprocessing.connection.wait(waitables):
                return
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        for position, (index, item) in enumerate(message):
            outcome = _outcome(task, item)
            retiring = (
                position == len(message) - 1
                and _resident_bytes() - resident_at_start > _RETIRE_AFTER_GROWTH
            )
            if not _send(connection, index, outcome, retiring) or retiring:
                return
            del outcome
            handled += 1
            if handled % _COLLECT_EVERY == 0:
                gc.collect()


def _outcome(task: Callable[[Any], Any], item: Any) -> tuple[str, Any]:
    """``("ok", result)`` or ``("error", why)``: the task's own failure costs this input only."""
    if crash_test_marker_in(item):
        os.kill(os.getpid(), signal.SIGSEGV)
    try:
        return ("ok", task(item))
    except Exception as error:
        return ("error", f"{type(error).__name__}: {error}")


def _send(connection: Connection, index: int, outcome: tuple[str, Any], retiring: bool) -> bool:
    """Send one answer; False if the supervisor cannot be reached."""
    try:
        connection.send((index, outcome, retiring))
    except (OSError, ValueError):
        return False
    except Exception as error:  # a result that cannot be pickled (too deep, say)
        connection.send((index, ("error", f"{type(error).__name__}: {error}"), retiring))
    return True


def _resident_bytes() -> int:
    """This process's resident memory (0 where the system does not tell)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _page_size() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4096


_PAGE_SIZE = _page_size()
