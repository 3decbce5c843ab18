"""Request tracing: which user and span the current code runs for."""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar

logger = logging.getLogger(__name__)

_local_user_id = ContextVar("_local_user_id")
_local_span = ContextVar("_local_span")


async def begin_span(user_id: str, name: str) -> None:
    """Marks the start of span `name`; log lines and fetches after it carry the user."""
    _local_user_id.set(user_id)
    _local_span.set(name)
    await asyncio.sleep(0)  # hand the span start to the exporter
    logger.debug("span %s started for %s", name, user_id)


def current_user() -> str | None:
    return _local_user_id.get(None)


def current_span() -> str | None:
    return _local_span.get(None)
