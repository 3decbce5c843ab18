from contextvars import ContextVar

from fastapi import FastAPI

app = FastAPI()
_PENDING: ContextVar[list[str]] = ContextVar("_PENDING")


def _pending_in_context() -> list[str]:
    """This context's own `_PENDING`, created on first use (never shared)."""
    try:
        return _PENDING.get()
    except LookupError:
        _PENDING.set([])
        return _PENDING.get()


@app.post("/batch")
async def batch(item: str) -> list[str]:
    _pending_in_context().append(item)
    items = list(_pending_in_context())
    _pending_in_context().clear()
    return items
