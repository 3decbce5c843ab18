"""ISO501: a ``threading.local()`` used from async code becomes one ``ContextVar`` per attribute.

``_local = threading.local()`` with ``_local.user_id = uid`` and ``getattr(_local,
"user_id", None)`` becomes ``_local_user_id = ContextVar("_local_user_id")`` with
``_local_user_id.set(uid)`` and ``_local_user_id.get(None)``. Reading an attribute
directly (``_local.user_id``) becomes ``.get()``, which raises ``LookupError`` where the
thread local raised ``AttributeError``; the fix is not offered when such a read sits in a
``try`` that catches ``AttributeError``, nor for uses it cannot translate (``hasattr``,
``del``, augmented assignment, passing the local itself around).

Unsafe: the values become per task instead of per thread (the point of the fix, but code
that set a value in one task and read it in another changes), and only the module's own
uses are rewritten, so the name must be private to the module (``_name``) and used from
async code only in this file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from isolint.findings import Applicability, Finding, Fix
from isolint.fix.edits import edits_between
from isolint.fix.rule_fixes.imports import NameClash, with_import
from isolint.fix.rule_fixes.source import ParsedSource
from isolint.fix.rule_fixes.syntax import binding_names, references

# Builds a replacement from the node as already rewritten inside (a value may use the local).
Replacement = Callable[[cst.CSTNode], cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]]


@dataclass
class _Rewrite:
    """What replaces each use of the thread local, keyed by the original node."""

    replacements: dict[cst.CSTNode, Replacement] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=list)

    def variable(self, local: str, attribute: str) -> str:
        if attribute not in self.attributes:
            self.attributes.append(attribute)
        return f"{local}_{attribute}"


def fix_thread_local(finding: Finding, source: ParsedSource) -> Fix | None:
    statement = source.node_at(finding, cst.SimpleStatementLine)
    name = _thread_local_name(source, statement) if statement is not None else None
    if statement is None or name is None or not name.startswith("_"):
        return None
    if any(related.path != finding.path for related in finding.related):
        return None  # used from async code in another module: those uses need rewriting too
    rewrite = _rewrite_uses(source, statement, name)
    if rewrite is None or not rewrite.attributes:
        return None
    variables = [f"{name}_{attribute}" for attribute in rewrite.attributes]
    if any(references(source.module, variable) for variable in variables):
        return None
    definitions = _definitions(statement, variables)
    rewrite.replacements[statement] = lambda _: cst.FlattenSentinel(definitions)
    updated = source.module.visit(_Replace(rewrite.replacements))
    try:
        updated = _fix_imports(updated)
    except NameClash:
        return None
    listed = ", ".join(f"`{variable}`" for variable in variables)
    return Fix(
        Applicability.UNSAFE,
        f"Replace the thread local `{name}` with a ContextVar per attribute ({listed})",
        edits_between(source.path, source.text, updated.code),
    )


def _thread_local_name(source: ParsedSource, statement: cst.SimpleStatementLine) -> str | None:
    """``name`` of a module-level ``name = threading.local()`` (or ``local()``)."""
    if source.parents.get(statement) is not source.module or len(statement.body) != 1:
        return None
    assignment = statement.body[0]
    if not isinstance(assignment, cst.Assign) or len(assignment.targets) != 1:
        return None
    target, value = assignment.targets[0].target, assignment.value
    if not isinstance(target, cst.Name) or not isinstance(value, cst.Call) or value.args:
        return None
    func = value.func
    is_local = (isinstance(func, cst.Name) and func.value == "local") or (
        isinstance(func, cst.Attribute)
        and func.attr.value == "local"
        and isinstance(func.value, cst.Name)
        and func.value.value == "threading"
    )
    return target.value if is_local else None


def _rewrite_uses(
    source: ParsedSource, statement: cst.SimpleStatementLine, name: str
) -> _Rewrite | None:
    """The replacement of every use of ``name``; None if one cannot be translated."""
    if len([bound for bound in binding_names(source.module) if bound.value == name]) != 1:
        return None
    rewrite = _Rewrite()
    for use in references(source.module, name):
        if source.enclosing(use, cst.SimpleStatementLine) is statement:
            continue
        if not _translate(source, use, name, rewrite):
            return None
    return rewrite


def _translate(source: ParsedSource, use: cst.Name, name: str, rewrite: _Rewrite) -> bool:
    parent = source.parents.get(use)
    if isinstance(parent, cst.Attribute) and parent.value is use:
        return _translate_attribute(source, parent, name, rewrite)
    if isinstance(parent, cst.Arg) and parent.value is use:
        call = source.parents.get(parent)
        if isinstance(call, cst.Call) and call.args and call.args[0] is parent:
            return _translate_getattr(source, call, name, rewrite)
    return False


def _translate_attribute(
    source: ParsedSource, attribute: cst.Attribute, name: str, rewrite: _Rewrite
) -> bool:
    """``local.a = v`` -> ``local_a.set(v)``; ``local.a`` -> ``local_a.get()``."""
    variable = rewrite.variable(name, attribute.attr.value)
    target = source.parents.get(attribute)
    if isinstance(target, cst.AssignTarget):
        assignment = source.parents.get(target)
        line = source.parents.get(assignment) if assignment is not None else None
        if (
            not isinstance(assignment, cst.Assign)
            or len(assignment.targets) != 1
            or not isinstance(line, cst.SimpleStatementLine)
        ):
            return False
        rewrite.replacements[assignment] = lambda updated: cst.Expr(
            _call(variable, "set", [cst.Arg(_value_of(updated))])
        )
        return True
    if _is_store(source, attribute) or _catches_attribute_error(source, attribute):
        return False
    rewrite.replacements[attribute] = lambda _: _call(variable, "get", [])
    return True


def _translate_getattr(source: ParsedSource, call: cst.Call, name: str, rewrite: _Rewrite) -> bool:
    """``getattr(local, "a"[, default])`` -> ``local_a.get([default])``."""
    if not isinstance(call.func, cst.Name) or call.func.value != "getattr":
        return False
    if not 2 <= len(call.args) <= 3 or any(arg.keyword or arg.star for arg in call.args):
        return False
    attribute = call.args[1].value
    if not isinstance(attribute, cst.SimpleString) or not attribute.evaluated_value:
        return False
    attribute_name = attribute.evaluated_value
    if not isinstance(attribute_name, str) or not attribute_name.isidentifier():
        return False
    if len(call.args) == 2 and _catches_attribute_error(source, call):
        return False
    variable = rewrite.variable(name, attribute_name)
    rewrite.replacements[call] = lambda updated: _call(variable, "get", _default_of(updated))
    return True


def _is_store(source: ParsedSource, attribute: cst.Attribute) -> bool:
    """Whether ``attribute`` is a target (unpacked, augmented, deleted, ``as``), not a read."""
    node: cst.CSTNode = attribute
    parent = source.parents.get(node)
    while isinstance(parent, cst.Element | cst.StarredElement | cst.Tuple | cst.List):
        node, parent = parent, source.parents.get(parent)
    if isinstance(parent, cst.AssignTarget | cst.Del | cst.AsName):
        return True
    if isinstance(parent, cst.AnnAssign | cst.AugAssign | cst.For | cst.CompFor):
        return parent.target is node
    return False


def _value_of(assignment: cst.CSTNode) -> cst.BaseExpression:
    assert isinstance(assignment, cst.Assign)
    return assignment.value


def _default_of(call: cst.CSTNode) -> list[cst.Arg]:
    """``getattr(local, "a", default)`` -> ``[default]``; ``getattr(local, "a")`` -> ``[]``."""
    assert isinstance(call, cst.Call)
    return [cst.Arg(call.args[2].value)] if len(call.args) == 3 else []


def _catches_attribute_error(source: ParsedSource, node: cst.CSTNode) -> bool:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.Try):
            for handler in ancestor.handlers:
                if handler.type is None or "AttributeError" in source.code(handler.type):
                    return True
    return False


def _call(variable: str, method: str, args: list[cst.Arg]) -> cst.Call:
    return cst.Call(cst.Attribute(cst.Name(variable), cst.Name(method)), args)


def _definitions(
    statement: cst.SimpleStatementLine, variables: list[str]
) -> list[cst.SimpleStatementLine]:
    lines = []
    for index, variable in enumerate(variables):
        assignment = cst.Assign(
            [cst.AssignTarget(cst.Name(variable))],
            cst.Call(cst.Name("ContextVar"), [cst.Arg(cst.SimpleString(f'"{variable}"'))]),
        )
        line = cst.SimpleStatementLine([assignment])
        if index == 0:
            line = line.with_changes(leading_lines=statement.leading_lines)
        lines.append(line)
    return lines


def _fix_imports(module: cst.Module) -> cst.Module:
    """Import ``ContextVar``; drop ``threading`` if nothing else uses it."""
    # Imported here: libcst's codemods load its matchers, a fifth of a second that every
    # run with a fixable finding of another rule would pay before reporting.
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor

    module = with_import(module, "contextvars", "ContextVar")
    context = CodemodContext()
    RemoveImportsVisitor.remove_unused_import(context, "threading")
    RemoveImportsVisitor.remove_unused_import(context, "threading", "local")
    module = RemoveImportsVisitor(context).transform_module(module)
    return _without_blank_lines_at_top(module)


def _without_blank_lines_at_top(module: cst.Module) -> cst.Module:
    """Removing the first import leaves the blank lines that followed it at the top."""
    if not module.body or module.header:
        return module
    first = module.body[0]
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return module.with_changes(body=[first.with_changes(leading_lines=lines), *module.body[1:]])


class _Replace(cst.CSTTransformer):
    """Swaps original nodes for their replacements (identity of the original tree)."""

    def __init__(self, replacements: dict[cst.CSTNode, Replacement]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]:
        replacement = self.replacements.get(original_node)
        return replacement(updated_node) if replacement is not None else updated_node
