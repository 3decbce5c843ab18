"""A finding's witness: where the shared object lives, the entry point and calls that reach
the store, and the request path that reads the value back, each a related location."""

from __future__ import annotations

from collections.abc import Callable

from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]

STORE = """RESULTS = {}


def remember(key, item):
    RESULTS[key] = item


def recall(key):
    return RESULTS.get(key)
"""

API = """from fastapi import APIRouter

from app.store import recall, remember

router = APIRouter()


@router.post("/results/{key}")
async def save(key: str, body: dict):
    remember(key, body)


@router.get("/results/{key}")
async def load(key: str):
    return recall(key)
"""


def test_the_witness_names_creation_entry_calls_and_reader(project: MakeProject) -> None:
    (finding,) = project({"app/store.py": STORE, "app/api.py": API})
    assert (finding.code, finding.path, finding.line) == ("ISO402", "app/store.py", 5)
    kinds = [(r.kind, r.path, r.line) for r in finding.related]
    assert ("creation", "app/store.py", 1) in kinds
    assert ("entry", "app/api.py", 9) in kinds
    assert ("call", "app/api.py", 10) in kinds
    assert ("reader", "app/store.py", 9) in kinds
    assert "`recall` reads it back at request time" in finding.message
    assert (finding.shared_object, finding.entry_point, finding.data_kind) == (
        "RESULTS",
        "save",
        "request data",
    )


def test_no_reader_means_no_reader_location(project: MakeProject) -> None:
    store = STORE.replace("return RESULTS.get(key)", "return key")
    (finding,) = project({"app/store.py": store, "app/api.py": API})
    assert all(r.kind != "reader" for r in finding.related)
    assert "reads it back" not in finding.message


def test_imports_through_namespace_packages_resolve(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``backend/svc/...`` without ``__init__.py`` files, imported as ``svc....`` (PEP 420
    namespace packages, run from ``backend/``): the call from the route still reaches the
    store in the other module."""
    from conftest import check_project

    root = tmp_path / "proj"
    (root / "backend" / "svc" / "api").mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    (root / "backend" / "svc" / "store.py").write_text(STORE, encoding="utf-8")
    api = API.replace("from app.store import", "from svc.store import")
    (root / "backend" / "svc" / "api" / "routes.py").write_text(api, encoding="utf-8")
    (finding,) = check_project(root)
    assert (finding.code, finding.path.endswith("store.py"), finding.line) == ("ISO402", True, 5)
    assert any(r.kind == "entry" and r.path.endswith("routes.py") for r in finding.related)


LOGIN = """from flask import request

COOKIES = []


def finish_login():
    COOKIES.append({"key": "auth-token", "value": request.args["token"]})
    return "ok"


def add_cookies(response):
    for cookie in COOKIES:
        response.set_cookie(cookie["key"], cookie["value"])
    return response
"""


def test_a_subpackage_named_like_a_framework_is_not_the_framework(
    project: MakeProject,
) -> None:
    """``from flask import request`` inside ``app/ui/flask/``: the import is the framework
    (absolute imports), not the project's own ``app.ui.flask`` package, which a dotted
    name's suffix would otherwise match."""
    files = {"app/ui/__init__.py": "", "app/ui/flask/__init__.py": ""}
    (finding,) = project({**files, "app/ui/flask/login.py": LOGIN})
    assert (finding.code, finding.path, finding.line) == ("ISO101", "app/ui/flask/login.py", 7)


def test_the_witness_starts_at_the_route_not_a_helper_taking_request_data(
    project: MakeProject,
) -> None:
    store = "SEEN = []\n\n\ndef note(user_id, item):\n    SEEN.append(item)\n"
    helper = "from app.store import note\n\n\ndef record(user_id, item):\n    note(user_id, item)\n"
    api = (
        "from fastapi import APIRouter\n\nfrom app.helper import record\n\n"
        'router = APIRouter()\n\n\n@router.post("/items")\n'
        "async def add(item: str):\n    record('someone', item)\n"
    )
    (finding,) = project({"app/store.py": store, "app/helper.py": helper, "app/api.py": api})
    entries = [r for r in finding.related if r.kind == "entry"]
    assert [(r.path, r.message.split(":")[0]) for r in entries] == [
        ("app/api.py", "request entry point `add`")
    ]


_KEEPER = """from fastapi import FastAPI, Request

app = FastAPI()


class Keeper{bases}:
    def __init__(self) -> None:
        self.token = None

    async def keep(self, token: str) -> None:
        self.token = token

    def {reader}(self):
        return self.token


keeper = Keeper()


@app.post("/login")
async def login(request: Request) -> None:
    await keeper.keep(request.headers["token"])
{use}"""


def test_a_value_nothing_that_runs_reads_back_is_not_reported(project: MakeProject) -> None:
    # the only reader is a method nothing calls
    assert project({"app/keeper.py": _KEEPER.format(bases="", reader="token_of", use="")}) == []


def test_a_reader_the_project_calls_keeps_the_finding(project: MakeProject) -> None:
    use = "\n\n@app.get('/me')\nasync def me() -> str:\n    return keeper.token_of()\n"
    found = project({"app/keeper.py": _KEEPER.format(bases="", reader="token_of", use=use)})
    assert [(f.code, f.line) for f in found] == [("ISO401", 11)], found


def test_a_class_with_a_foreign_base_may_be_read_by_its_library(project: MakeProject) -> None:
    source = "from app.vendor import Base\n" + _KEEPER.format(
        bases="(Base)", reader="_unused", use=""
    )
    found = project({"app/keeper.py": source})
    assert [(f.code, f.line) for f in found] == [("ISO401", 12)], found


def test_a_getattr_by_name_reads_the_attribute(project: MakeProject) -> None:
    by_name = (
        _KEEPER.format(bases="", reader="_unused", use="").replace("return self.token", "return 0")
        + "\n\ndef show() -> str:\n    return getattr(keeper, 'token')\n\n\nshow()\n"
    )
    assert [f.line for f in project({"app/keeper.py": by_name})] == [11]
    # (a public method of a class the project never builds, a library's extension, counts
    # as a reader too: its users call it; see ISO401's `LoginExtension` example)


def test_a_method_loading_the_attribute_at_request_time_is_named_as_its_reader(
    project: MakeProject,
) -> None:
    use = "\n\n@app.get('/me')\nasync def me() -> str:\n    return keeper.token_of()\n"
    (finding,) = project({"app/keeper.py": _KEEPER.format(bases="", reader="token_of", use=use)})
    assert "`Keeper.token_of` reads it back at request time" in finding.message
    readers = [(r.path, r.line) for r in finding.related if r.kind == "reader"]
    assert readers == [("app/keeper.py", 13)]


def test_a_field_of_that_name_counts_as_a_reader(project: MakeProject) -> None:
    # a response model built `from_attributes` reads `token` off whatever it is given
    model = "from pydantic import BaseModel\n\n\nclass KeeperOut(BaseModel):\n    token: str\n"
    source = _KEEPER.format(bases="", reader="_unused", use="")
    found = project({"app/keeper.py": source, "app/schemas.py": model})
    assert [(f.code, f.line) for f in found] == [("ISO401", 11)], found


GATEWAY = """from fastapi import FastAPI

from app.store import Store


class Gateway:
    def __init__(self) -> None:
        self.store = Store()

    def mount(self, app: FastAPI) -> None:
        @app.post("/items/{key}")
        async def put(key: str, value: str) -> None:
            self.store.put(key, value)
"""

KEPT_STORE = """class Store:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def put(self, key: str, value: str) -> None:
        self.items[key] = value

    def get(self, key: str) -> str | None:
        return self.items.get(key)
"""


def test_the_witness_says_why_the_keeper_of_an_object_is_long_lived(
    project: MakeProject,
) -> None:
    (finding,) = project({"app/store.py": KEPT_STORE, "app/gateway.py": GATEWAY})
    messages = [(r.path, r.line, r.message) for r in finding.related]
    assert messages[:2] == [
        ("app/gateway.py", 8, "long-lived: kept on `Gateway.store`, itself long-lived"),
        (
            "app/gateway.py",
            12,
            "`Gateway` is long-lived: its request handler `put` is defined in a method and "
            "runs on it",
        ),
    ]
