from contextvars import ContextVar, copy_context

_tags: ContextVar[list[str]] = ContextVar("tags", default=[])


def snapshot() -> object:
    return copy_context().get(_tags)


async def tag(name: str) -> None:
    _tags.get().append(name)
