from __future__ import annotations


def add_message(text: str, history: list[dict] = []) -> list[dict]:
    history.append({"role": "user", "content": text})
    return history
