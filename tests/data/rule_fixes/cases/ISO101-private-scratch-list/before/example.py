from fastapi import FastAPI

app = FastAPI()
_PENDING: list[str] = []


@app.post("/batch")
async def batch(item: str) -> list[str]:
    _PENDING.append(item)
    items = list(_PENDING)
    _PENDING.clear()
    return items
