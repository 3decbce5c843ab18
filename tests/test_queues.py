"""A queue shared by every connection: whose handlers take an item out of the queue a request
put its data into (the rule documents hold the main examples; these pin who counts as a
taker)."""

from __future__ import annotations

from conftest import MakeProject

_SERVICE = """
import asyncio

from fastapi import FastAPI, Request, WebSocket

app = FastAPI()


class Notifier:
    def __init__(self) -> None:
        self.queue = asyncio.Queue()

    def notify(self, text: str) -> None:
        self.queue.put_nowait(text)


notifier = Notifier()


@app.post("/chat")
async def chat(request: Request) -> dict:
    body = await request.json()
    notifier.notify(body["text"])
    return {{}}


{reader}
"""

_SHARED_READER = """
@app.websocket("/ws")
async def feed(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        await websocket.send_text(await notifier.queue.get())
"""

# a handler with a queue of its own, also called `queue`, and a worker draining the shared one
_OWN_QUEUE_READER = """
class Connection:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.queue = asyncio.Queue()

    async def pump(self, websocket: WebSocket) -> None:
        while True:
            await websocket.send_text(await self.queue.get())


@app.websocket("/ws")
async def feed(websocket: WebSocket) -> None:
    await websocket.accept()
    await Connection(websocket).pump(websocket)


async def worker() -> None:
    while True:
        print(await notifier.queue.get())
"""


def test_a_handler_taking_from_the_shared_queue_receives_others_items(
    project: MakeProject,
) -> None:
    found = project({"app/main.py": _SERVICE.format(reader=_SHARED_READER)})
    assert [(f.code, f.line) for f in found] == [("ISO401", 14)], found
    assert "`feed` reads it back at request time" in found[0].message


def test_a_queue_of_the_same_name_on_another_class_is_not_the_shared_one(
    project: MakeProject,
) -> None:
    assert project({"app/main.py": _SERVICE.format(reader=_OWN_QUEUE_READER)}) == []
