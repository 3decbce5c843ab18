"""Recent chat activity, kept in process for the dashboard feed and for tagging."""

from __future__ import annotations

from typing import Any

from agent_platform.settings import MAX_RECENT_MESSAGES

RECENT_MESSAGES: list[dict[str, Any]] = []
last_run: str | None = None
_last_user: str | None = None
_history_by_user: dict[str, list[str]] = {}


def remember(user_id: str, text: str) -> None:
    """Records a message in the global feed and in the user's own history."""
    RECENT_MESSAGES.append({"user_id": user_id, "text": text})
    if len(RECENT_MESSAGES) > MAX_RECENT_MESSAGES:
        del RECENT_MESSAGES[0]
    _history_by_user.setdefault(user_id, []).append(text)


def note_user(user_id: str) -> None:
    """Remembers who made the latest request, for the status page."""
    global _last_user
    _last_user = user_id


def last_user() -> str | None:
    return _last_user


def history_for(user_id: str) -> list[str]:
    return list(_history_by_user.get(user_id, []))


def recent_feed(limit: int = 10) -> list[dict[str, Any]]:
    """The newest messages first; a copy, so callers may reorder it."""
    feed = list(RECENT_MESSAGES)
    feed.reverse()
    return feed[:limit]


def clear_feed() -> None:
    feed = RECENT_MESSAGES
    feed.clear()


def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:
    """Appends `tag` to `tags` and returns the list."""
    if tags is None:
        tags = []
    tags.append(tag)
    return tags


def format_row(row: dict[str, Any], columns: list[str] = []) -> list[Any]:
    """The values of `columns` in `row`; the default is only read."""
    return [row.get(column) for column in columns]
