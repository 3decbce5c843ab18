"""Chat helpers."""

import json
from typing import Optional


def add_message(text: str, history: Optional[list[str]] = None) -> list[str]:
    """Appends `text` to the history."""
    if history is None:
        history = []
    history.append(json.dumps(text))
    return history
