"""`isolint race run` on small projects laid out as people write them, end to end (the real
CLI in a subprocess, the generated tests really running):

- a dependency-free package without a pyproject.toml, checked from the folder above it: the
  tests import it from there and its leak is confirmed;
- one module imports a package that is not installed (at the top, or inside the handler): its
  finding says which one, and the other findings still run and confirm;
- a finding in a pooled connection's untyped ``send(payload)`` is driven through the typed
  request handler that reaches it;
- a test whose code kills the interpreter costs only itself: the others run again alone.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from conftest import run_cli

CHATSVC = {
    "service.py": """
        _HISTORY: list[str] = []


        def remember(user_id: str, question: str) -> list[str]:
            _HISTORY.append(f"{user_id}: {question}")
            return list(_HISTORY)
    """,
    "pool.py": """
        class Connection:
            def __init__(self) -> None:
                self._replies: list[object] = []

            def send(self, payload):
                self._replies.append(payload)
                return self._replies[0]


        POOL = Connection()
    """,
    "api.py": """
        from chatsvc.pool import POOL


        def ask(user_id: str, question: str) -> object:
            return POOL.send({"user": user_id, "question": question})
    """,
    "tasks.py": """
        from nonexistent_broker_sdk import shared_task

        _SENT: list[str] = []


        @shared_task
        def send_receipt(user_id: str, email: str) -> list[str]:
            _SENT.append(f"{user_id}:{email}")
            return list(_SENT)
    """,
    "mail.py": """
        _OUTBOX: list[str] = []


        def send(user_id: str, body: str) -> list[str]:
            import nonexistent_mailer_sdk  # imported only when a request needs it

            _OUTBOX.append(f"{user_id}: {body}")
            nonexistent_mailer_sdk.send(body)
            return list(_OUTBOX)
    """,
}


def write_package(folder: Path, files: dict[str, str]) -> Path:
    """A package without pyproject.toml (nor any file above it naming a project)."""
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    return folder


def race_run(cwd: Path, *args: str) -> dict[str, dict[str, Any]]:
    result = run_cli("race", "run", *args, "--output-format", "json", "--budget", "2", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return {f"{f['path']}:{f['line']}": f["confirmation"] for f in json.loads(result.stdout)}


def test_a_package_without_pyproject_runs_from_above_and_a_missing_dependency_is_named(
    tmp_path: Path,
) -> None:
    write_package(tmp_path / "chatsvc", CHATSVC)
    verdicts = race_run(tmp_path, "chatsvc")
    assert set(verdicts) == {
        "chatsvc/service.py:5",
        "chatsvc/pool.py:6",
        "chatsvc/tasks.py:8",
        "chatsvc/mail.py:7",
    }
    history = verdicts["chatsvc/service.py:5"]
    assert history["status"] == "confirmed", history
    assert history["through"].startswith("chatsvc.service._HISTORY")
    # the pooled connection's `send(payload)` has no type hint: `ask` is driven instead
    pooled = verdicts["chatsvc/pool.py:6"]
    assert pooled["status"] == "confirmed", pooled
    assert pooled["through"].startswith("chatsvc.pool.POOL._replies")
    receipt = verdicts["chatsvc/tasks.py:8"]
    assert receipt == {
        "status": "not_runnable",
        "phase": None,
        "detail": "needs `nonexistent_broker_sdk`: "
        "ModuleNotFoundError: No module named 'nonexistent_broker_sdk'",
        "through": None,
    }
    mail = verdicts["chatsvc/mail.py:7"]
    assert mail["status"] == "not_runnable"
    assert mail["detail"] == (
        "needs `nonexistent_mailer_sdk`: "
        "ModuleNotFoundError: No module named 'nonexistent_mailer_sdk'"
    )


def test_a_test_that_kills_the_interpreter_costs_only_itself(tmp_path: Path) -> None:
    write_package(
        tmp_path / "jobs",
        {
            "a_exit.py": """
                import os

                _SEEN: list[str] = []


                def close_account(user_id: str, reason: str) -> list[str]:
                    _SEEN.append(f"{user_id}: {reason}")
                    if len(_SEEN) > 1:
                        os._exit(3)  # a second user's request kills the process
                    return list(_SEEN)
            """,
            "b_notes.py": """
                _NOTES: list[str] = []


                def add_note(user_id: str, text: str) -> list[str]:
                    _NOTES.append(f"{user_id}: {text}")
                    return list(_NOTES)
            """,
        },
    )
    verdicts = race_run(tmp_path / "jobs", ".")
    assert verdicts["b_notes.py:5"]["status"] == "confirmed"
    crashed = verdicts["a_exit.py:7"]
    assert crashed["status"] == "not_runnable"
    assert crashed["detail"].startswith("the test process stopped without a report (exit code 3)")
