from contextvars import ContextVar

request_tags: ContextVar[list[str]] = ContextVar("request_tags", default=[])


async def tag(name: str) -> None:
    request_tags.get().append(name)
