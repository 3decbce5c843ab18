"""What the legacy class looks like, read statically from the project's own source.

The codemod never imports user code. It reads the legacy class definition to learn which
``__init__`` parameter sets which field, which fields start with a default when the
caller does not pass them (``messages=None`` then ``messages if messages is not None else
[]``; ``self.results = {}``), and which names are methods rather than fields. Only defaults
that can be copied into another module unchanged are used ("portable": literals and empty
builtin containers); any other default is reported where a construction would need it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import libcst.matchers as m


@dataclass(frozen=True)
class LegacyParam:
    """One ``__init__`` parameter (``self`` excluded)."""

    name: str
    has_default: bool
    keyword_only: bool


@dataclass(frozen=True)
class LegacyField:
    """One attribute the constructor sets.

    ``param`` is the ``__init__`` parameter whose value the field takes when passed;
    ``default`` is the portable expression the field gets otherwise (None when the field
    has no default the codemod can copy, ``default_known`` False when it exists but is not
    portable).
    """

    name: str
    param: str | None
    default: cst.BaseExpression | None
    default_known: bool


@dataclass(frozen=True)
class LegacyClassModel:
    """The constructor and members of the legacy class; ``found`` is False when the class
    is not defined in the project (then fields map one to one from keyword names).
    ``members`` is every name its body binds (methods, class attributes); ``standalone`` is
    True when it inherits from nothing but ``object``, so that its fields and members are
    all the attributes an instance gets from it."""

    found: bool
    path: Path | None = None
    params: tuple[LegacyParam, ...] = ()
    fields: tuple[LegacyField, ...] = ()
    methods: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()
    standalone: bool = False

    def param(self, name: str) -> LegacyParam | None:
        return next((param for param in self.params if param.name == name), None)

    def field_for_param(self, name: str) -> str:
        """The field a keyword argument sets (the keyword itself when unknown)."""
        return next((f.name for f in self.fields if f.param == name), name)


def find_legacy_classes(
    modules: Mapping[Path, tuple[str, cst.Module]], class_name: str, module_name: str | None
) -> dict[str, LegacyClassModel]:
    """Models of ``class_name`` by the dotted name of the module that defines it at top
    level: only ``module_name`` when given, every project module otherwise."""
    found: dict[str, LegacyClassModel] = {}
    for path, (dotted, module) in sorted(modules.items()):
        if module_name is not None and dotted != module_name:
            continue
        for statement in module.body:
            if isinstance(statement, cst.ClassDef) and statement.name.value == class_name:
                found[dotted] = _model_of(path, statement)
    return found


def _model_of(path: Path, klass: cst.ClassDef) -> LegacyClassModel:
    methods = frozenset(
        node.name.value for node in klass.body.body if isinstance(node, cst.FunctionDef)
    )
    init = next(
        (
            node
            for node in klass.body.body
            if isinstance(node, cst.FunctionDef) and node.name.value == "__init__"
        ),
        None,
    )
    if init is None:
        params, fields = _class_level_fields(klass)
    else:
        params, fields = _init_fields(init)
    field_names = {f.name for f in fields}
    return LegacyClassModel(
        found=True,
        path=path,
        params=params,
        fields=fields,
        methods=frozenset(name for name in methods if name not in field_names),
        members=frozenset(_class_body_names(klass)),
        standalone=not klass.keywords
        and all(m.matches(base, m.Arg(value=m.Name("object"), star="")) for base in klass.bases),
    )


def _class_body_names(klass: cst.ClassDef) -> Iterator[str]:
    """Names bound at the top level of a class body: functions, classes, assignments."""
    for statement in klass.body.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            yield statement.name.value
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [target.target for target in small.targets]
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    targets = [small.target]
                yield from (target.value for target in targets if isinstance(target, cst.Name))


def _class_level_fields(
    klass: cst.ClassDef,
) -> tuple[tuple[LegacyParam, ...], tuple[LegacyField, ...]]:
    """Dataclass- or pydantic-style fields: ``name: type = default`` in the class body."""
    params: list[LegacyParam] = []
    fields: list[LegacyField] = []
    for line in klass.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
                name = statement.target.value
                value = statement.value
                params.append(LegacyParam(name, value is not None, keyword_only=False))
                portable = value is not None and is_portable(value)
                fields.append(LegacyField(name, name, value if portable else None, portable))
    return tuple(params), tuple(fields)


def _init_fields(
    init: cst.FunctionDef,
) -> tuple[tuple[LegacyParam, ...], tuple[LegacyField, ...]]:
    parameters = init.params
    positional = [*parameters.posonly_params, *parameters.params][1:]  # drop self
    params = [LegacyParam(p.name.value, p.default is not None, False) for p in positional]
    params += [
        LegacyParam(p.name.value, p.default is not None, True) for p in parameters.kwonly_params
    ]
    defaults = {
        p.name.value: p.default
        for p in [*positional, *parameters.kwonly_params]
        if p.default is not None
    }
    fields: dict[str, LegacyField] = {}
    for name, value in _self_assignments(init):
        fields[name] = _field_from_value(name, value, defaults, {p.name for p in params})
    return tuple(params), tuple(fields.values())


def _self_assignments(init: cst.FunctionDef) -> Iterator[tuple[str, cst.BaseExpression]]:
    """``self.name = value`` and ``self.name: T = value`` at the top level of ``__init__``."""
    for line in init.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0].target, statement.value
            elif isinstance(statement, cst.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            if m.matches(target, m.Attribute(value=m.Name("self"))):
                assert isinstance(target, cst.Attribute)
                yield target.attr.value, value


def _field_from_value(
    name: str,
    value: cst.BaseExpression,
    defaults: Mapping[str, cst.BaseExpression],
    params: set[str],
) -> LegacyField:
    if isinstance(value, cst.Name) and value.value in params:
        default = defaults.get(value.value)
        portable = default is not None and is_portable(default)
        return LegacyField(name, value.value, default if portable else None, portable)
    fallback = _none_fallback(value, params)
    if fallback is not None:
        param, default = fallback
        param_default = defaults.get(param)
        # The fallback applies when the parameter is left at its default of None.
        defaults_to_none = param_default is not None and m.matches(param_default, m.Name("None"))
        if defaults_to_none and is_portable(default):
            return LegacyField(name, param, default, True)
        return LegacyField(name, param, None, False)
    if is_portable(value):
        return LegacyField(name, None, value, True)
    return LegacyField(name, None, None, False)


def _none_fallback(
    value: cst.BaseExpression, params: set[str]
) -> tuple[str, cst.BaseExpression] | None:
    """``p if p is not None else D``, ``D if p is None else p`` and ``p or D``: (p, D)."""
    if isinstance(value, cst.IfExp):
        test = value.test
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            left, target = test.left, test.comparisons[0]
            if (
                isinstance(left, cst.Name)
                and left.value in params
                and m.matches(target.comparator, m.Name("None"))
            ):
                if isinstance(target.operator, cst.IsNot) and m.matches(
                    value.body, m.Name(left.value)
                ):
                    return left.value, value.orelse
                if isinstance(target.operator, cst.Is) and m.matches(
                    value.orelse, m.Name(left.value)
                ):
                    return left.value, value.body
    if (
        isinstance(value, cst.BooleanOperation)
        and isinstance(value.operator, cst.Or)
        and isinstance(value.left, cst.Name)
        and value.left.value in params
    ):
        return value.left.value, value.right
    return None


_EMPTY_FACTORIES = frozenset({"dict", "list", "set", "tuple", "frozenset", "str", "int"})


def is_portable(node: cst.BaseExpression) -> bool:
    """Whether ``node`` means the same in any module: literals, ``None``/``True``/``False``,
    displays of portable values, and empty builtin factories such as ``dict()``."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    if isinstance(node, cst.UnaryOperation):
        return is_portable(node.expression)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(
            isinstance(element, cst.Element) and is_portable(element.value)
            for element in node.elements
        )
    if isinstance(node, cst.Dict):
        return all(
            isinstance(element, cst.DictElement)
            and is_portable(element.key)
            and is_portable(element.value)
            for element in node.elements
        )
    if isinstance(node, cst.Call):
        return (
            isinstance(node.func, cst.Name)
            and node.func.value in _EMPTY_FACTORIES
            and not node.args
        )
    return False
