import threading

from fastapi import FastAPI, Request

app = FastAPI()
_request_local = threading.local()


@app.middleware("http")
async def bind_user(request: Request, call_next):
    _request_local.user_id = request.headers.get("x-user")
    _request_local.hits = getattr(_request_local, "hits", 0) + 1
    return await call_next(request)


async def whoami() -> str:
    return f"{_request_local.user_id} ({getattr(_request_local, 'hits')})"
