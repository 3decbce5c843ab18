"""Inline suppression comments: ``# isolint: ignore[CODES]``, ``# isolint: ignore`` and
``# isolint: skip-file``, with an optional reason after ``--``.

A suppression silences only the codes it names, only on its own line (the first or last line
of a multi-line statement), and only when it is a comment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli, write_project

from isolint.findings import Finding

MakeProject = Callable[..., list[Finding]]

# Line 6 is an ISO402 (dynamic key), line 7 an ISO101; `{six}`/`{seven}` take a comment.
TEMPLATE = """CACHE = {{}}
SEEN = []


async def handle(request, user_id, path, value):
    CACHE[path] = value{six}
    SEEN.append(value){seven}
"""
BOTH = {("ISO402", 6), ("ISO101", 7)}


def codes_and_lines(findings: list[Finding]) -> set[tuple[str, int]]:
    return {(finding.code, finding.line) for finding in findings}


def module(six: str = "", seven: str = "") -> dict[str, str]:
    return {"app/handlers.py": TEMPLATE.format(six=six, seven=seven)}


def test_without_comments_both_findings_are_reported(project: MakeProject) -> None:
    assert codes_and_lines(project(module())) == BOTH


@pytest.mark.parametrize(
    "comment",
    [
        "  # isolint: ignore[ISO402]",
        "  # isolint: ignore[ISO402] -- page cache, holds no user data",
        "  # isolint: ignore[ISO402]--no spaces around the separator",
        "  #isolint:ignore[ISO402]",
        "  # isolint: ignore[ISO4]",
        "  # noqa: E501  # isolint: ignore[ISO402]",
    ],
    ids=["code", "reason", "reason-tight", "no-spaces", "prefix", "after-other-comment"],
)
def test_ignore_with_a_code_silences_that_code_on_that_line(
    project: MakeProject, comment: str
) -> None:
    assert codes_and_lines(project(module(six=comment))) == {("ISO101", 7)}


def test_bare_ignore_silences_every_code_on_that_line(project: MakeProject) -> None:
    assert codes_and_lines(project(module(six="  # isolint: ignore"))) == {("ISO101", 7)}
    assert codes_and_lines(project(module(seven="  # isolint: ignore -- audited"))) == {
        ("ISO402", 6)
    }


def test_ignore_for_another_code_does_not_silence(project: MakeProject) -> None:
    # ... and the suppression that silences nothing is itself reported (ISO901)
    six = project(module(six="  # isolint: ignore[ISO101]"))
    assert codes_and_lines(six) == BOTH | {("ISO901", 6)}
    seven = project(module(seven="  # isolint: ignore[ISO102, ISO4]"))
    assert codes_and_lines(seven) == BOTH | {("ISO901", 7)}


def test_a_suppression_does_not_reach_other_lines(project: MakeProject) -> None:
    found = project(module(seven="  # isolint: ignore[ISO402]"))
    assert codes_and_lines(found) == BOTH | {("ISO901", 7)}


def test_several_codes_in_one_comment(project: MakeProject) -> None:
    one_line = """CACHE = {{}}
SEEN = []


async def handle(request, user_id, path, value):
    CACHE[path] = value; SEEN.append(value){comment}
"""
    unsuppressed = project({"app/handlers.py": one_line.format(comment="")})
    assert codes_and_lines(unsuppressed) == {("ISO402", 6), ("ISO101", 6)}
    both = one_line.format(comment="  # isolint: ignore[ISO101, ISO402] -- both audited")
    assert project({"app/handlers.py": both}) == []
    one = one_line.format(comment="  # isolint: ignore[ISO101]")
    assert codes_and_lines(project({"app/handlers.py": one})) == {("ISO402", 6)}


def test_skip_file_silences_the_whole_file(project: MakeProject) -> None:
    files = {
        "app/handlers.py": "# isolint: skip-file -- generated code\n"
        + TEMPLATE.format(six="", seven=""),
        "app/other.py": TEMPLATE.format(six="", seven=""),
    }
    assert {finding.path for finding in project(files)} == {"app/other.py"}


def test_skip_file_anywhere_in_the_file_counts(project: MakeProject) -> None:
    text = TEMPLATE.format(six="", seven="") + "# isolint: skip-file\n"
    assert project({"app/handlers.py": text}) == []


def test_skip_file_also_silences_iso900(project: MakeProject) -> None:
    assert project({"app/template.py": "# isolint: skip-file\ndef {{ name }}():\n"}) == []


MULTI_LINE = """CACHE = {{}}


async def handle(request, user_id, path, value):
    CACHE[path] = ({first}
        value,
        path,
    ){last}
"""


def test_a_multi_line_statement_is_reported_once_from_its_first_line(
    project: MakeProject,
) -> None:
    findings = project({"app/handlers.py": MULTI_LINE.format(first="", last="")})
    assert [(f.code, f.line, f.end_line) for f in findings] == [("ISO402", 5, 8)]


@pytest.mark.parametrize(
    ("first", "last"),
    [("  # isolint: ignore[ISO402]", ""), ("", "  # isolint: ignore[ISO402] -- reason")],
    ids=["first-line", "last-line"],
)
def test_suppression_on_the_first_or_last_line_of_a_multi_line_statement(
    project: MakeProject, first: str, last: str
) -> None:
    assert project({"app/handlers.py": MULTI_LINE.format(first=first, last=last)}) == []


def test_suppression_through_the_cli(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", module(six="  # isolint: ignore[ISO402] -- cache"))
    result = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root)
    assert result.returncode == 1
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == [("ISO101", 7)]
    everything = write_project(
        tmp_path / "quiet",
        module(six="  # isolint: ignore", seven="  # isolint: ignore[ISO101] -- audited"),
    )
    quiet = run_cli("check", ".", "--no-cache", cwd=everything)
    assert quiet.returncode == 0, quiet.stdout


def test_skip_file_inside_a_docstring_does_not_skip_the_file(project: MakeProject) -> None:
    text = '"""Generated modules opt out with ``# isolint: skip-file``."""\n' + TEMPLATE.format(
        six="", seven=""
    )
    assert codes_and_lines(project({"app/handlers.py": text})) == {("ISO402", 7), ("ISO101", 8)}


def test_ignore_inside_a_string_does_not_silence(project: MakeProject) -> None:
    text = (
        "SEEN = []\n\n\nasync def handle(request, user_id):\n"
        '    SEEN.append(user_id + "# isolint: ignore")\n'
    )
    assert codes_and_lines(project({"app/handlers.py": text})) == {("ISO101", 5)}


@pytest.mark.parametrize(
    "comment",
    [
        "# isolint: ignore[iso101]",
        "# isolint: ignore[ISO-101]",
        "# isolint: ignore(ISO101)",
        "# isolint: ignored[ISO101]",
    ],
)
def test_a_malformed_directive_does_not_silence_other_codes(
    project: MakeProject, comment: str
) -> None:
    one_line = (
        "CACHE = {}\nSEEN = []\n\n\nasync def handle(request, user_id, path, value):\n"
        f"    CACHE[path] = value; SEEN.append(value)  {comment}\n"
    )
    assert ("ISO402", 6) in codes_and_lines(project({"app/handlers.py": one_line}))
