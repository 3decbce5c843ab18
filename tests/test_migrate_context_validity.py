"""The migrate-context codemod only writes code that is valid: for the oldest Python the
project supports (PEP 701 f-strings), and for the target's constructor (required fields,
fresh defaults, ``**kwargs`` through the helper); what it leaves is reported by kind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import libcst
import pytest
from conftest import REPO, run_cli, write_project

from isolint.fix.codemods.migrate_context import MigrationOptions, migrate_project
from isolint.fix.target_python import grammar_problem, pep701_problem, requires_python_floor
from isolint.fix.writer import WriteRefused, ensure_parses

PEP701 = REPO / "tests" / "data" / "migrate_context" / "pep701"
CODEMOD = ("fix", "--codemod", "migrate-context")

PYDANTIC_STATE = """\
from pydantic import BaseModel, Field


class AgentMetadata(BaseModel):
    tags: list[str] = Field(default_factory=list)


class DeepAgentState(BaseModel):
    user_request: str = "default_request"
    chat_thread_id: str | None = None
    user_id: str | None = None
    messages: list[dict[str, str]] = Field(default_factory=list)
    metadata: AgentMetadata = Field(default_factory=AgentMetadata)
    quality: float = Field(ge=0.0, le=1.0, default=0.8)
    scores: dict[str, int] = Field(default_factory=lambda: {"steps": 0})
"""

OPTIONS = MigrationOptions(
    legacy="app.state.DeepAgentState",
    field_map={"user_id": "user_id", "run_id": "run_id", "chat_thread_id": "thread_id"},
)


def migrate(root: Path, files: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Migrate a project of ``files`` (and the pydantic legacy class) and write it; a
    second run must change nothing. (changed texts, problems) by relative path."""
    write_project(root, {"app/state.py": PYDANTIC_STATE, **files})
    sources = {path: path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.py"))}
    migration = migrate_project(sources, OPTIONS, root)
    for path, text in migration.changed.items():
        path.write_text(text, encoding="utf-8")
    sources = {path: path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.py"))}
    assert migrate_project(sources, OPTIONS, root).changed == {}, "not idempotent"
    changed = {path.relative_to(root).as_posix(): text for path, text in migration.changed.items()}
    problems = [
        f"{p.path.relative_to(root).as_posix()}:{p.line}: {p.reason}" for p in migration.problems
    ]
    return changed, problems


# -- the oldest supported Python ---------------------------------------------------------


def test_pep701_golden_with_a_3_10_project(tmp_path: Path) -> None:
    """A legacy field read inside a double-quoted f-string takes single quotes; a file
    where no quote is valid before 3.12 is reported and left as it was."""
    project = tmp_path / "project"
    shutil.copytree(PEP701 / "before", project)
    nested = (project / "app" / "nested.py").read_text(encoding="utf-8")
    result = run_cli(*CODEMOD, ".", cwd=project)
    assert result.returncode == 0, result.stderr
    for golden in sorted((PEP701 / "after").rglob("*.py")):
        name = golden.relative_to(PEP701 / "after")
        assert (project / name).read_text(encoding="utf-8") == golden.read_text(encoding="utf-8")
    assert (project / "app" / "nested.py").read_text(encoding="utf-8") == nested
    assert "app/nested.py:1: the rewrite would not compile, file left unchanged" in result.stderr
    assert "(invalid on Python 3.10)" in result.stderr
    again = run_cli(*CODEMOD, "--diff", ".", cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == ""


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ('f"{x["k"]}"', 'its own quote "'),
        ("f'{x['k']}'", "its own quote '"),
        ("f\"{x['k']}\"", None),
        ('f"""{x["k"]}"""', None),
        ('f"{x:#x}"', None),
        ('f"{x!r:>{width}}"', None),
        ("f\"{'\\n'.join(x)}\"", "backslash"),
        ('f"{x + f\'{y["k"]}\'}"', 'its own quote "'),
    ],
)
def test_pep701_problems_are_found_by_the_tree(code: str, problem: str | None) -> None:
    found = pep701_problem(libcst.parse_module(code + "\n"))
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_grammar_problem_on_this_interpreter() -> None:
    text = 'x = {}\nprint(f"{x["k"]}")\n'
    assert grammar_problem(text, (3, 10)) is not None
    assert grammar_problem(text, (3, 12)) is None
    assert grammar_problem("match x:\n    case 1:\n        pass\n", (3, 8)) is not None


def test_the_writer_refuses_a_rewrite_the_oldest_python_cannot_compile(tmp_path: Path) -> None:
    with pytest.raises(WriteRefused, match=r"would not compile .*invalid on Python 3\.11"):
        ensure_parses(tmp_path / "x.py", 'x = {}\ny = f"{x["k"]}"\n', python=(3, 11))
    ensure_parses(tmp_path / "x.py", "x = {}\ny = f\"{x['k']}\"\n", python=(3, 11))


@pytest.mark.parametrize(
    ("specifier", "floor"),
    [
        (">=3.10", (3, 10)),
        (">=3.8, <4", (3, 8)),
        ("~=3.9", (3, 9)),
        ("==3.11.*", (3, 11)),
        ("<4", None),
    ],
)
def test_requires_python_floor(specifier: str, floor: tuple[int, int] | None) -> None:
    assert requires_python_floor(specifier) == floor


# -- valid constructions of the target ---------------------------------------------------


def test_default_factory_fields_get_a_fresh_value_per_construction(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def start(user_id: str, thread_id: str) -> DeepAgentState:
    return DeepAgentState(user_id=user_id, chat_thread_id=thread_id)
"""
    changed, problems = migrate(tmp_path / "p", {"app/agent.py": source})
    assert (
        changed["app/agent.py"]
        == """\
from isolint.context import UserExecutionContext
from app.state import AgentMetadata


def start(user_id: str, thread_id: str) -> UserExecutionContext:
    return UserExecutionContext(
        user_id=user_id,
        thread_id=thread_id,
        agent_context={
            "user_request": "default_request",
            "messages": [],
            "metadata": AgentMetadata(),
            "quality": 0.8,
            "scores": {"steps": 0},
        },
    )
"""
    )
    assert problems == []


def test_required_fields_are_taken_from_parameters_in_scope(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def start(user_id: str, chat_thread_id: str) -> str:
    def inner(messages: list[dict[str, str]]) -> DeepAgentState:
        return DeepAgentState(user_id=user_id, messages=messages)

    return inner([]).user_request
"""
    changed, problems = migrate(tmp_path / "p", {"app/agent.py": source})
    assert "        return UserExecutionContext(\n" in changed["app/agent.py"]
    assert "            thread_id=chat_thread_id,\n" in changed["app/agent.py"]
    assert problems == []


def test_a_construction_without_a_required_field_needs_a_person(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def start(user_id: str) -> DeepAgentState:
    return DeepAgentState(user_id=user_id)
"""
    changed, problems = migrate(tmp_path / "p", {"app/agent.py": source})
    assert "    return DeepAgentState(user_id=user_id)\n" in changed["app/agent.py"]
    assert "from app.state import DeepAgentState\n" in changed["app/agent.py"]
    assert problems == [
        "app/agent.py:6: `DeepAgentState(...)` needs a person: `UserExecutionContext` requires "
        "`thread_id`, which the call does not pass and no parameter in scope holds (not rewritten)"
    ]


def test_a_variable_holding_a_construction_left_for_a_person_keeps_its_fields(
    tmp_path: Path,
) -> None:
    """The object is still the legacy class: writing its fields through the context's
    dict would fail at run time. A variable whose construction is rewritten is migrated."""
    source = """\
from app.state import DeepAgentState


def fallback(op: str) -> None:
    state = DeepAgentState()
    state.user_request = f"Fallback {op}"
    submit(state)


def start(user_id: str, thread_id: str) -> None:
    state = DeepAgentState(user_id=user_id)
    state.user_request = "go"
    submit(state)


def submit(state: object) -> None:
    print(state)
"""
    changed, problems = migrate(tmp_path / "p", {"app/agent.py": source})
    text = changed["app/agent.py"]
    assert '    state = DeepAgentState()\n    state.user_request = f"Fallback {op}"\n' in text
    assert '    state.agent_context["user_request"] = "go"\n' in text
    assert len(problems) == 1 and "`DeepAgentState(...)` needs a person" in problems[0]


def test_a_method_the_legacy_model_inherits_is_not_read_from_the_dict(tmp_path: Path) -> None:
    """``state.model_dump()`` on a pydantic legacy class is BaseModel's method, not a
    field: it is reported and left; a field's own methods are reached through the dict."""
    source = """\
from app.state import DeepAgentState


def dump(state: DeepAgentState) -> dict:
    state.messages.append({"role": "user"})
    return state.model_dump()
"""
    changed, problems = migrate(tmp_path / "p", {"app/agent.py": source})
    text = changed["app/agent.py"]
    assert '    context.agent_context["messages"].append({"role": "user"})\n' in text
    assert "    return context.model_dump()\n" in text
    assert problems == [
        "app/agent.py:6: `state.model_dump` calls a method the legacy class inherits or "
        "lacks (not one of its fields): the context has no equivalent (not rewritten)"
    ]


def test_kwargs_construction_uses_the_helper_and_runs(tmp_path: Path) -> None:
    source = """\
from app.state import DeepAgentState


def restore(saved: dict[str, str]) -> DeepAgentState:
    return DeepAgentState(**saved)
"""
    changed, problems = migrate(tmp_path / "p", {"app/agent.py": source})
    text = changed["app/agent.py"]
    assert "from app.state import AgentMetadata\n" in text
    assert "UserExecutionContext.from_legacy_kwargs(\n" in text
    assert '        {"chat_thread_id": "thread_id"},\n' in text
    assert "        **saved,\n" in text
    assert problems == []


# -- remarks by kind ---------------------------------------------------------------------


def test_remarks_are_grouped_by_kind_and_listed_on_request(tmp_path: Path) -> None:
    calls = "".join(f"    s{n} = DeepAgentState(user_id=user_id)\n" for n in range(6))
    source = f"from app.state import DeepAgentState\n\n\ndef start(user_id: str) -> None:\n{calls}"
    root = write_project(tmp_path / "p", {"app/state.py": PYDANTIC_STATE, "app/agent.py": source})
    (root / "pyproject.toml").write_text(
        '[tool.isolint.migrate-context]\nlegacy = "app.state.DeepAgentState"\n', encoding="utf-8"
    )
    grouped = run_cli(*CODEMOD, "--diff", ".", cwd=root)
    lines = [line for line in grouped.stderr.splitlines() if line.startswith("isolint: ")]
    assert lines[0] == "isolint: 6 remarks for a person, by kind (--verbose lists every one):"
    assert lines[1].startswith(
        "isolint:   6 x app/agent.py:5: `DeepAgentState(...)` needs a person"
    )
    assert lines[2] == (
        "isolint:       also app/agent.py:6, app/agent.py:7, app/agent.py:8 and 2 more"
    )
    verbose = run_cli(*CODEMOD, "--diff", "--verbose", ".", cwd=root)
    assert verbose.stderr.count("needs a person") == 6
    report = json.loads(
        run_cli(*CODEMOD, "--diff", "--output-format", "json", ".", cwd=root).stdout
    )
    assert len(report["remarks"]) == 6
    assert [(kind["count"], len(kind["sites"])) for kind in report["remark_kinds"]] == [(6, 6)]
