"""The project's sources as the race generator reads them: parsed with ``ast``, never
imported. Functions and classes of each module by qualified name, and the small syntax
questions targeting asks: what a statement writes or binds, which names a function reads,
which parameters a call must pass.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FunctionSource:
    module: str
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    class_name: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.qualname)

    @property
    def decorators(self) -> list[str]:
        return [dotted(undecorate(d)).rsplit(".", 1)[-1] for d in self.node.decorator_list]

    @property
    def first_line(self) -> int:
        lines = [d.lineno for d in self.node.decorator_list] + [self.node.lineno]
        return min(lines)

    def contains(self, line: int) -> bool:
        return self.first_line <= line <= (self.node.end_lineno or self.node.lineno)


@dataclass
class ModuleSource:
    name: str
    tree: ast.Module
    functions: dict[str, FunctionSource]
    classes: dict[str, ast.ClassDef]

    def enclosing_function(self, line: int) -> FunctionSource | None:
        """The innermost function whose text (decorators included) holds ``line``."""
        found = [f for f in self.functions.values() if f.contains(line)]
        return max(found, key=lambda f: f.first_line, default=None)

    def statement_at(self, line: int) -> ast.stmt | None:
        """The innermost statement starting on ``line`` (a decorated def for its decorator)."""
        best: ast.stmt | None = None
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.stmt):
                continue
            decorators = getattr(node, "decorator_list", [])
            if node.lineno == line or any(d.lineno == line for d in decorators):
                if best is None or node.col_offset >= best.col_offset:
                    best = node
        return best


def parse_module(name: str, source: bytes) -> ModuleSource:
    tree = ast.parse(source)
    functions: dict[str, FunctionSource] = {}
    classes: dict[str, ast.ClassDef] = {}

    def visit(body: list[ast.stmt], prefix: str, class_name: str | None) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                classes[prefix + node.name] = node
                visit(node.body, f"{prefix}{node.name}.", node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + node.name
                functions[qualname] = FunctionSource(name, qualname, node, class_name)
                visit(node.body, f"{qualname}.", None)

    visit(tree.body, "", None)
    return ModuleSource(name, tree, functions, classes)


def required_args(
    node: ast.FunctionDef | ast.AsyncFunctionDef, *, skip_first: bool
) -> list[ast.arg]:
    """Parameters without a default (a shared mutable default must stay the default)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if skip_first:
        positional = positional[1:]
    with_default = len(args.defaults)
    required = positional[: len(positional) - with_default] if with_default else positional
    keyword_only = [
        arg
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None
    ]
    return [*required, *keyword_only]


def called_name(function: FunctionSource) -> str:
    """``__init__`` is called through its class."""
    return (
        function.class_name
        if function.node.name == "__init__" and function.class_name
        else function.node.name
    )


def takes_receiver(function: FunctionSource) -> bool:
    return function.class_name is not None and "staticmethod" not in function.decorators


def parameter_names(function: FunctionSource) -> list[str]:
    args = function.node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    return names[1:] if takes_receiver(function) else names


def dotted(node: ast.expr | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def undecorate(node: ast.expr) -> ast.expr:
    return node.func if isinstance(node, ast.Call) else node


def unquoted(annotation: ast.expr | None) -> ast.expr | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    return annotation


def without_none(annotation: ast.expr | None) -> ast.expr | None:
    """``X | None`` and ``Optional[X]`` -> ``X``."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        kept = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
        if len(kept) == 1:
            return without_none(kept[0])
    if isinstance(annotation, ast.Subscript) and dotted(annotation.value).endswith("Optional"):
        return without_none(annotation.slice)
    return annotation


def is_init(function: FunctionSource) -> bool:
    return function.node.name in ("__init__", "__post_init__", "__new__")


def first_parameter(function: FunctionSource | None) -> str | None:
    if function is None or function.class_name is None:
        return None
    args = [*function.node.args.posonlyargs, *function.node.args.args]
    return args[0].arg if args and "staticmethod" not in function.decorators else None


def class_holding(source: ModuleSource, line: int) -> str | None:
    """The class whose body (not a method) holds ``line``."""
    for name, node in source.classes.items():
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            in_method = any(
                isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                and child.lineno <= line <= (child.end_lineno or child.lineno)
                for child in node.body
            )
            if not in_method and "." not in name:
                return name
    return None


def class_body_names(node: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for statement in node.body:
        names.update(names_at(statement))
    return names


def names_at(statement: ast.stmt | None) -> list[str]:
    """The names a module- or class-level statement binds."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and isinstance(
        statement.target, ast.Name
    ):
        return [statement.target.id]
    if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return [statement.name]
    return []


def referenced(statement: ast.stmt) -> str:
    """The first name a statement reads (``state_type = DeepAgentState`` -> the class)."""
    value = getattr(statement, "value", None)
    return dotted(value).split(".")[0] if isinstance(value, ast.expr) else ""


def written_access(statement: ast.stmt) -> tuple[str, list[str]] | None:
    """The root name and attributes of what a statement writes (``self.active = ...`` ->
    ``self``, ``[active]``; ``CACHE[k] = v`` -> ``CACHE``; ``FEED.append(x)`` -> ``FEED``)."""
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        targets = [statement.target]
    elif isinstance(statement, ast.Delete):
        targets = statement.targets
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        function = statement.value.func
        if isinstance(function, ast.Attribute):
            targets = [function.value]
    elif isinstance(statement, ast.If):
        return None
    for target in targets:
        access = access_chain(target)
        if access is not None:
            return access
    return None


def access_chain(node: ast.expr) -> tuple[str, list[str]] | None:
    attrs: list[str] = []
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            attrs.insert(0, node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
            attrs.clear()
        elif isinstance(node, ast.Name):
            return node.id, attrs
        else:
            return None


def self_attributes_written(statement: ast.stmt | None) -> list[str]:
    if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return []
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [
        t.attr
        for t in targets
        if isinstance(t, ast.Attribute)
        and isinstance(t.value, ast.Name)
        and t.value.id in ("self", "cls")
    ]


def self_attributes_read(node: ast.AST) -> set[str]:
    return {
        child.attr
        for child in ast.walk(node)
        if isinstance(child, ast.Attribute)
        and isinstance(child.value, ast.Name)
        and child.value.id in ("self", "cls")
    }


def methods_called_on_locals(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Method names called on a local or parameter (``agent.execute()``), not on ``self``."""
    module_level = {"self", "cls"}
    found: set[str] = set()
    for child in ast.walk(node):
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and isinstance(child.func.value, ast.Name)
            and child.func.value.id not in module_level
            and child.func.value.id in local_names(node)
        ):
            found.add(child.func.attr)
    return found


def local_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = node.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
    return names


def names_loaded(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Root names the function reads, annotations included."""
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def project_root_module(path: Path, root: Path) -> str | None:
    """``tests/race_factories.py`` under ``root`` -> ``tests.race_factories``."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None
