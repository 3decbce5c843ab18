import contextvars


def header(name: str, value: str) -> None:
    _headers_in_context()[name] = value


_headers = contextvars.ContextVar(
    "headers",
)


def _headers_in_context():
    """This context's own `_headers`, created on first use (never shared)."""
    try:
        return _headers.get()
    except LookupError:
        _headers.set(dict())
        return _headers.get()