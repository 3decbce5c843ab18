"""Small syntax questions of the ``migrate-context`` codemod, answered without metadata.

Dotted names, annotations written as strings (``"Optional[DeepAgentState]"``, which the
scope analysis sees only as a string), and whether a new parameter name would clash with
a name already used in a function.
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from isolint.fix.codemods.migrate_context_options import MigrationOptions


def rewrite_string_annotation(
    node: cst.SimpleString,
    class_aliases: set[str],
    module_aliases: set[str],
    options: MigrationOptions,
) -> cst.SimpleString | None:
    """The string annotation naming the target instead of the legacy class, or None."""
    expression = string_expression(node)
    if expression is None:
        return None
    rewriter = _StringAnnotationRewriter(class_aliases, module_aliases, options)
    new_expression = expression.visit(rewriter)
    if not rewriter.changed:
        return None
    assert isinstance(new_expression, cst.BaseExpression)
    code = cst.Module([]).code_for_node(new_expression)
    return node.with_changes(value=f"{node.prefix}{node.quote}{code}{node.quote}")


def string_expression(node: cst.SimpleString) -> cst.BaseExpression | None:
    """The expression inside a string annotation (None for bytes, escapes, non-code)."""
    if "b" in node.prefix.lower() or "\\" in node.value:
        return None
    try:
        return cst.parse_expression(node.raw_value)
    except cst.ParserSyntaxError:
        return None


class _StringAnnotationRewriter(cst.CSTTransformer):
    """Inside a string annotation: the legacy class's local names become the target's."""

    def __init__(
        self, class_aliases: set[str], module_aliases: set[str], options: MigrationOptions
    ) -> None:
        super().__init__()
        self.class_aliases = class_aliases
        self.module_aliases = module_aliases
        self.options = options
        self.changed = False

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node.value in self.class_aliases:
            self.changed = True
            return cst.Name(self.options.target_class_name)
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        owner = dotted(original_node.value)
        if (
            owner in self.module_aliases
            and original_node.attr.value == self.options.legacy_class_name
        ):
            self.changed = True
            return cst.Name(self.options.target_class_name)
        return updated_node


def names_only_legacy(expression: cst.BaseExpression, legacy_names: set[str]) -> bool:
    """A parsed string annotation that means the legacy type, optionally ``| None``."""
    text = dotted(expression)
    if text is not None:
        return text in legacy_names
    if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.BitOr):
        sides = (expression.left, expression.right)
        return any(names_only_legacy(s, legacy_names) for s in sides) and all(
            names_only_legacy(s, legacy_names) or m.matches(s, m.Name("None")) for s in sides
        )
    if isinstance(expression, cst.Subscript) and last_name(expression.value) == "Optional":
        elements = [e.slice.value for e in expression.slice if isinstance(e.slice, cst.Index)]
        return len(elements) == 1 and names_only_legacy(elements[0], legacy_names)
    return False


def dotted(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        owner = dotted(node.value)
        return None if owner is None else f"{owner}.{node.attr.value}"
    return None


def last_name(node: cst.BaseExpression) -> str | None:
    name = dotted(node)
    return None if name is None else name.rpartition(".")[2]


def binds_or_uses(function: cst.FunctionDef, new: str, old: str) -> bool:
    """Whether renaming ``old`` to ``new`` could clash or miss a use: ``new`` is a name
    anywhere in the function (attribute names and keyword arguments aside), or ``old`` is
    declared global/nonlocal in it."""
    finder = _NameFinder(new, old)
    function.visit(finder)
    return finder.found


class _NameFinder(cst.CSTVisitor):
    def __init__(self, new: str, old: str) -> None:
        super().__init__()
        self.new = new
        self.old = old
        self.found = False

    def visit_Name(self, node: cst.Name) -> bool:
        self.found = self.found or node.value == self.new
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.new` binds nothing; only the owner `x` is a name
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # neither is the keyword of `f(new=...)`
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        self.found = self.found or any(item.name.value == self.old for item in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self.found = self.found or any(item.name.value == self.old for item in node.names)
        return False


def names_only_in_strings(source: str, module: cst.Module, name: str) -> bool:
    """Whether ``module`` (parsed from ``source``) writes ``name`` in a string and nowhere
    in its code: no import, definition, assignment or reference binds or reads it (a
    forward reference such as ``state: "DeepAgentState"`` to a class it never imports)."""
    if not re.search(rf"[\"'][^\"'\n]*\b{re.escape(name)}\b", source):
        return False
    return not m.findall(module, m.Name(value=name))
