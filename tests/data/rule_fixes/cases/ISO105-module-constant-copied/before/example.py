from __future__ import annotations

DEFAULT_HEADERS = {"accept": "application/json"}


def auth_headers(token: str, headers: dict[str, str] = DEFAULT_HEADERS) -> dict[str, str]:
    headers["authorization"] = f"Bearer {token}"
    return headers
