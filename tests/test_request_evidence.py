"""Writes are reported only where the code evidently runs at request time (RacerD's lesson):
in an async def, an entry point, a function taking request data, or one reached from these
through the project's calls, across modules too."""

from __future__ import annotations

from conftest import MakeProject

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


def test_a_function_taking_request_data_is_an_error(project: MakeProject) -> None:
    code = "SEEN = []\n\n\ndef remember(user_id, item):\n    SEEN.append((user_id, item))\n"
    (finding,) = project({"app/store.py": code})
    assert finding.severity.value == "error"
    assert "takes request data (`user_id`)" in finding.message


def test_test_code_is_excluded_by_default(project: MakeProject) -> None:
    leaky = "SEEN = []\n\n\nasync def remember(item):\n    SEEN.append(item)\n"
    files = {"tests/test_views.py": leaky, "app/test_helpers.py": leaky, "conftest.py": leaky}
    assert project(files) == []
