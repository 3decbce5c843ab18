from contextvars import ContextVar

from fastapi import FastAPI, Request

app = FastAPI()
_tags: ContextVar[list[str]] = ContextVar("tags")


def _tags_in_context() -> list[str]:
    """This context's own `_tags`, created on first use (never shared)."""
    try:
        return _tags.get()
    except LookupError:
        _tags.set([])
        return _tags.get()


# the per-request tags
_seen = ContextVar("seen")


def _seen_in_context():
    """This context's own `_seen`, created on first use (never shared)."""
    try:
        return _seen.get()
    except LookupError:
        _seen.set(set())
        return _seen.get()


@app.middleware("http")
async def collect(request: Request, call_next):
    token = _tags.set([])
    try:
        return await call_next(request)
    finally:
        _tags.reset(token)


async def tag(name: str) -> None:
    _tags_in_context().append(name)
    _seen_in_context().add(name)


def tags() -> list[str]:
    return list(_tags.get(["none"]))
