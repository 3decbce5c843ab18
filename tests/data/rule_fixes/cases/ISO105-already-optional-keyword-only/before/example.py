from typing import Optional


def track(event: str, *, log: Optional[list] = [], counts={}) -> None:
    log.append(event)
    counts[event] = counts.get(event, 0) + 1
