"""The oldest Python a project supports, and whether rewritten code is valid for it.

``isolint fix`` and its codemods must never hand back code that the project's own Python
cannot compile. libcst parses the newest grammar whatever version it is told, so a rewrite
it accepts may still be refused by an older interpreter: the usual case is a string with
the enclosing quote inside an f-string (``f"{ctx.extra["key"]}"``), valid only from
Python 3.12 (PEP 701). The oldest supported version is read from the project's
``requires-python`` (``project`` table of its ``pyproject.toml``); a project that says
nothing is taken to run on the interpreter running isolint.

``grammar_problem(text, version)`` says why ``text`` is not valid for ``version``, or
None: CPython's own compiler when the running interpreter is that version (its word is
final); when it is newer, CPython's parser with ``feature_version`` (which knows most newer
syntax, though not the f-string grammar) and, for versions before 3.12, a check of every
f-string's replacement fields for what only PEP 701 allows (the enclosing quote, a
backslash, a comment, a line break in a single-quoted f-string).
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import libcst as cst

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

PythonVersion = tuple[int, int]

RUNNING: PythonVersion = (sys.version_info.major, sys.version_info.minor)
# CPython's parser knows no feature_version older than this
_OLDEST_FEATURE_VERSION: PythonVersion = (3, 7)
_CLAUSE = re.compile(r"^\s*(~=|===|==|>=|<=|!=|>|<)\s*v?(\d+)(?:\.(\d+|\*))?")


def oldest_supported(pyproject: Path | None) -> PythonVersion:
    """The oldest Python the project of ``pyproject`` supports: the lower bound of its
    ``requires-python``; the running interpreter's version without one."""
    if pyproject is None:
        return RUNNING
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return RUNNING
    project = document.get("project")
    requires = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(requires, str):
        return RUNNING
    return requires_python_floor(requires) or RUNNING


def requires_python_floor(specifier: str) -> PythonVersion | None:
    """The lowest ``major.minor`` a ``requires-python`` specifier admits (``>=3.10,<4``:
    3.10; ``~=3.9``: 3.9; ``>3.9``: 3.9, erring old); None when it sets no lower bound."""
    floors: list[PythonVersion] = []
    for clause in specifier.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            continue
        operator, major, minor = match.group(1), int(match.group(2)), match.group(3)
        if operator in ("~=", "==", "===", ">=", ">"):
            floors.append((major, int(minor) if minor and minor != "*" else 0))
    return max(floors) if floors else None


def version_text(version: PythonVersion) -> str:
    return f"{version[0]}.{version[1]}"


def grammar_problem(
    text: str, version: PythonVersion, module: cst.Module | None = None
) -> str | None:
    """Why ``text`` would not compile on Python ``version``, or None when it would.

    ``module`` is ``text`` parsed by libcst, when the caller has it."""
    problem = _cpython_problem(text, version)
    if problem is None and version < (3, 12) and version != RUNNING:
        # CPython's parser with feature_version does not know the older f-string grammar
        try:
            tree = module if module is not None else cst.parse_module(text)
            problem = pep701_problem(tree)
        except cst.ParserSyntaxError as error:
            problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        except RecursionError:
            problem = "too deeply nested to check its f-strings"
    return None if problem is None else f"{problem} (invalid on Python {version_text(version)})"


def _cpython_problem(text: str, version: PythonVersion) -> str | None:
    if version > RUNNING:
        return None  # this interpreter cannot judge newer grammar
    feature = None if version == RUNNING else max(version, _OLDEST_FEATURE_VERSION)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(text, feature_version=feature)
    except SyntaxError as error:
        where = f"line {error.lineno}: " if error.lineno else ""
        return f"{where}{error.msg}"
    except (ValueError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def pep701_problem(module: cst.Module) -> str | None:
    """The first f-string of ``module`` that only Python 3.12 or newer can compile."""
    finder = _Pep701Finder(module)
    module.visit(finder)
    return finder.problem


class _Pep701Finder(cst.CSTVisitor):
    """The first f-string replacement field that only Python 3.12's grammar accepts."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.problem: str | None = None

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        if self.problem is None:
            quote = node.start[len(node.prefix) :]
            self.problem = self._parts_problem(node.parts, quote)
        return self.problem is None

    def _parts_problem(
        self, parts: Sequence[cst.BaseFormattedStringContent], quote: str
    ) -> str | None:
        for part in parts:
            if not isinstance(part, cst.FormattedStringExpression):
                continue
            code = self.module.code_for_node(part.expression)
            problem = _expression_problem(code, quote)
            if problem is None and part.format_spec:
                problem = self._parts_problem(part.format_spec, quote)
            if problem is not None:
                return problem
        return None


def _expression_problem(code: str, quote: str) -> str | None:
    """What makes the expression of a replacement field 3.12-only inside ``quote``."""
    if quote in code:
        return f"an f-string holds its own quote {quote} in `{{{code}}}`"
    if "\\" in code:
        return f"an f-string holds a backslash in `{{{code}}}`"
    if "#" in code:
        return f"an f-string holds `#` in `{{{code}}}`"
    if len(quote) == 1 and ("\n" in code or "\r" in code):
        first = code.splitlines()[0]
        return f"a single-quoted f-string spans lines in `{{{first}...`"
    return None
