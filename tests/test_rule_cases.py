"""Compact rule cases beyond the documents' examples: the tricky negatives that keep isolint
quiet on correct code, and positives that cross modules, aliases and class hierarchies.

Each case is a small project; ``expected`` is the exact set of (path, line, code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import MakeProject, run_cli, write_project


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str]
    expected: frozenset[tuple[str, int, str]] = field(default_factory=frozenset)
    pyproject: str = ""


def case(name: str, files: dict[str, str], *expected: tuple[str, int, str]) -> Case:
    return Case(name, files, frozenset(expected))


HANDLER = "async def handle(request):\n"

# a method pasted twice: the class keeps the second, but both copies are in the file
BOX_PASTED_TWICE = (
    "class Box:\n"
    "    def put(self, item, items=[]):\n        items.append(item)\n        return items\n\n"
    "    def put(self, item, items=[]):\n        items.append(item)\n        return items\n"
)

NEGATIVES = [
    case(
        # `connect()` of an HTTP client kept on `self` opens no database session
        "connect-of-a-client-kept-on-self",
        {
            "app/feed.py": "import httpx\n\n\nclass Feed:\n    def __init__(self):\n"
            "        self.client = httpx.Client()\n\n"
            "    def open(self):\n        self.stream = self.client.connect()\n\n\n"
            "feed = Feed()\n"
        },
    ),
    case(
        # entries of a list the request built itself: its own, however it fills them
        "entries-of-a-per-request-list",
        {
            "a.py": "MENU = [{'title': 'a'}]\n\n\n"
            + HANDLER
            + "    menu = [dict(item) for item in MENU]\n    for item in menu:\n"
            "        item['owner'] = request.user\n    return menu\n"
        },
    ),
    case(
        # the copy's own top level, a key the copy sets itself, and a deep copy
        "own-parts-of-a-copy",
        {
            "a.py": "import copy\n\nDEFAULTS = {'tags': [], 'user': None}\n\n\n"
            + HANDLER
            + "    options = {**DEFAULTS, 'tags': []}\n    options['user'] = request.user\n"
            "    options['tags'].append(request.user)\n"
            "    deep = copy.deepcopy(DEFAULTS)\n    deep['tags'].append(request.user)\n"
            "    return options, deep\n"
        },
    ),
    case(
        # a getter that builds a new client for each call: the request's own
        "setting-of-a-new-client-in-place",
        {
            "a.py": "import httpx\n\n\ndef make_client():\n    return httpx.Client()\n\n\n"
            + HANDLER
            + "    make_client().headers['Authorization'] = request.headers['token']\n"
        },
    ),
    case("constant-read", {"a.py": "LIMITS = [1, 2]\n\n\n" + HANDLER + "    return LIMITS[0]\n"}),
    case("tuple-constant", {"a.py": "NAMES = ('a', 'b')\n\n\n" + HANDLER + "    return NAMES\n"}),
    case(
        "final-list",
        {
            "a.py": "from typing import Final\n\nALLOWED: Final = ['a']\n\n\n"
            + HANDLER
            + "    ALLOWED.append(request)\n"
        },
    ),
    case(
        "mapping-proxy",
        {
            "a.py": "from types import MappingProxyType\n\nCONF = MappingProxyType({})\n\n\n"
            + HANDLER
            + "    return CONF.get(request)\n"
        },
    ),
    case(
        "module-level-write",
        {"a.py": "ITEMS = []\nITEMS.append(1)\nITEMS.extend([2, 3])\n"},
    ),
    case(
        "main-block-write",
        {"a.py": "ITEMS = []\n\nif __name__ == '__main__':\n    ITEMS.append(1)\n"},
    ),
    case(
        "import-time-decorator-registration",
        {
            "reg.py": "PROVIDERS = {}\n\n\ndef provider(name):\n    def wrap(cls):\n"
            "        PROVIDERS[name] = cls\n        return cls\n    return wrap\n",
            "cards.py": "from reg import provider\n\n\n@provider('card')\nclass Card:\n    pass\n",
        },
    ),
    case(
        "import-time-function-call",
        {"a.py": "HOOKS = []\n\n\ndef add_hook(fn):\n    HOOKS.append(fn)\n\n\nadd_hook(print)\n"},
    ),
    case(
        "register-named-function-never-called",
        {"a.py": "TOOLS = {}\n\n\ndef register_tool(name, fn):\n    TOOLS[name] = fn\n"},
    ),
    case(
        "user-keyed-subscript",
        {"a.py": "STORE = {}\n\n\n" + HANDLER + "    STORE[request.user.id] = request\n"},
    ),
    case(
        "user-keyed-setdefault",
        {
            "a.py": "STORE = {}\n\n\n"
            + HANDLER
            + "    STORE.setdefault(request.user.id, []).append(1)\n"
        },
    ),
    case(
        "tenant-keyed-tuple",
        {
            "a.py": "STORE = {}\n\n\nasync def put(tenant_id, key, v):\n    STORE[(tenant_id, key)] = v\n"
        },
    ),
    case(
        "user-keyed-fstring",
        {
            "a.py": "STORE = {}\n\n\nasync def put(user_id, k, v):\n    STORE[f'{user_id}:{k}'] = v\n"
        },
    ),
    case(
        "user-key-through-local",
        {
            "a.py": "STORE = {}\n\n\nasync def put(user_id, k, v):\n    key = (user_id, k)\n"
            "    STORE[key] = v\n"
        },
    ),
    case(
        "local-shadows-global",
        {"a.py": "ITEMS = []\n\n\n" + HANDLER + "    ITEMS = []\n    ITEMS.append(request)\n"},
    ),
    case(
        "parameter-shadows-global",
        {"a.py": "ITEMS = []\n\n\nasync def handle(request, ITEMS):\n    ITEMS.append(request)\n"},
    ),
    case(
        "copy-then-mutate",
        {"a.py": "ITEMS = [3, 1]\n\n\n" + HANDLER + "    items = list(ITEMS)\n    items.sort()\n"},
    ),
    case(
        "per-request-instance",
        {
            "a.py": "class Cart:\n    def __init__(self):\n        self.items = []\n\n"
            "    def add(self, item):\n        self.items.append(item)\n\n\n"
            + HANDLER
            + "    cart = Cart()\n    cart.add(request)\n"
        },
    ),
    case(
        "contextvar-set",
        {
            "a.py": "from contextvars import ContextVar\n\nCURRENT = ContextVar('c', default=None)"
            "\n\n\n" + HANDLER + "    token = CURRENT.set(request)\n    CURRENT.reset(token)\n"
        },
    ),
    case(
        "lock-and-logger",
        {
            "a.py": "import logging\nimport threading\n\nLOCK = threading.Lock()\n"
            "log = logging.getLogger(__name__)\n\n\n"
            + HANDLER
            + "    with LOCK:\n        log.info('x')\n"
        },
    ),
    case(
        "engine-and-factory",
        {
            "db.py": "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker"
            "\n\nengine = create_engine('sqlite://')\nSessionLocal = sessionmaker(bind=engine)\n"
        },
    ),
    case(
        "session-per-request",
        {
            "db.py": "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\n\n"
            + HANDLER
            + "    with SessionLocal() as session:\n        session.add(request)\n"
        },
    ),
    case(
        "pydantic-model-mutable-default",
        {
            "m.py": "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    tags: list = []"
            "\n\n    def tag(self, t):\n        self.tags.append(t)\n"
        },
    ),
    case(
        "django-meta",
        {
            "m.py": "from django.db import models\n\n\nclass Post(models.Model):\n"
            "    class Meta:\n        ordering = ['-id']\n"
        },
    ),
    case(
        "sqlalchemy-declarative-base",
        {
            "app/db.py": "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n",
            "app/models.py": "from app.db import Base\n\n\nclass User(Base):\n"
            "    __table_args__ = {}\n    roles = []\n\n"
            "    def grant(self, role):\n        self.roles.append(role)\n",
        },
    ),
    case(
        "sqlalchemy-declarative-base-class",
        {
            "app/db.py": "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):"
            "\n    pass\n",
            "app/models.py": "from app.db import Base\n\n\nclass User(Base):\n    roles = []\n\n"
            "    def grant(self, role):\n        self.roles.append(role)\n",
        },
    ),
    case(
        "enum-members",
        {"m.py": "import enum\n\n\nclass Color(enum.Enum):\n    RED = [1]\n    BLUE = [2]\n"},
    ),
    case(
        "dataclass-default-factory",
        {
            "m.py": "from dataclasses import dataclass, field\n\n\n@dataclass\nclass Run:\n"
            "    steps: list = field(default_factory=list)\n\n"
            "    def step(self, s):\n        self.steps.append(s)\n"
        },
    ),
    case(
        "class-container-rebound-in-init",
        {
            "m.py": "class Pipeline:\n    steps = []\n\n    def __init__(self):\n"
            "        self.steps = []\n\n    def add(self, s):\n        self.steps.append(s)\n"
        },
    ),
    case(
        "lazy-global-singleton",
        {
            "a.py": "_client = None\n\n\n"
            + HANDLER
            + "    global _client\n    if _client is None:\n        _client = object()\n"
            "    return _client\n"
        },
    ),
    case(
        "none-default-initialised",
        {"a.py": "def add(tag, tags=None):\n    tags = tags or []\n    tags.append(tag)\n"},
    ),
    case("mutable-default-only-read", {"a.py": "def has(tag, tags=[]):\n    return tag in tags\n"}),
    case(
        "threading-local-sync-only",
        {
            "a.py": "import threading\n\n_local = threading.local()\n\n\ndef set_user(u):\n"
            "    _local.user = u\n"
        },
    ),
    case(
        "contextvar-none-default",
        {"a.py": "from contextvars import ContextVar\n\nV = ContextVar('v', default=None)\n"},
    ),
    case(
        "check-then-act-user-key",
        {
            "a.py": "CACHE = {}\n\n\nasync def get(user_id, fetch):\n    if user_id not in CACHE:"
            "\n        v = await fetch(user_id)\n        CACHE[user_id] = v\n    return CACHE[user_id]\n"
        },
    ),
    case(
        "check-then-act-under-lock",
        {
            "a.py": "import asyncio\n\nfrom app.http import fetch\n\nCACHE = {}\n"
            "LOCK = asyncio.Lock()\n\n\nasync def get(path):\n    async with LOCK:\n"
            "        if path not in CACHE:\n            CACHE[path] = await fetch(path)\n"
            "    return CACHE[path]\n"
        },
    ),
    case(
        "memo-cache",
        {
            "a.py": "import re\n\n_PATTERNS = {}\n\n\n" + HANDLER + "    expr = request.pattern\n"
            "    if expr not in _PATTERNS:\n        _PATTERNS[expr] = re.compile(expr)\n"
        },
    ),
    case(
        "legacy-name-in-comment-and-string",
        {
            "a.py": "# DeepAgentState is gone\nMESSAGE = 'DeepAgentState was removed'\n\n\n"
            "def f(x: 'Literal[\"DeepAgentState\"]'):\n    return x\n"
        },
    ),
    case(
        "legacy-class-definition",
        {
            "state.py": "class DeepAgentState:\n    def merge(self, other: 'DeepAgentState'):\n        pass\n"
        },
    ),
    case(
        "script-helper-not-reached",
        {
            "a.py": "SEEN = []\n\n\ndef remember(x):\n    SEEN.append(x)\n\n\ndef main():\n    remember(1)\n"
        },
    ),
    case(
        "type-checking-import-and-binding",
        {
            "a.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    CACHE: dict = {}\n\n\n"
            + HANDLER
            + "    return None\n"
        },
    ),
    case(
        "task-keepalive-set",
        {
            "a.py": "import asyncio\n\nTASKS = set()\n\n\n"
            + HANDLER
            + "    task = asyncio.ensure_future(request.work())\n    TASKS.add(task)\n"
            "    task.add_done_callback(TASKS.discard)\n"
        },
    ),
    case(
        "global-timestamp-refresh",
        {
            "a.py": "import time\n\n_stamp = 0.0\n\n\n"
            + HANDLER
            + "    global _stamp\n    _stamp = time.time()\n"
        },
    ),
    case(
        "init-subclass-registry",
        {
            "a.py": "class Plugin:\n    registry = {}\n\n    def __init_subclass__(cls):\n"
            "        Plugin.registry[cls.__name__] = cls\n"
        },
    ),
    case(
        "mutable-default-copied",
        {
            "a.py": "def query(base, params={}):\n    args = {}\n    args.update(params)\n    return args\n"
        },
    ),
    case(
        "session-in-callable-annotation",
        {
            "a.py": "from typing import Callable\nfrom sqlalchemy.orm import Session\n\nHOOKS = []\n\n\n"
            "def on_commit(fn: Callable[[Session], None]):\n    HOOKS.append(fn)\n"
        },
    ),
    case(
        "cache-keyed-by-user-name",
        {
            "a.py": "import functools\n\n\n@functools.lru_cache\ndef assistant(name: str, user: str):\n"
            "    return (name, user)\n"
        },
    ),
    case(
        "lock-serialised-bookkeeping",
        {
            "a.py": "import asyncio\n\nACTIVE = set()\nLOCK = asyncio.Lock()\n\n\n"
            + HANDLER
            + "    async with LOCK:\n        ACTIVE.add(asyncio.current_task())\n"
        },
    ),
    case(
        "lock-registry-value",
        {
            "a.py": "import asyncio\n\nLOCKS = {}\n\n\nasync def handle(request, chat_id):\n"
            "    lock = LOCKS.setdefault(chat_id, asyncio.Lock())\n    async with lock:\n        pass\n"
        },
    ),
    case(
        "cached-function-on-config",
        {
            "a.py": "import functools\n\n\n@functools.lru_cache\ndef template(name: str) -> str:\n"
            "    return name.upper()\n"
        },
    ),
    case(
        # `d.get(k, 0) + 1`: a count kept in the entry, bookkeeping about the connection
        "count-read-with-its-zero",
        {
            "a.py": "class Hub:\n    def __init__(self):\n        self.connections = {}\n\n"
            "    async def send(self, request, connection_id):\n"
            "        conn = self.connections[connection_id]\n"
            '        conn["sent"] = conn.get("sent", 0) + 1\n\n\n'
            "hub = Hub()\n"
        },
    ),
    case(
        # a class some request builds for itself: the instance handed in may be that one
        "typed-parameter-of-a-class-built-per-request",
        {
            "a.py": "class Svc:\n    def __init__(self):\n        self.user = None\n\n\n"
            "shared = Svc()\n\n\n"
            "async def handle(request, user_id):\n    own = Svc()\n    assign(own, user_id)\n\n\n"
            "def assign(svc: Svc, user_id):\n    svc.user = user_id\n"
        },
    ),
    case(
        # the kept object is the registry's metrics: measured about requests, not user data
        "kept-metrics-object",
        {
            "a.py": "class Registry:\n    def __init__(self):\n        self._metrics = Metrics()\n\n"
            "    async def finish(self, request, elapsed_ms):\n"
            "        self._metrics.average_ms = request.elapsed * 0.1 + elapsed_ms\n\n\n"
            "registry = Registry()\n"
        },
    ),
]

POSITIVES = [
    case(
        "cross-module-from-import",
        {
            "app/state.py": "ITEMS = []\n",
            "app/api.py": "from app.state import ITEMS\n\n\n"
            + HANDLER
            + "    ITEMS.append(request)\n",
        },
        ("app/api.py", 5, "ISO101"),
    ),
    case(
        "cross-module-relative-import-alias",
        {
            "app/state.py": "ITEMS = []\n",
            "app/api.py": "from .state import ITEMS as items\n\n\n"
            + HANDLER
            + "    items.insert(0, request)\n",
        },
        ("app/api.py", 5, "ISO101"),
    ),
    case(
        "cross-module-module-attribute",
        {
            "app/state.py": "CACHE = {}\n",
            "app/api.py": "import app.state\n\n\n"
            + HANDLER
            + "    app.state.CACHE['last'] = request\n",
        },
        ("app/api.py", 5, "ISO101"),
    ),
    case(
        "re-exported-through-package",
        {
            "app/state.py": "ITEMS = []\n",
            "app/__init__.py": "from app.state import ITEMS\n",
            "app/api.py": "from app import ITEMS\n\n\n" + HANDLER + "    ITEMS.append(request)\n",
        },
        ("app/api.py", 5, "ISO101"),
    ),
    case(
        "module-level-alias",
        {
            "a.py": "ITEMS = []\nRECENT = ITEMS\n\n\n" + HANDLER + "    RECENT.append(request)\n",
        },
        ("a.py", 6, "ISO101"),
    ),
    case(
        "nested-constant-key-write",
        {
            "a.py": "STATE = {'messages': []}\n\n\n"
            + HANDLER
            + "    STATE['messages'].append(request)\n"
        },
        ("a.py", 5, "ISO101"),
    ),
    case(
        "registry-keyed-by-run",
        {
            "a.py": "RUNS = {}\n\n\nasync def start(run_id, engine):\n    RUNS[run_id] = engine\n",
        },
        ("a.py", 5, "ISO402"),
    ),
    case(
        "singleton-in-other-module",
        {
            "app/manager.py": "class Manager:\n    def __init__(self):\n        self.active = None\n\n"
            "    def connect(self, websocket):\n        self.active = websocket\n",
            "app/deps.py": "from app.manager import Manager\n\nmanager = Manager()\n\n\n"
            "async def chat(websocket):\n    manager.connect(websocket)\n"
            "    await manager.active.send_text('hello')\n",
        },
        ("app/manager.py", 6, "ISO401"),
    ),
    case(
        "lazy-singleton-stores-request",
        {
            "a.py": "class Registry:\n    def __init__(self):\n        self.last = None\n\n"
            "    def remember(self, request):\n        self.last = request\n\n\n_registry = None\n\n\n"
            "def get_registry():\n    global _registry\n    if _registry is None:\n"
            "        _registry = Registry()\n    return _registry\n\n\n"
            "async def view(request):\n    get_registry().remember(request)\n"
            "    return get_registry().last\n"
        },
        ("a.py", 6, "ISO401"),
    ),
    case(
        "class-container-in-base-class",
        {
            "app/base.py": "class Base:\n    seen = []\n",
            "app/agent.py": "from app.base import Base\n\n\nclass Agent(Base):\n"
            "    async def run(self, request):\n        self.seen.append(request)\n"
            "        return self.seen\n",
        },
        ("app/agent.py", 6, "ISO103"),
    ),
    case(
        "legacy-import-alias-and-uses",
        {
            "app/state.py": "class DeepAgentState:\n    pass\n",
            "app/agent.py": "from app.state import DeepAgentState as S\n\n\n"
            "def run(s: S) -> S:\n    return S()\n",
        },
        ("app/agent.py", 1, "ISO201"),
        ("app/agent.py", 4, "ISO202"),
        ("app/agent.py", 4, "ISO202"),
        ("app/agent.py", 5, "ISO203"),
    ),
    case(
        "legacy-through-module-attribute",
        {
            "app/state.py": "class DeepAgentState:\n    pass\n",
            "app/agent.py": "import app.state as st\n\n\ndef run(x):\n"
            "    return isinstance(x, st.DeepAgentState)\n",
        },
        ("app/agent.py", 5, "ISO205"),
    ),
    case(
        "session-from-imported-factory",
        {
            "app/db.py": "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n",
            "app/repo.py": "from app.db import SessionLocal\n\ndb = SessionLocal()\n",
        },
        ("app/repo.py", 3, "ISO301"),
    ),
    case(
        "threading-local-used-from-async-in-other-module",
        {
            "app/ctx.py": "import threading\n\n_local = threading.local()\n",
            "app/api.py": "from app.ctx import _local\n\n\n"
            + HANDLER
            + "    _local.user = request\n",
        },
        ("app/ctx.py", 3, "ISO501"),
    ),
    case(
        "helper-reached-from-handler",
        {
            "app/store.py": "SEEN = []\n\n\ndef remember(x):\n    SEEN.append(x)\n",
            "app/api.py": "from app.store import remember\n\n\n"
            + HANDLER
            + "    remember(request)\n",
        },
        ("app/store.py", 5, "ISO101"),
    ),
    case(
        # named like registration, but a route: it runs per request, not at import time
        "register-route-stores-the-user",
        {
            "app/api.py": "from fastapi import FastAPI, Request\n\napp = FastAPI()\n"
            "GUILD_ADMINS: dict[int, object] = {}\n\n\n"
            '@app.post("/guilds/{guild_id}")\n'
            "def register_guild(request: Request, guild_id: int) -> None:\n"
            "    GUILD_ADMINS[guild_id] = request.user\n",
        },
        ("app/api.py", 9, "ISO402"),
    ),
    case(
        "memo-keyed-by-url-with-the-user-beside-the-stamp",
        {
            "app/api.py": "import time\n\nfrom fastapi import FastAPI, Request\n\napp = FastAPI()\n"
            "LAST: dict[str, tuple[object, float]] = {}\n\n\n"
            '@app.get("/refresh")\n'
            "async def refresh(request: Request, url: str) -> None:\n"
            "    LAST[url] = (request.user, time.monotonic())\n",
        },
        ("app/api.py", 11, "ISO402"),
    ),
    # A module may define one name twice (fallbacks, a pasted copy): each definition is
    # analysed with its own facts, and a call by that name may reach either.
    case(
        "same-named-fallbacks-each-write-a-global",
        {
            "app/store.py": "import sys\n\nSEEN = []\nLAST = {}\n\n"
            "if sys.version_info >= (3, 12):\n\n"
            "    def remember(x):\n        SEEN.append(x)\n\n"
            "else:\n\n"
            "    def remember(x):\n        LAST['x'] = x\n",
            "app/api.py": "from app.store import remember\n\n\n"
            + HANDLER
            + "    remember(request)\n",
        },
        ("app/store.py", 9, "ISO101"),
        ("app/store.py", 14, "ISO101"),
    ),
    case(
        # the decorator registered the first as a route before the name was rebound
        "route-redefined-by-a-plain-function",
        {
            "app/api.py": "from fastapi import FastAPI, Request\n\napp = FastAPI()\n"
            "SEEN = []\n\n\n"
            '@app.post("/a")\n'
            "def handle(request: Request):\n    SEEN.append(request.user)\n\n\n"
            "def handle(count: int):\n    return count\n",
        },
        ("app/api.py", 9, "ISO101"),
    ),
    case(
        "same-named-methods-with-mutable-defaults",
        {"app/box.py": BOX_PASTED_TWICE},
        ("app/box.py", 2, "ISO105"),
        ("app/box.py", 6, "ISO105"),
    ),
    case(
        # a local holding the container the long-lived object keeps, then each element
        "kept-container-element-through-a-local",
        {
            "app/hub.py": "class Hub:\n    def __init__(self):\n        self.sinks = [Sink()]\n\n"
            "    async def publish(self, request):\n        sinks = self.sinks\n"
            "        for sink in sinks:\n            sink.last_request = request\n\n\n"
            "hub = Hub()\n"
        },
        ("app/hub.py", 8, "ISO401"),
    ),
    case(
        # an item of each entry of the container the long-lived object keeps
        "kept-container-entries-item-written-in-a-loop",
        {
            "app/hub.py": "class Hub:\n    def __init__(self):\n        self.panels = [{}]\n\n"
            "    async def publish(self, request):\n        for panel in self.panels:\n"
            "            panel['owner'] = request.user\n\n\nhub = Hub()\n"
        },
        ("app/hub.py", 7, "ISO401"),
    ),
    case(
        # checked against options the caller hands in: still whatever the caller chose
        "choice-among-the-caller-s-options",
        {
            "a.py": "ITEMS = []\n\n\nasync def handle(request, allowed):\n"
            "    name = request.name\n    if name not in allowed:\n        raise ValueError(name)\n"
            "    ITEMS.append(name)\n"
        },
        ("a.py", 8, "ISO101"),
    ),
    case(
        # a session made by the sessionmaker the long-lived object keeps on `self`
        "session-from-a-factory-kept-on-self",
        {
            "app/store.py": "from sqlalchemy.orm import sessionmaker\n\n\n"
            "class Store:\n    def __init__(self, engine):\n"
            "        self.session_factory = sessionmaker(bind=engine)\n\n"
            "    def begin(self):\n        self.session = self.session_factory()\n\n\n"
            "store = Store(None)\n"
        },
        ("app/store.py", 9, "ISO302"),
    ),
    case(
        # each value of a module-level dict, through a local holding it, written in a loop
        "module-container-entries-through-a-local",
        {
            "a.py": "PANELS = {'a': {}, 'b': {}}\n\n\n"
            + HANDLER
            + "    panels = PANELS\n    for panel in panels.values():\n"
            "        panel['owner'] = request.user\n"
        },
        ("a.py", 7, "ISO101"),
    ),
    case(
        # `{**DEFAULTS}` copies the top level only: each request's tag goes into the
        # module's nested list, and a loop over the copy's nested list writes its entries
        "nested-containers-of-a-shallow-copy",
        {
            "a.py": "DEFAULTS = {'tags': [], 'panels': [{}]}\n\n\n"
            + HANDLER
            + "    options = {**DEFAULTS, 'timeout': 3}\n"
            "    options['tags'].append(request.user)\n"
            "    for panel in options['panels']:\n        panel['owner'] = request.user\n"
        },
        ("a.py", 6, "ISO101"),
        ("a.py", 8, "ISO101"),
    ),
    case(
        # a setting of the one client a cached getter hands every caller, written in place
        "setting-of-a-cached-getter-s-result-in-place",
        {
            "a.py": "import functools\n\nimport httpx\n\n\n@functools.lru_cache\n"
            "def get_client():\n    return httpx.Client()\n\n\n"
            + HANDLER
            + "    get_client().headers['Authorization'] = request.headers['token']\n"
        },
        ("a.py", 12, "ISO401"),
    ),
    case(
        # a Channels consumer is built per connection: `self.scope` is that connection's
        # request, and its user kept under a room's name is read by whoever is in the room
        "consumer-s-own-scope-kept-under-a-room",
        {
            "chat/consumers.py": "from channels.generic.websocket import "
            "AsyncJsonWebsocketConsumer\n\nHOSTS = {}\n\n\n"
            "class RoomConsumer(AsyncJsonWebsocketConsumer):\n"
            "    async def receive_json(self, content):\n"
            "        self.user = self.scope['user']\n"
            "        HOSTS[content['room']] = self.scope['user']\n"
        },
        ("chat/consumers.py", 9, "ISO402"),
    ),
]


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda case: case.name)
def test_not_a_finding(case: Case, project: MakeProject) -> None:
    findings = project(case.files, case.pyproject)
    assert findings == [], "\n".join(f"{f.path}:{f.line} {f.code} {f.message}" for f in findings)


@pytest.mark.parametrize("case", POSITIVES, ids=lambda case: case.name)
def test_finding(case: Case, project: MakeProject) -> None:
    findings = project(case.files, case.pyproject)
    found = {(f.path, f.line, f.code) for f in findings}
    assert found == set(case.expected), "\n".join(
        f"{f.path}:{f.line} {f.code} {f.message}" for f in findings
    )


def test_fix_repairs_every_same_named_definition_in_one_run(tmp_path: Path) -> None:
    """Both copies of a pasted method are fixed at once; a second run has nothing to do."""
    root = write_project(tmp_path / "proj", {"app/box.py": BOX_PASTED_TWICE})
    first = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert first.returncode == 0, first.stderr
    assert "fixed 2 findings in 1 file, 0 remaining" in first.stderr
    fixed = (root / "app" / "box.py").read_text(encoding="utf-8")
    assert fixed.count("items=None") == 2 and "=[]" not in fixed
    second = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert second.returncode == 0, second.stderr
    assert "fixed 0 findings" in second.stderr
    assert (root / "app" / "box.py").read_text(encoding="utf-8") == fixed
