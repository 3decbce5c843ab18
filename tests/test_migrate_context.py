"""The ``migrate-context`` codemod: each rewrite kind on small projects, the demo fixture
against goldens, and the migrated fixture checked by the real CLI and its own tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import hypothesmith
import libcst
import pytest
from conftest import REPO, write_project
from hypothesis import HealthCheck, assume, event, given, settings

from isolint.config import ConfigError
from isolint.fix.codemods.migrate_context import (
    Migration,
    MigrationOptions,
    MigrationProblem,
    load_migration_options,
    migrate_project,
)

FIXTURE = REPO / "fixtures" / "agent_platform"
GOLDEN = REPO / "tests" / "data" / "migrate_context" / "agent_platform"
JSON = ("--output-format", "json", ".")
UPDATE_GOLDEN = os.environ.get("ISOLINT_UPDATE_GOLDEN") == "1"

LEGACY_MODULE = """\
class DeepAgentState:
    def __init__(
        self,
        user_id: str,
        chat_thread_id: str = "",
        run_id: str = "",
        messages: list[str] | None = None,
    ) -> None:
        self.user_id = user_id
        self.chat_thread_id = chat_thread_id
        self.run_id = run_id
        self.messages = messages if messages is not None else []
        self.results: dict[str, object] = {}

    def summary(self) -> str:
        return f"{self.user_id}: {len(self.messages)}"
"""

OPTIONS = MigrationOptions(
    legacy="app.state.DeepAgentState",
    field_map={
        "user_id": "user_id",
        "thread_id": "thread_id",
        "run_id": "run_id",
        "request_id": "request_id",
        "chat_thread_id": "thread_id",
    },
)


def python_files(root: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.py"))}


def migrate(
    tmp_path: Path, files: dict[str, str], options: MigrationOptions = OPTIONS
) -> tuple[dict[str, str], list[str]]:
    """(changed sources by relative path, problems as ``relative:line: reason``)."""
    root = write_project(tmp_path / "proj", {"app/state.py": LEGACY_MODULE, **files})
    migration = migrate_project(python_files(root), options, root)
    for path, text in migration.changed.items():
        path.write_text(text, encoding="utf-8")
    again = migrate_project(python_files(root), options, root)
    assert again.changed == {}, "not idempotent"
    return relative(migration, root)


def relative(migration: Migration, root: Path) -> tuple[dict[str, str], list[str]]:
    changed = {path.relative_to(root).as_posix(): text for path, text in migration.changed.items()}
    problems = [
        f"{problem.path.relative_to(root).as_posix()}:{problem.line}: {problem.reason}"
        for problem in migration.problems
    ]
    return changed, problems


# -- imports ---------------------------------------------------------------------------


def test_aliased_import_and_annotation(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState as State


def owner(state: State) -> str:
    return state.user_id
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from isolint.context import UserExecutionContext


def owner(context: UserExecutionContext) -> str:
    return context.user_id
"""
    )
    assert problems == []


def test_module_attribute_access(tmp_path: Path) -> None:
    source = """\
import logging

import app.state as legacy_state

log = logging.getLogger(__name__)


def show(state: legacy_state.DeepAgentState) -> None:
    log.info("%s", state.messages[-1])
"""
    changed, _ = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
import logging

from isolint.context import UserExecutionContext

log = logging.getLogger(__name__)


def show(context: UserExecutionContext) -> None:
    log.info("%s", context.agent_context["messages"][-1])
"""
    )


def test_relative_import_in_a_multi_name_import(tmp_path: Path) -> None:
    files = {
        "app/helpers.py": "def helper() -> int:\n    return 1\n",
        "app/agent.py": """\
from .helpers import helper
from .state import DeepAgentState, __name__ as state_module


def check(state: DeepAgentState) -> str:
    return f"{state_module} {helper()} {state.run_id}"
""",
    }
    changed, _ = migrate(tmp_path, files)
    assert (
        changed["app/agent.py"]
        == """\
from .helpers import helper
from .state import __name__ as state_module
from isolint.context import UserExecutionContext


def check(context: UserExecutionContext) -> str:
    return f"{state_module} {helper()} {context.run_id}"
"""
    )


def test_a_reexport_of_the_legacy_class_is_the_legacy_class(tmp_path: Path) -> None:
    """``app.agents`` re-exports the configured class: importing it from there is the
    same class object, migrated alike; once nothing imports it from ``app.agents`` the
    re-export goes too. A class of the same name defined elsewhere is another class."""
    reexport = "from app.state import DeepAgentState\n"
    owner = """\
from {module} import DeepAgentState


def owner(state: DeepAgentState) -> str:
    return state.user_id
"""
    other = "class DeepAgentState:\n    user_id = ''\n"
    changed, problems = migrate(
        tmp_path,
        {
            "app/agents/__init__.py": reexport,
            "app/worker.py": owner.format(module="app.agents"),
            "app/other.py": other,
            "app/user.py": owner.format(module="app.other"),
        },
    )
    assert changed["app/worker.py"] == (
        "from isolint.context import UserExecutionContext\n\n\n"
        "def owner(context: UserExecutionContext) -> str:\n    return context.user_id\n"
    )
    assert changed["app/agents/__init__.py"].strip() == ""
    assert sorted(changed) == ["app/agents/__init__.py", "app/worker.py"]
    assert problems == []


COPY_MODULE = """\
from pydantic import BaseModel, Field


class DeepAgentState(BaseModel):
    user_id: str = ""
    chat_thread_id: str = ""
    messages: list[str] = Field(default_factory=list)
"""


def test_a_same_name_copy_of_the_legacy_class_is_migrated_as_it(tmp_path: Path) -> None:
    """A refactor left ``app.schemas.DeepAgentState``, a copy of fields of the configured
    class, re-exported by ``app.registry``: it is the legacy class too, with its own
    defaults. A same-named class that shares only some fields is another class, and
    ``same-name-copies = false`` keeps to the configured path."""
    user = """\
from app.registry import DeepAgentState


def start(user_id: str, thread_id: str) -> "DeepAgentState":
    return DeepAgentState(user_id=user_id, chat_thread_id=thread_id)
"""
    other = user.replace("app.registry", "app.other")
    files = {
        "app/schemas.py": COPY_MODULE,
        "app/registry.py": "from app.schemas import DeepAgentState\n",
        "app/user.py": user,
        "app/other.py": "class DeepAgentState:\n    user_id: str\n    tenant: str\n",
        "app/other_user.py": other,
    }
    changed, problems = migrate(tmp_path, files)
    assert changed["app/user.py"] == (
        "from isolint.context import UserExecutionContext\n\n\n"
        'def start(user_id: str, thread_id: str) -> "UserExecutionContext":\n'
        "    return UserExecutionContext(\n"
        "        user_id=user_id,\n"
        "        thread_id=thread_id,\n"
        '        agent_context={"messages": []},\n'
        "    )\n"
    )
    assert changed["app/registry.py"].strip() == ""
    assert sorted(changed) == ["app/registry.py", "app/user.py"]
    assert problems == []
    options = replace(OPTIONS, same_name_copies=False)
    changed, _ = migrate(tmp_path / "off", files, options)
    assert changed == {}


def test_a_string_annotation_of_a_name_the_module_never_binds(tmp_path: Path) -> None:
    """``state: "DeepAgentState"`` in a module that imports no such name can only mean
    the legacy class when every project class of that name is one: it is migrated (the
    target imported). Not when the module binds the name otherwise, nor when another
    project class of that name exists."""
    dangling = """\
class Step:
    def run(self, state: "DeepAgentState") -> str:
        return state.chat_thread_id
"""
    bound = "from app.models import Helper as DeepAgentState\n\n\n" + dangling
    changed, problems = migrate(
        tmp_path, {"app/step.py": dangling, "app/bound.py": bound, "app/models.py": ""}
    )
    assert changed == {
        "app/step.py": """\
from isolint.context import UserExecutionContext

class Step:
    def run(self, context: "UserExecutionContext") -> str:
        return context.thread_id
"""
    }
    assert problems == []
    other = "class DeepAgentState:\n    tenant: str\n"
    changed, _ = migrate(tmp_path / "other", {"app/step.py": dangling, "app/other.py": other})
    assert changed == {}


def test_a_string_annotation_before_a_function_level_import(tmp_path: Path) -> None:
    """The class imported inside a later function is the name an earlier string
    annotation means: the annotation follows the parameter's rename."""
    source = """\
class Step:
    def run(self, state: "DeepAgentState") -> str:
        return state.chat_thread_id

    def make(self, user_id: str, thread_id: str) -> object:
        from app.state import DeepAgentState

        return DeepAgentState(user_id=user_id, chat_thread_id=thread_id)
"""
    changed, problems = migrate(tmp_path, {"app/step.py": source})
    assert 'def run(self, context: "UserExecutionContext") -> str:' in changed["app/step.py"]
    assert "return context.thread_id" in changed["app/step.py"]
    assert problems == []


def test_unused_legacy_import_goes_unless_other_code_imports_it(tmp_path: Path) -> None:
    """An import of the legacy class nothing uses is removed, but not where other code
    imports the name from the module (directly, or by ``import *``) or ``__all__`` lists
    it, nor when a use stays (a construction left for a person)."""
    unused = "from app.state import DeepAgentState\n\nLIMIT = 1\n"
    changed, problems = migrate(
        tmp_path,
        {
            "app/unused.py": unused,
            "app/starred.py": unused,
            "app/star_user.py": "from app.starred import *\n",
            "app/listed.py": unused + '\n__all__ = ["DeepAgentState", "LIMIT"]\n',
            "app/kept.py": unused.replace("LIMIT = 1", "STATE = DeepAgentState()"),
            "app/imported.py": unused,
            "app/client.py": "def make():\n    from app.imported import DeepAgentState\n"
            "    return DeepAgentState()\n",
        },
    )
    assert changed == {"app/unused.py": "LIMIT = 1\n"}
    assert [problem.split(": ")[0] for problem in problems] == ["app/client.py:3", "app/kept.py:3"]


def test_a_string_annotation_is_not_an_all_entry(tmp_path: Path) -> None:
    """``"DeepAgentState"`` in an annotation does not make the import a re-export: only
    the strings that build ``__all__`` do."""
    source = """\
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.state import DeepAgentState

__all__ = ["owner"]


def owner(state: "DeepAgentState") -> str:
    return state.user_id
"""
    changed, problems = migrate(tmp_path, {"app/annotated.py": source})
    assert "from app.state import DeepAgentState" not in changed["app/annotated.py"]
    assert 'def owner(context: "UserExecutionContext") -> str:' in changed["app/annotated.py"]
    assert problems == []


def test_type_checking_import_becomes_a_runtime_import(tmp_path: Path) -> None:
    source = """\
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.state import DeepAgentState


def start(user_id: str, thread_id: str) -> DeepAgentState:
    return DeepAgentState(user_id=user_id, chat_thread_id=thread_id)
"""
    changed, _ = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from __future__ import annotations

from typing import TYPE_CHECKING
from isolint.context import UserExecutionContext

if TYPE_CHECKING:
    pass


def start(user_id: str, thread_id: str) -> UserExecutionContext:
    return UserExecutionContext(
        user_id=user_id,
        thread_id=thread_id,
        agent_context={"messages": [], "results": {}},
    )
"""
    )


# -- annotations -----------------------------------------------------------------------


def test_optional_union_and_string_annotations(tmp_path: Path) -> None:
    source = """\
from typing import Optional, Union

from app.state import DeepAgentState


def a(state: Optional[DeepAgentState] = None) -> Union[DeepAgentState, None]:
    return state


def b(
    state: DeepAgentState | None, states: list[DeepAgentState]
) -> "DeepAgentState":
    assert state is not None
    return states[0]


def c(state: "Optional[DeepAgentState]") -> str | None:
    return state.run_id if state else None
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from typing import Optional, Union

from isolint.context import UserExecutionContext


def a(context: Optional[UserExecutionContext] = None) -> Union[UserExecutionContext, None]:
    return context


def b(
    context: UserExecutionContext | None, states: list[UserExecutionContext]
) -> "UserExecutionContext":
    assert context is not None
    return states[0]


def c(context: "Optional[UserExecutionContext]") -> str | None:
    return context.run_id if context else None
"""
    )
    assert problems == []


# -- parameters and callers -------------------------------------------------------------


def test_callers_keyword_arguments_follow_the_rename_across_modules(tmp_path: Path) -> None:
    files = {
        "app/agents.py": """\
from app.state import DeepAgentState


async def run_agent(state: DeepAgentState, retries: int = 0) -> str:
    return state.user_id


class Planner:
    async def execute(self, state: DeepAgentState) -> None:
        state.results["plan"] = "done"
""",
        "app/api.py": """\
from app.agents import Planner, run_agent


async def handle(payload, planner: Planner) -> str:
    await planner.execute(state=payload)
    return await run_agent(state=payload, retries=1)
""",
    }
    changed, problems = migrate(tmp_path, files)
    assert (
        changed["app/api.py"]
        == """\
from app.agents import Planner, run_agent


async def handle(payload, planner: Planner) -> str:
    await planner.execute(context=payload)
    return await run_agent(context=payload, retries=1)
"""
    )
    assert 'context.agent_context["results"]["plan"] = "done"' in changed["app/agents.py"]
    assert problems == []


def test_constructor_keyword_follows_init_parameter_rename(tmp_path: Path) -> None:
    files = {
        "app/steps.py": """\
from app.state import DeepAgentState


class Step:
    def __init__(self, state: DeepAgentState) -> None:
        self.user = state.user_id
""",
        "app/api.py": """\
import app.steps


def build(payload) -> object:
    return app.steps.Step(state=payload)
""",
    }
    changed, problems = migrate(tmp_path, files)
    assert changed["app/api.py"].endswith("    return app.steps.Step(context=payload)\n")
    assert "self.user = context.user_id" in changed["app/steps.py"]
    assert problems == []


def test_reassigned_parameter_and_variable_are_not_tracked(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def refresh(state: DeepAgentState, fresh) -> str:
    if fresh:
        state = fresh
    return state.user_id


def pick(user_id: str, thread_id: str, other) -> str:
    state = DeepAgentState(user_id=user_id)
    state = other
    return state.chat_thread_id
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    text = changed["app/agent.py"]
    assert "def refresh(state: UserExecutionContext, fresh) -> str:" in text
    assert "    return state.user_id\n" in text
    assert "    return state.chat_thread_id\n" in text
    assert problems == [
        "app/agent.py:4: parameter `state` is reassigned in `refresh`: its uses were not migrated"
    ]


def test_problem_prints_as_path_line_reason() -> None:
    problem = MigrationProblem(Path("app/agent.py"), 7, "something to do")
    assert str(problem) == "app/agent.py:7: something to do"


def test_ambiguous_method_keyword_is_reported(tmp_path: Path) -> None:
    files = {
        "app/agents.py": """\
from app.state import DeepAgentState


class Planner:
    def execute(self, state: DeepAgentState) -> None:
        pass


class Printer:
    def execute(self, state: str) -> None:
        print(state)
""",
        "app/api.py": """\
def handle(worker, payload) -> None:
    worker.execute(state=payload)
""",
    }
    changed, problems = migrate(tmp_path, files)
    assert "app/api.py" not in changed
    assert problems == [
        "app/api.py:2: keyword `state=` of `.execute(...)`: several project functions named "
        "`execute` take `state` and not all were renamed; rename it by hand"
    ]


def test_name_clash_keeps_the_parameter_name(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def unrelated_uses(state: DeepAgentState, log) -> None:
    log.info("run", context=log.context)


def bound_later(state: DeepAgentState) -> str:
    context = "audit"
    return f"{context}: {state.chat_thread_id}"


def second(state: DeepAgentState, context: str) -> str:
    return context + state.user_id
"""
    changed, _ = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from isolint.context import UserExecutionContext


def unrelated_uses(context: UserExecutionContext, log) -> None:
    log.info("run", context=log.context)


def bound_later(state: UserExecutionContext) -> str:
    context = "audit"
    return f"{context}: {state.thread_id}"


def second(state: UserExecutionContext, context: str) -> str:
    return context + state.user_id
"""
    )


# -- attribute reads and writes ----------------------------------------------------------


def test_identity_write_is_a_problem_and_stays(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def impersonate(state: DeepAgentState, other: str) -> None:
    state.user_id = other
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert "    context.user_id = other\n" in changed["app/agent.py"]
    assert problems == [
        "app/agent.py:5: `state.user_id` is written: `user_id` is an identity field of the "
        "immutable context; create the context with the right value instead (not rewritten)"
    ]


def test_result_writes_go_to_agent_context(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def finish(state: DeepAgentState, answer: str) -> None:
    state.results = {"answer": answer}
    state.results["count"] = 1
    state.attempts += 1
    del state.scratch
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert changed["app/agent.py"].endswith("""\
def finish(context: UserExecutionContext, answer: str) -> None:
    context.agent_context["results"] = {"answer": answer}
    context.agent_context["results"]["count"] = 1
    context.agent_context["attempts"] += 1
    del context.agent_context["scratch"]
""")
    assert problems == []


def test_legacy_method_call_is_a_problem(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def describe(state: DeepAgentState) -> str:
    return state.summary()
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert "return context.summary()" in changed["app/agent.py"]
    assert problems == [
        "app/agent.py:5: `state.summary` uses a method of the legacy class: the context has "
        "no equivalent (not rewritten)"
    ]


def test_a_callable_set_on_a_class_without_bases_goes_through_the_dict(tmp_path: Path) -> None:
    """An instance of a legacy class without bases may hold any attribute: a callable
    stored on it is stored in and called from the unmapped dict alike."""
    source = """\
from app.state import DeepAgentState


def finish(state: DeepAgentState) -> None:
    state.on_done = print
    state.on_done()
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert changed["app/agent.py"].endswith(
        '    context.agent_context["on_done"] = print\n    context.agent_context["on_done"]()\n'
    )
    assert problems == []


def test_unknown_holders_are_left_alone(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def load(blob) -> DeepAgentState:
    state = decode(blob)
    print(state.messages)
    return state


def decode(blob):
    return blob
"""
    changed, _ = migrate(tmp_path, {"app/agent.py": source})
    assert "print(state.messages)" in changed["app/agent.py"]
    assert "def load(blob) -> UserExecutionContext:" in changed["app/agent.py"]


def test_annotated_self_attribute(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


class Step:
    state: DeepAgentState

    def thread(self) -> str:
        return self.state.chat_thread_id

    def other(self, holder) -> str:
        return holder.state.chat_thread_id
"""
    changed, _ = migrate(tmp_path, {"app/agent.py": source})
    assert "return self.state.thread_id" in changed["app/agent.py"]
    assert "return holder.state.chat_thread_id" in changed["app/agent.py"]


# -- constructions ------------------------------------------------------------------------


def test_construction_maps_fields_and_fills_legacy_defaults(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def start(user_id: str, thread_id: str) -> dict[str, object]:
    state = DeepAgentState(user_id, chat_thread_id=thread_id)
    state.messages.append("hello")
    first = DeepAgentState(
        user_id=user_id,
        messages=["hi"],
    )
    return {"state": state.messages, "first": first.messages}
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from isolint.context import UserExecutionContext


def start(user_id: str, thread_id: str) -> dict[str, object]:
    state = UserExecutionContext(
        user_id=user_id,
        thread_id=thread_id,
        agent_context={"messages": [], "results": {}},
    )
    state.agent_context["messages"].append("hello")
    first = UserExecutionContext(
        user_id=user_id,
        thread_id=thread_id,
        agent_context={"messages": ["hi"], "results": {}},
    )
    return {"state": state.agent_context["messages"], "first": first.agent_context["messages"]}
"""
    )
    assert problems == []


def test_construction_of_a_class_outside_the_project(tmp_path: Path) -> None:
    source = """\
from ext.models import SharedState


def start(user_id: str, thread_id: str) -> SharedState:
    return SharedState(user_id=user_id, chat_thread_id=thread_id, notes=[])
"""
    options = replace(OPTIONS, legacy="ext.models.SharedState")
    changed, problems = migrate(tmp_path, {"app/agent.py": source}, options)
    assert changed["app/agent.py"].endswith(
        "def start(user_id: str, thread_id: str) -> UserExecutionContext:\n"
        "    return UserExecutionContext(user_id=user_id, thread_id=thread_id, "
        'agent_context={"notes": []})\n'
    )
    assert problems == []


def test_construction_from_kwargs_goes_through_the_helper(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def restore(fields: dict[str, str], *values: str) -> DeepAgentState:
    if values:
        return DeepAgentState(*values)
    return DeepAgentState(run_id="r-1", **fields)
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    text = changed["app/agent.py"]
    assert "return DeepAgentState(*values)" in text
    assert (
        "    return UserExecutionContext.from_legacy_kwargs(\n"
        '        {"chat_thread_id": "thread_id"},\n'
        '        {"messages": [], "results": {}},\n'
        '        run_id="r-1",\n'
        "        **fields,\n"
        "    )\n"
    ) in text
    assert problems == [
        "app/agent.py:7: `DeepAgentState(...)` with *args: map its fields by hand (not rewritten)"
    ]


def test_the_kwargs_helper_applies_the_field_map_at_run_time() -> None:
    from isolint.context import UserExecutionContext

    fields = {"user_id": "u-1", "chat_thread_id": "t-1", "messages": ["hi"]}
    context = UserExecutionContext.from_legacy_kwargs(
        {"chat_thread_id": "thread_id"}, {"messages": [], "results": {}}, run_id="r-1", **fields
    )
    assert (context.user_id, context.thread_id, context.run_id) == ("u-1", "t-1", "r-1")
    assert context.agent_context == {"messages": ["hi"], "results": {}}


# -- references -----------------------------------------------------------------------------


def test_isinstance_and_alias(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState

StateType = DeepAgentState


def is_state(value: object) -> bool:
    return isinstance(value, (DeepAgentState, dict)) or issubclass(type(value), StateType)
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from isolint.context import UserExecutionContext

StateType = UserExecutionContext


def is_state(value: object) -> bool:
    return isinstance(value, (UserExecutionContext, dict)) or issubclass(type(value), StateType)
"""
    )
    assert problems == []


def test_subclass_and_value_uses_are_problems(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


class ResearchState(DeepAgentState):
    pass


REGISTRY = {"legacy": DeepAgentState}


def load(data: dict[str, str]) -> object:
    return DeepAgentState.from_dict(data)
"""
    changed, problems = migrate(tmp_path, {"app/agent.py": source})
    assert changed == {}
    assert problems == [
        "app/agent.py:4: class `ResearchState` subclasses the legacy class `DeepAgentState`: "
        "hold a `UserExecutionContext` as a field instead (not rewritten)",
        "app/agent.py:8: `DeepAgentState` used as a value (passed, stored or returned): decide "
        "what the code needs from the context (not rewritten)",
        "app/agent.py:12: `DeepAgentState.from_dict` uses the legacy class's own API: the "
        "context has no equivalent (not rewritten)",
    ]


SUBCLASS = """\
from app.state import DeepAgentState


class ReviewState(DeepAgentState):
    "A legacy state with a reviewer."

    max_comments: int = 5

    def __init__(self, user_id: str, thread_id: str, reviewer: str) -> None:
        # the reviewer is the subclass's own field
        super().__init__(user_id, chat_thread_id=thread_id)  # identity first
        self.reviewer = reviewer

    def title(self) -> str:
        return f"review by {self.reviewer}"
"""

SUBCLASS_PROBLEM = (
    "app/review.py:4: class `ReviewState` subclasses the legacy class `DeepAgentState`: "
    "hold a `UserExecutionContext` as a field instead (not rewritten)"
)


def test_simple_unreferenced_subclass_holds_the_context(tmp_path: Path) -> None:
    changed, problems = migrate(tmp_path, {"app/review.py": SUBCLASS})
    assert (
        changed["app/review.py"]
        == """\
from isolint.context import UserExecutionContext


class ReviewState:
    "A legacy state with a reviewer."

    max_comments: int = 5

    def __init__(self, user_id: str, thread_id: str, reviewer: str) -> None:
        # the reviewer is the subclass's own field
        self.context = UserExecutionContext(
            user_id=user_id,
            thread_id=thread_id,
            agent_context={"messages": [], "results": {}},
        )  # identity first
        self.reviewer = reviewer

    def title(self) -> str:
        return f"review by {self.reviewer}"
"""
    )
    assert problems == [
        "app/review.py:4: class `ReviewState` subclassed the legacy class `DeepAgentState`: "
        "it now holds a `UserExecutionContext` in `self.context`; code outside the project "
        "that reads legacy fields from it must use `.context`"
    ]


def test_composed_subclass_keeps_other_bases_and_the_legacy_import_of_other_uses(
    tmp_path: Path,
) -> None:
    source = """\
from app.state import DeepAgentState


class Marker(object, DeepAgentState):
    def __init__(self, user_id: str, thread_id: str) -> None:
        super().__init__(user_id=user_id, chat_thread_id=thread_id)


def restore(fields: dict[str, str]) -> object:
    return DeepAgentState.restore(fields)
"""
    changed, problems = migrate(tmp_path, {"app/marker.py": source})
    assert changed["app/marker.py"] == (
        "from app.state import DeepAgentState\n"
        "from isolint.context import UserExecutionContext\n\n\n"
        "class Marker(object):\n"
        "    def __init__(self, user_id: str, thread_id: str) -> None:\n"
        "        self.context = UserExecutionContext(\n"
        "            user_id=user_id,\n"
        "            thread_id=thread_id,\n"
        '            agent_context={"messages": [], "results": {}},\n'
        "        )\n\n\n"
        "def restore(fields: dict[str, str]) -> object:\n"
        "    return DeepAgentState.restore(fields)\n"
    )
    assert [problem.split(":")[1] for problem in problems] == ["5", "15"]
    assert problems[0].startswith("app/marker.py:5: class `Marker` subclassed the legacy")


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "app/review.py": SUBCLASS,
                "app/api.py": "from app.review import ReviewState\n\n"
                "def start() -> object:\n    return ReviewState('u', 't', 'r')\n",
            },
            id="constructed-elsewhere",
        ),
        pytest.param(
            {
                "app/review.py": SUBCLASS
                + "\n    def owner(self) -> str:\n        return self.user_id\n"
            },
            id="method-reads-a-legacy-field",
        ),
        pytest.param(
            {
                "app/review.py": SUBCLASS.replace(
                    "self.reviewer = reviewer", "self.context = reviewer"
                )
            },
            id="assigns-self-context",
        ),
        pytest.param(
            {"app/review.py": SUBCLASS + "\n    def notify(self) -> None:\n        print(self)\n"},
            id="passes-self-along",
        ),
        pytest.param(
            {"app/review.py": SUBCLASS + '\n\n__all__ = ["ReviewState"]\n'},
            id="exported-by-name",
        ),
    ],
)
def test_subclass_that_may_be_observed_is_left_for_a_person(
    tmp_path: Path, files: dict[str, str]
) -> None:
    changed, problems = migrate(tmp_path, files)
    assert "app/review.py" not in changed
    assert problems == [SUBCLASS_PROBLEM]


def test_syntax_error_file_is_reported_and_untouched(tmp_path: Path) -> None:
    files = {
        "app/broken.py": "from app.state import DeepAgentState\n\ndef f(:\n    pass\n",
        "app/agent.py": "from app.state import DeepAgentState\n\nStateType = DeepAgentState\n",
    }
    changed, problems = migrate(tmp_path, files)
    assert set(changed) == {"app/agent.py"}
    assert len(problems) == 1
    assert problems[0].startswith("app/broken.py:3: syntax error: ")
    assert "from app.state import DeepAgentState" not in changed["app/agent.py"]


def test_legacy_class_definition_is_not_a_use(tmp_path: Path) -> None:
    changed, problems = migrate(tmp_path, {})
    assert changed == {}
    assert problems == []


def test_bare_class_name_option_matches_any_module(tmp_path: Path) -> None:
    source = (
        "from app.state import DeepAgentState\n\n\n"
        "def f(state: DeepAgentState) -> None:\n    pass\n"
    )
    options = MigrationOptions(parameter_name="ctx", target="app.context.RequestContext")
    changed, _ = migrate(tmp_path, {"app/agent.py": source}, options)
    assert changed["app/agent.py"] == (
        "from app.context import RequestContext\n\n\n"
        "def f(ctx: RequestContext) -> None:\n    pass\n"
    )


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(code=hypothesmith.from_node())
def test_any_module_migrates_to_code_that_parses(code: str) -> None:
    """Generated Python around a migratable function: no crash, output always parses."""
    source = (
        "from app.state import DeepAgentState\n"
        f"{code}\n\n"
        "def step(state: DeepAgentState) -> str:\n"
        "    state.results = DeepAgentState(user_id='u')\n"
        "    return state.user_id\n"
    )
    try:
        libcst.parse_module(source)
    except libcst.ParserSyntaxError:
        assume(False)  # not a program: says nothing about the codemod
    root = Path("/project")
    migration = migrate_project({root / "app" / "agent.py": source}, OPTIONS, root)
    event("migrated" if migration.changed else "unchanged")
    for text in migration.changed.values():
        libcst.parse_module(text)


# -- options ---------------------------------------------------------------------------------


def test_options_from_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[tool.isolint.migrate-context]\n"
        'legacy = "app.state.DeepAgentState"\n'
        'field-map = { chat_thread_id = "thread_id" }\n'
        'parameter-name = "ctx"\n',
        encoding="utf-8",
    )
    options = load_migration_options(pyproject)
    assert options.legacy == "app.state.DeepAgentState"
    assert options.parameter_name == "ctx"
    assert options.field_map["chat_thread_id"] == "thread_id"
    assert options.field_map["user_id"] == "user_id"
    assert load_migration_options(None) == MigrationOptions()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('legacy = "x"\nunknown = 1', "unknown option `unknown`"),
        ("legacy = 3", "`legacy` in [tool.isolint.migrate-context] must be"),
        ('field-map = ["user_id"]', "`field-map` in [tool.isolint.migrate-context] must be"),
        ("field-map = { chat_thread_id = 1 }", "`field-map.chat_thread_id`"),
        ('target = "Context"', "`target` in [tool.isolint.migrate-context] must be a dotted"),
        ('parameter-name = "a.b"', "`parameter-name`"),
        ('same-name-copies = "yes"', "`same-name-copies` in [tool.isolint.migrate-context]"),
    ],
)
def test_option_errors_name_the_file_and_key(tmp_path: Path, table: str, message: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.isolint.migrate-context]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_migration_options(pyproject)
    assert str(pyproject) in str(error.value)
    assert message in str(error.value)


# -- the demo fixture ------------------------------------------------------------------------


def service_sources(root: Path) -> dict[Path, str]:
    """The fixture's Python files without its own tests (excluded as `isolint check` does)."""
    files = python_files(root).items()
    return {path: text for path, text in files if path.relative_to(root).parts[0] != "tests"}


@pytest.fixture(scope="module")
def migrated_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Migration]:
    """A copy of the demo fixture with the migration written to disk."""
    copy = tmp_path_factory.mktemp("migrate") / "agent_platform"
    shutil.copytree(FIXTURE, copy, ignore=shutil.ignore_patterns(".isolint_cache", "__pycache__"))
    options = load_migration_options(copy / "pyproject.toml")
    migration = migrate_project(service_sources(copy), options, copy)
    for path, text in migration.changed.items():
        path.write_text(text, encoding="utf-8")
    return copy, migration


def test_fixture_matches_goldens(migrated_fixture: tuple[Path, Migration]) -> None:
    copy, migration = migrated_fixture
    changed, problems = relative(migration, copy)
    expected_problems = "".join(f"{line}\n" for line in problems)
    if UPDATE_GOLDEN:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, text in changed.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8")
        (GOLDEN / "problems.txt").write_text(expected_problems, encoding="utf-8")
    goldens = {path.relative_to(GOLDEN).as_posix() for path in GOLDEN.rglob("*.py")}
    assert set(changed) == goldens
    for name, text in changed.items():
        assert text == (GOLDEN / name).read_text(encoding="utf-8"), name
    assert expected_problems == (GOLDEN / "problems.txt").read_text(encoding="utf-8")


def test_fixture_migration_is_idempotent(migrated_fixture: tuple[Path, Migration]) -> None:
    """A second run changes nothing, and has nothing left to report: the first run's only
    problem was the review note of the subclass it composed."""
    copy, _ = migrated_fixture
    options = load_migration_options(copy / "pyproject.toml")
    second = migrate_project(service_sources(copy), options, copy)
    assert second.changed == {}
    assert second.problems == []


def test_no_legacy_use_remains(migrated_fixture: tuple[Path, Migration]) -> None:
    """`isolint check --select ISO2` after the migration finds nothing: the subclass now
    holds the context, and the legacy import went with its last use."""
    copy, migration = migrated_fixture
    result = subprocess.run(
        [sys.executable, "-m", "isolint", "check", "--select", "ISO2", "--no-cache", *JSON],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []
    problems = {(p.path.relative_to(copy).as_posix(), p.line) for p in migration.problems}
    assert problems == {("agent_platform/agents/triage.py", 14)}


def run_fixture_tests(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fixture_tests_pass_before_the_migration() -> None:
    result = run_fixture_tests(FIXTURE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_fixture_tests_pass_after_the_migration(migrated_fixture: tuple[Path, Migration]) -> None:
    copy, _ = migrated_fixture
    result = run_fixture_tests(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


# -- size ------------------------------------------------------------------------------------


def test_a_long_file_of_alike_functions_migrates_in_linear_time() -> None:
    """400 functions that differ in their names only: the rewrite is compared with the
    original line by line only to place problems, so a file without any is not compared
    (comparing 1,600 alike lines took 6 s of processor time, and 4 times as long for twice
    as many; found by the mutation fuzz tests, which repeat a file many times)."""
    use = "def run_{n}(state: DeepAgentState) -> str:\n    return state.user_id\n\n\n"
    source = "from app.state import DeepAgentState\n\n\n" + "".join(
        use.format(n=n) for n in range(400)
    )
    root = Path("/project")
    sources = {root / "app" / "state.py": LEGACY_MODULE, root / "app" / "run.py": source}
    started = time.process_time()
    migration = migrate_project(sources, OPTIONS, root, jobs=1)
    seconds = time.process_time() - started
    assert migration.problems == []
    assert migration.changed[root / "app" / "run.py"].count("context: UserExecutionContext") == 400
    assert seconds < 3, f"{seconds:.1f} s of processor time (about 1 s expected)"


def test_keywords_renamed_without_a_second_analysis_match_a_full_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first analysis records each keyword argument; renaming the callers' keywords
    from that record gives what analysing the files again with the function index gives:
    in a rewritten file (its lines moved by the new import), in a file whose plan is empty,
    in a file that only calls, and in one importing the legacy module (analysed again)."""
    files = {
        "app/agents.py": """\
from app.state import DeepAgentState


def run_agent(state: DeepAgentState, retries: int = 0) -> str:
    return state.user_id


class Planner:
    def execute(self, state: DeepAgentState) -> None:
        pass


class Printer:
    def execute(self, state: str) -> None:
        print(state)


def again(user_id, worker) -> str:
    fresh = DeepAgentState(user_id=user_id, chat_thread_id="t")
    worker.execute(state=fresh)
    return run_agent(state=fresh, retries=1)
""",
        "app/noted.py": """\
from app.agents import run_agent


def relay(payload) -> str:
    # was a DeepAgentState once
    return run_agent(state=payload)
""",
        "app/api.py": """\
from app import agents


def handle(payload, worker) -> str:
    worker.execute(state=payload)
    return agents.run_agent(retries=2, state=payload)
""",
        "app/legacy_import.py": """\
import app.state

from app.agents import run_agent


def relay(payload) -> str:
    return run_agent(state=payload)
""",
    }
    import isolint.fix.codemods.migrate_context as codemod

    root = write_project(tmp_path / "proj", {"app/state.py": LEGACY_MODULE, **files})
    fast = relative(migrate_project(python_files(root), OPTIONS, root, jobs=1), root)
    monkeypatch.setattr(codemod, "_follow_keywords", codemod.migrate_file)
    full = relative(migrate_project(python_files(root), OPTIONS, root, jobs=1), root)
    assert fast == full
    changed, problems = fast
    assert "    return run_agent(context=fresh, retries=1)\n" in changed["app/agents.py"]
    assert "    return run_agent(context=payload)\n" in changed["app/noted.py"]
    assert "    return agents.run_agent(retries=2, context=payload)\n" in changed["app/api.py"]
    assert "    return run_agent(context=payload)\n" in changed["app/legacy_import.py"]
    assert "import app.state" not in changed["app/legacy_import.py"]
    ambiguous = [problem for problem in problems if "several project functions" in problem]
    assert [problem.partition(": ")[0] for problem in ambiguous] == [
        "app/agents.py:24",
        "app/api.py:5",
    ]
