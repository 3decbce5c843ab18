from __future__ import annotations

DEFAULT_HEADERS = {"accept": "application/json"}


def auth_headers(token: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    if headers is None:
        headers = DEFAULT_HEADERS.copy()
    headers["authorization"] = f"Bearer {token}"
    return headers
