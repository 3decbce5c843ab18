from typing import Any, Optional


def remember(  # a multi-line signature, a decorator-free def
    fact: str,
    memory: Optional[dict[str, Any]] = None,
) -> str:
    if memory is None:
        memory = {}
    # the newest fact wins
    memory["last"] = fact
    return "ok"
