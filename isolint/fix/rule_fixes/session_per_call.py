"""ISO301: a module-level session becomes a session opened by each function that uses it.

``_db = SessionLocal()`` at module level, with ``_db.add(...)`` in handlers, becomes::

    def save(row):
        with SessionLocal() as _db:
            _db.add(row)
            _db.commit()

The body of every function that uses the name is wrapped in ``with FACTORY() as NAME:``
(``async with`` for an ``async_sessionmaker`` or ``AsyncSession``), so each call opens its
own session and closes it at the end, and the module-level line goes. Offered only when
the session is made by a factory defined in this module with ``sessionmaker(...)`` /
``async_sessionmaker(...)``, or by ``Session(...)`` / ``AsyncSession(...)`` with plain
arguments; when the name is private to the module; and when every use is inside a
top-level function or method (not a generator, not a nested function).

Unsafe: transaction boundaries move (what one shared session committed together is now
committed per call, and uncommitted changes are discarded at the end of the call), and
objects loaded in a call are detached once it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from isolint.findings import Applicability, Finding, Fix
from isolint.fix.edits import edits_between
from isolint.fix.rule_fixes.source import ParsedSource
from isolint.fix.rule_fixes.syntax import binding_names, is_docstring, references, walk_nodes

_SYNC_FACTORIES = frozenset({"sessionmaker"})
_ASYNC_FACTORIES = frozenset({"async_sessionmaker"})
_SYNC_SESSIONS = frozenset({"Session"})
_ASYNC_SESSIONS = frozenset({"AsyncSession"})


@dataclass(frozen=True)
class _SessionSource:
    """How each function opens its own session: the call's code, and whether it is async."""

    call: cst.Call
    is_async: bool


def fix_module_session(finding: Finding, source: ParsedSource) -> Fix | None:
    statement = source.node_at(finding, cst.SimpleStatementLine)
    if statement is None or source.parents.get(statement) is not source.module:
        return None
    assignment = statement.body[0] if len(statement.body) == 1 else None
    if not isinstance(assignment, cst.Assign) or len(assignment.targets) != 1:
        return None
    target = assignment.targets[0].target
    if not isinstance(target, cst.Name) or not target.value.startswith("_"):
        return None
    opener = _session_source(source, assignment.value)
    functions = _using_functions(source, statement, target.value) if opener else None
    if opener is None or not functions:
        return None
    if opener.is_async and not all(function.asynchronous for function in functions):
        return None
    replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel] = {
        statement: cst.RemoveFromParent()
    }
    for function in functions:
        body = function.body
        assert isinstance(body, cst.IndentedBlock)  # checked by _wrappable
        replacements[body] = _wrapped(body, opener, target.value)
    updated = source.module.visit(_Replace(replacements))
    kind = "async with" if opener.is_async else "with"
    opened = cst.Module([]).code_for_node(opener.call)
    return Fix(
        Applicability.UNSAFE,
        f"Open a session per call (`{kind} {opened} as {target.value}:`) in each function "
        f"that uses `{target.value}`",
        edits_between(source.path, source.text, updated.code),
    )


def _session_source(source: ParsedSource, value: cst.BaseExpression) -> _SessionSource | None:
    """The call to repeat per function, if what made the session is known to this module."""
    if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Name):
        return None
    callee = value.func.value
    if callee in _SYNC_SESSIONS | _ASYNC_SESSIONS:
        if all(_plain_argument(arg) for arg in value.args):
            return _SessionSource(value, callee in _ASYNC_SESSIONS)
        return None
    if value.args:
        return None
    factory = _module_factory(source, callee)
    if factory is None:
        return None
    return _SessionSource(value, factory in _ASYNC_FACTORIES)


def _plain_argument(arg: cst.Arg) -> bool:
    """A name or literal: evaluated again in a function, it means the same thing."""
    return arg.star == "" and isinstance(
        arg.value, cst.Name | cst.SimpleString | cst.Integer | cst.Float
    )


def _module_factory(source: ParsedSource, name: str) -> str | None:
    """``sessionmaker`` or ``async_sessionmaker`` when ``name = <that>(...)`` at module level."""
    if len([bound for bound in binding_names(source.module) if bound.value == name]) != 1:
        return None
    for statement in source.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == name
                and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Name | cst.Attribute)
            ):
                func = small.value.func
                factory = func.value if isinstance(func, cst.Name) else func.attr.value
                if factory in _SYNC_FACTORIES | _ASYNC_FACTORIES:
                    return factory
    return None


def _using_functions(
    source: ParsedSource, statement: cst.SimpleStatementLine, name: str
) -> list[cst.FunctionDef] | None:
    """The functions whose bodies use ``name``; None if any use is elsewhere or odd."""
    if len([bound for bound in binding_names(source.module) if bound.value == name]) != 1:
        return None
    functions: list[cst.FunctionDef] = []
    for use in references(source.module, name):
        if source.enclosing(use, cst.SimpleStatementLine) is statement:
            continue
        parent = source.parents.get(use)
        if isinstance(parent, cst.Attribute) and parent.attr is use:
            continue  # `other.name`: an attribute of something else
        function = source.enclosing(use, cst.FunctionDef)
        if function is None or not _wrappable(source, function):
            return None
        if function not in functions:
            functions.append(function)
    return functions


def _wrappable(source: ParsedSource, function: cst.FunctionDef) -> bool:
    """A top-level function or method with an indented body that never yields."""
    if source.enclosing(function, cst.FunctionDef) is not None:
        return False
    if source.enclosing(function, cst.Lambda) is not None:
        return False
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        return False
    inner = [node for node in walk_nodes(body) if node is not body]
    return not any(isinstance(node, cst.Yield | cst.FunctionDef | cst.Lambda) for node in inner)


def _wrapped(body: cst.IndentedBlock, opener: _SessionSource, name: str) -> cst.IndentedBlock:
    """The body inside ``with <call> as name:`` (the docstring stays first)."""
    statements = list(body.body)
    docstring = statements[:1] if statements and is_docstring(statements[0]) else []
    rest = statements[len(docstring) :]
    if not rest:
        return body
    block = cst.With(
        items=[cst.WithItem(opener.call, asname=cst.AsName(cst.Name(name)))],
        body=cst.IndentedBlock(body=rest),
        asynchronous=cst.Asynchronous() if opener.is_async else None,
    )
    return body.with_changes(body=[*docstring, block])


class _Replace(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel:
        return self.replacements.get(original_node, updated_node)
