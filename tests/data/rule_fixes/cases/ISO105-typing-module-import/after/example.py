import typing


def collect(item: str, seen: typing.Optional[typing.Set[str]] = None) -> typing.Set[str]:
    if seen is None:
        seen = set()
    seen.add(item)
    return seen
