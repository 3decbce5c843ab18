from contextvars import ContextVar

from fastapi import FastAPI, Request

app = FastAPI()
_tags: ContextVar[list[str]] = ContextVar("tags", default=[])
# the per-request tags
_seen = ContextVar("seen", default=set())


@app.middleware("http")
async def collect(request: Request, call_next):
    token = _tags.set([])
    try:
        return await call_next(request)
    finally:
        _tags.reset(token)


async def tag(name: str) -> None:
    _tags.get().append(name)
    _seen.get().add(name)


def tags() -> list[str]:
    return list(_tags.get(["none"]))
