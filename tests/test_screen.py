"""What decides whether CPython's parser sees a file before libcst: the byte scan, and the
answers of a worker that skips CPython's parse for healthy files (they must be the same)."""

from __future__ import annotations

import pytest

from isolint.analysis.source import analyze_source, looks_hostile
from isolint.config import Config
from isolint.engine import _python_refusal, pass_options

HEALTHY = b'''"""A module."""

import os


def handler(request, cache={}):
    if request.user:
        cache[request.path] = os.environ.get("X", [1, (2, {3: 4})])
    elif request.path:
        return None
    return cache
'''

HOSTILE = {
    "brackets": b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n",
    "mixed-brackets": b"x = " + b"[{(" * 20 + b"1" + b")}]" * 20 + b"\n",
    "long-line": b"x = " + b"1 + " * 200 + b"1\n",
    "elif-ladder": b"if x:\n    pass\n" + b"elif x:\n    pass\n" * 200,
    "indentation": b"".join(b" " * n + b"if x:\n" for n in range(100)) + b" " * 100 + b"y\n",
    "nul": b"x = 1\n\0\n",
    "huge": b"x = 1\n" * 200_000,
}

SYNTAX_ERRORS = {
    "unclosed": b"def f(:\n    pass\n",
    "bad-indent": b"def f():\nreturn 1\n",
    "python-only": b"x = 1 +\n",
}


def test_healthy_code_does_not_look_hostile() -> None:
    assert not looks_hostile(HEALTHY)
    assert not looks_hostile(b"")


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_what_makes_either_parser_give_up_looks_hostile(source: bytes) -> None:
    assert looks_hostile(source)


def test_brackets_inside_strings_count_too() -> None:
    assert looks_hostile(b"x = '" + b"(" * 50 + b")" * 50 + b"'\n")


@pytest.mark.parametrize(
    "source", [HEALTHY, *SYNTAX_ERRORS.values(), HOSTILE["brackets"], HOSTILE["nul"]]
)
def test_a_worker_answers_as_if_cpython_was_asked_first(source: bytes) -> None:
    options = pass_options(Config())
    assert analyze_source(source, options, isolated=True) == analyze_source(source, options)


def test_a_file_libcst_gave_up_on_gets_cpython_refusal_if_it_has_one() -> None:
    deep_sum = b"x = (\n" + b"    1 +\n" * 20_000 + b"    1\n)\n"
    assert not looks_hostile(deep_sum)
    refusal = _python_refusal(deep_sum)
    if refusal is not None:  # CPython versions differ in what they refuse
        assert refusal.error is not None and "too deeply nested" in refusal.error
    assert _python_refusal(HEALTHY) is None
