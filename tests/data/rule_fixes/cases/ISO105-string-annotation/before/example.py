def add_tag(tag: str, tags: "list[str]" = []) -> "list[str]":
    tags.append(tag)
    return tags
