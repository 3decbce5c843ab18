"""Code that serves one person, not requests: command-line commands and scripts.

A command (``@app.command()`` of a Typer app, ``@click.command()``, a Django management
command's ``handle``) runs for the one person who typed it, and so do the modules of a
command-line package and programs no server imports (examples, one-off scripts). Each case
has a twin where the same code serves requests, or where the decorator belongs to a package no
model describes, and is reported: the quiet side is tested as hard as the loud one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]

_STORE = """
SEEN = {}


def remember(key, item):
    SEEN[key] = item
"""
_IMPORT = "from app.store import remember\n"

# a parameter named like a request's is all that says this function serves one
_COMMAND = """
@app.command()
def show(request: str, item: str) -> None:
    remember(request, item)
"""


def _found(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.code, Path(f.path).as_posix()) for f in findings}


def _project(project: MakeProject, files: dict[str, str]) -> set[tuple[str, str]]:
    return _found(project({"app/__init__.py": "", "app/store.py": _STORE, **files}))


def test_a_typer_command_serves_the_one_person_who_typed_it(project: MakeProject) -> None:
    handler = _IMPORT + "import typer\n\napp = typer.Typer()\n" + _COMMAND
    assert _project(project, {"app/tool.py": handler}) == set()


def test_the_same_command_of_an_unmodelled_package_is_reported(project: MakeProject) -> None:
    handler = _IMPORT + "from somelib import Typer\n\napp = Typer()\n" + _COMMAND
    assert _project(project, {"app/tool.py": handler}) == {("ISO402", "app/store.py")}


def test_a_click_group_s_sub_command_is_a_command_too(project: MakeProject) -> None:
    handler = (
        _IMPORT
        + "import click\n\n@click.group()\ndef cli():\n    pass\n\n"
        + "@cli.command()\ndef show(request, item):\n    remember(request, item)\n"
    )
    assert _project(project, {"app/tool.py": handler}) == set()


def test_a_django_management_command_serves_its_operator(project: MakeProject) -> None:
    handler = (
        _IMPORT
        + "from django.core.management.base import BaseCommand\n\n"
        + "class Command(BaseCommand):\n"
        + "    def handle(self, request, item):\n        remember(request, item)\n"
    )
    assert _project(project, {"app/ops.py": handler}) == set()


def test_a_command_line_package_serves_no_request(project: MakeProject) -> None:
    handler = _IMPORT + "\n\ndef show(request, item):\n    remember(request, item)\n"
    assert _project(project, {"app/cli/__init__.py": "", "app/cli/show.py": handler}) == set()
    assert _project(project, {"app/views.py": handler}) == {("ISO402", "app/store.py")}


def test_a_route_reaching_the_same_store_is_still_reported(project: MakeProject) -> None:
    files = {
        "app/tool.py": _IMPORT + "import typer\n\napp = typer.Typer()\n" + _COMMAND,
        "app/api.py": _IMPORT
        + "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n"
        + "@router.post('/items')\ndef create(key: str, item: str):\n    remember(key, item)\n",
    }
    assert _project(project, files) == {("ISO402", "app/store.py")}


# ---- scripts ---------------------------------------------------------------------------

_SCRIPT_OBJECT = """
class Tracker:
    def __init__(self):
        self.seen = []

    def track(self, request, item):
        self.seen.append(item)
        return list(self.seen)
"""


def test_an_object_a_script_makes_lives_for_its_one_run(project: MakeProject) -> None:
    script = "from app.tracking import Tracker\n\ntracker = Tracker()\ntracker.track('a', 1)\n"
    files = {"app/tracking.py": _SCRIPT_OBJECT, "run_once.py": script}
    assert _project(project, files) == set()


def test_the_same_object_a_served_module_makes_is_every_request_s(project: MakeProject) -> None:
    module = "from app.tracking import Tracker\n\ntracker = Tracker()\n"
    files = {
        "app/tracking.py": _SCRIPT_OBJECT,
        "app/shared.py": module,
        "app/api.py": "from app.shared import tracker\n",
    }
    assert _project(project, files) == {("ISO401", "app/tracking.py")}


def test_a_script_that_builds_an_application_is_a_server(project: MakeProject) -> None:
    server = (
        "from fastapi import FastAPI\nfrom app.tracking import Tracker\n\n"
        "app = FastAPI()\ntracker = Tracker()\nprint('serving')\n"
    )
    files = {"app/tracking.py": _SCRIPT_OBJECT, "main.py": server}
    assert _project(project, files) == {("ISO401", "app/tracking.py")}


def test_a_database_connection_in_an_example_serves_its_one_run(project: MakeProject) -> None:
    example = "import sqlite3\n\nconn = sqlite3.connect('demo.db')\nconn.execute('select 1')\n"
    assert _project(project, {"examples/demo.py": example}) == set()
    served = "import sqlite3\n\nconn = sqlite3.connect('demo.db')\n"
    found = _project(project, {"app/db.py": served, "app/api.py": "from app.db import conn\n"})
    assert found == {("ISO301", "app/db.py")}


def test_a_call_named_like_a_registration_on_another_object_is_no_server(
    project: MakeProject,
) -> None:
    # `json.load` is not Gradio's `demo.load(handler)`: the receiver's class decides
    script = (
        "import json\n\nfrom app.tracking import Tracker\n\n"
        "tracker = Tracker()\njson.load(open('settings.json'))\n"
    )
    files = {"app/tracking.py": _SCRIPT_OBJECT, "run_once.py": script}
    assert _project(project, files) == set()
