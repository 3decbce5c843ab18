import threading

_conn = threading.local()


async def connection() -> object:
    if not hasattr(_conn, "value"):
        _conn.value = object()
    return _conn.value
