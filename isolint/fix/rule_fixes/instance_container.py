"""ISO103: a class-body container written through ``self`` becomes one per instance.

For a plain class, the class-body line goes and ``__init__`` creates the container: at the
top of an existing ``__init__`` (after its ``super().__init__(...)`` call, if it makes one),
or in a new ``def __init__(self) -> None`` when the class has no base that could define
one. For a dataclass, the attribute becomes ``field(default_factory=..., init=False,
repr=False, compare=False)``: a field that is neither a parameter nor part of ``repr`` or
equality, so the generated methods behave as before.

Offered only when every use of the attribute in the module is ``self.NAME`` inside the
class's own methods: a read through the class (``cls.NAME``, ``Agent.NAME``) would no
longer find it. Unsafe: uses in other modules, subclasses that skip ``super().__init__()``
and code that relied on the sharing all change.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from isolint.findings import Applicability, Edit, Finding, Fix
from isolint.fix.rule_fixes.imports import NameClash, add_import_edits
from isolint.fix.rule_fixes.source import ParsedSource
from isolint.fix.rule_fixes.syntax import (
    binding_names,
    container_kind,
    decorator_names,
    first_line_after_docstring,
    first_parameter,
    fresh_value_names_ok,
    imported_from,
    names_in,
    walk_nodes,
    written_subject,
)

_METHOD_DECORATORS_WITHOUT_SELF = frozenset({"staticmethod", "classmethod"})


@dataclass(frozen=True)
class _ClassAttribute:
    """``name = value`` or ``name: annotation = value`` on its own line of a class body."""

    owner: cst.ClassDef
    statement: cst.SimpleStatementLine
    name: str
    annotation: cst.BaseExpression | None
    value: cst.BaseExpression


def fix_class_container(finding: Finding, source: ParsedSource) -> Fix | None:
    attribute = _written_attribute(finding, source)
    if attribute is None or not _only_used_through_self(source, attribute):
        return None
    module_names = {bound.value for bound in binding_names(source.module)}
    if not fresh_value_names_ok(attribute.value) or names_in(attribute.value) & module_names:
        return None
    if "dataclass" in decorator_names(attribute.owner):
        return _dataclass_field(source, attribute)
    if attribute.owner.decorators or attribute.owner.keywords:
        return None  # a decorator or metaclass may build the class some other way
    create = _create_in_init(source, attribute)
    if create is None:
        return None
    return Fix(
        Applicability.UNSAFE,
        f"Create `{attribute.name}` per instance in `__init__`",
        (_deletion(source, attribute.statement), *create),
    )


def _written_attribute(finding: Finding, source: ParsedSource) -> _ClassAttribute | None:
    """The class-body definition of the attribute the finding's write goes to."""
    subject = finding.shared_object or written_subject(finding.message)
    nodes = source.nodes_at(finding)
    if not subject or not nodes or "." not in subject:
        return None
    class_name, attribute_name = subject.rsplit(".", 1)
    method = source.enclosing(nodes[0], cst.FunctionDef)
    owner = source.enclosing(method, cst.ClassDef) if method is not None else None
    if owner is None or owner.name.value != class_name.rsplit(".", 1)[-1]:
        return None
    if not isinstance(owner.body, cst.IndentedBlock):
        return None
    found = None
    for statement in owner.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if _binds(small, "__slots__"):
                return None  # instances may have no room for the attribute
            if _binds(small, attribute_name):
                if found is not None or len(statement.body) != 1:
                    return None
                found = _attribute(owner, statement, small, attribute_name)
    return found


def _binds(small: cst.BaseSmallStatement, name: str) -> bool:
    if isinstance(small, cst.Assign):
        return any(
            isinstance(target.target, cst.Name) and target.target.value == name
            for target in small.targets
        )
    if isinstance(small, cst.AnnAssign | cst.AugAssign):
        return isinstance(small.target, cst.Name) and small.target.value == name
    return False


def _attribute(
    owner: cst.ClassDef,
    statement: cst.SimpleStatementLine,
    small: cst.BaseSmallStatement,
    name: str,
) -> _ClassAttribute | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return _ClassAttribute(owner, statement, name, None, small.value)
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return _ClassAttribute(owner, statement, name, small.annotation.annotation, small.value)
    return None


def _only_used_through_self(source: ParsedSource, attribute: _ClassAttribute) -> bool:
    """Every ``X.NAME`` in the module is ``self.NAME`` in an instance method of the class.

    The name must not be used bare in the class body either, and no class of the module
    may define the same name in its body (a subclass overriding it would be shadowed).
    """
    for node in walk_nodes(source.module):
        if isinstance(node, cst.Attribute) and node.attr.value == attribute.name:
            if not _is_self_access(source, node, attribute.owner):
                return False
        elif isinstance(node, cst.ClassDef) and node is not attribute.owner:
            if any(_binds(small, attribute.name) for small in _class_body_smalls(node)):
                return False
    body_names = {
        name.value
        for statement in _class_body_statements(attribute.owner)
        if statement is not attribute.statement
        for name in _class_scope_names(statement)
    }
    return attribute.name not in body_names


def _is_self_access(source: ParsedSource, node: cst.Attribute, owner: cst.ClassDef) -> bool:
    method = source.enclosing(node, cst.FunctionDef)
    if method is None or source.enclosing(method, cst.ClassDef) is not owner:
        return False
    if source.enclosing(method, cst.FunctionDef) is not None:
        return False  # a method of a class nested in a function: leave it alone
    if set(decorator_names(method)) & _METHOD_DECORATORS_WITHOUT_SELF:
        return False
    self_name = first_parameter(method)
    return isinstance(node.value, cst.Name) and node.value.value == self_name


def _create_in_init(source: ParsedSource, attribute: _ClassAttribute) -> tuple[Edit, ...] | None:
    init = _method(attribute.owner, "__init__")
    declaration = _declaration(source, attribute)
    if init is not None:
        self_name = first_parameter(init)
        if self_name is None or not isinstance(init.body, cst.IndentedBlock):
            return None
        indent = source.indentation_of(init.body.body[0])
        line = _after_super_init(source, init.body) or first_line_after_docstring(source, init.body)
        return (source.insert_lines(line, [f"{indent}{self_name}.{declaration}"]),)
    if not _bases_define_no_init(attribute.owner):
        return None
    return (_new_init(source, attribute, declaration),)


def _declaration(source: ParsedSource, attribute: _ClassAttribute) -> str:
    """``name: annotation = value`` (the annotation only if the class body had one)."""
    annotation = f": {source.code(attribute.annotation)}" if attribute.annotation else ""
    return f"{attribute.name}{annotation} = {source.code(attribute.value)}"


def _after_super_init(source: ParsedSource, body: cst.IndentedBlock) -> int | None:
    """The line after a top-level ``super().__init__(...)`` statement, if there is one."""
    for statement in body.body:
        if (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and _is_super_init(statement.body[0].value)
        ):
            return source.end(statement)[0] + 1
    return None


def _is_super_init(expression: cst.BaseExpression) -> bool:
    return (
        isinstance(expression, cst.Call)
        and isinstance(expression.func, cst.Attribute)
        and expression.func.attr.value == "__init__"
        and isinstance(expression.func.value, cst.Call)
        and isinstance(expression.func.value.func, cst.Name)
        and expression.func.value.func.value == "super"
    )


def _bases_define_no_init(owner: cst.ClassDef) -> bool:
    """True when the class has no base but ``object``: no inherited ``__init__`` to call."""
    return all(
        isinstance(base.value, cst.Name) and base.value.value == "object" for base in owner.bases
    )


def _new_init(source: ParsedSource, attribute: _ClassAttribute, declaration: str) -> Edit:
    """``def __init__(self) -> None`` before the first method (or at the end of the body)."""
    body = attribute.owner.body
    assert isinstance(body, cst.IndentedBlock)
    statements = [s for s in body.body if s is not attribute.statement]
    first_method = next((s for s in statements if isinstance(s, cst.FunctionDef)), None)
    indent = source.indentation_of(attribute.statement)
    unit = source.indent_unit
    lines = [f"{indent}def __init__(self) -> None:", f"{indent}{unit}self.{declaration}"]
    if first_method is not None:
        line = source.first_line_with_comments(first_method)
        if _needs_blank_line_before(source, line, attribute.statement):
            lines.insert(0, "")
        return source.insert_lines(line, [*lines, ""])
    line = source.end(body)[0] + 1
    return source.insert_lines(line, ["", *lines])


def _deleted_lines(source: ParsedSource, statement: cst.SimpleStatementLine) -> tuple[int, int]:
    """The first line and the line after the class-body line to delete.

    Blank lines after it go too when the line above is blank or the class header, so the
    body neither starts with a blank line nor gets two in a row.
    """
    first, after = source.start(statement)[0], source.end(statement)[0] + 1
    above = source.line_text(first - 1).rstrip()
    if not above or above.endswith(":"):
        while after <= source.line_count and not source.line_text(after).strip():
            after += 1
    return first, after


def _deletion(source: ParsedSource, statement: cst.SimpleStatementLine) -> Edit:
    first, after = _deleted_lines(source, statement)
    return Edit(source.path, first, 1, after, 1, "")


def _needs_blank_line_before(
    source: ParsedSource, line: int, removed: cst.SimpleStatementLine
) -> bool:
    """Whether the line kept above ``line`` is code that is not the class's own header."""
    first, after = _deleted_lines(source, removed)
    previous = first - 1 if line == after else line - 1
    text = source.line_text(previous).rstrip()
    return bool(text) and not text.endswith(":")


def _dataclass_field(source: ParsedSource, attribute: _ClassAttribute) -> Fix | None:
    """``cache = []`` in a dataclass -> ``cache: list = field(default_factory=list, ...)``.

    An annotated container default is already an error in a dataclass, so only the
    unannotated class variable is rewritten, and the new field stays out of ``__init__``,
    ``repr`` and comparisons, where the class variable was not either.
    """
    kind = container_kind(attribute.value)
    if attribute.annotation is not None or kind is None:
        return None
    empty = isinstance(attribute.value, cst.List | cst.Dict) and not _elements(attribute.value)
    no_arguments = isinstance(attribute.value, cst.Call) and not attribute.value.args
    factory = kind if empty or no_arguments else f"lambda: {source.code(attribute.value)}"
    options = "init=False, repr=False, compare=False"
    field_call = _field_function(source)
    if field_call is None:
        return None
    call, imports = field_call
    statement = attribute.statement.body[0]
    declaration = f"{attribute.name}: {kind} = {call}(default_factory={factory}, {options})"
    return Fix(
        Applicability.UNSAFE,
        f"Make `{attribute.name}` a per-instance dataclass field (`default_factory={factory}`)",
        (source.replace(statement, declaration), *imports),
    )


def _field_function(source: ParsedSource) -> tuple[str, tuple[Edit, ...]] | None:
    """How to spell ``dataclasses.field`` here, and the import edits that needs."""
    if imported_from(source.module, "dataclasses", "field"):
        return "field", ()
    if imported_from(source.module, "dataclasses", "dataclass"):
        try:
            return "field", add_import_edits(source, "dataclasses", "field")
        except NameClash:
            return None
    return "dataclasses.field", ()  # the class uses `@dataclasses.dataclass`


def _elements(value: cst.List | cst.Dict) -> int:
    return len(value.elements)


def _method(owner: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    for statement in _class_body_statements(owner):
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    return None


def _class_body_statements(owner: cst.ClassDef) -> list[cst.BaseStatement]:
    body = owner.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _class_body_smalls(owner: cst.ClassDef) -> list[cst.BaseSmallStatement]:
    return [
        small
        for statement in _class_body_statements(owner)
        if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body
    ]


def _class_scope_names(statement: cst.BaseStatement) -> list[cst.Name]:
    """Names a class-body statement evaluates in the class scope (not inside methods)."""
    parts: list[cst.CSTNode] = [statement]
    if isinstance(statement, cst.FunctionDef):
        # decorators, defaults and (without the future import) annotations run there
        params = statement.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        parts = [
            *statement.decorators,
            *(part for param in every for part in (param.default, param.annotation) if part),
        ]
    return [name for part in parts for name in walk_nodes(part) if isinstance(name, cst.Name)]
