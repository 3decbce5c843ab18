"""Applying a module's plan: one libcst transformer, then libcst's import helpers.

Every change is keyed by an original node of the plan, so the transformer never decides
anything; it only builds the new nodes (the target's name, renamed parameters and
keywords, mapped attribute accesses, rebuilt constructions) from the updated children.
Inside an f-string the new string keys (``context.agent_context['results']``) take the
quote the f-string does not use, and a rebuilt call is never split over lines, so the
result compiles on Pythons before 3.12 (PEP 701) as the original did.
Imports follow the plan too: a legacy import whose every use was rewritten becomes the
target's import in place (keeping the file's import order), the names of other legacy
imports that no use is left of are dropped, and the target's import is added after the
module's leading imports where one is still needed. (libcst's ``RemoveImportsVisitor``
and ``AddImportsVisitor`` would do the same at the cost of two more metadata passes over
the module, which made them most of the codemod's time on a large project.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst
import libcst.matchers as m

from isolint.fix.codemods.migrate_context_options import MigrationOptions
from isolint.fix.codemods.migrate_context_plan import ConstructionPlan, ModulePlan, string_key
from isolint.fix.codemods.migrate_context_syntax import dotted


def rewrite_module(
    module: cst.Module,
    plan: ModulePlan,
    options: MigrationOptions,
    kept: dict[cst.Arg, cst.Arg] | None = None,
) -> cst.Module:
    """The module with ``plan`` applied (``module`` itself is not changed). ``kept``, when
    given, receives each keyword argument's node in the result, by original node (the
    arguments of rebuilt constructions are new nodes: they are not found there)."""
    rewritten = module.visit(_PlanRewriter(plan, options, kept))
    imports = sorted(plan.extra_imports)
    if plan.add_target_import:
        imports.insert(0, (options.target_module, options.target_class_name))
    for module_name, name in reversed(imports):
        rewritten = _with_import(rewritten, module_name, name)
    return rewritten


def _with_import(module: cst.Module, module_name: str, name: str) -> cst.Module:
    """``module`` with ``from module_name import name`` after its leading imports (after
    the docstring when it has none), and a blank line before the code that follows."""
    statement = cst.parse_statement(f"from {module_name} import {name}\n")
    body = list(module.body)
    start = 1 if body and m.matches(body[0], _DOCSTRING) else 0
    end = start
    while end < len(body) and m.matches(body[end], _IMPORT_LINE):
        end += 1
    if end < len(body) and end > start and not body[end].leading_lines:
        body[end] = body[end].with_changes(leading_lines=[cst.EmptyLine()])
    elif end < len(body) and end == start:
        statement = statement.with_changes(leading_lines=body[end].leading_lines)
        body[end] = body[end].with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(end, statement)
    return module.with_changes(body=body)


_DOCSTRING = m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())])
_IMPORT_LINE = m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])


class _PlanRewriter(cst.CSTTransformer):
    def __init__(
        self, plan: ModulePlan, options: MigrationOptions, kept: dict[cst.Arg, cst.Arg] | None
    ) -> None:
        super().__init__()
        self.plan = plan
        self.options = options
        self.kept = kept
        # quotes of the f-strings around the node being rebuilt, outermost first
        self._f_string_quotes: list[str] = []

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self._f_string_quotes.append(node.start[len(node.prefix) :])
        return True

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        self._f_string_quotes.pop()
        return updated_node

    def _key(self, name: str) -> cst.SimpleString:
        """``"name"``, or ``'name'`` inside an f-string quoted with ``"`` (which only
        Python 3.12 lets hold its own quote)."""
        taken = {quote for quote in self._f_string_quotes if len(quote) == 1}
        if '"' in taken and "'" not in taken:
            return cst.SimpleString(f"'{name}'")
        return string_key(name)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        """A module whose first statement was a removed import starts with the code that
        followed it, not with the blank lines that separated them."""
        body = updated_node.body
        if not self.plan.import_removals or not body or body[0] is original_node.body[0]:
            return updated_node
        lines = list(body[0].leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        if not body[0].leading_lines or lines == list(body[0].leading_lines):
            return updated_node
        first = body[0].with_changes(leading_lines=lines)
        return updated_node.with_changes(body=[first, *body[1:]])

    def _target(self) -> cst.Name:
        return cst.Name(self.options.target_class_name)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node in self.plan.type_refs:
            return self._target()
        new_name = self.plan.renames.get(original_node)
        return updated_node.with_changes(value=new_name) if new_name else updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if original_node in self.plan.type_refs:
            return self._target()
        access = self.plan.field_accesses.get(original_node)
        if access is None:
            return updated_node
        if access.context_field is not None:
            return updated_node.with_changes(attr=cst.Name(access.context_field))
        unmapped = cst.Attribute(value=updated_node.value, attr=cst.Name(self.options.unmapped))
        return cst.Subscript(
            value=unmapped,
            slice=[cst.SubscriptElement(cst.Index(self._key(access.field)))],
            lpar=updated_node.lpar,
            rpar=updated_node.rpar,
        )

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.BaseExpression:
        return self.plan.strings.get(original_node, updated_node)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        keyword = self.plan.keyword_renames.get(original_node)
        if keyword is not None and updated_node.keyword is not None:
            updated_node = updated_node.with_changes(keyword=cst.Name(keyword))
        if self.kept is not None and original_node.keyword is not None:
            self.kept[original_node] = updated_node
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self.plan.constructions.get(original_node)
        if plan is None:
            return updated_node
        if plan.helper is not None:
            func: cst.BaseExpression = cst.Attribute(self._target(), cst.Name(plan.helper))
            args = _helper_args(updated_node.args, plan, self._key)
        else:
            func = self._target()
            args = _construction_args(updated_node.args, plan, self.options.unmapped, self._key)
        call = updated_node.with_changes(func=func, args=args)
        if not self._f_string_quotes and _too_long(call, plan.column, plan.indent):
            return _one_argument_per_line(call, plan.indent)
        return call

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        """``super().__init__(...)`` of a composed subclass, its call already rebuilt as
        the target: ``self.context = Target(...)``."""
        holder = self.plan.composed_inits.get(original_node)
        if holder is None:
            return updated_node
        receiver, attribute = holder
        target = cst.Attribute(value=cst.Name(receiver), attr=cst.Name(attribute))
        return cst.Assign(
            targets=[cst.AssignTarget(target)],
            value=updated_node.value,
            semicolon=updated_node.semicolon,
        )

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        """A composed subclass without its legacy base (and without parentheses when no
        base remains)."""
        dropped = self.plan.dropped_bases.get(original_node)
        if dropped is None:
            return updated_node
        index = next(i for i, base in enumerate(original_node.bases) if base is dropped)
        bases = list(updated_node.bases)
        removed = bases.pop(index)
        if not bases and not updated_node.keywords:
            return updated_node.with_changes(
                bases=(), lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT
            )
        if index == len(bases):  # the new last base ends like the dropped one
            bases[-1] = bases[-1].with_changes(comma=removed.comma)
        return updated_node.with_changes(bases=bases)

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.Import | cst.ImportFrom | cst.RemovalSentinel:
        if original_node in self.plan.import_replacements:
            return self._target_import()
        dropped = self.plan.import_removals.get(original_node)
        if not dropped:
            return updated_node
        names = [alias for alias in updated_node.names if _local(alias) not in dropped]
        if not names:
            return cst.RemovalSentinel.REMOVE
        return updated_node.with_changes(names=_without_trailing_comma(names, parens=False))

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if original_node in self.plan.import_replacements:
            return self._target_import()
        dropped = self.plan.import_removals.get(original_node)
        if not dropped or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        names = [alias for alias in updated_node.names if _local(alias) not in dropped]
        if not names:
            return cst.RemovalSentinel.REMOVE
        parens = updated_node.lpar is not None
        return updated_node.with_changes(names=_without_trailing_comma(names, parens=parens))

    def _target_import(self) -> cst.ImportFrom:
        statement = cst.parse_statement(
            f"from {self.options.target_module} import {self.options.target_class_name}\n"
        )
        assert isinstance(statement, cst.SimpleStatementLine)
        replacement = statement.body[0]
        assert isinstance(replacement, cst.ImportFrom)
        return replacement


def _local(alias: cst.ImportAlias) -> str | None:
    """The name an import binds: its ``as`` name, else the dotted name imported."""
    return dotted(alias.asname.name if alias.asname is not None else alias.name)


def _without_trailing_comma(names: list[cst.ImportAlias], *, parens: bool) -> list[cst.ImportAlias]:
    """The remaining names of an import; a comma after the last one only in parentheses
    (where it was there before)."""
    if parens or not isinstance(names[-1].comma, cst.Comma):
        return names
    return [*names[:-1], names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]


LINE_LENGTH = 99  # beyond this a rewritten one-line construction is split (ruff's style)


def _too_long(call: cst.Call, column: int, indent: str) -> bool:
    """Whether a line of ``call`` may pass the line length (continuation lines are
    measured with the block's indentation added, which may count it twice: erring on
    the side of splitting)."""
    first, *rest = cst.Module([]).code_for_node(call).split("\n")
    return column + len(first) > LINE_LENGTH or any(
        len(indent) + len(line) > LINE_LENGTH for line in rest
    )


def _one_argument_per_line(call: cst.Call, indent: str) -> cst.Call:
    """``f(a, b)`` as ``f(\n    a,\n    b,\n)``, with a magic trailing comma; a dict
    argument still too long for its line gets one entry per line too."""
    inner = indent + "    "
    last = len(call.args) - 1
    args = [
        arg.with_changes(
            value=_split_dict(arg, inner),
            comma=cst.Comma(whitespace_after=_line_break(indent if index == last else inner)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        for index, arg in enumerate(call.args)
    ]
    return call.with_changes(whitespace_before_args=_line_break(inner), args=args)


def _line_break(spaces: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=False,
        last_line=cst.SimpleWhitespace(spaces),
    )


def _split_dict(arg: cst.Arg, indent: str) -> cst.BaseExpression:
    """A one-line dict literal argument longer than the line length, one entry a line."""
    value = arg.value
    code = cst.Module([]).code_for_node(arg)
    if not isinstance(value, cst.Dict) or not value.elements or "\n" in code:
        return value
    if len(indent) + len(code) + 1 <= LINE_LENGTH:
        return value
    inner = indent + "    "
    last = len(value.elements) - 1
    elements = [
        element.with_changes(
            comma=cst.Comma(whitespace_after=_line_break(indent if index == last else inner))
        )
        for index, element in enumerate(value.elements)
    ]
    return value.with_changes(
        lbrace=cst.LeftCurlyBrace(whitespace_after=_line_break(inner)), elements=elements
    )


def _construction_args(
    args: Sequence[cst.Arg],
    plan: ConstructionPlan,
    unmapped_name: str,
    key: Callable[[str], cst.SimpleString],
) -> list[cst.Arg]:
    """Mapped arguments as keywords, in their order, then ``<unmapped>={...}``."""
    kept = [
        _as_keyword(arg, keyword)
        for arg, keyword in zip(args, plan.keywords, strict=True)
        if keyword is not None
    ]
    kept += [
        cst.Arg(value=cst.Name(parameter), keyword=cst.Name(name), equal=_tight_equal())
        for name, parameter in plan.filled
    ]
    if plan.unmapped:
        entries = [
            cst.DictElement(
                key(name),
                args[source].value if isinstance(source, int) else source,
            )
            for name, source in plan.unmapped
        ]
        kept.append(
            cst.Arg(
                value=cst.Dict(_with_commas(entries)),
                keyword=cst.Name(unmapped_name),
                equal=_tight_equal(),
            )
        )
    return _with_layout(kept, args)


def _helper_args(
    args: Sequence[cst.Arg], plan: ConstructionPlan, key: Callable[[str], cst.SimpleString]
) -> list[cst.Arg]:
    """``(field_map, defaults, <the arguments under their legacy names>)`` for the
    target's ``from_legacy_kwargs``; the two dicts are left out from the end when empty."""
    lead: list[cst.Arg] = []
    if plan.helper_map or plan.unmapped:
        field_map = [cst.DictElement(key(old), key(new)) for old, new in plan.helper_map]
        lead.append(cst.Arg(cst.Dict(_with_commas(field_map)) if field_map else cst.Name("None")))
    if plan.unmapped:
        defaults = [
            cst.DictElement(key(name), args[source].value if isinstance(source, int) else source)
            for name, source in plan.unmapped
        ]
        lead.append(cst.Arg(cst.Dict(_with_commas(defaults))))
    rest = [
        _as_keyword(arg, keyword) if keyword is not None and arg.keyword is None else arg
        for arg, keyword in zip(args, plan.keywords, strict=True)
    ]
    return _with_layout([*lead, *rest], args)


def _as_keyword(arg: cst.Arg, keyword: str) -> cst.Arg:
    if arg.keyword is not None:
        return arg.with_changes(keyword=cst.Name(keyword))
    return arg.with_changes(keyword=cst.Name(keyword), equal=_tight_equal())


def _tight_equal() -> cst.AssignEqual:
    return cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )


def _with_commas(elements: list[cst.DictElement]) -> list[cst.DictElement]:
    last = len(elements) - 1
    return [
        element.with_changes(
            comma=cst.MaybeSentinel.DEFAULT
            if index == last
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        for index, element in enumerate(elements)
    ]


def _with_layout(new_args: list[cst.Arg], old_args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Commas and spacing like the original call's: its separator between arguments (one
    per line stays one per line), and its last argument's trailing comma and the space
    before the closing parenthesis."""
    if not old_args:
        return new_args
    separators = [arg.comma for arg in old_args[:-1] if isinstance(arg.comma, cst.Comma)]
    separator = (
        separators[0] if separators else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    inner_space = (
        old_args[0].whitespace_after_arg if len(old_args) > 1 else cst.SimpleWhitespace("")
    )
    last = len(new_args) - 1
    return [
        arg.with_changes(
            comma=old_args[-1].comma if index == last else separator,
            whitespace_after_arg=old_args[-1].whitespace_after_arg
            if index == last
            else inner_space,
        )
        for index, arg in enumerate(new_args)
    ]
