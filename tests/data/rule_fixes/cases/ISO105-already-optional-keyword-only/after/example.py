from typing import Optional


def track(event: str, *, log: Optional[list] = None, counts=None) -> None:
    if log is None:
        log = []
    if counts is None:
        counts = {}
    log.append(event)
    counts[event] = counts.get(event, 0) + 1
