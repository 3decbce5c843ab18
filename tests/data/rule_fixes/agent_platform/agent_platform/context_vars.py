"""Per-request event collection for the streaming UI."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_events: ContextVar[list[dict[str, Any]]] = ContextVar("events")


def _events_in_context() -> list[dict[str, Any]]:
    """This context's own `_events`, created on first use (never shared)."""
    try:
        return _events.get()
    except LookupError:
        _events.set([])
        return _events.get()


def emit(kind: str, **data: Any) -> None:
    """Adds an event to the current request's event stream."""
    _events_in_context().append({"kind": kind, "request_id": request_id.get(), **data})


def collected_events() -> list[dict[str, Any]]:
    """A copy of the events emitted so far in this request."""
    return list(_events_in_context())
