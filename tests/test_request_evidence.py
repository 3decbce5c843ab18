"""Writes are reported only where the code evidently runs at request time (RacerD's lesson):
in an async def, an entry point, a function taking request data, or one reached from these
through the project's calls, across modules too."""

from __future__ import annotations

import pytest
from conftest import MakeProject

from isolint.findings import Finding

STORE = "SEEN: list[str] = []\n\n\ndef remember(item):\n    SEEN.append(item)\n"


def test_a_helper_no_request_code_reaches_is_not_reported(project: MakeProject) -> None:
    script = "from app.store import remember\n\n\ndef main():\n    remember('x')\n"
    assert project({"app/store.py": STORE, "app/cli.py": script}) == []


def test_a_helper_reached_from_a_handler_in_another_module_is_a_warning(
    project: MakeProject,
) -> None:
    views = (
        "from app.store import remember\n\n\n"
        "async def on_message(request):\n    remember(request.body)\n"
    )
    (finding,) = project({"app/store.py": STORE, "app/views.py": views})
    assert (finding.path, finding.line, finding.code) == ("app/store.py", 5, "ISO101")
    assert finding.severity.value == "warning"
    assert "reached from request handler `on_message`" in finding.message


def test_a_store_no_request_reads_back_is_a_warning(project: MakeProject) -> None:
    code = "SEEN = []\n\n\ndef remember(user_id, item):\n    SEEN.append((user_id, item))\n"
    (finding,) = project({"app/store.py": code})
    assert finding.severity.value == "warning"
    assert "takes request data (`user_id`)" in finding.message
    assert "reads it back" not in finding.message


def test_a_store_another_request_reads_back_is_an_error(project: MakeProject) -> None:
    """The leak is complete: one request writes, another reads what it wrote."""
    code = "SEEN = []\n\n\ndef remember(user_id, item):\n    SEEN.append((user_id, item))\n"
    views = (
        "from app.store import SEEN\n\n\n"
        "async def history(request):\n    return [item for _, item in SEEN]\n"
    )
    (finding,) = project({"app/store.py": code, "app/views.py": views})
    assert (finding.line, finding.severity.value) == (5, "error")
    assert "`history` reads it back at request time" in finding.message
    readers = [(r.path, r.line) for r in finding.related if r.kind == "reader"]
    assert readers == [("app/views.py", 4)]


def test_subscripting_or_appending_to_the_container_is_no_read_of_it(
    project: MakeProject,
) -> None:
    code = (
        "SEEN = {}\n\n\ndef remember(user_id, item):\n    SEEN[item] = user_id\n\n\n"
        "def also(user_id, item):\n    SEEN[user_id] = item\n    SEEN.update({item: 1})\n"
    )
    findings = project({"app/store.py": code})
    assert findings  # not vacuous
    assert {f.severity.value for f in findings} == {"warning"}


def located(findings: list[Finding]) -> set[tuple[str, int, str]]:
    return {(finding.path, finding.line, finding.code) for finding in findings}


def test_test_code_is_excluded_by_default(project: MakeProject) -> None:
    """The same leaky module is reported in the service and nowhere under test code."""
    leaky = "SEEN = []\n\n\nasync def remember(user_id, item):\n    SEEN.append(item)\n"
    outside = {"app/views.py": leaky}
    # Not vacuous: outside test code this module is a finding ...
    assert located(project(outside)) == {("app/views.py", 5, "ISO101")}
    tests = {
        "tests/test_views.py": leaky,
        "tests/helpers.py": leaky,
        "test/views.py": leaky,
        "testing/views.py": leaky,
        "app/test_helpers.py": leaky,
        "app/helpers_test.py": leaky,
        "conftest.py": leaky,
        "app/conftest.py": leaky,
    }
    # ... and in every place the default `exclude` calls test code, it is not.
    assert located(project({**outside, **tests})) == {("app/views.py", 5, "ISO101")}


# --- receivers typed by what the callers pass --------------------------------------------------

BANK = """from typing import Any, Optional

from fastapi import FastAPI


class Bank:
    def __init__(self) -> None:
        self.active: Optional[str] = None

    def select(self, user_id: Optional[str]) -> None:
        self.active = user_id


class Catalog:
    def select(self, user_id: Optional[str]) -> None:
        pass


def load_bank() -> Bank:
    return Bank()


def create_app(bank: Any = None) -> FastAPI:
    app = FastAPI()

    @app.post("/chat")
    def chat(user_id: str) -> str:
        bank.select(user_id)
        return f"ok {bank.active}"

    return app
"""


def test_an_any_parameter_is_typed_by_what_its_one_caller_passes(project: MakeProject) -> None:
    serve = "from app.server import create_app, load_bank\n\n\ndef serve():\n"
    serve += "    bank = None\n    if True:\n        bank = load_bank()\n"
    serve += "    create_app(bank=bank)\n"
    (finding,) = project({"app/server.py": BANK, "app/cli.py": serve})
    assert (finding.path, finding.line, finding.code) == ("app/server.py", 11, "ISO401")
    assert "kept by `create_app`, whose request handler `chat`" in finding.message


def test_callers_passing_different_classes_leave_the_parameter_untyped(
    project: MakeProject,
) -> None:
    serve = "from app.server import Catalog, create_app, load_bank\n\n\ndef serve():\n"
    serve += "    create_app(load_bank())\n    create_app(Catalog())\n"
    assert project({"app/server.py": BANK, "app/cli.py": serve}) == []


def test_state_in_a_telemetry_package_is_bookkeeping(project: MakeProject) -> None:
    events = "EVENTS = []\n\n\nasync def record(request, note):\n    EVENTS.append(note)\n"
    assert project({"app/telemetry/events.py": events}) == []
    assert located(project({"app/runs/events.py": events})) == {("app/runs/events.py", 5, "ISO101")}


def test_audit_trails_dead_letters_and_handled_ids_are_bookkeeping(
    project: MakeProject,
) -> None:
    code = (
        "class Approvals:\n    def __init__(self):\n        self.{name} = []\n\n"
        "    async def note(self, request, action):\n"
        "        self.{name}.append(request.path)\n        return self.{name}\n\n\n"
        "approvals = Approvals()\n"
    )
    for name in ("audit_log", "dead_letter_queue", "processed_ids"):
        assert project({"app/approvals.py": code.format(name=name)}) == []
    found = located(project({"app/approvals.py": code.format(name="decisions")}))
    assert found == {("app/approvals.py", 6, "ISO401")}


def test_a_private_function_nothing_refers_to_is_dead_code(project: MakeProject) -> None:
    handlers = (
        "FRAMES = []\n\n\nclass Stream:\n"
        "    def _on_frame(self, session_id, frame):\n        FRAMES.append(frame)\n"
    )
    assert project({"app/stream.py": handlers}) == []
    # dispatched by a computed name: any private method may be the one called
    dispatch = "\n    def dispatch(self, event, *args):\n"
    dispatch += '        return getattr(self, f"_on_{event}")(*args)\n'
    found = located(project({"app/stream.py": handlers + dispatch}))
    assert found == {("app/stream.py", 6, "ISO101")}


def test_an_int_parameter_is_a_measure_unless_it_names_who_asked(project: MakeProject) -> None:
    code = (
        "class Tracker:\n    def __init__(self):\n"
        "        self.sizes = {}\n        self.owner = None\n\n"
        "    async def note(self, request, flow_id: str, size: int, user_id: int):\n"
        "        self.sizes[flow_id] = size\n        self.owner = user_id\n"
        "        return self.sizes, self.owner\n\n\n"
        "tracker = Tracker()\n"
    )
    assert located(project({"app/track.py": code})) == {("app/track.py", 8, "ISO401")}


def test_the_writing_method_reading_the_value_back_is_its_reader(project: MakeProject) -> None:
    """Another request runs the same method: it may write between this one's write and read."""
    code = (
        "class Pipeline:\n"
        "    def __init__(self):\n        self.state = None\n\n"
        "    async def run(self, request):\n"
        "        self.state = request.json()\n        return self.state['result']\n\n\n"
        "pipeline = Pipeline()\n"
    )
    (finding,) = project({"app/pipeline.py": code})
    assert (finding.code, finding.line, finding.severity.value) == ("ISO401", 6, "error")
    assert "`Pipeline.run` reads it back at request time" in finding.message


def test_state_another_package_keeps_is_read_back_by_that_package(project: MakeProject) -> None:
    code = (
        "import litellm\n\n\n"
        "async def chat(request, user_id):\n"
        "    litellm.callbacks = [Handler(user_id)]\n"
        "    return await litellm.acompletion(request)\n"
    )
    (finding,) = project({"app/views.py": code})
    assert (finding.code, finding.severity.value) == ("ISO104", "error")
    assert "`litellm` reads it back for every request" in finding.message


def test_a_project_module_attribute_is_read_back_where_its_name_is_loaded(
    project: MakeProject,
) -> None:
    state = "last_user = None\n"
    views = (
        "from app import state\n\n\n"
        "async def login(request, user_id):\n    state.last_user = user_id\n"
    )
    reader = "import app.state\n\n\nasync def whoami(request):\n    return app.state.last_user\n"
    (finding,) = project({"app/state.py": state, "app/views.py": views})
    assert (finding.code, finding.severity.value) == ("ISO104", "warning")
    (finding,) = project({"app/state.py": state, "app/views.py": views, "app/me.py": reader})
    assert (finding.code, finding.severity.value) == ("ISO104", "error")
    assert "`whoami` reads it back at request time" in finding.message


AUTH = (
    "from flask import session\n\n\n"
    "def signed_in_email():\n    return (session.get('user') or {}).get('email')\n\n\n"
    "def display_name():\n    return signed_in_email().split('@')[0]\n\n\n"
    "def is_signed_in():\n    return session.get('user') is not None\n"
)


def test_the_result_of_a_helper_reading_the_request_is_request_data(
    project: MakeProject,
) -> None:
    """``display_name()`` returns what ``flask.session`` holds, through another helper: its
    result, handed to a store in another function, is the request's data."""
    views = (
        "from flask import Flask\n\nfrom app.auth import display_name\n"
        "from app.store import remember\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/hello')\ndef hello():\n    name = display_name()\n    remember(name)\n"
        "    return 'hi'\n"
    )
    (finding,) = project({"app/auth.py": AUTH, "app/store.py": STORE, "app/views.py": views})
    assert (finding.path, finding.line, finding.code) == ("app/store.py", 5, "ISO101")
    assert "reached from request handler `hello`" in finding.message


def test_the_stored_result_of_a_helper_reading_the_request_is_named(project: MakeProject) -> None:
    views = (
        "from flask import Flask\n\nfrom app.auth import display_name\n\n"
        "app = Flask(__name__)\nLAST = {}\n\n\n"
        "@app.route('/hello')\ndef hello():\n    LAST['name'] = display_name()\n    return 'hi'\n"
    )
    (finding,) = project({"app/auth.py": AUTH, "app/views.py": views})
    assert (finding.line, finding.code) == (11, "ISO101")
    assert "(the result of `display_name()`, which reads the request)" in finding.message


def test_a_flag_a_helper_computes_from_the_request_is_no_request_data(
    project: MakeProject,
) -> None:
    views = (
        "from flask import Flask\n\nfrom app.auth import is_signed_in\n\n"
        "app = Flask(__name__)\nSTATE = {}\n\n\n"
        "@app.route('/hello')\ndef hello():\n    STATE['signed_in'] = is_signed_in()\n"
        "    return 'hi'\n"
    )
    assert project({"app/auth.py": AUTH, "app/views.py": views}) == []


_ROUTE = (
    "import functools\nfrom functools import wraps\n\nfrom fastapi import FastAPI\n\n"
    "app = FastAPI()\n"
    "LAST: dict = {{}}\n\n\n"
    "{decorator}\n\n\n"
    '@app.get("/items/{{item_id}}")\n'
    "@{use}\n"
    "def item(item_id: str) -> dict:\n"
    "    return {{'id': item_id}}\n"
)


@pytest.mark.parametrize(
    ("marker", "line"),
    [("    @functools.wraps(func)\n", 13), ("", 12)],
    ids=["functools-wraps", "unmarked"],
)
def test_the_wrapper_a_project_decorator_puts_around_a_route_runs_per_request(
    project: MakeProject, marker: str, line: int
) -> None:
    # unmarked too: the nested function the decorator returns, taking `*args, **kwargs`,
    # is what runs in the route's place
    decorator = (
        "def remember(func):\n"
        f"{marker}"
        "    def wrapper(*args, **kwargs):\n"
        '        LAST["item"] = kwargs["item_id"]\n'
        "        return func(*args, **kwargs)\n\n"
        "    return wrapper"
    )
    (finding,) = project({"app/api.py": _ROUTE.format(decorator=decorator, use="remember")})
    assert (finding.code, finding.line) == ("ISO101", line)
    assert "the wrapper `@remember` puts around `item`" in finding.message


def test_a_decorator_factory_s_wrapper_runs_per_request(project: MakeProject) -> None:
    decorator = (
        "def remember(slot):\n"
        "    def decorator(func):\n"
        "        @wraps(func)\n"
        "        def wrapper(*args, **kwargs):\n"
        '            LAST[slot] = kwargs["item_id"]\n'
        "            return func(*args, **kwargs)\n\n"
        "        return wrapper\n\n"
        "    return decorator"
    )
    source = _ROUTE.format(decorator=decorator, use='remember("item")')
    (finding,) = project({"app/api.py": source})
    assert (finding.code, finding.line) == ("ISO402", 14)


def test_a_helper_the_decorator_calls_but_does_not_return_is_no_wrapper(
    project: MakeProject,
) -> None:
    decorator = (
        "def remember(func):\n"
        "    def note(*names):\n"
        '        LAST["name"] = names[0]\n\n'
        "    note(func.__name__)\n"
        "    return func"
    )
    assert project({"app/api.py": _ROUTE.format(decorator=decorator, use="remember")}) == []


def test_a_decorator_that_registers_and_returns_the_function_adds_no_request_code(
    project: MakeProject,
) -> None:
    """What runs at decoration time (the registration) is import time, not a request's."""
    decorator = (
        "def remember(func):\n"
        "    def note(name):\n"
        '        LAST["name"] = name\n\n'
        "    note(func.__name__)\n"
        "    return func"
    )
    assert project({"app/api.py": _ROUTE.format(decorator=decorator, use="remember")}) == []


_QUERY_CACHE = (
    "CACHE = {}\n\n\n"
    "def cached_run(operation, query=None):\n"
    "    result = operation()\n"
    "    if query:\n"
    "        CACHE[query] = result\n"
    "    return result\n"
)


_REPORT = (
    "from app.store import cached_run\n\n\n"
    "async def report(request):\n    return cached_run(lambda: 42)\n"
)


def test_a_request_data_parameter_no_caller_passes_carries_nothing(project: MakeProject) -> None:
    """``query`` is request content by its name, but every call leaves it at None: the
    cache is never written with it."""
    assert project({"app/store.py": _QUERY_CACHE, "app/views.py": _REPORT}) == []


def test_a_request_data_parameter_one_caller_passes_carries_the_request(
    project: MakeProject,
) -> None:
    views = _REPORT + (
        "\n\nasync def search(request):\n"
        "    return cached_run(lambda: 1, query=request.query_params['q'])\n"
    )
    (finding,) = project({"app/store.py": _QUERY_CACHE, "app/views.py": views})
    assert (finding.path, finding.line) == ("app/store.py", 7)


_SETTINGS = (
    "class Settings:\n"
    "    def __init__(self):\n"
    "        self.defaults = {}\n\n"
    "    def merged(self, namespace):\n"
    "        settings = self.defaults\n"
    "        prefixes = []\n"
    "        if namespace:\n"
    "            prefixes.append(f'setting/{namespace}')\n"
    "        for prefix in prefixes:\n"
    "            settings.update(load(prefix))\n"
    "        return settings\n\n\n"
    "def load(prefix):\n    return {}\n\n\n"
    "SETTINGS = Settings()\n\n\n"
    "async def settings_view(request, namespace: str):\n"
    "    return SETTINGS.merged(namespace)\n"
)


def test_request_data_put_into_a_local_container_flows_on(project: MakeProject) -> None:
    """``prefixes.append(f"setting/{namespace}")`` makes the list the request's data, and
    what is loaded for each prefix is merged into the shared defaults."""
    (finding,) = project({"app/settings.py": _SETTINGS})
    assert (finding.code, finding.line) == ("ISO401", 11)
    assert "Settings.defaults" in finding.message


_LAZY_TYPES = (
    "_ALL = None\n\n\n"
    "def notification_types(event=None):\n"
    "    global _ALL\n"
    "    if event is None and _ALL:\n"
    "        return _ALL\n"
    "    types = {}\n"
    "    for found in load(event):\n"
    "        types[found] = found\n"
    "    if {test}:\n"
    "        _ALL = types\n"
    "    return types\n\n\n"
    "def load(event):\n    return []\n\n\n"
    "async def notify(request):\n"
    "    notification_types(request.GET.get('event'))\n"
    "    return _ALL\n"
)


def test_a_one_line_branch_where_the_request_data_is_none_carries_none(
    project: MakeProject,
) -> None:
    code = _LAZY_TYPES.replace(
        "    if {test}:\n        _ALL = types\n", "    if not event: _ALL = types\n"
    )
    assert "if not event: _ALL" in code
    assert project({"app/types.py": code}) == []


@pytest.mark.parametrize("test", ["event is None", "not event"])
def test_a_value_stored_where_the_request_data_is_none_carries_none(
    project: MakeProject, test: str
) -> None:
    """The cache of every event's types is filled only when no event was given."""
    assert project({"app/types.py": _LAZY_TYPES.replace("{test}", test)}) == []


@pytest.mark.parametrize("test", ["event is not None", "event"])
def test_a_value_stored_where_the_request_data_is_given_carries_it(
    project: MakeProject, test: str
) -> None:
    (finding,) = project({"app/types.py": _LAZY_TYPES.replace("{test}", test)})
    assert (finding.code, finding.line) == ("ISO102", 12)


_KEPT = "LAST = {}\n\n\nasync def handler(request, flag):\n{body}    LAST['seen'] = note\n"


@pytest.mark.parametrize(
    "body",
    [
        # an assignment in one branch does not undo what another branch assigned
        "    if flag:\n        note = request.body\n    else:\n        note = None\n",
        "    try:\n        note = request.body\n    except ValueError:\n        note = ''\n",
        # what a `with` or a walrus binds is computed from what it was given
        "    with open(request.path) as note:\n        pass\n",
        "    if (note := request.query.get('q')):\n        pass\n",
    ],
    ids=["if-else", "try-except", "with-as", "walrus"],
)
def test_request_data_a_local_may_hold_is_followed(project: MakeProject, body: str) -> None:
    (finding,) = project({"app/views.py": _KEPT.replace("{body}", body)})
    assert (finding.code, finding.line) == ("ISO101", 5 + body.count("\n"))


def test_a_memo_filled_in_try_and_except_branches_stays_a_memo(project: MakeProject) -> None:
    """The value is computed from the key's inputs in every branch: the same for all."""
    code = (
        "_EMAILS = {}\n\n\n"
        "def email_of(client, user_name):\n"
        "    key = (client.url, user_name)\n"
        "    if _EMAILS.get(key) is None:\n"
        "        try:\n"
        "            email = client.lookup(user_name)\n"
        "        except OSError:\n"
        "            email = None\n"
        "        _EMAILS[key] = email\n"
        "    return _EMAILS[key]\n\n\n"
        "async def profile(request, client):\n"
        "    return email_of(client, request.query['user_name'])\n"
    )
    assert project({"app/emails.py": code}) == []
