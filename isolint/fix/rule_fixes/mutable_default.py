"""ISO105: a mutable argument default becomes ``None`` plus a new container per call.

``def add_tag(tag, tags: list[str] = [])`` becomes ``def add_tag(tag, tags: list[str] | None
= None)`` with ``if tags is None: tags = []`` at the top of the body, after the docstring.
The annotation is widened to allow ``None``: ``X | None`` where it is not evaluated at run
time (a ``from __future__ import annotations`` module, or a string annotation), otherwise
``Optional[X]``, since the Python version the file targets is not known here.

Safe when the parameter's annotation excludes ``None`` and the body never compares it with
``None``: then ``None`` was never a valid argument, no correct caller passes it, and the one
behaviour that changes is the sharing of one container by every call, which is the bug.
Otherwise unsafe, as ruff's B006: a caller passing ``None`` explicitly now gets a new
container instead of ``None``, and the signature seen by introspection changes either way.
"""

from __future__ import annotations

import libcst as cst

from isolint.findings import Applicability, Edit, Finding, Fix
from isolint.fix.rule_fixes.imports import NameClash, add_import_edits
from isolint.fix.rule_fixes.source import ParsedSource
from isolint.fix.rule_fixes.syntax import (
    binding_names,
    body_indentation,
    container_kind,
    first_line_after_docstring,
    has_future_annotations,
    imported_from,
    imports_module,
    names_in,
    quoted_names,
)

_MUTABLE_DEFAULTS = (
    cst.List,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.DictComp,
    cst.SetComp,
    cst.Call,
    cst.Name,
)


def fix_mutable_default(finding: Finding, source: ParsedSource) -> Fix | None:
    function_name = source.node_at(finding, cst.Name)
    function = source.parents.get(function_name) if function_name is not None else None
    if not isinstance(function, cst.FunctionDef) or not isinstance(
        function.body, cst.IndentedBlock
    ):
        return None
    names = quoted_names(finding.message)
    param = _parameter(function, names[0]) if names else None
    if param is None or not isinstance(param.default, _MUTABLE_DEFAULTS):
        return None
    initial = _fresh_value(source, function, param.default)
    if initial is None:
        return None
    annotation_edits = _annotation_edits(source, param)
    if annotation_edits is None:
        return None
    name = param.name.value
    indent = body_indentation(source, function.body)
    initialise = source.insert_lines(
        _first_line_after_initialisations(source, function),
        [f"{indent}if {name} is None:", f"{indent}{source.indent_unit}{name} = {initial}"],
    )
    kind = container_kind(param.default) or "container"
    return Fix(
        Applicability.SAFE if _none_was_invalid(param, function) else Applicability.UNSAFE,
        f"Default `{name}` to `None` and create a new {kind} in the body",
        (source.replace(param.default, "None"), *annotation_edits, initialise),
    )


# Annotations that admit None (or anything): a caller may pass None on purpose.
_ADMITS_NONE = ("None", "Optional", "Any", "object")


def _none_was_invalid(param: cst.Param, function: cst.FunctionDef) -> bool:
    """Whether the annotation rules ``None`` out and the body never tests for it."""
    if param.annotation is None:
        return False
    annotation = cst.Module([]).code_for_node(param.annotation.annotation)
    if any(word in annotation for word in _ADMITS_NONE):
        return False
    return not any(
        _compares_with_none(node, param.name.value) for node in _comparisons(function.body)
    )


def _comparisons(node: cst.CSTNode) -> list[cst.Comparison]:
    found: list[cst.Comparison] = []

    class Collector(cst.CSTVisitor):
        def visit_Comparison(self, comparison: cst.Comparison) -> None:
            found.append(comparison)

    node.visit(Collector())
    return found


def _compares_with_none(comparison: cst.Comparison, name: str) -> bool:
    operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
    mentions_name = any(isinstance(op, cst.Name) and op.value == name for op in operands)
    mentions_none = any(isinstance(op, cst.Name) and op.value == "None" for op in operands)
    return mentions_name and mentions_none


def _first_line_after_initialisations(source: ParsedSource, function: cst.FunctionDef) -> int:
    """After the docstring and any ``if param is None:`` blocks already at the top.

    Several defaults of one function are fixed one after the other; each initialisation
    goes below the earlier ones, so they end up in the order of the parameters.
    """
    body = function.body
    assert isinstance(body, cst.IndentedBlock)
    line = first_line_after_docstring(source, body)
    parameters = {param.name.value for param in _all_parameters(function)}
    for statement in body.body:
        if source.start(statement)[0] < line:
            continue
        if not (isinstance(statement, cst.If) and _is_none_check(statement.test, parameters)):
            break
        if statement.orelse is not None:
            break
        line = source.end(statement)[0] + 1
    return line


def _is_none_check(test: cst.BaseExpression, parameters: set[str]) -> bool:
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and test.left.value in parameters
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    )


def _all_parameters(function: cst.FunctionDef) -> list[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _parameter(function: cst.FunctionDef, name: str) -> cst.Param | None:
    for param in _all_parameters(function):
        if param.name.value == name and param.default is not None:
            return param
    return None


def _fresh_value(
    source: ParsedSource, function: cst.FunctionDef, default: cst.BaseExpression
) -> str | None:
    """The code that builds, inside the body, a new container like the default.

    The default's own code, evaluated again at each call; for a module constant
    (``headers=DEFAULT_HEADERS``) a shallow copy of it. None when a name the default uses
    may mean something else in the body (a parameter, a local, or a class attribute: a
    default is evaluated in the class body, the function body cannot see that scope).
    """
    scopes = [function, *source.ancestors(function)]
    shadowed = {
        bound.value
        for scope in scopes
        if isinstance(scope, cst.FunctionDef | cst.ClassDef)
        for bound in binding_names(scope)
    }
    if names_in(default) & shadowed:
        return None
    if isinstance(default, cst.Name):
        return f"{default.value}.copy()"
    return source.code(default)


def _annotation_edits(source: ParsedSource, param: cst.Param) -> tuple[Edit, ...] | None:
    """Edits that let the annotation accept ``None`` (none if it already does)."""
    if param.annotation is None:
        return ()
    annotation = param.annotation.annotation
    if _allows_none(annotation):
        return ()
    if isinstance(annotation, cst.SimpleString):
        return _widen_string(source, annotation)
    if not isinstance(annotation, cst.Name | cst.Attribute | cst.Subscript | cst.BinaryOperation):
        return None
    code = source.code(annotation)
    if has_future_annotations(source.module):
        return (source.replace(annotation, f"{code} | None"),)
    if imported_from(source.module, "typing", "Optional"):
        return (source.replace(annotation, f"Optional[{code}]"),)
    if imports_module(source.module, "typing"):
        return (source.replace(annotation, f"typing.Optional[{code}]"),)
    try:
        imports = add_import_edits(source, "typing", "Optional")
    except NameClash:
        return None
    return (source.replace(annotation, f"Optional[{code}]"), *imports)


def _widen_string(source: ParsedSource, annotation: cst.SimpleString) -> tuple[Edit, ...] | None:
    """``"list[str]"`` -> ``"list[str] | None"`` (a string annotation is never evaluated)."""
    if annotation.prefix.lower() not in ("", "r") or "\n" in annotation.value:
        return None
    inner = annotation.value[
        len(annotation.prefix) + len(annotation.quote) : -len(annotation.quote)
    ]
    try:
        if _allows_none(cst.parse_expression(inner)):
            return ()
    except cst.ParserSyntaxError:
        return None
    quote = annotation.quote
    return (source.replace(annotation, f"{annotation.prefix}{quote}{inner} | None{quote}"),)


def _allows_none(annotation: cst.BaseExpression) -> bool:
    """``X | None``, ``Optional[X]``, ``Union[..., None]``, ``Any``, ``object``, ``None``."""
    if isinstance(annotation, cst.Name):
        return annotation.value in ("None", "Any", "object")
    if isinstance(annotation, cst.Attribute):
        return annotation.attr.value == "Any"
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        return _allows_none(annotation.left) or _allows_none(annotation.right)
    if isinstance(annotation, cst.Subscript):
        generic = annotation.value
        name = generic.attr.value if isinstance(generic, cst.Attribute) else ""
        name = generic.value if isinstance(generic, cst.Name) else name
        if name == "Optional":
            return True
        if name == "Union":
            return any(
                isinstance(element.slice, cst.Index) and _allows_none(element.slice.value)
                for element in annotation.slice
            )
    return False
