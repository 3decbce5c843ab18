"""A tiny web app with the leaks isolint race must confirm, each next to a clean counterpart.

The race runtime tests drive these functions as a generated test would: one call per
simulated user, returning what that user observes.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from contextvars import ContextVar
from typing import Any

# --- a module-level "last user", written then read at once ------------------------------

LAST_USER: str | None = None


def greet_last_user(user_id: str) -> str:
    global LAST_USER
    LAST_USER = user_id
    return f"hello {LAST_USER}"


_LAST_USER_LOCK = threading.Lock()


def greet_last_user_locked(user_id: str) -> str:
    global LAST_USER
    with _LAST_USER_LOCK:
        LAST_USER = user_id
        return f"hello {LAST_USER}"


_current_user: ContextVar[str | None] = ContextVar("current_user", default=None)


def greet_context_user(user_id: str) -> str:
    _current_user.set(user_id)
    return f"hello {_current_user.get()}"


# --- a shared scratch buffer ---------------------------------------------------------------

SCRATCH: list[str] = []


def render_with_scratch(text: str) -> str:
    SCRATCH.clear()
    SCRATCH.append("<p>")
    SCRATCH.append(text)
    SCRATCH.append("</p>")
    return "".join(SCRATCH)


def render_with_local_buffer(text: str) -> str:
    buffer = ["<p>", text, "</p>"]
    return "".join(buffer)


# --- a singleton keeping the current websocket on self -------------------------------------


class FakeWebSocket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_json(self, data: dict[str, Any]) -> None:
        self.sent.append(data)


class WebSocketManager:
    def __init__(self) -> None:
        self.active: FakeWebSocket | None = None
        self.connections: dict[str, FakeWebSocket] = {}

    def connect(self, websocket: FakeWebSocket, user_id: str) -> None:
        self.active = websocket

    def send(self, message: dict[str, Any]) -> None:
        if self.active is not None:
            self.active.send_json(message)

    def connect_user(self, websocket: FakeWebSocket, user_id: str) -> None:
        self.connections[user_id] = websocket

    def send_to(self, user_id: str, message: dict[str, Any]) -> None:
        self.connections[user_id].send_json(message)


manager = WebSocketManager()


# --- a cache keyed by something that is not the user -------------------------------------

PROFILE_CACHE: dict[str, dict[str, str]] = {}


def read_profile(user_id: str) -> dict[str, str]:
    if "/me/profile" not in PROFILE_CACHE:
        PROFILE_CACHE["/me/profile"] = {"owner": user_id}
    return PROFILE_CACHE["/me/profile"]


def read_profile_keyed(user_id: str) -> dict[str, str]:
    key = f"/users/{user_id}/profile"
    if key not in PROFILE_CACHE:
        PROFILE_CACHE[key] = {"owner": user_id}
    return PROFILE_CACHE[key]


# --- thread-local state that outlives the request in a pool worker -------------------------

_session = threading.local()


def whoami_sticky(user_id: str) -> dict[str, str]:
    """'Logs in' once per thread: the next request on a pooled thread is the old user."""
    if getattr(_session, "user_id", None) is None:
        _session.user_id = user_id
    return {"user": _session.user_id}


def whoami_per_request(user_id: str) -> dict[str, str]:
    _session.user_id = user_id
    try:
        return {"user": _session.user_id}
    finally:
        del _session.user_id


_trail = threading.local()


def audited_action(user_id: str) -> str:
    """Keeps an audit trail per thread and never clears it: residue, never returned."""
    entries = getattr(_trail, "entries", None)
    if entries is None:
        entries = _trail.entries = []
    entries.append(f"action by {user_id}")
    return "ok"


_per_thread = threading.local()


def profile_cached_per_thread(user_id: str) -> dict[str, str]:
    """A per-thread cache keyed by user: several users' data, each under its own key."""
    cache = getattr(_per_thread, "by_user", None)
    if cache is None:
        cache = _per_thread.by_user = {}
    return cache.setdefault(user_id, {"owner": user_id})


# --- an async pooled connection: the redis-py cancellation leak ----------------------------


class FakeConnection:
    def __init__(self) -> None:
        self.replies: deque[str] = deque()

    async def _send(self, command: str) -> None:
        await asyncio.sleep(0)
        self.replies.append(f"reply to {command}")

    async def _read(self) -> str:
        await asyncio.sleep(0)
        return self.replies.popleft()

    async def request(self, command: str) -> str:
        await self._send(command)
        return await self._read()

    async def request_safely(self, command: str) -> str:
        """Drops the connection's buffer when cancelled mid-command (the redis-py fix)."""
        try:
            await self._send(command)
            return await self._read()
        except asyncio.CancelledError:
            self.replies.clear()
            raise


pool = FakeConnection()


async def get_value(user_id: str, key: str) -> str:
    return await pool.request(f"GET {user_id}:{key}")


async def get_value_safely(user_id: str, key: str) -> str:
    return await pool.request_safely(f"GET {user_id}:{key}")


# --- async singleton keeping the websocket across an await ---------------------------------


class AsyncWebSocketManager:
    def __init__(self) -> None:
        self.active: FakeWebSocket | None = None

    async def connect(self, websocket: FakeWebSocket, user_id: str) -> None:
        await asyncio.sleep(0)
        self.active = websocket

    async def send(self, message: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        if self.active is not None:
            self.active.send_json(message)


async_manager = AsyncWebSocketManager()


# --- a dict iterated while others write --------------------------------------------------

SUBSCRIBERS: dict[str, int] = {}
_SUBSCRIBERS_LOCK = threading.Lock()


def _deliver(token: str) -> int:
    return sum(ord(character) for character in token) % 7


def broadcast(user_id: str) -> int:
    SUBSCRIBERS[user_id] = 0
    delivered = 0
    for token in SUBSCRIBERS:
        delivered += _deliver(token)
    del SUBSCRIBERS[user_id]
    return delivered


def broadcast_locked(user_id: str) -> int:
    with _SUBSCRIBERS_LOCK:
        SUBSCRIBERS[user_id] = 0
        recipients = list(SUBSCRIBERS)
    delivered = sum(_deliver(token) for token in recipients)
    with _SUBSCRIBERS_LOCK:
        del SUBSCRIBERS[user_id]
    return delivered


async def broadcast_async(user_id: str) -> int:
    SUBSCRIBERS[user_id] = 0
    delivered = 0
    for token in SUBSCRIBERS:
        await asyncio.sleep(0)
        delivered += _deliver(token)
    del SUBSCRIBERS[user_id]
    return delivered


async def broadcast_async_copy(user_id: str) -> int:
    SUBSCRIBERS[user_id] = 0
    delivered = 0
    for token in list(SUBSCRIBERS):
        await asyncio.sleep(0)
        delivered += _deliver(token)
    del SUBSCRIBERS[user_id]
    return delivered


# --- two shared objects on one path: only one of them carries the leak --------------------

LAST_TAGGER: str | None = None  # overwritten by every request: holds a user id, leaks nothing


def _add_tag(tag: str, tags: list[str] = []) -> list[str]:  # noqa: B006 - the leak under test
    tags.append(tag)
    return tags


def tag_request(user_id: str) -> dict[str, object]:
    """Records who tagged last (harmless) and returns the tags: the shared default list."""
    global LAST_TAGGER
    LAST_TAGGER = user_id
    return {"tags": _add_tag(f"user:{user_id}")}
