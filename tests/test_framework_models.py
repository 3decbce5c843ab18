"""Every shipped framework model has a positive and a negative case, run on the real engine.

Each positive case is a small project whose only evidence that a write runs at request time
is the framework: the entry point's parameters have no request-like names, and the write
happens in a helper it calls. The negative case is the same code where the decorator, base
class or registration call belongs to a package no model describes, so nothing is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import write_project

from isolint.config import ConfigError, load_config
from isolint.engine import check, load_settings
from isolint.findings import Finding
from isolint.models import builtin_model_names

MakeProject = Callable[..., list[Finding]]

_STORE = """
SEEN = {}


def remember(key, item):
    SEEN[key] = item
"""

# model -> (positive module, negative module); each calls remember(key, item) from a handler
CASES: dict[str, tuple[str, str]] = {
    "bots": (
        "from telegram.ext import Application, MessageHandler, filters\n\n"
        "def reply(update, context):\n    remember(update.effective_chat, update.message)\n\n"
        "app = Application.builder().build()\n"
        "app.add_handler(MessageHandler(filters.TEXT, reply))\n",
        "from somelib import Application, MessageHandler, filters\n\n"
        "def reply(update, context):\n    remember(update.effective_chat, update.message)\n\n"
        "app = Application.builder().build()\n"
        "app.add_handler(MessageHandler(filters.TEXT, reply))\n",
    ),
    "fastapi": (
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
        "@router.api_route('/items')\nasync def create(key: str, item: dict):\n"
        "    remember(key, item)\n",
        "from somelib import Catalogue\nrouter = Catalogue()\n\n"
        "@router.api_route('/items')\nasync def create(key: str, item: dict):\n"
        "    remember(key, item)\n",
    ),
    "flask": (
        "from flask import Blueprint\nbp = Blueprint('x', __name__)\n\n"
        "@bp.route('/items')\ndef create(key, item):\n    remember(key, item)\n",
        "from somelib import Planner\nbp = Planner()\n\n"
        "@bp.route('/items')\ndef create(key, item):\n    remember(key, item)\n",
    ),
    "django": (
        "from rest_framework import viewsets\n\n"
        "class ItemViewSet(viewsets.ModelViewSet):\n"
        "    def perform_create(self, serializer):\n        remember(serializer.key, serializer)\n",
        "class ItemViewSet:\n"
        "    def perform_create(self, serializer):\n        remember(serializer.key, serializer)\n",
    ),
    "tasks": (
        "from celery import Celery\napp = Celery('x')\n\n"
        "@app.task\ndef ingest(key, item):\n    remember(key, item)\n",
        "from somelib import Scheduler\napp = Scheduler('x')\n\n"
        "@app.task\ndef ingest(key, item):\n    remember(key, item)\n",
    ),
    "servers": (
        "from aiohttp import web\nroutes = web.RouteTableDef()\n\n"
        "@routes.view('/items')\nasync def create(key, item):\n    remember(key, item)\n",
        "from somelib import Table\nroutes = Table()\n\n"
        "@routes.view('/items')\nasync def create(key, item):\n    remember(key, item)\n",
    ),
    "graphql": (
        "import strawberry\n\n@strawberry.field\ndef item(key: str, item: str) -> str:\n"
        "    remember(key, item)\n    return item\n",
        "import somelib\n\n@somelib.field\ndef item(key: str, item: str) -> str:\n"
        "    remember(key, item)\n    return item\n",
    ),
    "ui": (
        "import gradio as gr\n\ndef answer(key, item):\n    remember(key, item)\n\n"
        "button = gr.Button('go')\nbutton.click(answer)\n",
        "import somelib\n\ndef answer(key, item):\n    remember(key, item)\n\n"
        "button = somelib.Button('go')\nbutton.click(answer)\n",
    ),
    "dash": (
        "from dash import Dash, Input, Output\napp = Dash(__name__)\n\n"
        "@app.callback(Output('out', 'children'), Input('key', 'value'), Input('item', 'value'))\n"
        "def answer(key, item):\n    remember(key, item)\n",
        "from somelib import Dash, Input, Output\napp = Dash(__name__)\n\n"
        "@app.callback(Output('out', 'children'), Input('key', 'value'), Input('item', 'value'))\n"
        "def answer(key, item):\n    remember(key, item)\n",
    ),
    "plugins": (
        "class Filter:\n    def inlet(self, key: str, item: dict, __user__=None) -> dict:\n"
        "        remember(key, item)\n        return item\n",
        "class Filter:\n    def inlet(self, key: str, item: dict, owner=None) -> dict:\n"
        "        remember(key, item)\n        return item\n",
    ),
    "agents": (
        "from langchain_core.tools import tool\n\n@tool\ndef lookup(key: str, item: str) -> str:\n"
        "    remember(key, item)\n    return item\n",
        "from somelib import tool\n\n@tool\ndef lookup(key: str, item: str) -> str:\n"
        "    remember(key, item)\n    return item\n",
    ),
}


_IMPORT = "from app.store import remember\n"


def _findings(project: MakeProject, handler: str) -> list[Finding]:
    return project({"app/store.py": _STORE, "app/handlers.py": _IMPORT + handler})


# models that say where requests are not served, each with its own tests
QUIETING_MODELS = {"cli": "test_command_line.py"}


def test_every_model_has_a_case() -> None:
    assert set(CASES) | set(QUIETING_MODELS) | {"stdlib"} == set(builtin_model_names())
    for test_file in QUIETING_MODELS.values():
        assert (Path(__file__).parent / test_file).is_file()


@pytest.mark.parametrize("model", sorted(CASES))
def test_model_finds_the_write_its_entry_point_reaches(project: MakeProject, model: str) -> None:
    found = _findings(project, CASES[model][0])
    codes = [(f.code, Path(f.path).name) for f in found]
    assert ("ISO402", "store.py") in codes, codes
    leak = next(f for f in found if f.code == "ISO402")
    kinds = {r.kind for r in leak.related}
    assert "entry" in kinds and "call" in kinds, leak.related
    assert leak.entry_point and leak.shared_object == "SEEN"


@pytest.mark.parametrize("model", sorted(CASES))
def test_same_code_without_the_framework_is_quiet(project: MakeProject, model: str) -> None:
    assert _findings(project, CASES[model][1]) == []


# Bottle (in the servers model): a route on an app, and one on the default app through the
# module's function, each with its twin from a package no model describes.
_BOTTLE_ROUTES = {
    "app": (
        "from bottle import Bottle\napp = Bottle()\n\n"
        "@app.post('/items')\ndef create(key, item):\n    remember(key, item)\n"
    ),
    "default app": (
        "from bottle import route\n\n"
        "@route('/items')\ndef create(key, item):\n    remember(key, item)\n"
    ),
}


@pytest.mark.parametrize("shape", sorted(_BOTTLE_ROUTES))
def test_servers_model_bottle_route_is_an_entry_point(project: MakeProject, shape: str) -> None:
    found = _findings(project, _BOTTLE_ROUTES[shape])
    assert [(f.code, Path(f.path).name) for f in found] == [("ISO402", "store.py")], found


@pytest.mark.parametrize("shape", sorted(_BOTTLE_ROUTES))
def test_the_same_route_from_another_package_is_quiet(project: MakeProject, shape: str) -> None:
    handler = _BOTTLE_ROUTES[shape].replace("from bottle import", "from somelib import")
    handler = handler.replace("Bottle()", "Router()").replace("import Bottle", "import Router")
    assert _findings(project, handler) == []


# Tornado (in the servers model) runs every request on its one event-loop thread, the
# synchronous methods of its handlers too: a thread-scoped session registry is shared there.
_TORNADO_SESSION = (
    "import tornado.web\n"
    "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
    "DBSession = scoped_session(sessionmaker())\n\n\n"
    "class NoteHandler(tornado.web.RequestHandler):\n"
    "    def post(self):\n"
    "        DBSession().commit()\n"
)


def test_servers_model_tornado_handlers_run_on_the_event_loop(project: MakeProject) -> None:
    (found,) = project({"app/handlers.py": _TORNADO_SESSION})
    assert (found.code, found.line) == ("ISO301", 4)
    assert "runs on its event loop" in found.related[0].message


def test_a_synchronous_handler_of_another_package_is_not_on_an_event_loop(
    project: MakeProject,
) -> None:
    handler = _TORNADO_SESSION.replace("import tornado.web", "import somelib.web")
    handler = handler.replace("tornado.web.RequestHandler", "somelib.web.RequestHandler")
    assert project({"app/handlers.py": handler}) == []


def test_a_synchronous_route_of_a_threaded_server_is_not_on_an_event_loop(
    project: MakeProject,
) -> None:
    """A request entry point that is neither ``async def`` nor a class the models put on an
    event loop: one thread per request, so a session per thread is one per request."""
    route = (
        "from flask import Flask\n"
        "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
        "app = Flask(__name__)\n"
        "DBSession = scoped_session(sessionmaker())\n\n\n"
        "@app.post('/notes')\n"
        "def post():\n"
        "    DBSession().commit()\n"
        "    return 'ok'\n"
    )
    assert project({"app/handlers.py": route}) == []


_DEPENDENCY = """from fastapi import Depends, FastAPI, Header

app = FastAPI()
SEEN: dict[str, str] = {{}}


def tenant(x_tenant: str = Header(), path: str = "") -> str:
    SEEN[path] = x_tenant
    return x_tenant


@app.get("/items")
def items(t: str = {default}) -> str:
    return t
"""


def test_fastapi_model_runs_a_dependency_for_each_request(project: MakeProject) -> None:
    found = project({"app/api.py": _DEPENDENCY.format(default="Depends(tenant)")})
    assert [(f.code, f.line) for f in found] == [("ISO402", 8)], found
    assert "a handler passed to `Depends(tenant)`" in found[0].message


def test_a_function_no_depends_names_is_not_a_dependency(project: MakeProject) -> None:
    assert project({"app/api.py": _DEPENDENCY.format(default='Header("")')}) == []


_STATE_SERVICE = """from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel


class Defaults(BaseModel):
    channel: str = "main"


class Settings:
    def __init__(self, defaults: Defaults):
        self.defaults = defaults.model_dump()

    def merged(self, namespace):
        settings = self.defaults
        settings.update(load(namespace))
        return settings


def load(namespace):
    return {{}}


class Store:
    @property
    def settings(self):
        if not hasattr(self, "_settings"):
            self._settings = Settings(Defaults())
        return self._settings

    def get_settings(self, namespace):
        return self.settings.merged(namespace)


class Server:
    def __init__(self):
        self.store = Store()
        self.app = FastAPI()

        @self.app.middleware("http")
        async def share_store(request: Request, call_next):
            request.state.store = {stored}
            return await call_next(request)


SERVER = Server()


async def get_store(request: Request):
    return request.state.store


@SERVER.app.get("/settings/{{namespace}}")
async def read_settings(namespace: str, store=Depends(get_store)):
    return store.get_settings(namespace)
"""


def test_a_dependency_returning_what_a_middleware_shares_is_that_object(
    project: MakeProject,
) -> None:
    """``store=Depends(get_store)`` is the server's one ``Store``, which a middleware puts
    on each request's state; the namespace's settings are merged into its shared defaults
    (through a property and a model's fields dumped into a dict)."""
    (finding,) = project({"app/api.py": _STATE_SERVICE.format(stored="self.store")})
    assert (finding.code, finding.line) == ("ISO401", 15)
    assert "Settings.defaults" in finding.message
    assert "read_settings" in finding.message


def test_a_dependency_returning_a_per_request_object_is_not_shared(project: MakeProject) -> None:
    assert project({"app/api.py": _STATE_SERVICE.format(stored="Store()")}) == []


_ACCESSOR = """from fastapi import FastAPI, Request

app = FastAPI()


class Api:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {{}}

    @classmethod
    def {accessor}(cls) -> "Api":
        return cls()


@app.get("/items")
def items(request: Request) -> None:
    api = Api.{accessor}()
    api.headers = dict(request.headers)
"""


def test_stdlib_model_singleton_accessor_hands_out_the_one_instance(project: MakeProject) -> None:
    found = project({"app/api.py": _ACCESSOR.format(accessor="get_instance")})
    assert [(f.code, f.line) for f in found] == [("ISO401", 18)], found
    assert "Api.headers" in found[0].message


def test_a_method_the_models_do_not_name_makes_its_own_object(project: MakeProject) -> None:
    assert project({"app/api.py": _ACCESSOR.format(accessor="build")}) == []


def test_stdlib_model_cached_factory_is_long_lived(project: MakeProject) -> None:
    source = (
        "import functools\n\nclass Tracker:\n    def __init__(self):\n        self.last = {}\n\n"
        "    def note(self, key, item):\n        self.last[key] = item\n\n"
        "@functools.lru_cache\ndef get_tracker():\n    return Tracker()\n\n"
        "def handle(request, key):\n    get_tracker().note(key, request.body)\n"
        "    return get_tracker().last\n"
    )
    found = project({"app/track.py": source})
    assert [f.code for f in found] == ["ISO401"], found
    assert any("cached factory" in r.message for r in found[0].related)


def test_stdlib_model_cached_factory_hands_out_one_object_to_every_caller(
    project: MakeProject,
) -> None:
    source = (
        "import functools\n\nclass Tracker:\n    def __init__(self):\n        self.last = None\n\n"
        "@functools.{decorator}\ndef get_tracker():\n    return Tracker()\n\n"
        "def handle(request):\n    tracker = get_tracker()\n    tracker.last = request.body\n"
    )
    found = project({"app/track.py": source.format(decorator="lru_cache")})
    assert [(f.code, f.line) for f in found] == [("ISO401", 13)], found
    assert "Tracker.last" in found[0].message and "cached function's result" in found[0].message
    assert project({"app/track.py": source.format(decorator="wraps(print)")}) == []


def test_stdlib_model_session_factories_are_not_sessions(project: MakeProject) -> None:
    source = (
        "from sqlalchemy.orm import sessionmaker, Session\n\n"
        "class Repo:\n    def __init__(self, factory: sessionmaker):\n"
        "        self.factory = factory\n\n"
        "    def load(self, user_id):\n        return user_id\n\n"
        "class Holder:\n    def __init__(self, db: Session):\n        self.db = db\n\n"
        "    def load(self, run_id):\n        return run_id\n\n"
        "REPO = Repo(sessionmaker())\n"
    )
    found = project({"app/repo.py": source})
    assert [(f.code, f.severity.value) for f in found] == [("ISO302", "warning")], found
    assert "Holder.db" in found[0].message


_TASK_KEEPS_THE_JOB = """
from {base_module} import {base}


class BuildTask({base}):
    def run(self, pk):
        self.project = load(pk)
        return build(self.project)


def load(pk):
    return pk


def build(project):
    return project
"""


def test_long_lived_base_task_instance_serves_every_job(project: MakeProject) -> None:
    found = project({"app/tasks.py": _TASK_KEEPS_THE_JOB.format(base_module="celery", base="Task")})
    assert [(f.code, f.line) for f in found] == [("ISO401", 7)], found
    assert "`Task` subclass: one instance serves every request" in found[0].message


def test_same_task_shape_from_an_unmodelled_base_is_quiet(project: MakeProject) -> None:
    source = _TASK_KEEPS_THE_JOB.format(base_module="somelib", base="Task")
    assert project({"app/tasks.py": source}) == []


_REGISTERED_ADMIN = """
from django.contrib import admin
from {base_module} import ThirdPartyModelAdmin, register_with

from app.models import Errata


class ErrataAdmin(ThirdPartyModelAdmin):
    def changelist_view(self, request, extra_context=None):
        if request.user.is_superuser:
            self.list_display = ["id", "status", "resolution"]
        else:
            self.list_display = ["id", "status"]
        return super().changelist_view(request, extra_context)


{register}(Errata, ErrataAdmin)
"""


def test_a_registered_model_admin_is_one_instance_for_every_staff_request(
    project: MakeProject,
) -> None:
    # the base comes from a package no model describes; the registration says what it is
    source = _REGISTERED_ADMIN.format(base_module="somelib", register="admin.site.register")
    found = project({"app/admin.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO401", 11), ("ISO401", 13)], found
    assert "registered with `admin.site.register`" in found[0].message


_REGISTERED_MODEL = """
from django.contrib import admin
from fastapi import APIRouter

from app.models import TimestampedModel

router = APIRouter()


class Account(TimestampedModel):
    pass


@router.post("/phone")
async def update_phone(account: Account, phone: str) -> Account:
    account.phone = phone
    await account.asave()
    return account


admin.site.register(Account, admin.ModelAdmin)
"""


def test_the_registered_model_is_not_the_instance_the_admin_site_keeps(
    project: MakeProject,
) -> None:
    # `register(Account, SomeAdmin)` builds a `SomeAdmin`: each request's `Account` is the
    # row it loaded, though the model derives from a project base class
    models = "class TimestampedModel:\n    created = None\n"
    assert project({"app/models.py": models, "app/admin.py": _REGISTERED_MODEL}) == []


def test_the_same_admin_registered_elsewhere_is_quiet(project: MakeProject) -> None:
    source = _REGISTERED_ADMIN.format(base_module="somelib", register="register_with")
    assert project({"app/admin.py": source}) == []


_ASGI_APP = """
class App:
    def __init__(self):
        self.routes = {{}}

    async def __call__(self, {params}):
        self.current = {first}
        return await self.dispatch()

    async def dispatch(self):
        return self.current
"""


def test_asgi_application_class_is_one_instance_for_every_request(project: MakeProject) -> None:
    found = project(
        {"app/server.py": _ASGI_APP.format(params="scope, receive, send", first="scope")}
    )
    assert [(f.code, f.line) for f in found] == [("ISO401", 7)], found
    assert "an ASGI application" in found[0].message


def test_a_call_with_another_signature_is_not_an_asgi_application(project: MakeProject) -> None:
    source = _ASGI_APP.format(params="config, loader, sink", first="config")
    assert project({"app/server.py": source}) == []


_STREAMLIT_CACHE = """
import streamlit as st
from app.llm import Client


@st.cache_resource
def make_client({params}):
    return Client(api_key=api_key)


api_key = {value}
client = make_client({args})
"""


def test_streamlit_cache_reading_what_a_user_typed_is_reported(project: MakeProject) -> None:
    source = _STREAMLIT_CACHE.format(
        params="", value='st.sidebar.text_input("API key", type="password")', args=""
    )
    found = project({"app/page.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO403", 6)], found
    assert {r.line for r in found[0].related} == {8, 11}


def test_streamlit_cache_keyed_by_the_input_is_quiet(project: MakeProject) -> None:
    source = _STREAMLIT_CACHE.format(
        params="api_key", value='st.sidebar.text_input("API key", type="password")', args="api_key"
    )
    assert project({"app/page.py": source}) == []


def test_streamlit_cache_reading_a_constant_is_quiet(project: MakeProject) -> None:
    source = _STREAMLIT_CACHE.format(params="", value='"public-demo-key"', args="")
    assert project({"app/page.py": source}) == []


def test_models_table_adds_a_framework(project: MakeProject) -> None:
    handler = (
        "from inhouse.web import Server\nserver = Server()\n\n"
        "@server.expose('/items')\ndef create(key, item):\n    remember(key, item)\n"
    )
    pyproject = (
        "[tool.isolint.models.inhouse]\nname = 'our web server'\n"
        "[[tool.isolint.models.inhouse.entry-decorators]]\n"
        "on = ['inhouse.web.Server']\nmethods = ['expose']\n"
    )
    files = {"app/store.py": _STORE, "app/handlers.py": _IMPORT + handler}
    assert [f.code for f in project(files, pyproject)] == ["ISO402"]
    assert project(files) == []


_GRAPH_RUN = """
from fastapi import FastAPI
from inhouse.graphs import build

app = FastAPI()
graph = build(memory_store=True)


@app.post("/completion")
def completion(prompt: str) -> str:
    return graph.run_turn({"messages": [prompt]}, config={"configurable": {"thread_id": "1"}})
"""


def test_models_table_adds_a_graph_run_and_its_memory_keyword(project: MakeProject) -> None:
    # `graph-run-methods` and `checkpointer-keywords`: a graph API other than LangGraph's
    pyproject = (
        "[tool.isolint.models.inhouse]\nname = 'our graphs'\n"
        "[tool.isolint.models.inhouse.values]\n"
        "graph-run-methods = ['run_turn']\ncheckpointer-keywords = ['memory_store']\n"
    )
    files = {"app/chat.py": _GRAPH_RUN}
    assert [(f.code, f.line) for f in project(files, pyproject)] == [("ISO101", 11)]
    assert project(files) == []


def test_models_table_disables_a_model(project: MakeProject) -> None:
    files = {
        "app/store.py": _STORE,
        "app/handlers.py": "from app.store import remember\n" + CASES["tasks"][0],
    }
    assert project(files, "[tool.isolint.models]\ndisable = ['tasks']\n") == []


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.isolint.models]\ndisable = ['nope']\n", "unknown model"),
        ("[tool.isolint.models]\nx = 1\n", "must be a table"),
        ("[tool.isolint.models.x]\nentry-decorators = 3\n", "array of tables"),
        ("[tool.isolint.models.x]\nroutes = []\n", "unknown key"),
        # a model's own key written below one of its `[[...]]` tables lands in that table
        (
            "[tool.isolint.models.x]\n[[tool.isolint.models.x.entry-decorators]]\n"
            "functions = ['a.b']\nlong-lived-decorators = ['a.cache']\n",
            "unknown key.*long-lived-decorators.*before its first",
        ),
    ],
)
def test_bad_models_table_names_the_file_and_the_problem(
    tmp_path: Path, table: str, message: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(pyproject)
    assert str(pyproject) in str(raised.value)


_RESOURCE_WITH_PARSER = """
from {module} import Resource, reqparse

parser = {parser}
parser.add_argument("tag")


class Search:
    filters = {{"params": {{}}}}

    def set_filters(self, args):
        self.filters["params"].update(args)


class Stats(Resource):
    def get(self):
        search = Search()
        search.set_filters(parser.parse_args())
        return search.filters
"""


def test_request_parser_arguments_are_request_data(project: MakeProject) -> None:
    # `request-reader-types`: the module-level parser reads the current request
    source = _RESOURCE_WITH_PARSER.format(module="flask_restful", parser="reqparse.RequestParser()")
    found = project({"app/api.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO103", 12)], found
    assert "request handler `Stats.get`" in found[0].message


def test_an_unmodelled_parser_and_resource_are_quiet(project: MakeProject) -> None:
    source = _RESOURCE_WITH_PARSER.format(module="somelib", parser="reqparse.RequestParser()")
    assert project({"app/api.py": source}) == []


def test_a_parser_object_of_another_kind_is_not_the_request(project: MakeProject) -> None:
    # the resource is modelled, but a module-level object of any other class is not a
    # request reader: what it returns is not request data
    source = _RESOURCE_WITH_PARSER.format(module="flask_restful", parser="dict()")
    assert project({"app/api.py": source}) == []


_CONTEXT_LOCAL_PROXY = """
from flask import g
from {module} import LocalProxy


def _get_current_service():
    return g.service


current_service = LocalProxy(_get_current_service)
LAST_SEEN = {{}}


def note_visit():
    LAST_SEEN["service"] = current_service.name
"""


def test_a_project_local_proxy_reads_the_current_request(project: MakeProject) -> None:
    # `request-reader-types`: werkzeug's LocalProxy looks the current request's object up
    found = project({"app/state.py": _CONTEXT_LOCAL_PROXY.format(module="werkzeug.local")})
    assert [(f.code, f.line) for f in found] == [("ISO101", 15)], found
    assert "current_service" in found[0].message


def test_a_proxy_class_of_another_package_is_not_the_request(project: MakeProject) -> None:
    assert project({"app/state.py": _CONTEXT_LOCAL_PROXY.format(module="somelib")}) == []


_VIEW_WITH_PLACEHOLDER = """
from django.http import JsonResponse
from {module} import {base}


class JsonResponseMixin:
    extra_context = None

    def get_context_data(self, **kwargs):
        context = self.extra_context or {{}}
        context.update(kwargs)
        return context


class JsonView(JsonResponseMixin, {base}):
    def get(self, request, **kwargs):
        return JsonResponse(self.get_context_data(**kwargs))
"""


def test_a_view_attribute_is_one_object_for_every_request(project: MakeProject) -> None:
    # `view-classes`: as_view() builds one view per request, but `extra_context` (from the
    # class body or the initkwargs) is the same object for all of them
    source = _VIEW_WITH_PLACEHOLDER.format(module="django.views.generic", base="View")
    found = project({"app/views.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO103", 11)], found
    assert "passed to `as_view()`" in found[0].message


def test_the_same_attribute_of_an_unmodelled_class_is_quiet(project: MakeProject) -> None:
    source = _VIEW_WITH_PLACEHOLDER.format(module="somelib", base="View")
    assert project({"app/views.py": source}) == []


def test_a_view_attribute_each_instance_sets_is_its_own(project: MakeProject) -> None:
    source = _VIEW_WITH_PLACEHOLDER.format(module="django.views.generic", base="View").replace(
        "    def get(self, request, **kwargs):",
        "    def setup(self, request, *args, **kwargs):\n"
        "        self.extra_context = {}\n\n"
        "    def get(self, request, **kwargs):",
    )
    assert project({"app/views.py": source}) == []


_AGENT_REGISTRY = """
from typing import Any

from fastapi import FastAPI
from praisonaiagents import Agent

app = FastAPI()
_agents: dict[str, Any] = {}


def get_agent(name: str) -> Any:
    return _agents.get(name)


_agents["assistant"] = Agent(name="assistant")


@app.post("/agents/{name}/chat")
async def chat(name: str, message: str) -> str:
    agent = get_agent(name)
    return await agent.METHOD(message)
"""


def test_a_registered_agent_given_the_request_shares_one_conversation(
    project: MakeProject,
) -> None:
    # `conversation-methods`: what the agent is told joins the conversation it keeps
    found = project({"app/agents.py": _AGENT_REGISTRY.replace("METHOD", "achat")})
    assert [(f.code, f.line) for f in found] == [("ISO404", 21)], found
    assert "process-wide registry `_agents`" in found[0].message


def test_another_method_of_a_registered_agent_is_quiet(project: MakeProject) -> None:
    assert project({"app/agents.py": _AGENT_REGISTRY.replace("METHOD", "describe")}) == []


_SELF_SERVED_AGENT = """
from fastapi import FastAPI


class Agent:
    async def achat(self, prompt: str) -> str:
        return prompt

    def launch(self, app: FastAPI) -> None:
        @app.post("/ask")
        async def ask(question: str) -> str:
            return await self.achat(question)
"""


def test_a_library_s_own_agent_under_an_unimportable_folder_is_its_modelled_type(
    project: MakeProject,
) -> None:
    # the agent library's own repository: `src/praisonai-agents/__init__.py` exists, but a
    # folder whose name is no identifier is no package, so the module is still
    # `praisonaiagents.agent.agent` and its `Agent` the modelled per-request type
    found = project({"src/praisonai-agents/praisonaiagents/agent/agent.py": _SELF_SERVED_AGENT})
    assert [(f.code, f.line) for f in found] == [("ISO404", 12)], found
    assert "the one `Agent` its request handler runs on" in found[0].message


_PUSHED_CONTEXT = """
import {module}


def create_app():
    app = {module}.{app_class}(__name__)
    app.app_context().push()
    return app
"""


def test_a_context_pushed_in_the_app_factory_is_shared(project: MakeProject) -> None:
    # `context-push-frameworks`: Flask's app context stays current until popped
    source = _PUSHED_CONTEXT.format(module="flask", app_class="Flask")
    found = project({"app/factory.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO504", 7)], found


def test_the_same_push_in_another_framework_is_quiet(project: MakeProject) -> None:
    source = _PUSHED_CONTEXT.format(module="somelib", app_class="Application")
    assert project({"app/factory.py": source}) == []


_CONTEXT_VARIABLE_SET_IN_A_HOOK = """
from contextvars import ContextVar

from {module} import {app_class}, request

app = {app_class}(__name__)
current_user: ContextVar[str | None] = ContextVar("current_user", default=None)


@app.before_request
def load_user() -> None:
    token = request.headers.get("Authorization")
    if token:
        current_user.set(token)


@app.route("/me")
def me() -> dict:
    return {{"user": current_user.get()}}
"""


def test_a_context_variable_set_on_a_wsgi_thread_stays_for_its_next_request(
    project: MakeProject,
) -> None:
    # Flask is not in `context-copying-modules`: its worker thread keeps one context
    source = _CONTEXT_VARIABLE_SET_IN_A_HOOK.format(module="flask", app_class="Flask")
    found = project({"app/views.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO505", 14)], found
    assert "never reset" in found[0].message


def test_a_context_variable_set_in_a_copied_context_is_quiet(project: MakeProject) -> None:
    # `context-copying-modules`: Quart runs each request, a synchronous hook too, in a copy
    source = _CONTEXT_VARIABLE_SET_IN_A_HOOK.format(module="quart", app_class="Quart")
    assert project({"app/views.py": source}) == []


_BODY_MODEL = """
import os

from fastapi import FastAPI
from {module} import {base}, {decorator}

app = FastAPI()


class RunSettings({base}):
    api_key: str

    @{decorator}("api_key")
    @classmethod
    def export_key(cls, value: str) -> str:
        os.environ["LLM_API_KEY"] = value
        return value


@app.post("/runs")
async def start_run(settings: RunSettings) -> dict:
    return {{"ok": True}}
"""


def test_a_validator_of_a_request_body_runs_at_request_time(project: MakeProject) -> None:
    # `body-model-bases` and `body-validator-decorators`: FastAPI builds the body per request
    source = _BODY_MODEL.format(module="pydantic", base="BaseModel", decorator="field_validator")
    found = project({"app/api.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO104", 16)], found
    assert "a validator of `RunSettings`, the request body `settings`" in found[0].message


def test_a_validator_of_another_library_s_model_is_quiet(project: MakeProject) -> None:
    source = _BODY_MODEL.format(module="schemalib", base="Schema", decorator="check")
    assert project({"app/api.py": source}) == []


_COMPONENT_EVENT = """
import {module} as ui

CHOSEN = []


def remember(choice):
    CHOSEN.append(choice)


with ui.Blocks() as demo:
    picker = ui.{component}(["a", "b"])
    picker.change(remember, [picker], None)
"""


def test_every_gradio_component_s_event_registers_a_handler(project: MakeProject) -> None:
    # `entry-registrations` on Gradio's components: a Dropdown's `change` as a Button's `click`
    source = _COMPONENT_EVENT.format(module="gradio", component="Dropdown")
    found = project({"app/ui.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO101", 8)], found


def test_the_same_event_of_another_library_s_widget_is_quiet(project: MakeProject) -> None:
    source = _COMPONENT_EVENT.format(module="widgetlib", component="Dropdown")
    assert project({"app/ui.py": source}) == []


_KEY_BUILDER = """
import hashlib


class CLASS:
    def make_cache_key(self, query: str, intent: str) -> str:
        return "cache:" + intent + ":" + hashlib.sha256(query.encode()).hexdigest()
"""


def test_a_model_answer_cache_keyed_by_the_query_serves_it_to_everyone(
    project: MakeProject,
) -> None:
    # `model-answer-caches`: a `query` asked of a language model is what a user typed
    found = project({"app/cache.py": _KEY_BUILDER.replace("CLASS", "SemanticCache")})
    assert [(f.code, f.line) for f in found] == [("ISO402", 6)], found
    assert "from `query`" in found[0].message


def test_a_search_cache_keyed_by_the_query_is_quiet(project: MakeProject) -> None:
    assert project({"app/cache.py": _KEY_BUILDER.replace("CLASS", "SearchCache")}) == []


_CLIENT = """
import CLIENT_MODULE
from fastapi import FastAPI

app = FastAPI()
client = CLIENT_MODULE.CLIENT_CLASS()


@app.get("/repos")
def repos(token: str) -> str:
    client.headers["Authorization"] = token
    return "ok"
"""


def test_a_shared_client_configured_with_a_user_s_token_is_reported(
    project: MakeProject,
) -> None:
    # `shared-settings`: what a shared client sends with every later call
    source = _CLIENT.replace("CLIENT_MODULE", "requests").replace("CLIENT_CLASS", "Session")
    found = project({"app/api.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO101", 11)], found


def test_the_same_write_on_an_unmodelled_client_is_quiet(project: MakeProject) -> None:
    source = _CLIENT.replace("CLIENT_MODULE", "somelib").replace("CLIENT_CLASS", "Catalogue")
    assert project({"app/api.py": source}) == []


_CONTAINER = """
import MODULE
from fastapi import FastAPI

app = FastAPI()


@app.post("/chat")
async def chat(api_key: str) -> str:
    MODULE.ATTRIBUTE["API_KEY"] = api_key
    return "ok"
"""


def test_the_environment_written_with_a_user_s_key_is_reported(project: MakeProject) -> None:
    # `process-wide-containers`: a package's container for the whole process
    source = _CONTAINER.replace("MODULE", "os").replace("ATTRIBUTE", "environ")
    found = project({"app/api.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO104", 10)], found


def test_another_package_s_container_is_quiet(project: MakeProject) -> None:
    source = _CONTAINER.replace("MODULE", "somelib").replace("ATTRIBUTE", "registry")
    assert project({"app/api.py": source}) == []


_MIDDLEWARE = """
from BASE_MODULE import BaseHTTPMiddleware


class Audit(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        self.last_user = request.headers.get("x-user")
        return await call_next(request)
"""


def test_a_starlette_middleware_keeping_the_user_on_itself_is_reported(
    project: MakeProject,
) -> None:
    # `long-lived-bases`: the application builds each middleware once
    source = _MIDDLEWARE.replace("BASE_MODULE", "starlette.middleware.base")
    found = project({"app/middleware.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO401", 7)], found


def test_the_same_class_on_an_unmodelled_base_is_quiet(project: MakeProject) -> None:
    source = _MIDDLEWARE.replace("BASE_MODULE", "somelib.pipeline")
    assert project({"app/middleware.py": source}) == []


_FORM = """
from BASE_MODULE import Form, CharField


class NoteForm(Form):
    body = CharField()

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_fields["body"].initial = user.username
"""


def test_a_form_changing_its_class_s_base_fields_is_reported(project: MakeProject) -> None:
    # `class-level-attributes`: Django builds a form class's `base_fields` once
    source = _FORM.replace("BASE_MODULE", "django.forms")
    found = project({"app/forms.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO103", 10)], found


def test_the_same_attribute_of_another_library_s_form_is_quiet(project: MakeProject) -> None:
    source = _FORM.replace("BASE_MODULE", "somelib.forms")
    assert project({"app/forms.py": source}) == []


_CACHED_VIEW = """
from CACHE_MODULE import cache_page


@cache_page(60)
def dashboard(request):
    return {"org": request.user.organisation}
"""


def test_a_cached_view_reading_the_user_is_reported(project: MakeProject) -> None:
    # `response-cache-decorators`: Django keys the cached response by its URL
    source = _CACHED_VIEW.replace("CACHE_MODULE", "django.views.decorators.cache")
    found = project({"app/views.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO402", 5)], found


def test_another_library_s_cache_page_is_quiet(project: MakeProject) -> None:
    source = _CACHED_VIEW.replace("CACHE_MODULE", "somelib.cache")
    assert project({"app/views.py": source}) == []


def test_a_cached_view_varying_on_the_cookie_is_quiet(project: MakeProject) -> None:
    # `response-varying-decorators`: the cached response is then per session cookie
    source = _CACHED_VIEW.replace("CACHE_MODULE", "django.views.decorators.cache").replace(
        "@cache_page(60)",
        "@cache_page(60)\n@vary_on_cookie",
    )
    source = "from django.views.decorators.vary import vary_on_cookie\n" + source
    assert project({"app/views.py": source}) == []


_SCOPED = """
from fastapi import FastAPI
from SCOPED_MODULE import scoped_session, sessionmaker

app = FastAPI()
SessionLocal = scoped_session(sessionmaker())


@app.get("/me")
async def me() -> dict:
    return {"n": SessionLocal().execute("select 1").scalar()}
"""


def test_a_thread_scoped_session_in_an_async_service_is_reported(project: MakeProject) -> None:
    # `thread-scoped-session-factories`: one session per thread, and the loop has one thread
    source = _SCOPED.replace("SCOPED_MODULE", "sqlalchemy.orm")
    found = project({"app/main.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO301", 6)], found


def test_another_library_s_scoped_session_is_quiet(project: MakeProject) -> None:
    source = _SCOPED.replace("SCOPED_MODULE", "somelib.orm")
    assert project({"app/main.py": source}) == []


_HOOK = """
from flask import request


class AgentTracker:
    def __init__(self, app) -> None:
        self.last_agent = ""
        app.before_request(self.remember_agent)

    def remember_agent(self) -> None:
        self.last_agent = request.headers.get("User-Agent", "")

    def agent(self) -> str:
        return self.last_agent
"""


def test_a_hook_registered_by_call_keeps_its_object_for_every_request(
    project: MakeProject,
) -> None:
    # `handler-registrations`: `before_request` registers a request hook whatever it is
    # called on, so an object registering its own method is kept for every request
    found = project({"app/tracker.py": _HOOK})
    assert [(f.code, f.line) for f in found] == [("ISO401", 11)], found


def test_a_method_handed_to_another_call_is_quiet(project: MakeProject) -> None:
    source = _HOOK.replace("app.before_request(", "app.log_hook(")
    assert project({"app/tracker.py": source}) == []


_APP_SLOT = """
from flask import Flask, request
from flask_login import current_user

app = Flask(__name__)


@app.post("/report")
def render_report():
    app.last_report = build(VALUE)
    return "ok"


@app.get("/report/latest")
def latest_report():
    return app.last_report
"""


def test_an_attribute_a_request_sets_on_the_application_is_every_user_s(
    project: MakeProject,
) -> None:
    # `shared-settings` `flask.Flask.*`: the application is one object for the process, so
    # a report built for the current user and parked on it is served to whoever asks next
    source = _APP_SLOT.replace("VALUE", "current_user.id")
    (found,) = project({"app/server.py": source})
    assert (found.code, found.line, found.severity.value) == ("ISO101", 10, "error")
    assert "`latest_report` reads it back at request time" in found.message


def test_an_application_slot_another_route_sends_is_every_user_s(project: MakeProject) -> None:
    # filled with what the request asked, not who asked, but another route hands the slot to
    # whoever asks next: the last request's choice (a plot, a report) reaches the others
    source = _APP_SLOT.replace("VALUE", 'request.args["theme"]')
    (found,) = project({"app/server.py": source})
    assert (found.code, found.line) == ("ISO101", 10)
    assert "attribute of the module-level `flask.Flask`" in found.message


def test_an_application_attribute_no_user_shapes_is_a_setting(project: MakeProject) -> None:
    # the same value with no other route reading it back (a theme an administrator picks,
    # which the templates use): global by design, like `app.config`
    source = _APP_SLOT.replace("VALUE", 'request.args["theme"]')
    source = source[: source.index('@app.get("/report/latest")')]
    assert project({"app/server.py": source}) == []


_FASTAPI_APP_SLOT = """
from fastapi import Depends, FastAPI

app = FastAPI()


@app.post("/report")
async def render_report(theme: str, user=Depends(current_user)):
    app.last_report = build(VALUE)
    return {"ok": True}


@app.get("/report/latest")
async def latest_report():
    return app.last_report
"""


def test_fastapi_s_application_is_one_object_for_every_request(project: MakeProject) -> None:
    (found,) = project({"app/server.py": _FASTAPI_APP_SLOT.replace("VALUE", "user.id")})
    assert (found.code, found.line, found.severity.value) == ("ISO101", 9, "error")
    unread = _FASTAPI_APP_SLOT.replace("VALUE", "theme")
    unread = unread[: unread.index('@app.get("/report/latest")')]
    assert project({"app/server.py": unread}) == []


_CONTEXT_HOLDER = """
from contextvars import ContextVar

current_user = HOLDER


def signed_in_user():
    return current_user.get()
"""

_RECORDED_EXPORT = """
from fastapi import FastAPI

from app.context import current_user, signed_in_user

app = FastAPI()
EXPORTED_BY = []
LAST = {}


def record_export():
    EXPORTED_BY.append(signed_in_user())


@app.get("/export")
async def export():
    record_export()
    LAST["user"] = current_user.get()
    return {"exported_by": EXPORTED_BY, "last": LAST}
"""


def test_a_context_variable_s_value_is_the_current_request_s(project: MakeProject) -> None:
    # `request-context-types` of the standard library: what a middleware set for the
    # request being served, read back through an import and through a helper returning it
    holder = _CONTEXT_HOLDER.replace("HOLDER", 'ContextVar("current_user", default=None)')
    found = project({"app/context.py": holder, "app/api.py": _RECORDED_EXPORT})
    assert [(f.code, f.line) for f in found] == [("ISO101", 12), ("ISO101", 18)], found
    assert "stores a value derived from request data" in found[1].message


def test_reading_a_context_variable_is_no_sign_of_serving_a_request(
    project: MakeProject,
) -> None:
    # a library method appending to its object's history and reading a ContextVar for its
    # own bookkeeping: only a request handler calling it would make it request-time code
    library = (
        "import contextvars\n\n_turn = contextvars.ContextVar('turn', default=None)\n\n\n"
        "class Agent:\n    def __init__(self):\n        self.history = []\n\n"
        "    def remember(self, content):\n        self.history.append(content)\n"
        "        owned = _turn.get()\n        if owned is not None:\n"
        "            owned.append(content)\n\n"
        "    def transcript(self):\n        _turn.get()\n        return list(self.history)\n"
        "\n\nagent = Agent()\n"
    )
    assert project({"app/agent.py": library}) == []


def test_a_module_level_object_of_another_kind_is_not_the_request(project: MakeProject) -> None:
    holder = _CONTEXT_HOLDER.replace("HOLDER", "Registry()").replace(
        "from contextvars import ContextVar", "from app.registry import Registry"
    )
    registry = "class Registry:\n    def get(self):\n        return 'default'\n"
    files = {"app/context.py": holder, "app/registry.py": registry, "app/api.py": _RECORDED_EXPORT}
    assert project(files) == []


_SCORE_TRACKER = """
import {module} as gr

scores = []


def track_score(score):
    scores.append(score)
    return sorted(scores, reverse=True)[:3]


demo = gr.Interface(fn=track_score, inputs="number", outputs="json")
with gr.Blocks() as page:
    box = gr.Number()
    best = gr.JSON()
    gr.Button("Add").click(fn=track_score, inputs=box, outputs=best)
"""


def test_a_gradio_interface_calls_its_function_for_every_user(project: MakeProject) -> None:
    # `handler-classes`: the function an interface is built with, passed by keyword; and
    # an event listener given its function by keyword
    (found,) = project({"app/ui.py": _SCORE_TRACKER.format(module="gradio")})
    assert (found.code, found.line) == ("ISO101", 8), found
    assert "a handler passed to `gr.Interface(fn=track_score)`" in found.message


def test_the_same_interface_of_another_library_is_quiet(project: MakeProject) -> None:
    assert project({"app/ui.py": _SCORE_TRACKER.format(module="somelib")}) == []


_MCP_MIDDLEWARE = """
from {module} import FastMCP
from {module}.server.middleware import Middleware, MiddlewareContext


class ToolListCache(Middleware):
    def __init__(self) -> None:
        self._lists: dict[str, list] = {{}}

    async def on_list_tools(self, context: MiddlewareContext, call_next):
        if "tools" not in self._lists:
            self._lists["tools"] = list(await call_next(context))
        return self._lists["tools"]


mcp = FastMCP("notes")
mcp.add_middleware(ToolListCache())
"""


def test_a_fastmcp_middleware_keeps_one_answer_for_every_client(project: MakeProject) -> None:
    # one middleware instance serves every client; the tool list it caches is the one the
    # first client was allowed to see
    (found,) = project({"app/server.py": _MCP_MIDDLEWARE.format(module="fastmcp")})
    assert (found.code, found.line) == ("ISO401", 12), found
    assert "`on_list_tools` of a `Middleware` subclass" in found.message


def test_the_same_middleware_of_another_library_is_quiet(project: MakeProject) -> None:
    assert project({"app/server.py": _MCP_MIDDLEWARE.format(module="somelib")}) == []


_AIOHTTP_LOGIN = """
from {module} import web


async def login(request: web.Request) -> web.Response:
    data = await request.post()
    request.app["current_user"] = data["username"]
    return web.Response(text="ok")


app = web.Application()
app.router.add_post("/login", login)
"""


def test_a_login_name_parked_in_aiohttp_s_application_is_reported(project: MakeProject) -> None:
    # a login name is who is asking, like a user id; the app mapping is one for the process
    (found,) = project({"app/server.py": _AIOHTTP_LOGIN.format(module="aiohttp")})
    assert (found.code, found.line) == ("ISO401", 7), found


def test_a_setting_parked_in_aiohttp_s_application_is_quiet(project: MakeProject) -> None:
    # what the request asked for, the same for whoever asks: a setting, global by design
    source = _AIOHTTP_LOGIN.format(module="aiohttp").replace('"username"', '"theme"')
    assert project({"app/server.py": source}) == []


_STREAMLIT_SCRIPT = """
import {module} as st

from app import state
from app.state import HISTORY

OWN = []
name = st.text_input("Your name")
question = st.chat_input("Ask")
if question:
    HISTORY.append({{"user": name, "question": question}})
    state.LAST["user"] = name
    OWN.append(question)
    st.session_state["history"] = OWN
"""


def test_a_streamlit_script_s_top_level_runs_for_every_session(project: MakeProject) -> None:
    # what the script's top level stores into a module it imports (imported once for the
    # process) reaches every session; its own globals are made anew for each run
    files = {
        "app/state.py": "HISTORY = []\nLAST = {}\n",
        "app/main.py": _STREAMLIT_SCRIPT.format(module="streamlit"),
    }
    found = project(files)
    assert [(f.code, f.line) for f in found] == [("ISO101", 11), ("ISO101", 12)], found
    assert "the top level of a Streamlit script" in found[0].message


def test_the_top_level_of_another_library_s_script_is_import_time(project: MakeProject) -> None:
    files = {
        "app/state.py": "HISTORY = []\nLAST = {}\n",
        "app/main.py": _STREAMLIT_SCRIPT.format(module="somelib"),
    }
    assert project(files) == []


_RUNNER = """
from fastapi import BackgroundTasks, FastAPI
from {runner_module} import {runner}

app = FastAPI()


class Summariser:
    def __init__(self) -> None:
        self.last = None

    def __call__(self, text: str) -> str:
        self.last = text
        return self.last[:80]


summarise = Summariser()


@app.post("/summaries")
async def create(text: str) -> str:
    return await {runner}(summarise, text)
"""


def test_stdlib_model_a_runner_calls_the_callable_it_is_handed(project: MakeProject) -> None:
    source = _RUNNER.format(runner_module="starlette.concurrency", runner="run_in_threadpool")
    found = project({"app/main.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO401", 13)], found
    assert "`create` calls `Summariser.__call__`" in " ".join(r.message for r in found[0].related)


def test_a_call_the_models_do_not_name_runs_nothing_it_is_handed(project: MakeProject) -> None:
    source = _RUNNER.format(runner_module="somelib", runner="run_in_threadpool")
    assert project({"app/main.py": source}) == []


_BACKGROUND = """
from fastapi import BackgroundTasks, FastAPI

app = FastAPI()
LATEST = {}


def record(topic: str, text: str) -> None:
    LATEST[topic] = text


@app.post("/notes/{topic}")
async def create(topic: str, text: str, tasks: BackgroundTasks) -> None:
    tasks.add_task(record, topic, text)
"""


def test_a_background_task_runs_for_the_request_that_added_it(project: MakeProject) -> None:
    found = project({"app/main.py": _BACKGROUND})
    assert [(f.code, f.line) for f in found] == [("ISO402", 9)], found


_LIFESPAN = """
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request


class Assistant:
    def __init__(self) -> None:
        self.memory = {{}}

    def chat(self, message: dict, user_id: str) -> str:
        self.memory[{key}] = message
        return str(self.memory)


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.assistant = Assistant()
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/chat")
async def chat(request: Request, user_id: str):
    body = await request.json()
    assistant = request.app.state.assistant
    return assistant.chat(body, user_id)
"""


def test_what_a_lifespan_keeps_on_the_app_state_serves_every_request(
    project: MakeProject,
) -> None:
    found = project({"app/main.py": _LIFESPAN.format(key='"last_message"')})
    assert [(f.code, f.line) for f in found] == [("ISO401", 12)], found
    assert "`chat` calls `Assistant.chat`" in " ".join(r.message for r in found[0].related)


def test_the_app_state_object_keyed_by_the_user_is_quiet(project: MakeProject) -> None:
    assert project({"app/main.py": _LIFESPAN.format(key="user_id")}) == []


_URL_CONF = """
from {module} import path

from app import views

urlpatterns = [
    path("", views.index),
    path("search/", views.search),
]
"""

_FUNCTION_VIEWS = """
PUBLIC_FIELDS = ["signature", "product"]


def index(options):
    return PUBLIC_FIELDS


def search(options):
    allowed = PUBLIC_FIELDS
    allowed += options.get("fields", [])
    return allowed
"""


def test_django_url_patterns_route_to_their_views(project: MakeProject) -> None:
    # `handler-classes`: each `path(...)` hands a view function to the URL resolver, which
    # calls it for every request (the second pattern's view too, not only the first's)
    files = {"app/views.py": _FUNCTION_VIEWS, "app/urls.py": _URL_CONF.format(module="django.urls")}
    (found,) = project(files)
    assert (found.code, found.path, found.line) == ("ISO101", "app/views.py", 11), found
    assert "a handler passed to `path(views.search)`" in found.message
    assert "`+=` through a local alias writes `PUBLIC_FIELDS`" in found.message


def test_the_same_patterns_of_another_library_are_quiet(project: MakeProject) -> None:
    files = {"app/views.py": _FUNCTION_VIEWS, "app/urls.py": _URL_CONF.format(module="somelib")}
    assert project(files) == []


_CLASS_DEPENDENCY = """from fastapi import Depends, FastAPI

app = FastAPI()
RECENT: list[str] = []


class Search:
    def run(self, query: str) -> list[str]:
        RECENT.append(query)
        return list(RECENT)


@app.get("/search")
async def search(q: str, searcher={default}):
    return searcher.run(q)
"""


def test_a_class_named_by_depends_is_built_for_the_request_and_its_methods_run(
    project: MakeProject,
) -> None:
    """``Depends(Search)`` hands the route a new ``Search``: what its methods write into
    the module is written at request time."""
    (finding,) = project({"app/api.py": _CLASS_DEPENDENCY.format(default="Depends(Search)")})
    assert (finding.code, finding.line) == ("ISO101", 9)
    assert "`search` calls `Search.run`" in " ".join(r.message for r in finding.related)


def test_a_method_of_an_object_nothing_resolves_is_not_followed(project: MakeProject) -> None:
    assert project({"app/api.py": _CLASS_DEPENDENCY.format(default="None")}) == []


def test_properties_handing_out_each_other_are_left_untyped(tmp_path: Path) -> None:
    """``x`` returns ``self.y`` and ``y`` returns ``self.x``: no type, and no endless loop."""
    code = (
        "class Pair:\n"
        "    @property\n    def x(self):\n        return self.y\n\n"
        "    @property\n    def y(self):\n        return self.x\n\n"
        "    def run(self, request):\n        self.x.go(request)\n\n\n"
        "PAIR = Pair()\n\n\n"
        "async def view(request):\n    PAIR.run(request)\n"
    )
    root = write_project(tmp_path / "proj", {"app/pair.py": code})
    result = check([root], load_settings([root]), use_cache=False, jobs=1, cwd=root)
    assert (result.findings, result.failures) == ([], [])


_DASH_PAGE = """
from dash import Input, Output, callback

SEEN = {container}


@callback(Output("out", "children"), Input("query", "value"))
def search(query):
    {store}
    return query
"""


def test_a_dash_callback_of_the_app_free_form_serves_every_user(project: MakeProject) -> None:
    source = _DASH_PAGE.format(container="[]", store="SEEN.append(query)")
    found = project({"app/pages/search.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO101", 9)], found
    assert "`@callback`" in found[0].message


def test_a_dash_callback_keeping_nothing_is_quiet(project: MakeProject) -> None:
    source = _DASH_PAGE.format(container="{}", store="query = SEEN.get(query, query)")
    assert project({"app/pages/search.py": source}) == []


_AIOHTTP_ROUTER = """
from {module} import web


class Tool:
    def __init__(self):
        self.target = None

    def set_context(self, target):
        self.target = target

    async def send(self, content):
        return (self.target, content)


class Loop:
    def __init__(self):
        self.tool = Tool()

    async def process(self, content, target):
        self.tool.set_context(target)
        return await self.tool.send(content)


LOOP = Loop()


async def chat(request):
    body = await request.json()
    return web.json_response(await LOOP.process(body["text"], body["chat"]))


app = web.Application()
app.router.add_post("/chat", chat)
"""


def test_a_handler_added_to_an_aiohttp_application_s_router_serves_requests(
    project: MakeProject,
) -> None:
    found = project({"app/server.py": _AIOHTTP_ROUTER.format(module="aiohttp")})
    assert [(f.code, f.line) for f in found] == [("ISO401", 10)], found
    assert "kept on `Loop.tool`" in found[0].message


def test_a_router_of_another_library_s_application_registers_nothing(
    project: MakeProject,
) -> None:
    assert project({"app/server.py": _AIOHTTP_ROUTER.format(module="somelib")}) == []


def test_a_handler_added_in_an_aiohttp_app_factory_serves_requests(project: MakeProject) -> None:
    source = _AIOHTTP_ROUTER.format(module="aiohttp").replace(
        'app = web.Application()\napp.router.add_post("/chat", chat)\n',
        "def create_app():\n    app = web.Application()\n"
        '    app.router.add_post("/chat", chat)\n    return app\n',
    )
    assert "def create_app" in source
    found = project({"app/server.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO401", 10)], found


_STATE_VALUE_HANDLER = """
import {module} as gr


class Model:
    def __init__(self):
        self.api_key = ""

    def set_key(self, key):
        self.api_key = key.strip()

    def predict(self, text):
        return f"{{self.api_key[:4]}}: {{text}}"


with gr.Blocks() as demo:
    model = gr.State(Model())
    key = gr.Textbox()
    key.change(model.value.set_key, key, None)
    question = gr.Textbox()
    question.submit(model.value.predict, question, question)
"""


def test_a_handler_bound_to_a_gradio_state_s_value_runs_on_one_object(
    project: MakeProject,
) -> None:
    found = project({"app/ui.py": _STATE_VALUE_HANDLER.format(module="gradio")})
    assert [(f.code, f.line) for f in found] == [("ISO401", 10)], found
    assert "created at import time" in " ".join(r.message for r in found[0].related)


def test_a_value_holder_of_another_library_hands_out_nothing(project: MakeProject) -> None:
    assert project({"app/ui.py": _STATE_VALUE_HANDLER.format(module="somelib")}) == []


def test_a_view_added_to_a_blueprint_made_in_a_factory_serves_requests(
    project: MakeProject,
) -> None:
    source = (
        "from flask import Blueprint\n\nSEEN = {}\n\n\n"
        "def keep(key, item):\n    SEEN[key] = item\n    return SEEN[key]\n\n\n"
        "def blueprint():\n    bp = Blueprint('webui', __name__)\n"
        "    bp.add_url_rule('/keep/<key>/<item>', view_func=keep)\n    return bp\n"
    )
    found = project({"app/views.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO402", 7)], found
    assert "`keep`" in found[0].message
