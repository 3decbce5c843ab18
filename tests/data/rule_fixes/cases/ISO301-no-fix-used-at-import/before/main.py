from example import add


def record(row: object) -> None:
    add(row)
