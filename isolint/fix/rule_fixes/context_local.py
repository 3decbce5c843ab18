"""ISO502 and ISO101: a container shared by the process becomes one container per context.

Both rewrites end at the same shape: a ``ContextVar`` without a default, and a helper that
returns the current context's container, creating it on first use::

    _events: ContextVar[list[str]] = ContextVar("events")


    def _events_in_context() -> list[str]:
        try:
            return _events.get()
        except LookupError:
            _events.set([])
            return _events.get()

ISO502 (``ContextVar("events", default=[])``) drops the default and turns each ``.get()``
of the variable into a call of the helper. ISO101 (a module-level ``_pending = []`` used as
request scratch space) turns the container into such a variable and each use of the name
into a call of the helper. Either way the container's expression is evaluated once per
context instead of once per process.

A context is per request only in async code: a server runs each request in its own task,
and a task starts with a copy of its parent's context, so a container set in one request's
task is never seen by the next. A thread has one context for its whole life, and a pool
worker thread (a WSGI server's, a task queue's, ``run_in_executor``'s) serves request after
request in it: the container the first request created is still there for the next user
(the race test's pool-reuse phase shows exactly that). So the ISO101 fix, which introduces
the variable, is offered only when every use it rewrites runs directly in an ``async def``
(not in a nested ``def`` or ``lambda``, which may be handed to a thread); synchronous code
keeps its finding and gets no fix. The ISO502 fix keeps the author's own choice of a
``ContextVar`` (whose values the code already treats as per request) and only removes the
default every context shares; ``isolint fix --prove`` shows whether that removed the leak.

Both are unsafe: an asyncio task copies its parent's context when it is created, so a
container created in a task is no longer seen by its parent or siblings (that is the point,
but code that relied on it changes); a module-level ``ContextVar`` or container may be
imported elsewhere, so only names private to the module (``_name``) are rewritten, and only
when every use in the module is one the rewrite understands.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from isolint.findings import Applicability, Edit, Finding, Fix
from isolint.fix.rule_fixes.imports import NameClash, add_import_edits
from isolint.fix.rule_fixes.source import ParsedSource
from isolint.fix.rule_fixes.syntax import (
    binding_names,
    fresh_value_names_ok,
    names_in,
    references,
    written_subject,
)


@dataclass(frozen=True)
class _ModuleBinding:
    """``name = value`` or ``name: annotation = value``, alone on a module-level line."""

    statement: cst.SimpleStatementLine
    name: str
    annotation: cst.BaseExpression | None
    value: cst.BaseExpression


def fix_mutable_contextvar(finding: Finding, source: ParsedSource) -> Fix | None:
    call = source.node_at(finding, cst.Call)
    binding = _module_binding(source, call) if call is not None else None
    if call is None or binding is None or not binding.name.startswith("_"):
        return None
    default = next((arg for arg in call.args if _keyword(arg) == "default"), None)
    if default is None or not _rebuildable(source, default.value):
        return None
    helper = _helper_name(source, binding.name)
    gets = _get_calls(source, binding)
    if helper is None or gets is None:
        return None
    value_type = _contextvar_type(binding.annotation)
    edits = [
        source.replace(call, source.code(_without_argument(call, default))),
        _helper(source, binding, helper, value_type, source.code(default.value)),
        *(source.replace(get, f"{helper}()") for get in gets),
    ]
    return Fix(
        Applicability.UNSAFE,
        f"Drop the shared default of `{binding.name}`; create a new "
        f"{_kind(default.value)} per context in `{helper}()`",
        tuple(edits),
    )


def may_fix_module_container(finding: Finding) -> bool:
    """Whether ``fix_module_container`` may have a fix, from the finding alone: only a
    private module-level name is rewritten, so a public one is not worth parsing the file."""
    return not finding.shared_object or finding.shared_object.startswith("_")


def fix_module_container(finding: Finding, source: ParsedSource) -> Fix | None:
    binding = _written_container(finding, source)
    if binding is None or not binding.name.startswith("_"):
        return None
    if not _rebuildable(source, binding.value):
        return None
    helper = _helper_name(source, binding.name)
    uses = _uses_inside_functions(source, binding)
    if helper is None or uses is None or not all(_in_async_code(source, use) for use in uses):
        return None
    value_type = source.code(binding.annotation) if binding.annotation is not None else None
    declared = f"ContextVar[{value_type}]" if value_type is not None else None
    definition = f'{binding.name} = ContextVar("{binding.name}")'
    if declared is not None:
        definition = f'{binding.name}: {declared} = ContextVar("{binding.name}")'
    try:
        imports = add_import_edits(source, "contextvars", "ContextVar")
    except NameClash:
        return None
    edits = [
        source.replace(binding.statement.body[0], definition),
        _helper(source, binding, helper, value_type, source.code(binding.value)),
        *(source.replace(use, f"{helper}()") for use in uses),
        *imports,
    ]
    return Fix(
        Applicability.UNSAFE,
        f"Keep `{binding.name}` per request: a ContextVar whose {_kind(binding.value)} "
        f"`{helper}()` creates once per context",
        tuple(edits),
    )


def _module_binding(source: ParsedSource, node: cst.CSTNode) -> _ModuleBinding | None:
    """The module-level single-name assignment whose value is ``node``."""
    assignment = source.parents.get(node)
    statement = source.parents.get(assignment) if assignment is not None else None
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    if source.parents.get(statement) is not source.module:
        return None
    if isinstance(assignment, cst.Assign) and len(assignment.targets) == 1:
        target = assignment.targets[0].target
        if isinstance(target, cst.Name) and assignment.value is node:
            return _ModuleBinding(statement, target.value, None, assignment.value)
    if isinstance(assignment, cst.AnnAssign) and isinstance(assignment.target, cst.Name):
        if assignment.value is node:
            annotation = assignment.annotation.annotation
            return _ModuleBinding(statement, assignment.target.value, annotation, node)
    return None


def _written_container(finding: Finding, source: ParsedSource) -> _ModuleBinding | None:
    """The definition of the container an ISO101 finding writes, when it is in this file."""
    name = finding.shared_object or written_subject(finding.message)
    creations = [r for r in finding.related if r.kind == "creation"]
    definitions = [r for r in creations if r.path == finding.path]
    if not name or len(definitions) != 1 or len(creations) != 1:
        return None
    for statement in source.module.body:
        if source.start(statement)[0] != definitions[0].line:
            continue
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        small = statement.body[0]
        value = small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None
        binding = _module_binding(source, value) if value is not None else None
        return binding if binding is not None and binding.name == name else None
    return None


def _get_calls(source: ParsedSource, binding: _ModuleBinding) -> list[cst.Call] | None:
    """The ``var.get()`` calls to rewrite; None if the variable is used any other way.

    ``var.get(default)``, ``var.set(...)`` and ``var.reset(...)`` keep their meaning; a
    use that passes the variable itself around, or a second binding of its name, might
    not, so the fix is not offered.
    """
    if len(_bindings_of(source, binding.name)) != 1:
        return None
    gets = []
    for name in references(source.module, binding.name):
        if _is_definition_target(source, name, binding):
            continue
        attribute = source.parents.get(name)
        call = source.parents.get(attribute) if attribute is not None else None
        if (
            not isinstance(attribute, cst.Attribute)
            or attribute.value is not name
            or not isinstance(call, cst.Call)
            or call.func is not attribute
            or attribute.attr.value not in ("get", "set", "reset")
        ):
            return None
        if attribute.attr.value == "get" and not call.args:
            gets.append(call)
    return gets


def _uses_inside_functions(source: ParsedSource, binding: _ModuleBinding) -> list[cst.Name] | None:
    """Every read of the container's name, all inside functions; None otherwise.

    A use at module or class level runs at import time: the container is then a registry
    filled on import, not request scratch space, and must stay shared.
    """
    if len(_bindings_of(source, binding.name)) != 1:
        return None
    uses = []
    for name in references(source.module, binding.name):
        if _is_definition_target(source, name, binding):
            continue
        parent = source.parents.get(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            continue  # `other.NAME` is an attribute of something else, not this name
        if source.enclosing(name, cst.FunctionDef) is None or _is_keyword_name(parent, name):
            return None
        uses.append(name)
    return uses


def _in_async_code(source: ParsedSource, node: cst.CSTNode) -> bool:
    """Whether ``node`` runs directly in an ``async def``: there each request's task has its
    own copy of the context (see the module docstring)."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.Lambda):
            return False
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor.asynchronous is not None
    return False


def _is_keyword_name(parent: cst.CSTNode | None, name: cst.Name) -> bool:
    return isinstance(parent, cst.Arg) and parent.keyword is name


def _bindings_of(source: ParsedSource, name: str) -> list[cst.Name]:
    return [bound for bound in binding_names(source.module) if bound.value == name]


def _is_definition_target(source: ParsedSource, name: cst.Name, binding: _ModuleBinding) -> bool:
    return source.enclosing(name, cst.SimpleStatementLine) is binding.statement and (
        isinstance(source.parents.get(name), cst.AssignTarget | cst.AnnAssign)
    )


def _rebuildable(source: ParsedSource, value: cst.BaseExpression) -> bool:
    """Whether ``value`` can be evaluated again in the helper to build an equal container."""
    module_names = {bound.value for bound in binding_names(source.module)}
    return fresh_value_names_ok(value) and not names_in(value) & module_names


def _helper_name(source: ParsedSource, name: str) -> str | None:
    """``_events`` -> ``_events_in_context``; None if the module already uses that name."""
    helper = f"_{name.strip('_').lower()}_in_context"
    return None if references(source.module, helper) else helper


def _helper(
    source: ParsedSource,
    binding: _ModuleBinding,
    helper: str,
    value_type: str | None,
    fresh_value: str,
) -> Edit:
    """The helper function, inserted right after the variable's line (before any use)."""
    name, unit = binding.name, source.indent_unit
    returns = f" -> {value_type}" if value_type is not None else ""
    after = source.end(binding.statement)[0] + 1
    lines = [
        "",
        "",
        f"def {helper}(){returns}:",
        f'{unit}"""This context\'s own `{name}`, created on first use (never shared)."""',
        f"{unit}try:",
        f"{unit}{unit}return {name}.get()",
        f"{unit}except LookupError:",
        f"{unit}{unit}{name}.set({fresh_value})",
        f"{unit}{unit}return {name}.get()",
    ]
    following = _blank_lines_from(source, after)
    if following is None and not source.text.endswith(("\n", "\r")):
        # the variable is on a last line without a line ending: end that line first
        content = source.newline + source.newline.join(lines)
        return Edit(source.path, after, 1, after, 1, content)
    if following is not None:
        lines += [""] * max(0, 2 - following)
    return source.insert_lines(after, lines)


def _blank_lines_from(source: ParsedSource, line: int) -> int | None:
    """How many blank lines start at ``line``; None when only blank lines follow."""
    count = 0
    while line + count <= source.line_count:
        if source.line_text(line + count).strip():
            return count
        count += 1
    return None


def _contextvar_type(annotation: cst.BaseExpression | None) -> str | None:
    """``ContextVar[list[str]]`` -> the code ``list[str]``; None when not spelled out."""
    if not isinstance(annotation, cst.Subscript) or len(annotation.slice) != 1:
        return None
    element = annotation.slice[0].slice
    if not isinstance(element, cst.Index):
        return None
    return cst.Module([]).code_for_node(element.value)


def _without_argument(call: cst.Call, removed: cst.Arg) -> cst.Call:
    """``call`` without ``removed``; the comma after the new last argument follows the old."""
    kept = [arg for arg in call.args if arg is not removed]
    if kept and call.args[-1] is removed:
        kept[-1] = kept[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=kept)


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword is not None else None


def _kind(value: cst.BaseExpression) -> str:
    if isinstance(value, cst.List):
        return "list"
    if isinstance(value, cst.Dict):
        return "dict"
    if isinstance(value, cst.Set):
        return "set"
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value
    return "container"
