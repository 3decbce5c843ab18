from fastapi import FastAPI

app = FastAPI()
_ROUTES: list[str] = []
_ROUTES.append("/health")


@app.post("/routes")
async def add_route(path: str) -> None:
    _ROUTES.append(path)
