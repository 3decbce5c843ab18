"""The bytecode gate: hold each thread before its first read of the shared name after its write.

Free-running threads almost never interleave a tight write-then-read (``LAST = user; return
LAST``) because a thread rarely loses the GIL between the two. The gate makes the
interleaving happen on purpose: each thread traces the functions whose code names the watched
attribute, notes when it writes it, and before its first read after that write waits until
every other thread has written too (or finished, or stalled). The schedule is deterministic;
the oracle stays the token check, so a gate can only reveal leaks that are real.
"""

from __future__ import annotations

import dis
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

# Name loads and stores as they appear across CPython 3.10 - 3.13.
_NAME_LOADS = frozenset(
    {
        "LOAD_GLOBAL",
        "LOAD_NAME",
        "LOAD_ATTR",
        "LOAD_METHOD",
        "LOAD_DEREF",
        "LOAD_CLASSDEREF",
        "LOAD_FROM_DICT_OR_GLOBALS",
        "LOAD_FROM_DICT_OR_DEREF",
        "LOAD_CONST",
    }
)
_NAME_STORES = frozenset(
    {
        "STORE_GLOBAL",
        "STORE_NAME",
        "STORE_ATTR",
        "STORE_DEREF",
        "DELETE_GLOBAL",
        "DELETE_NAME",
        "DELETE_ATTR",
        "DELETE_DEREF",
    }
)
_SUBSCRIPT_WRITES = frozenset({"STORE_SUBSCR", "DELETE_SUBSCR"})
# Loading one of these methods right after the watched name means the line mutates it.
_MUTATING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "add",
        "update",
        "setdefault",
        "clear",
        "pop",
        "popitem",
        "popleft",
        "remove",
        "discard",
        "sort",
        "reverse",
        "put",
        "put_nowait",
        "__setitem__",
        "__delitem__",
    }
)
_SUBSCRIPT_LOOKAHEAD = 3
_LOOP_LOOKAHEAD = 5
_VIEW_METHODS = frozenset({"items", "keys", "values"})

# How long the gate waits for a thread that shows no sign of life before giving up on it.
# The runtime raises it for slow drivers (a few times one call's duration, at most MAX).
DEFAULT_STALL_SECONDS = 0.05
MAX_STALL_SECONDS = 0.5


@dataclass(frozen=True)
class Access:
    """One instruction that reads or writes a watched name."""

    kind: str  # "read", "write" or "iterate" (the FOR_ITER of a loop over the name)
    name: str
    opname: str
    line: int | None


def find_accesses(code: CodeType, names: frozenset[str]) -> dict[int, Access]:
    """Instruction offset -> access, for the instructions of ``code`` touching ``names``."""
    instructions = list(dis.get_instructions(code))
    accesses: dict[int, Access] = {}
    for position, instruction in enumerate(instructions):
        if instruction.argval not in names or not isinstance(instruction.argval, str):
            continue
        if instruction.opname in _NAME_STORES:
            kind = "write"
        elif instruction.opname in _NAME_LOADS:
            kind = "write" if _is_mutated_after(instructions, position) else "read"
        else:
            continue
        line = _line_of(instruction)
        accesses[instruction.offset] = Access(kind, instruction.argval, instruction.opname, line)
        loop = _loop_over(instructions, position) if kind == "read" else None
        if loop is not None:
            accesses[loop.offset] = Access("iterate", instruction.argval, loop.opname, line)
    return accesses


def _loop_over(instructions: list[dis.Instruction], position: int) -> dis.Instruction | None:
    """The FOR_ITER of a ``for`` loop directly over the loaded name (or its items/keys/values)."""
    for index in range(position + 1, min(position + 1 + _LOOP_LOOKAHEAD, len(instructions))):
        instruction = instructions[index]
        if instruction.opname == "GET_ITER":
            following = instructions[index + 1] if index + 1 < len(instructions) else None
            return following if following is not None and following.opname == "FOR_ITER" else None
        if instruction.opname in ("LOAD_ATTR", "LOAD_METHOD"):
            if instruction.argval not in _VIEW_METHODS:
                return None
        elif not instruction.opname.startswith(("CALL", "PRECALL", "PUSH_NULL", "CACHE")):
            return None
    return None


def _is_mutated_after(instructions: list[dis.Instruction], position: int) -> bool:
    following = instructions[position + 1 : position + 1 + _SUBSCRIPT_LOOKAHEAD]
    if not following:
        return False
    first = following[0]
    if first.opname in ("LOAD_ATTR", "LOAD_METHOD") and first.argval in _MUTATING_METHODS:
        return True
    for instruction in following:
        if instruction.opname in _SUBSCRIPT_WRITES:
            return True
        if instruction.opname.startswith(("CALL", "PRECALL", "BINARY_SUBSCR", "RETURN", "STORE")):
            return False
    return False


def _line_of(instruction: dis.Instruction) -> int | None:
    positions = getattr(instruction, "positions", None)
    line = getattr(positions, "lineno", None)
    if isinstance(line, int):
        return line
    starts = instruction.starts_line
    return starts if isinstance(starts, int) and not isinstance(starts, bool) else None


class AccessIndex:
    """Per-code-object cache of ``find_accesses``; empty for code not naming the watch."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self._cache: dict[CodeType, dict[int, Access]] = {}
        self._lock = threading.Lock()

    def accesses(self, code: CodeType) -> dict[int, Access]:
        found = self._cache.get(code)
        if found is None:
            mentioned = set(code.co_names) | set(code.co_freevars) | set(code.co_cellvars)
            mentioned |= {const for const in code.co_consts if isinstance(const, str)}
            found = find_accesses(code, self.names) if mentioned & self.names else {}
            with self._lock:
                self._cache[code] = found
        return found


_RUNNING, _WROTE, _DONE = "running", "wrote", "done"


class Gate:
    """Two holds that force the interleavings free-running threads almost never produce.

    - Read hold: a thread about to read the watched name after writing it waits until every
      other thread has written it too (or finished): all writes land before any read.
    - Iteration hold: the first thread to start iterating over the watched container waits
      inside the loop until every other thread has finished: their writes land mid-iteration.

    A thread that never writes counts once it finishes. A thread blocked where the tracer
    cannot see it (a lock held by a waiting thread, a sleep) makes no progress; after
    ``stall`` seconds without progress from any awaited thread, the waiting thread goes on,
    and the log says so. Nothing here waits past ``deadline``.
    """

    def __init__(self, labels: list[str], *, stall: float, deadline: float) -> None:
        self.labels = labels
        self.log: list[str] = []
        self.stalled = False
        self._stall = stall
        self._deadline = deadline
        self._states = [_RUNNING] * len(labels)
        self._progress = [0] * len(labels)
        self._iterating: int | None = None
        self._iteration_claimed = False
        self._condition = threading.Condition()

    def tick(self, slot: int) -> None:
        self._progress[slot] += 1

    def wrote(self, slot: int, access: Access, where: str) -> None:
        with self._condition:
            if self._states[slot] == _RUNNING:
                self._states[slot] = _WROTE
                self.log.append(f"{self.labels[slot]} wrote `{access.name}` ({where})")
                self._condition.notify_all()

    def finished(self, slot: int) -> None:
        with self._condition:
            self._states[slot] = _DONE
            self._condition.notify_all()

    def hold_before_read(self, slot: int, access: Access, where: str) -> None:
        label = self.labels[slot]
        with self._condition:
            if self.stalled:  # the driver serialises itself (a lock): holding again only costs
                return
            if self._others_settled(slot, _RUNNING):
                self.log.append(f"{label} read `{access.name}` ({where}), all had written")
                return
            self.log.append(f"{label} held before reading `{access.name}` ({where})")
            reason = self._wait_for_others(slot, _RUNNING, "every user had written")
            self.log.append(f"{label} released: {reason}")

    def hold_in_iteration(self, slot: int, access: Access, where: str) -> None:
        label = self.labels[slot]
        with self._condition:
            if (
                self.stalled
                or self._iteration_claimed
                or self._others_settled(slot, _RUNNING, _WROTE)
            ):
                return
            self._iteration_claimed = True
            self._iterating = slot
            self.log.append(
                f"{label} held inside its loop over `{access.name}` ({where}) "
                "until the others finish"
            )
            reason = self._wait_for_others(slot, (_RUNNING, _WROTE), "the others had finished")
            self._iterating = None
            self.log.append(f"{label} resumed its loop: {reason}")

    def _wait_for_others(self, slot: int, awaited: str | tuple[str, ...], done: str) -> str:
        awaited_states = (awaited,) if isinstance(awaited, str) else awaited
        last_progress = self._progress_of(awaited_states)
        last_change = time.monotonic()
        while True:
            if self._others_settled(slot, *awaited_states):
                return done
            now = time.monotonic()
            if now >= self._deadline:
                return "time box reached"
            progress = self._progress_of(awaited_states)
            if progress != last_progress:
                last_progress, last_change = progress, now
            elif now - last_change >= self._stall:
                self.stalled = True
                stuck = [
                    self.labels[index]
                    for index, state in enumerate(self._states)
                    if state in awaited_states and index not in (slot, self._iterating)
                ]
                return (
                    f"{', '.join(stuck)} made no progress for {self._stall * 1000:.0f} ms "
                    "(blocked, e.g. on a lock)"
                )
            self._condition.wait(min(0.002, self._stall))

    def _progress_of(self, states: tuple[str, ...]) -> list[int]:
        return [p if s in states else -1 for p, s in zip(self._progress, self._states, strict=True)]

    def _others_settled(self, slot: int, *unsettled: str) -> bool:
        # The thread held inside its loop cannot move until the others finish: settled.
        return all(
            state not in unsettled
            for index, state in enumerate(self._states)
            if index not in (slot, self._iterating)
        )


class GateTracer:
    """The trace function of one gated thread (install with ``sys.settrace`` in that thread)."""

    def __init__(self, gate: Gate, slot: int, index: AccessIndex) -> None:
        self._gate = gate
        self._slot = slot
        self._index = index
        self._pending: tuple[int, int | None, Access, str] | None = None
        self._wrote = False
        self._read_released = False
        self._iteration_seen = False

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        self._gate.tick(self._slot)
        if not self._index.accesses(frame.f_code):
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        self._gate.tick(self._slot)
        if self._pending is not None:
            self._commit_if_done(frame, event)
        if event != "opcode":
            return self._local
        access = self._index.accesses(frame.f_code).get(frame.f_lasti)
        if access is None:
            return self._local
        if access.kind == "write":
            if self._pending is None:
                self._pending = (id(frame), frame.f_lineno, access, _where(frame))
        elif access.kind == "read":
            if not self._read_released and (self._pending is not None or self._wrote):
                self._commit()
                self._read_released = True
                self._gate.hold_before_read(self._slot, access, _where(frame))
        elif access.kind == "iterate" and not self._iteration_seen:
            self._iteration_seen = True
            self._commit()
            self._gate.hold_in_iteration(self._slot, access, _where(frame))
        return self._local

    def _commit_if_done(self, frame: FrameType, event: str) -> None:
        # A write counts once its statement is over: its frame moved to another line or
        # returned. Counting it at the instruction itself would release readers too early.
        assert self._pending is not None
        frame_id, line, _, _ = self._pending
        if id(frame) != frame_id:
            return
        if event == "return" or (event == "opcode" and frame.f_lineno != line):
            self._commit()

    def _commit(self) -> None:
        if self._pending is not None:
            _, _, access, where = self._pending
            self._pending = None
            self._wrote = True
            self._gate.wrote(self._slot, access, where)

    def close(self) -> None:
        """The thread is done: a pending write counts, and the gate stops waiting for it."""
        self._commit()
        self._gate.finished(self._slot)


def _where(frame: FrameType) -> str:
    filename = frame.f_code.co_filename.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{frame.f_code.co_name} in {filename}:{frame.f_lineno}"


def run_traced(tracer: GateTracer, action: Callable[[], object]) -> object:
    """Run ``action`` in this thread under ``tracer``; the thread's trace is reset after."""
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return action()
    finally:
        sys.settrace(previous)
        tracer.close()
