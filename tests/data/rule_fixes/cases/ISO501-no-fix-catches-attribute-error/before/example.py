import threading

_ctx = threading.local()


async def user() -> str:
    try:
        return _ctx.user
    except AttributeError:
        return "anonymous"
