from contextvars import ContextVar

from fastapi import FastAPI, Request

app = FastAPI()
_request_local_user_id = ContextVar("_request_local_user_id")
_request_local_hits = ContextVar("_request_local_hits")


@app.middleware("http")
async def bind_user(request: Request, call_next):
    _request_local_user_id.set(request.headers.get("x-user"))
    _request_local_hits.set(_request_local_hits.get(0) + 1)
    return await call_next(request)


async def whoami() -> str:
    return f"{_request_local_user_id.get()} ({_request_local_hits.get()})"
