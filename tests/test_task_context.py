"""ISO506: which loops make a worker, and which ContextVars a task keeps."""

from __future__ import annotations

import pytest
from conftest import MakeProject

_SERVICE = """import asyncio
import contextvars

from fastapi import FastAPI

from app.db import save

current_user = contextvars.ContextVar("current_user", default=None)
app = FastAPI()


class Store:
    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.worker = None
        self.running = True
        self._stop = asyncio.Event()

    async def put(self, item: dict) -> None:
        if self.worker is None:
            self.worker = asyncio.create_task(self._loop())
        await self.queue.put(item)

    async def _loop(self) -> None:
        while {test}:
            item = await self.queue.get()
            await save(item, {owner})


store = Store()


@app.post("/items")
async def create(body: dict) -> dict:
    current_user.set(body["user"])
    await store.put(body)
    return body
"""


@pytest.mark.parametrize("test", ["True", "1", "self.running", "not self._stop.is_set()"])
def test_a_loop_that_runs_until_stopped_is_a_worker(project: MakeProject, test: str) -> None:
    source = _SERVICE.format(test=test, owner="current_user.get()")
    (found,) = project({"app/api.py": source})
    assert (found.code, found.line) == ("ISO506", 21)
    kinds = [related.kind for related in found.related]
    assert kinds.count("reader") == 1 and "entry" in kinds and "creation" in kinds


@pytest.mark.parametrize("test", ["not self.queue.empty()", "self.queue", "False"])
def test_a_loop_that_drains_what_is_there_is_no_worker(project: MakeProject, test: str) -> None:
    source = _SERVICE.format(test=test, owner="current_user.get()")
    assert project({"app/api.py": source}) == []


def test_a_worker_that_never_reads_the_context_keeps_nothing_of_it(
    project: MakeProject,
) -> None:
    source = _SERVICE.format(test="True", owner="item['user']")
    assert project({"app/api.py": source}) == []
