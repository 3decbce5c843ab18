"""Arguments for a synthesised call, from parameter names and type hints (read statically).

``str`` gets a payload carrying the user's token (identity parameters get the token itself),
``int`` a small id, a container one such item, and a project class (dataclass, model, or a
class whose constructor needs only such values) is built from its fields. Anything else is
reported as missing, and the test is then skipped with "needs factory".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Protocol

from isolint.race.sources import dotted, required_args, unquoted, without_none

# Parameters that identify the user get the user's token itself.
_IDENTITY_NAMES = frozenset(
    {"user_id", "user", "uid", "username", "owner_id", "account_id", "customer_id", "tenant_id"}
)
_SCALARS = {
    "str": 'user.text("{name}")',
    "int": "user.index + 1",
    "float": "float(user.index + 1)",
    "bool": "True",
    "bytes": 'user.text("{name}").encode()',
    "Any": 'user.text("{name}")',
    "object": 'user.text("{name}")',
}
_LISTS = frozenset({"list", "List", "Sequence", "Iterable", "MutableSequence", "Collection"})
_DICTS = frozenset({"dict", "Dict", "Mapping", "MutableMapping"})
_SETS = frozenset({"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"})
_MAX_DEPTH = 2


class ClassResolver(Protocol):
    """Finds the project class an annotation names: its module and its ``ClassDef``."""

    def resolve_class(
        self, module: str, annotation: ast.expr
    ) -> tuple[str, ast.ClassDef] | None: ...


@dataclass(frozen=True)
class Local:
    """An object the driver builds before the call (a websocket, a request model)."""

    name: str
    expression: str


class ArgumentBuilder:
    """Small values for a call's parameters, from their names and type hints."""

    def __init__(self, targeting: ClassResolver, module: str) -> None:
        self.targeting = targeting
        self.module = module
        self.locals: list[Local] = []
        self.imports: set[str] = set()
        self.missing: str | None = None

    def value(self, name: str, annotation: ast.expr | None, depth: int) -> str | None:
        annotation = unquoted(annotation)
        annotation = without_none(annotation)
        if name in _IDENTITY_NAMES and (annotation is None or dotted(annotation) == "str"):
            return "user.token"
        if annotation is None:
            self.missing = f"a type hint or factory for `{name}`"
            return None
        if isinstance(annotation, ast.Subscript):
            return self._container(name, annotation, depth)
        spelled = dotted(annotation)
        if spelled.rsplit(".", 1)[-1] in _SCALARS and spelled.split(".")[0] in (
            spelled,
            "typing",
            "builtins",
        ):
            return _SCALARS[spelled.rsplit(".", 1)[-1]].format(name=name)
        return self._instance(name, annotation, depth)

    def _container(self, name: str, annotation: ast.Subscript, depth: int) -> str | None:
        kind = dotted(annotation.value).rsplit(".", 1)[-1]
        items = (
            annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        )
        if kind in _LISTS or kind in _SETS:
            item = self.value(name, items[0], depth + 1)
            if item is None:
                return None
            return f"[{item}]" if kind in _LISTS else f"{{{item}}}"
        if kind in _DICTS and len(items) == 2:
            value = self.value(name, items[1], depth + 1)
            return None if value is None else f'{{"{name}": {value}}}'
        if kind == "Optional":
            return self.value(name, items[0], depth)
        self.missing = f"a factory for `{name}: {ast.unparse(annotation)}`"
        return None

    def _instance(self, name: str, annotation: ast.expr, depth: int) -> str | None:
        hint = ast.unparse(annotation)
        resolved = self.targeting.resolve_class(self.module, annotation)
        if resolved is None or depth >= _MAX_DEPTH:
            self.missing = f"a factory for `{name}: {hint}`"
            return None
        module, node = resolved
        nested = ArgumentBuilder(self.targeting, module)
        arguments: list[str] = []
        for field_name, field_hint in constructor_fields(node):
            value = nested.value(field_name, field_hint, depth + 1)
            if value is None:
                self.missing = f"a factory for `{name}: {hint}` ({nested.missing})"
                return None
            arguments.append(f"{field_name}={value}")
        self.imports |= nested.imports | {module}
        construction = f"{module}.{node.name}({', '.join(arguments)})"
        if depth > 0:
            return construction
        local_name = _local_name(name, [local.name for local in self.locals])
        self.locals.append(Local(local_name, construction))
        return local_name


def constructor_fields(node: ast.ClassDef) -> list[tuple[str, ast.expr | None]]:
    """The required constructor arguments of a class: a dataclass's or model's annotated
    fields without default, else the required parameters of its ``__init__``."""
    init = next(
        (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if init is not None:
        return [(p.arg, p.annotation) for p in required_args(init, skip_first=True)]
    fields: list[tuple[str, ast.expr | None]] = []
    for statement in node.body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is None
            and "ClassVar" not in ast.unparse(statement.annotation)
        ):
            fields.append((statement.target.id, statement.annotation))
    return fields


def _local_name(hint: str, taken: list[str]) -> str:
    name, number = hint, 2
    while name in taken or name in ("user", "result", "race", "pytest"):
        name, number = f"{hint}_{number}", number + 1
    return name
