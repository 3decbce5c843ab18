from flask import Flask

app = Flask(__name__)
_PENDING: list[str] = []


# A worker thread serves request after request in one context: a ContextVar set by one
# user's request would still hold their items when the same thread serves the next user.
@app.post("/batch")
def batch(item: str) -> list[str]:
    _PENDING.append(item)
    items = list(_PENDING)
    _PENDING.clear()
    return items
