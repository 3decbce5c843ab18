from threading import local

_state = local()


def current_user() -> str | None:
    return getattr(_state, "user", None)
