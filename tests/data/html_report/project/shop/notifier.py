"""Pushes order events to the customer's websocket."""

from typing import Any


class Notifier:
    def __init__(self) -> None:
        self.socket: Any = None

    async def connect(self, websocket: Any, user_id: str) -> None:
        self.socket = websocket

    async def push(self, event: dict[str, Any]) -> None:
        if self.socket is not None:
            await self.socket.send_json(event)


notifier = Notifier()
