import typing


def collect(item: str, seen: typing.Set[str] = set()) -> typing.Set[str]:
    seen.add(item)
    return seen
