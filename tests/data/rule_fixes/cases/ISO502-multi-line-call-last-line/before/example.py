import contextvars


def header(name: str, value: str) -> None:
    _headers.get()[name] = value


_headers = contextvars.ContextVar(
    "headers",
    default=dict(),
)