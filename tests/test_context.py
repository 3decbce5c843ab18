"""The reference runtime isolint.context: immutability, validation, lineage and migration."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import pickle
import subprocess
import sys
import uuid
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import REPO, check_project
from hypothesis import given
from hypothesis import strategies as st

from isolint.context import (
    NULL_LIKE_IDS,
    PLACEHOLDER_IDS,
    DeepAgentState,
    InvalidContextError,
    UserExecutionContext,
    validate_id,
)

FIXTURE_CONTEXT = REPO / "fixtures/agent_platform_clean/agent_platform_clean/context.py"
ID_FIELDS = ("user_id", "thread_id", "run_id", "request_id")


class Session:
    """A stand-in for a database session with a repr that must never be logged."""

    def __repr__(self) -> str:
        return "<Session dsn=postgres://secret@db>"


def make_context(**overrides: Any) -> UserExecutionContext:
    values: dict[str, Any] = {"user_id": "user-1", "thread_id": "thread-1", **overrides}
    return UserExecutionContext(**values)


# --- immutability, equality, repr -------------------------------------------------------


def test_fields_cannot_be_assigned() -> None:
    ctx = make_context()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.user_id = "user-2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.agent_context = {}  # type: ignore[misc]


def test_no_attribute_can_be_added() -> None:
    ctx = make_context()
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)):
        ctx.tenant = "acme"  # type: ignore[attr-defined]


def test_equality_and_hash_ignore_session_and_agent_context() -> None:
    first = make_context(db_session=Session(), agent_context={"report": "A"})
    second = dataclasses.replace(first, db_session=Session(), agent_context={"report": "B"})
    assert first == second
    assert hash(first) == hash(second)
    assert first != dataclasses.replace(first, run_id="run-2")


def test_repr_hides_session_and_agent_results() -> None:
    ctx = make_context(db_session=Session(), agent_context={"report": "private draft"})
    text = repr(ctx)
    assert "user-1" in text
    assert "secret" not in text
    assert "db_session" not in text
    assert "private draft" not in text


def test_field_names_stay_compatible_with_the_clean_fixture() -> None:
    tree = ast.parse(FIXTURE_CONTEXT.read_text(encoding="utf-8"))
    fixture_class = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == "UserExecutionContext"
    )
    fixture_fields = [
        statement.target.id
        for statement in fixture_class.body
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
    ]
    ours = [f.name for f in dataclasses.fields(UserExecutionContext)]
    assert ours[: len(fixture_fields)] == fixture_fields


# --- defaults ----------------------------------------------------------------------------


def test_run_and_request_ids_are_generated_per_context() -> None:
    first, second = make_context(), make_context()
    for ctx in (first, second):
        assert len(ctx.run_id) == 32
        assert len(ctx.request_id) == 32
        int(ctx.request_id, 16)
    assert first.request_id != second.request_id
    assert first.run_id != second.run_id


def test_created_at_is_aware_utc_now() -> None:
    before = datetime.now(timezone.utc)
    ctx = make_context()
    assert ctx.created_at.utcoffset() == timedelta(0)
    assert before <= ctx.created_at <= datetime.now(timezone.utc)


def test_naive_created_at_is_rejected() -> None:
    with pytest.raises(InvalidContextError, match="created_at"):
        make_context(created_at=datetime(2025, 1, 9, 12, 0))


def test_user_and_thread_are_required() -> None:
    with pytest.raises(TypeError):
        UserExecutionContext(user_id="user-1")  # type: ignore[call-arg]


# --- metadata and agent_context ----------------------------------------------------------


def test_metadata_is_a_read_only_copy() -> None:
    source = {"client": "web"}
    ctx = make_context(metadata=source)
    source["client"] = "changed"
    assert ctx.metadata == {"client": "web"}
    with pytest.raises(TypeError):
        ctx.metadata["client"] = "cli"  # type: ignore[index]


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        ({"tags": ["a"]}, "metadata['tags']"),
        ({"nested": {"a": 1}}, "metadata['nested']"),
        ({"": "empty key"}, "metadata"),
        ({1: "int key"}, "metadata"),
        ({"ratio": float("nan")}, "metadata['ratio']"),
        ({"ratio": float("inf")}, "metadata['ratio']"),
        (["not", "a", "mapping"], "metadata"),
    ],
)
def test_metadata_holds_only_scalars_under_str_keys(metadata: Any, named: str) -> None:
    with pytest.raises(InvalidContextError) as raised:
        make_context(metadata=metadata)
    assert raised.value.field_name == named


def test_each_context_owns_its_agent_context() -> None:
    shared: dict[str, Any] = {"seed": 1}
    first, second = make_context(agent_context=shared), make_context(agent_context=shared)
    first.agent_context["triage"] = "user-1 only"
    assert "triage" not in second.agent_context
    assert "triage" not in shared
    assert make_context().agent_context is not make_context().agent_context


# --- id validation -----------------------------------------------------------------------

INVALID_IDS: list[Any] = [
    "",
    "   ",
    "\t",
    " user-1",
    "user-1\n",
    "user\x00-1",
    "None",
    "none",
    "NULL",
    "null",
    "nil",
    "undefined",
    "NaN",
    "string",
    "user_id",
    "userId",
    "USER-ID",
    "thread_id",
    "id",
    "test",
    "TEST",
    "placeholder",
    "xxx",
    "XXXXXXXX",
    "changeme",
    "default",
    "example",
    "dummy",
    "<user_id>",
    "<User object at 0x7f3a2c1d0e50>",
    "{user_id}",
    "{{ user_id }}",
    "${USER_ID}",
    "$USER_ID",
    "%(user_id)s",
    ":user_id",
    None,
    42,
    b"user-1",
]


@pytest.mark.parametrize("field_name", ID_FIELDS)
@pytest.mark.parametrize("value", INVALID_IDS, ids=repr)
def test_invalid_ids_fail_fast_naming_field_and_value(field_name: str, value: Any) -> None:
    with pytest.raises(InvalidContextError) as raised:
        make_context(**{field_name: value})
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.field_name == field_name
    assert error.value == value
    assert str(error).startswith(f"invalid {field_name}: {value!r} ")


@pytest.mark.parametrize(
    "value",
    [
        "user-42",
        "42",
        "u",
        "tester",
        "testing-tenant-7",
        "alice@example.com",
        "3f2504e04f8911d39a0c0305e82c3301",
        "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
        "auth0|5f7c8ec7c33c6c004bbafe82",
        "Nonexistent",
    ],
)
def test_real_ids_are_accepted(value: str) -> None:
    assert validate_id("user_id", value) == value
    assert make_context(user_id=value, thread_id=value).user_id == value


# --- with_metadata -----------------------------------------------------------------------


def test_with_metadata_returns_a_new_context_and_leaves_the_original() -> None:
    session = Session()
    ctx = make_context(db_session=session, metadata={"client": "web"})
    ctx.agent_context["triage"] = "done"
    tagged = ctx.with_metadata(ip="10.0.0.1", client="cli")

    assert tagged is not ctx
    assert ctx.metadata == {"client": "web"}
    assert tagged.metadata == {"client": "cli", "ip": "10.0.0.1"}
    assert (tagged.user_id, tagged.thread_id, tagged.run_id, tagged.request_id) == (
        ctx.user_id,
        ctx.thread_id,
        ctx.run_id,
        ctx.request_id,
    )
    assert tagged.created_at == ctx.created_at
    assert tagged.db_session is session
    assert tagged.agent_context == {"triage": "done"}
    tagged.agent_context["report"] = "draft"
    assert "report" not in ctx.agent_context


def test_with_metadata_validates_values() -> None:
    with pytest.raises(InvalidContextError, match="metadata"):
        make_context().with_metadata(tags=["a"])  # type: ignore[arg-type]


# --- child -------------------------------------------------------------------------------


def test_child_records_parent_and_depth() -> None:
    session = Session()
    parent = make_context(db_session=session, metadata={"client": "web"})
    parent.agent_context["triage"] = "done"
    child = parent.child(metadata={"agent": "research"})
    grandchild = child.child()

    assert child.parent_request_id == parent.request_id
    assert child.depth == 1
    assert grandchild.parent_request_id == child.request_id
    assert grandchild.depth == 2
    assert len({parent.request_id, child.request_id, grandchild.request_id}) == 3
    assert (child.user_id, child.thread_id, child.run_id) == (
        parent.user_id,
        parent.thread_id,
        parent.run_id,
    )
    assert child.db_session is session
    assert child.metadata == {"client": "web", "agent": "research"}
    assert child.agent_context == {}
    assert child.created_at >= parent.created_at
    assert parent.parent_request_id is None
    assert parent.depth == 0


def test_child_accepts_overrides_other_than_the_user() -> None:
    parent = make_context()
    child = parent.child(thread_id="thread-2", run_id="run-2", user_id=parent.user_id)
    assert (child.user_id, child.thread_id, child.run_id) == ("user-1", "thread-2", "run-2")


def test_child_refuses_a_different_user() -> None:
    with pytest.raises(InvalidContextError) as raised:
        make_context().child(user_id="user-2")
    assert raised.value.field_name == "user_id"
    assert "sub-agent never changes user" in str(raised.value)


def test_child_overrides_are_validated() -> None:
    with pytest.raises(InvalidContextError, match="thread_id"):
        make_context().child(thread_id="null")


@pytest.mark.parametrize(
    "lineage",
    [
        {"depth": 1},
        {"parent_request_id": "request-0"},
        {"parent_request_id": "request-0", "depth": -1},
        {"depth": True},
        {"parent_request_id": "undefined", "depth": 1},
        {"parent_request_id": "request-1", "request_id": "request-1", "depth": 1},
    ],
)
def test_inconsistent_lineage_is_rejected(lineage: dict[str, Any]) -> None:
    with pytest.raises(InvalidContextError):
        make_context(**lineage)


# --- audit trail -------------------------------------------------------------------------


def test_audit_trail_is_json_and_has_no_session_or_results() -> None:
    parent = make_context(db_session=Session(), metadata={"client": "web", "retries": 2})
    ctx = parent.child()
    ctx.agent_context["report"] = "private draft"
    trail = ctx.audit_trail()
    dumped = json.dumps(trail)

    assert set(trail) == {
        "user_id",
        "thread_id",
        "run_id",
        "request_id",
        "parent_request_id",
        "depth",
        "created_at",
        "metadata",
    }
    assert trail["parent_request_id"] == parent.request_id
    assert trail["depth"] == 1
    assert datetime.fromisoformat(trail["created_at"]) == ctx.created_at
    assert type(trail["metadata"]) is dict
    assert trail["metadata"] == {"client": "web", "retries": 2}
    assert "secret" not in dumped
    assert "private draft" not in dumped


# --- the DeepAgentState adapter ----------------------------------------------------------


def test_adapter_warns_at_the_caller() -> None:
    with pytest.warns(DeprecationWarning, match="UserExecutionContext") as record:
        DeepAgentState("user-1", "thread-1", "run-1")
    assert record[0].filename == __file__


def test_adapter_subclass_warns_at_the_caller_not_at_super_init() -> None:
    class TriageState(DeepAgentState):
        def __init__(self, **fields: Any) -> None:
            super().__init__(**fields)

    with pytest.warns(DeprecationWarning) as record:
        line = sys._getframe().f_lineno + 1
        TriageState(user_id="user-1", thread_id="thread-1")
    assert (record[0].filename, record[0].lineno) == (__file__, line)


def test_adapter_is_mutable_like_the_legacy_class() -> None:
    with pytest.warns(DeprecationWarning):
        state = DeepAgentState(user_id="user-1", chat_thread_id="thread-1", priority="high")
    state.messages.append("hello")
    state.results["triage"] = "done"
    state.thread_id = "thread-2"
    state.run_id = "run-7"
    assert state.chat_thread_id == "thread-2"
    assert state.priority == "high"  # type: ignore[attr-defined]
    assert repr(state) == "<DeepAgentState user=user-1 run=run-7>"


def test_adapter_converts_to_a_context() -> None:
    session = Session()
    with pytest.warns(DeprecationWarning):
        state = DeepAgentState("user-1", "thread-1", "run-1", ["hello"], priority="high")
    state.results["triage"] = "done"
    ctx = state.to_context(db_session=session, metadata={"source": "legacy"})

    assert (ctx.user_id, ctx.thread_id, ctx.run_id) == ("user-1", "thread-1", "run-1")
    assert ctx.db_session is session
    assert ctx.metadata == {"source": "legacy"}
    assert ctx.agent_context == {
        "messages": ["hello"],
        "results": {"triage": "done"},
        "priority": "high",
    }
    ctx.agent_context["messages"].append("from the context")
    assert state.messages == ["hello"]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"user_id": "None", "chat_thread_id": "thread-1"}, "user_id"),
        ({"user_id": None, "chat_thread_id": "thread-1"}, "user_id"),
        ({"user_id": "user-1"}, "thread_id"),
        ({"user_id": "user-1", "thread_id": "{thread_id}"}, "thread_id"),
        ({"user_id": "user-1", "chat_thread_id": "thread-1", "run_id": ""}, "run_id"),
    ],
)
def test_adapter_conversion_validates_ids(fields: dict[str, Any], bad_field: str) -> None:
    with pytest.warns(DeprecationWarning):
        state = DeepAgentState(**fields)
    with pytest.raises(InvalidContextError) as raised:
        state.to_context()
    assert raised.value.field_name == bad_field


def test_adapter_refuses_two_different_thread_ids() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(InvalidContextError, match="thread_id"):
            DeepAgentState("user-1", chat_thread_id="thread-1", thread_id="thread-2")


# --- from_legacy -------------------------------------------------------------------------


class LegacyRun:
    """A legacy state object as old code built it: identity plus whatever agents added."""

    def __init__(self) -> None:
        self.user_id = "user-1"
        self.chat_thread_id = "thread-1"
        self.run_id = "run-1"
        self.messages = ["hello"]
        self.plan = {"steps": 3}
        self.score = 0.5
        self._cache = {"internal": True}


def test_from_legacy_maps_unmapped_attributes_into_agent_context() -> None:
    legacy = LegacyRun()
    ctx = UserExecutionContext.from_legacy(legacy)

    assert (ctx.user_id, ctx.thread_id, ctx.run_id) == ("user-1", "thread-1", "run-1")
    assert len(ctx.request_id) == 32
    assert ctx.agent_context == {"messages": ["hello"], "plan": {"steps": 3}, "score": 0.5}
    ctx.agent_context["plan"]["steps"] = 4
    ctx.agent_context["messages"].append("reply")
    assert legacy.plan == {"steps": 3}
    assert legacy.messages == ["hello"]


def test_from_legacy_follows_the_field_map() -> None:
    legacy = LegacyRun()
    legacy.owner = "user-9"  # type: ignore[attr-defined]
    legacy.conversation = "thread-9"  # type: ignore[attr-defined]
    ctx = UserExecutionContext.from_legacy(legacy, user_id="owner", thread_id="conversation")
    assert (ctx.user_id, ctx.thread_id) == ("user-9", "thread-9")
    # The attributes that were not mapped travel with the request's results.
    assert ctx.agent_context["user_id"] == "user-1"
    assert ctx.agent_context["chat_thread_id"] == "thread-1"


def test_from_legacy_reads_mappings_slots_and_integer_ids() -> None:
    class SlottedState:
        __slots__ = ("results", "run_id", "thread_id", "user_id")

        def __init__(self) -> None:
            self.user_id = 7
            self.thread_id = "thread-1"
            self.run_id = None
            self.results = {"a": 1}

    from_slots = UserExecutionContext.from_legacy(SlottedState())
    assert from_slots.user_id == "7"
    assert len(from_slots.run_id) == 32
    assert from_slots.agent_context == {"results": {"a": 1}}

    from_mapping = UserExecutionContext.from_legacy(
        {"user_id": "user-1", "thread_id": "thread-1", "db_session": "session", "topic": "x"}
    )
    assert from_mapping.db_session == "session"
    assert from_mapping.agent_context == {"topic": "x"}


def test_from_legacy_fails_on_missing_or_unknown_fields() -> None:
    with pytest.raises(InvalidContextError, match="user_id"):
        UserExecutionContext.from_legacy({"thread_id": "thread-1"})
    with pytest.raises(InvalidContextError, match="owner"):
        UserExecutionContext.from_legacy(LegacyRun(), user_id="owner")
    with pytest.raises(TypeError, match="tenant_id"):
        UserExecutionContext.from_legacy(LegacyRun(), tenant_id="tenant")
    with pytest.raises(InvalidContextError, match="chat_thread_id"):
        UserExecutionContext.from_legacy(
            {"user_id": "user-1", "thread_id": "thread-1", "chat_thread_id": "thread-2"}
        )


# --- packaging ---------------------------------------------------------------------------


def test_import_needs_only_the_standard_library() -> None:
    probe = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import isolint.context\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    imported = json.loads(result.stdout)
    assert "isolint.context" in imported
    for third_party in ("libcst", "click", "rich", "tomli"):
        assert third_party not in imported
    outside_stdlib = {
        name.partition(".")[0]
        for name in imported
        if name.partition(".")[0] not in sys.stdlib_module_names
    }
    assert outside_stdlib == {"isolint"}


def test_the_reference_runtime_passes_its_own_linter() -> None:
    findings = check_project(REPO, [REPO / "isolint" / "context.py"])
    assert [f"{f.line}: {f.code} {f.message}" for f in findings] == []


def test_copies_and_pickles_are_equal_frozen_contexts() -> None:
    ctx = make_context(metadata={"client": "web"}).child()
    ctx.agent_context["triage"] = ["done"]
    for copied in (copy.copy(ctx), copy.deepcopy(ctx), pickle.loads(pickle.dumps(ctx))):
        assert copied == ctx
        assert copied.parent_request_id == ctx.parent_request_id
        assert copied.agent_context == {"triage": ["done"]}
        assert copied.agent_context is not ctx.agent_context
        with pytest.raises(TypeError):
            copied.metadata["client"] = "cli"  # type: ignore[index]
    assert copy.deepcopy(ctx).agent_context["triage"] is not ctx.agent_context["triage"]


def test_derived_contexts_keep_a_subclass_and_its_fields() -> None:
    @dataclasses.dataclass(frozen=True)
    class ResearchContext(UserExecutionContext):
        topic: str = "general"

    ctx = ResearchContext(user_id="user-1", thread_id="thread-1", topic="tides")
    for derived in (ctx.with_metadata(client="web"), ctx.child(), copy.deepcopy(ctx)):
        assert type(derived) is ResearchContext
        assert derived.topic == "tides"
    assert type(ResearchContext.from_legacy(LegacyRun())) is ResearchContext


@given(
    word=st.sampled_from(sorted(NULL_LIKE_IDS | PLACEHOLDER_IDS)),
    upper=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_placeholders_are_rejected_in_any_case(word: str, upper: list[bool]) -> None:
    spelled = "".join(c.upper() if up else c for c, up in zip(word, upper, strict=False))
    with pytest.raises(InvalidContextError):
        validate_id("user_id", spelled)


@given(st.uuids())
def test_generated_style_ids_are_accepted(value: uuid.UUID) -> None:
    for spelled in (value.hex, str(value)):
        assert validate_id("request_id", spelled) == spelled
