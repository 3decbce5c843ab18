"""Adding ``from <stdlib module> import <name>`` where isort (and ruff's ``I`` rules) put it.

The fixes only ever need standard-library names (``Optional``, ``ContextVar``, ``field``).
An existing one-line ``from module import ...`` gets the name merged in (in order, if the
names were sorted); otherwise the import goes into the standard-library group of the
module's leading imports, after ``from __future__`` and before third-party imports, with the
blank lines PEP 8 asks for. libcst's ``AddImportsVisitor`` appends after the last import
whatever its group, which would leave every fixed file for the formatter to reorder.
"""

from __future__ import annotations

import sys

import libcst as cst

from isolint.findings import Edit
from isolint.fix.edits import edits_between
from isolint.fix.rule_fixes.source import ParsedSource
from isolint.fix.rule_fixes.syntax import (
    alias_name,
    binding_names,
    dotted_name,
    imported_from,
    is_docstring,
)

# What ``cst.Module.body`` holds: every statement has leading_lines.
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


class NameClash(Exception):
    """A name a fix wants to import already means something else in the module."""


def add_import_edits(source: ParsedSource, module_name: str, name: str) -> tuple[Edit, ...]:
    """The edits adding ``from module_name import name`` to the file (none if present)."""
    updated = with_import(source.module, module_name, name)
    return edits_between(source.path, source.text, updated.code)


def with_import(module: cst.Module, module_name: str, name: str) -> cst.Module:
    """``module`` importing ``name`` from the standard-library module ``module_name``.

    Raises ``NameClash`` when ``name`` is already bound to something else.
    """
    if imported_from(module, module_name, name):
        return module
    if any(bound.value == name for bound in binding_names(module)):
        raise NameClash(name)
    body = list(module.body)
    for index, statement in enumerate(body):
        merged = _merged(statement, module_name, name)
        if merged is not None:
            body[index] = merged
            return module.with_changes(body=body)
    statement = cst.SimpleStatementLine(
        [
            cst.ImportFrom(
                module=_module_expression(module_name),
                names=[cst.ImportAlias(cst.Name(name))],
            )
        ]
    )
    return module.with_changes(body=_inserted(body, statement, module_name))


def _merged(statement: Statement, module_name: str, name: str) -> cst.SimpleStatementLine | None:
    """``from m import a, c`` with ``b`` added (sorted if it was), if ``statement`` is that."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if (
        not isinstance(small, cst.ImportFrom)
        or small.relative
        or small.module is None
        or dotted_name(small.module) != module_name
        or isinstance(small.names, cst.ImportStar)
        or small.lpar is not None
    ):
        return None
    aliases = list(small.names)
    keys = [alias_name(alias) for alias in aliases]
    position = len(aliases)
    if keys == sorted(keys):
        position = next((i for i, key in enumerate(keys) if key > name), len(keys))
    aliases.insert(position, cst.ImportAlias(cst.Name(name)))
    separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    names = [
        alias.with_changes(comma=separator if i < len(aliases) - 1 else cst.MaybeSentinel.DEFAULT)
        for i, alias in enumerate(aliases)
    ]
    return statement.with_changes(body=[small.with_changes(names=names)])


def _inserted(
    body: list[Statement], new: cst.SimpleStatementLine, module_name: str
) -> list[Statement]:
    """``body`` with ``new`` placed in the standard-library group of the leading imports."""
    start = 1 if body and is_docstring(body[0]) else 0
    end = start
    while end < len(body) and _is_import(body[end]):
        end += 1
    groups = {index: _group(body[index]) for index in range(start, end)}
    stdlib_from = [i for i, group in groups.items() if group == "stdlib-from"]
    stdlib = [i for i, group in groups.items() if group.startswith("stdlib")]
    others = [i for i, group in groups.items() if group == "other"]
    futures = [i for i, group in groups.items() if group == "future"]
    key = module_name.lower()
    later = [i for i in stdlib_from if _from_module(body[i]).lower() > key]
    if later:
        return _before(body, later[0], new)
    if stdlib:
        return [*body[: stdlib[-1] + 1], new, *body[stdlib[-1] + 1 :]]
    if others:
        return _new_group_before(body, others[0], new)
    if futures:
        blank = new.with_changes(leading_lines=[cst.EmptyLine()])
        return [*body[: futures[-1] + 1], blank, *body[futures[-1] + 1 :]]
    return _first_import(body, start, new)


def _before(body: list[Statement], index: int, new: cst.SimpleStatementLine) -> list[Statement]:
    """``new`` just before ``body[index]``, taking over the lines above it."""
    current = body[index]
    moved = new.with_changes(leading_lines=current.leading_lines)
    return [*body[:index], moved, current.with_changes(leading_lines=[]), *body[index + 1 :]]


def _new_group_before(
    body: list[Statement], index: int, new: cst.SimpleStatementLine
) -> list[Statement]:
    """``new`` as a group of its own before the third-party imports at ``index``."""
    return _inserted_with_gap(body, index, new, gap=1)


def _first_import(
    body: list[Statement], index: int, new: cst.SimpleStatementLine
) -> list[Statement]:
    """``new`` as the module's only import, separated from the code after it (PEP 8)."""
    if index >= len(body):
        return [*body, new.with_changes(leading_lines=[cst.EmptyLine()] if body else [])]
    gap = 2 if isinstance(body[index], cst.FunctionDef | cst.ClassDef) else 1
    return _inserted_with_gap(body, index, new, gap=gap)


def _inserted_with_gap(
    body: list[Statement], index: int, new: cst.SimpleStatementLine, *, gap: int
) -> list[Statement]:
    """``new`` before ``body[index]``: it takes the blank lines above that statement, and
    ``gap`` blank lines then separate them (the statement's own comments stay with it)."""
    current = body[index]
    lines = list(current.leading_lines)
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    moved = new.with_changes(leading_lines=lines[:blank])
    following = [cst.EmptyLine()] * gap + lines[blank:]
    return [*body[:index], moved, current.with_changes(leading_lines=following), *body[index + 1 :]]


def _is_import(statement: Statement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _group(statement: Statement) -> str:
    """``future``, ``stdlib-from``, ``stdlib-import`` or ``other`` (third party, local)."""
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        if small.relative or small.module is None:
            return "other"
        root = dotted_name(small.module).split(".")[0]
        if root == "__future__":
            return "future"
        return "stdlib-from" if root in sys.stdlib_module_names else "other"
    assert isinstance(small, cst.Import)
    root = alias_name(small.names[0]).split(".")[0]
    return "stdlib-import" if root in sys.stdlib_module_names else "other"


def _from_module(statement: Statement) -> str:
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    assert isinstance(small, cst.ImportFrom) and small.module is not None
    return dotted_name(small.module)


def _module_expression(module_name: str) -> cst.Attribute | cst.Name:
    expression = cst.parse_expression(module_name)
    assert isinstance(expression, cst.Attribute | cst.Name)
    return expression
