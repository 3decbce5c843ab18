"""Stores shared by every request beyond Python objects: key-value caches and the app's state.

A response cached in Redis or Django's cache under a key that does not name the user is
served to the next user who asks the same thing; request data kept on ``app.state`` is one
object for every request. Each bad shape has a good twin that stays quiet.
"""

from __future__ import annotations

from collections.abc import Callable

from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]


def _codes(found: list[Finding]) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in found]


DJANGO_VIEW = """from django.core.cache import cache


def suggestions(request, pk):
    key = f"suggestions:{pk}"
    data = {"tags": list(request.user.tags.all())}
    cache.set(key, data, 60)
    return data
"""


def test_django_cache_keyed_without_the_user(project: MakeProject) -> None:
    assert _codes(project({"app/views.py": DJANGO_VIEW})) == [("ISO402", 7)]


def test_django_cache_keyed_by_the_user_is_quiet(project: MakeProject) -> None:
    good = DJANGO_VIEW.replace('f"suggestions:{pk}"', 'f"suggestions:{request.user.id}:{pk}"')
    assert project({"app/views.py": good}) == []


REDIS_CACHE = """import hashlib

import redis
from fastapi import APIRouter

client = redis.Redis()
router = APIRouter()


@router.post("/answer")
def answer(prompt: str) -> str:
    key = "answer:" + hashlib.sha256(prompt.encode()).hexdigest()
    text = generate(prompt)
    client.setex(key, 300, text)
    return text


def generate(prompt: str) -> str:
    return prompt.upper()
"""


def test_redis_response_cache_keyed_by_the_prompt(project: MakeProject) -> None:
    assert _codes(project({"app/llm.py": REDIS_CACHE})) == [("ISO402", 14)]


def test_redis_rate_limit_counter_is_bookkeeping(project: MakeProject) -> None:
    source = (
        "import redis\n\nclient = redis.Redis()\n\n\n"
        "def hit(request, ip):\n    client.set(f'rate_limit:{ip}', request.path)\n"
    )
    assert project({"app/limits.py": source}) == []


def test_set_on_something_else_is_not_a_store(project: MakeProject) -> None:
    source = (
        "import asyncio\n\ndone = asyncio.Event()\n\n\n"
        "def finish(request, key):\n    done.set()\n    request.headers.set(key, request.path)\n"
    )
    assert project({"app/events.py": source}) == []


APP_STATE = """from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/models")
async def models(request: Request, token: str):
    found = await fetch_models(token)
    request.app.state.models = found
    return found


async def fetch_models(token: str) -> list[str]:
    return [token]
"""


def test_request_data_kept_on_app_state(project: MakeProject) -> None:
    found = project({"app/api.py": APP_STATE})
    assert _codes(found) == [("ISO401", 9)]
    assert "the application's state" in found[0].message


def test_app_state_set_at_startup_is_quiet(project: MakeProject) -> None:
    source = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.on_event('startup')\nasync def startup():\n    app.state.models = ['a']\n"
    )
    assert project({"app/main.py": source}) == []


FILL_ONCE = """from fastapi import APIRouter, Request

router = APIRouter()
SITES = {}


def lookup(host):
    return {"host": host}


@router.get("/site")
def current_site(request: Request):
    host = request.headers["host"]
    if host not in SITES:
        SITES[host] = lookup(host)
    return SITES[host]
"""


def test_a_memo_filled_once_per_key_is_quiet(project: MakeProject) -> None:
    assert project({"app/sites.py": FILL_ONCE}) == []


def test_a_memo_of_the_first_users_view_is_a_leak(project: MakeProject) -> None:
    leaky = FILL_ONCE.replace("SITES[host] = lookup(host)", "SITES[host] = lookup(request.user)")
    assert _codes(project({"app/sites.py": leaky})) == [("ISO402", 15)]
