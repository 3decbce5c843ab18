from contextvars import ContextVar
from threading import Lock

_lock = Lock()
_state_user = ContextVar("_state_user")


async def remember(user: str) -> None:
    with _lock:
        _state_user.set(user)


def current_user() -> str | None:
    return _state_user.get(None)
