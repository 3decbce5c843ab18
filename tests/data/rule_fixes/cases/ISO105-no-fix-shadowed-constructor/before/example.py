def collect(item, seen=set(), set=None):
    seen.add(item)
    return seen
