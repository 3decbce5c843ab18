from __future__ import annotations


def add_message(text: str, history: list[dict] | None = None) -> list[dict]:
    if history is None:
        history = []
    history.append({"role": "user", "content": text})
    return history
