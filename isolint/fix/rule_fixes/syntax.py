"""Questions the fixers ask of the syntax tree: docstrings, bindings, names, imports.

Each answer errs on the side of "not sure": a fixer that gets an unexpected shape gives up
rather than guess, so these helpers recognise the plain spellings and nothing clever.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from isolint.fix.rule_fixes.source import ParsedSource

# Names a fresh container may be built from when its expression is evaluated again, later
# and elsewhere (in a function body or a helper): builtins and the usual container types.
CONTAINER_CONSTRUCTORS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "deque",
        "ChainMap",
        "int",
        "str",
        "float",
        "bool",
        "bytes",
        "tuple",
        "frozenset",
        "object",
    }
)

_QUOTED = re.compile(r"`([^`]+)`")
_WRITTEN = re.compile(r"\bwrites `([A-Za-z_][\w.]*)`")


def quoted_names(message: str) -> list[str]:
    """The names a finding's message quotes in backticks, in order."""
    return _QUOTED.findall(message)


def written_subject(message: str) -> str | None:
    """What a write finding says is written: ``NAME`` or ``Class.attr`` in "writes `...`"."""
    match = _WRITTEN.search(message)
    return match.group(1) if match else None


def is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def first_line_after_docstring(source: ParsedSource, block: cst.IndentedBlock) -> int:
    """Where new statements go at the top of ``block``: after its docstring, if any."""
    first = block.body[0]
    if is_docstring(first):
        return source.end(first)[0] + 1
    return source.first_line_with_comments(first)


def body_indentation(source: ParsedSource, block: cst.IndentedBlock) -> str:
    return source.indentation_of(block.body[0])


def names_in(node: cst.CSTNode) -> set[str]:
    """Every plain name ``node`` mentions (loads and stores alike)."""
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Names())
    return found


def fresh_value_names_ok(value: cst.BaseExpression) -> bool:
    """Whether evaluating ``value`` again elsewhere builds an equal, new container.

    True for displays of literals and calls of the builtin container types (``[]``,
    ``{"a": 1}``, ``set()``, ``defaultdict(list)``): they name nothing that could mean
    something else in another scope, and building them again has no side effect.
    """
    if not isinstance(value, cst.List | cst.Dict | cst.Set | cst.Call | cst.Tuple):
        return False
    if any(isinstance(node, cst.Lambda | cst.Await | cst.Yield) for node in walk_nodes(value)):
        return False
    return names_in(value) <= CONTAINER_CONSTRUCTORS


def container_kind(value: cst.BaseExpression) -> str | None:
    """``list``, ``dict``, ``set`` or the called type's name; None for anything else."""
    if isinstance(value, cst.List | cst.ListComp):
        return "list"
    if isinstance(value, cst.Dict | cst.DictComp):
        return "dict"
    if isinstance(value, cst.Set | cst.SetComp):
        return "set"
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value
    return None


def binding_names(node: cst.CSTNode) -> list[cst.Name]:
    """Every name that ``node`` (a module, a function, ...) binds, anywhere inside it.

    Over-approximates on purpose (comprehension targets and nested scopes count): the
    fixers use it to ask "could this name mean something else somewhere here?".
    """
    collector = _Bindings()
    node.visit(collector)
    return collector.names


def references(node: cst.CSTNode, name: str) -> list[cst.Name]:
    """Every ``Name`` node spelled ``name`` inside ``node``."""
    return [
        child for child in walk_nodes(node) if isinstance(child, cst.Name) and child.value == name
    ]


def has_future_annotations(module: cst.Module) -> bool:
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and isinstance(small.module, cst.Name)
                and small.module.value == "__future__"
                and not isinstance(small.names, cst.ImportStar)
                and any(alias_name(alias) == "annotations" for alias in small.names)
            ):
                return True
    return False


def imported_from(module: cst.Module, module_name: str, name: str) -> bool:
    """Whether the module has ``from module_name import name`` (not renamed) at top level."""
    for small in top_level_small_statements(module):
        if (
            isinstance(small, cst.ImportFrom)
            and small.module is not None
            and dotted_name(small.module) == module_name
            and not isinstance(small.names, cst.ImportStar)
            and any(alias_name(a) == name and a.asname is None for a in small.names)
        ):
            return True
    return False


def imports_module(module: cst.Module, module_name: str) -> bool:
    """Whether the module has a plain ``import module_name`` at top level."""
    for small in top_level_small_statements(module):
        if isinstance(small, cst.Import) and any(
            dotted_name(alias.name) == module_name and alias.asname is None for alias in small.names
        ):
            return True
    return False


def decorator_names(node: cst.FunctionDef | cst.ClassDef) -> list[str]:
    """The last dotted part of each decorator (``dataclasses.dataclass(...)`` -> dataclass)."""
    names = []
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if isinstance(expression, cst.Name):
            names.append(expression.value)
        elif isinstance(expression, cst.Attribute):
            names.append(expression.attr.value)
    return names


def first_parameter(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def walk_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything inside it, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def top_level_small_statements(module: cst.Module) -> Iterator[cst.BaseSmallStatement]:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body


def alias_name(alias: cst.ImportAlias) -> str:
    return dotted_name(alias.name)


def dotted_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted_name(node.value)}.{node.attr.value}"
    return ""


class _Bindings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: list[cst.Name] = []

    def _targets(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.names.append(target)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._targets(element.value)
        elif isinstance(target, cst.StarredElement):
            self._targets(target.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._targets(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._targets(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self.names.append(node.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.names.append(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.names.append(node.name)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:
            name: cst.BaseExpression = node.name
            while isinstance(name, cst.Attribute):
                name = name.value  # `import a.b` binds `a`
            if isinstance(name, cst.Name):
                self.names.append(name)

    def visit_Global(self, node: cst.Global) -> None:
        self.names.extend(item.name for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.names.extend(item.name for item in node.names)

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.names.append(node.name)
