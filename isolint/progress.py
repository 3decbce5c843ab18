"""A progress bar on stderr for long runs, shown only to a person at a terminal.

The engine reports ``(done, total)`` files through a callback; this turns it into a rich
progress bar once the run has taken longer than ``delay`` seconds, so short runs (most runs,
and every warm-cache run) print nothing extra. The CLI creates one only for the text output
and only when stderr is a terminal: piped runs and machine-readable output never see it. The
bar is transient: it disappears when the analysis ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

DEFAULT_DELAY = 2.0


class DelayedProgress:
    """A callable ``(done, total)`` that shows a bar after ``delay`` seconds; a context manager."""

    def __init__(
        self,
        console: Console,
        delay: float = DEFAULT_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console
        self._delay = delay
        self._clock = clock
        self._started_at = clock()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if self._clock() - self._started_at < self._delay or done >= total:
                return
            self._progress = Progress(
                TextColumn("Analysing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files"),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("analyse", total=total)
        assert self._task is not None
        self._progress.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
