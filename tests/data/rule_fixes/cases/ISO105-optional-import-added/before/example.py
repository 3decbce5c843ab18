"""Chat helpers."""

import json


def add_message(text: str, history: list[str] = []) -> list[str]:
    """Appends `text` to the history."""
    history.append(json.dumps(text))
    return history
