"""Applying edits to text and computing them from two texts (``isolint.fix.edits``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from isolint.findings import Edit
from isolint.fix.edits import (
    EditOutOfRange,
    OverlappingEdits,
    apply_edits,
    edits_between,
    split_lines,
)


def edit(line: int, column: int, end_line: int, end_column: int, content: str) -> Edit:
    return Edit("app.py", line, column, end_line, end_column, content)


TEXT = "def f(items=[]):\n    items.append(1)\n    return items\n"


def test_replace_insert_and_delete() -> None:
    assert apply_edits(TEXT, [edit(1, 13, 1, 15, "None")]).startswith("def f(items=None):\n")
    inserted = apply_edits(TEXT, [edit(2, 1, 2, 1, "    # note\n")])
    assert inserted.splitlines()[1] == "    # note"
    assert apply_edits(TEXT, [edit(2, 1, 3, 1, "")]) == "def f(items=[]):\n    return items\n"


def test_no_edits_and_empty_text() -> None:
    assert apply_edits(TEXT, []) == TEXT
    assert apply_edits("", [edit(1, 1, 1, 1, "x = 1\n")]) == "x = 1\n"


def test_edits_may_come_in_any_order() -> None:
    edits = [edit(3, 12, 3, 17, "result"), edit(1, 13, 1, 15, "None"), edit(2, 5, 2, 10, "acc")]
    expected = "def f(items=None):\n    acc.append(1)\n    return result\n"
    assert apply_edits(TEXT, edits) == expected
    assert apply_edits(TEXT, list(reversed(edits))) == expected


def test_insertions_at_one_point_keep_their_order() -> None:
    first, second = edit(2, 1, 2, 1, "    a = 1\n"), edit(2, 1, 2, 1, "    b = 2\n")
    assert apply_edits(TEXT, [first, second]).splitlines()[1:3] == ["    a = 1", "    b = 2"]
    assert apply_edits(TEXT, [second, first]).splitlines()[1:3] == ["    b = 2", "    a = 1"]


def test_insertion_next_to_a_replacement() -> None:
    replace = edit(1, 13, 1, 15, "None")
    before, after = edit(1, 13, 1, 13, "<"), edit(1, 15, 1, 15, ">")
    assert apply_edits(TEXT, [after, replace, before]).startswith("def f(items=<None>):")


@pytest.mark.parametrize(
    "second",
    [
        edit(1, 14, 1, 16, "x"),  # starts inside the first
        edit(1, 13, 1, 15, "y"),  # the same range
        edit(1, 14, 1, 14, "z"),  # an insertion strictly inside the first
        edit(1, 1, 2, 1, ""),  # contains the first
    ],
)
def test_overlapping_edits_raise(second: Edit) -> None:
    first = edit(1, 13, 1, 15, "None")
    with pytest.raises(OverlappingEdits) as raised:
        apply_edits(TEXT, [first, second])
    assert isinstance(raised.value, ValueError)
    assert "overlap" in str(raised.value) and "app.py:1:" in str(raised.value)


def test_crlf_line_endings_are_kept() -> None:
    text = TEXT.replace("\n", "\r\n")
    fixed = apply_edits(text, [edit(1, 13, 1, 15, "None"), edit(2, 1, 2, 1, "    # x\r\n")])
    assert fixed == "def f(items=None):\r\n    # x\r\n    items.append(1)\r\n    return items\r\n"
    assert apply_edits(text, [edit(2, 1, 3, 1, "")]).count("\r\n") == 2


def test_a_file_without_a_final_newline() -> None:
    text = TEXT.rstrip("\n")
    assert apply_edits(text, [edit(4, 1, 4, 1, "\nx = 1")]) == text + "\nx = 1"
    assert apply_edits(text, [edit(3, 5, 4, 1, "pass")]).endswith("\n    pass")
    assert apply_edits(TEXT, [edit(4, 1, 4, 1, "x = 1\n")]) == TEXT + "x = 1\n"


def test_columns_count_characters_and_lines_end_only_at_python_line_breaks() -> None:
    text = 'name = "héllo"\x0cpass\nx = 1\n'
    assert split_lines(text) == ['name = "héllo"\x0cpass\n', "x = 1\n"]
    assert apply_edits(text, [edit(1, 9, 1, 14, "hello")]) == 'name = "hello"\x0cpass\nx = 1\n'
    assert apply_edits(text, [edit(2, 1, 2, 2, "y")]) == 'name = "héllo"\x0cpass\ny = 1\n'


@pytest.mark.parametrize(
    "bad",
    [edit(0, 1, 1, 1, ""), edit(5, 1, 5, 1, ""), edit(1, 40, 1, 41, ""), edit(2, 1, 1, 1, "")],
)
def test_positions_outside_the_text_raise(bad: Edit) -> None:
    with pytest.raises(EditOutOfRange):
        apply_edits(TEXT, [bad])


def test_edits_between_is_minimal_and_whole_lines() -> None:
    new = TEXT.replace("    items.append(1)\n", "    items.append(2)\n    items.sort()\n")
    assert edits_between("app.py", TEXT, new) == (
        Edit("app.py", 2, 1, 3, 1, "    items.append(2)\n    items.sort()\n"),
    )
    assert edits_between("app.py", TEXT, TEXT) == ()


def test_edits_between_at_the_end_without_a_final_newline() -> None:
    old, new = "a = 1\nb = 2", "a = 1\nb = 3\nc = 4"
    edits = edits_between("app.py", old, new)
    assert edits == (Edit("app.py", 2, 1, 3, 1, "b = 3\nc = 4"),)
    assert apply_edits(old, edits) == new


@pytest.mark.parametrize(
    "path", sorted((REPO / "tests" / "data" / "rule_fixes" / "agent_platform").rglob("*.py"))
)
def test_edits_between_turns_each_demo_file_into_its_fixed_golden(path: Path) -> None:
    golden = REPO / "tests" / "data" / "rule_fixes" / "agent_platform"
    original = REPO / "fixtures" / "agent_platform" / path.relative_to(golden)
    old, new = original.read_text(encoding="utf-8"), path.read_text(encoding="utf-8")
    edits = edits_between(str(original), old, new)
    assert edits and apply_edits(old, edits) == new
    assert all(e.column == 1 and e.end_column == 1 for e in edits)


_LINES = st.lists(st.sampled_from(["a = 1", "b = 2", "", "    pass", "# c", "x\x0cy"]), max_size=12)
_ENDINGS = st.sampled_from(["\n", "\r\n"])


@given(old=_LINES, new=_LINES, ending=_ENDINGS, final=st.booleans())
def test_edits_between_round_trips(
    old: list[str], new: list[str], ending: str, final: bool
) -> None:
    old_text = ending.join(old) + (ending if final and old else "")
    new_text = ending.join(new) + (ending if new else "")
    assert apply_edits(old_text, edits_between("m.py", old_text, new_text)) == new_text
