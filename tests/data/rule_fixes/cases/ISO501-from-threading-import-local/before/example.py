from threading import Lock, local

_lock = Lock()
_state = local()


async def remember(user: str) -> None:
    with _lock:
        _state.user = user


def current_user() -> str | None:
    return getattr(_state, "user", None)
