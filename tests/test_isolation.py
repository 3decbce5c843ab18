"""The worker supervisor: a crash or a hang costs one input, never the run.

The tasks here stand in for libcst's native parser: one kills its own process with a
signal (what a stack overflow in native code does), one sleeps past the budget, one raises.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from isolint import isolation
from isolint.isolation import (
    CRASH_TEST_VARIABLE,
    Failure,
    budget_text,
    crash_reason,
    run_isolated,
)


def behave(item: str) -> str:
    """A task: ``crash`` dies of SIGSEGV, ``spin`` works for a minute (a parser that does
    not finish), ``sleep`` waits without working, ``raise`` raises, else echoes."""
    if item == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if item == "spin":
        end = time.monotonic() + 60
        while time.monotonic() < end:
            pass
    if item == "sleep":
        time.sleep(60)
    if item == "raise":
        raise ValueError("bad input")
    return item.upper()


def worker_pid(item: str) -> int:
    if item == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    return os.getpid()


def test_every_input_is_answered_in_order() -> None:
    items = [f"file{n}" for n in range(20)]
    assert run_isolated(behave, items, workers=3, budget=10) == [i.upper() for i in items]


def note_order(item: str) -> str:
    """A task that appends its input to the file the input names (``path|payload``)."""
    path, payload = item.split("|")
    with open(path, "a") as handle:
        handle.write(payload + "\n")
    return payload.upper()


def test_costliest_inputs_go_first_and_answers_keep_the_order(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    payloads = ["a" * (n % 7 + 1) for n in range(20)]
    items = [f"{log}|{payload}" for payload in payloads]
    answers = run_isolated(note_order, items, workers=1, budget=10, cost=len)
    assert answers == [p.upper() for p in payloads]
    handled = log.read_text().split()
    assert [len(p) for p in handled] == sorted((len(p) for p in payloads), reverse=True)


def test_no_input_no_worker() -> None:
    assert run_isolated(behave, [], workers=2, budget=10) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_crash_costs_that_input_only(workers: int) -> None:
    items = ["a", "crash", "b", "c", "crash", "d"]
    results = run_isolated(behave, items, workers=workers, budget=10)
    assert [r for r in results if not isinstance(r, Failure)] == ["A", "B", "C", "D"]
    assert results[1] == results[4] == Failure("the parser crashed (signal 11, SIGSEGV)")


@pytest.mark.parametrize("workers", [1, 2])
def test_inputs_after_a_crash_or_a_hang_in_the_same_batch_are_answered(workers: int) -> None:
    """Inputs go to a worker several at a time: those after the one it died on or was
    stopped on are given to a fresh worker."""
    items = [f"file{n}" for n in range(60)]
    items[5], items[6], items[40] = "crash", "spin", "crash"
    results = run_isolated(behave, items, workers=workers, budget=0.5)
    crashed = Failure("the parser crashed (signal 11, SIGSEGV)")
    assert results[5] == results[40] == crashed
    assert results[6] == Failure("took longer than 0.5 s")
    rest = [r for n, r in enumerate(results) if n not in (5, 6, 40)]
    assert rest == [i.upper() for n, i in enumerate(items) if n not in (5, 6, 40)]


def test_a_worker_whose_memory_grew_leaves_after_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker past the memory growth limit answers its batch, leaves, and a fresh one
    goes on: no input is lost or failed."""
    monkeypatch.setattr(isolation, "_RETIRE_AFTER_GROWTH", -1)  # every worker is past it
    items = [f"file{n}" for n in range(40)]
    pids = run_isolated(worker_pid, items, workers=2, budget=10)
    assert all(isinstance(pid, int) for pid in pids)
    assert len(set(pids)) > 2
    assert run_isolated(behave, items, workers=2, budget=10) == [i.upper() for i in items]


def test_a_dead_worker_is_replaced_by_a_fresh_one() -> None:
    results = run_isolated(worker_pid, ["a", "crash", "b"], workers=1, budget=10)
    assert isinstance(results[1], Failure)
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert results[0] != results[2]


def test_an_input_over_the_budget_is_stopped_and_the_rest_goes_on() -> None:
    started = time.monotonic()
    results = run_isolated(behave, ["a", "spin", "b"], workers=1, budget=0.5)
    assert time.monotonic() - started < 20
    assert results == ["A", Failure("took longer than 0.5 s"), "B"]


def test_a_worker_that_makes_no_progress_is_stopped_too() -> None:
    """The budget is processor time where the system tells it; a worker that sleeps (swaps,
    is stopped) is still stopped after a few budgets of wall-clock time."""
    started = time.monotonic()
    results = run_isolated(behave, ["sleep", "a"], workers=1, budget=0.2)
    assert time.monotonic() - started < 20
    assert results == [Failure("took longer than 0.2 s"), "A"]


def test_a_task_that_raises_fails_that_input_only() -> None:
    results = run_isolated(behave, ["raise", "a"], workers=1, budget=10)
    assert results == [Failure("ValueError: bad input"), "A"]


def test_progress_is_reported_for_every_input() -> None:
    seen: list[int] = []
    run_isolated(behave, ["a", "crash", "b"], workers=2, budget=10, on_done=seen.append)
    assert seen == [1, 2, 3]


def test_the_crash_test_double_kills_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment variable the end-to-end tests use to stand in for a native crash."""
    monkeypatch.setenv(CRASH_TEST_VARIABLE, "BOOM")
    results = run_isolated(behave, ["fine", "x = 'BOOM'", ("a", b"BOOM")], workers=1, budget=10)
    assert results[0] == "FINE"
    assert results[1] == results[2] == Failure(crash_reason(-signal.SIGSEGV))


def test_reasons_read_well() -> None:
    assert crash_reason(-9) == "the parser crashed (signal 9, SIGKILL)"
    assert crash_reason(3) == "the parser's process ended unexpectedly (exit code 3)"
    assert budget_text(10.0) == "10 s"
    assert budget_text(2.5) == "2.5 s"
