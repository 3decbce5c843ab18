"""What the legacy class looks like, read statically from the project's own source.

The codemod never imports user code. It reads the legacy class definition to learn which
``__init__`` parameter sets which field, which fields start with a default when the
caller does not pass them (``messages=None`` then ``messages if messages is not None else
[]``; ``self.results = {}``; ``Field(default=0.8)``), and which names are methods rather
than fields. Only defaults that can be copied into another module are used: "portable"
ones that mean the same anywhere (literals and empty builtin containers), and calls of a
factory the legacy module defines or imports at top level (``Field(default_factory=
AgentMetadata)`` gives ``AgentMetadata()``, which a rewritten module imports from the
legacy module): each construction then gets a fresh value, as the legacy class gave it.
Any other default is reported where a construction would need it.
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
    # names the default calls, to import from the legacy module (``AgentMetadata``)
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class LegacyClassModel:
    """The constructor and members of the legacy class; ``found`` is False when the class
    is not defined in the project (then fields map one to one from keyword names).
    ``members`` is every name its body binds (methods, class attributes); ``standalone`` is
    True when it inherits from nothing but ``object``, so that its fields and members are
    all the attributes an instance gets from it."""

    found: bool
    path: Path | None = None
    module: str = ""
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
    modules: Mapping[Path, tuple[str, cst.Module]],
    class_name: str,
    module_name: str | None,
    *,
    copies: bool = False,
) -> dict[str, LegacyClassModel]:
    """Models of ``class_name`` by the dotted name of the module that defines it at top
    level: every project module when ``module_name`` is None; otherwise ``module_name``
    and, with ``copies``, the other modules whose class of that name is a copy of it
    (``is_copy``)."""
    every: dict[str, LegacyClassModel] = {}
    for path, (dotted, module) in sorted(modules.items()):
        for statement in module.body:
            if isinstance(statement, cst.ClassDef) and statement.name.value == class_name:
                every[dotted] = _model_of(path, dotted, statement, _top_level_names(module))
    if module_name is None:
        return every
    configured = every.get(module_name)
    if configured is None:
        return {}
    found = {module_name: configured}
    if copies:
        found.update(
            (dotted, model)
            for dotted, model in every.items()
            if dotted != module_name and is_copy(model, configured)
        )
    return found


def is_copy(model: LegacyClassModel, configured: LegacyClassModel) -> bool:
    """Whether a class of the legacy class's name duplicates the configured one: each of
    its fields is a field of the configured class, and they are at least half of them (a
    class that merely shares a ``user_id`` is another class)."""
    own = {known.name for known in model.fields}
    legacy = {known.name for known in configured.fields}
    return bool(own) and own <= legacy and 2 * len(own) >= len(legacy)


def _top_level_names(module: cst.Module) -> frozenset[str]:
    """Names a module binds at top level by a class, function or import: another module
    can import them from it."""
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, (cst.ClassDef, cst.FunctionDef)):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(
                    small.names, cst.ImportStar
                ):
                    for alias in small.names:
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        if isinstance(bound, cst.Name):
                            names.add(bound.value)
    return frozenset(names)


def _model_of(
    path: Path, module: str, klass: cst.ClassDef, importable: frozenset[str]
) -> LegacyClassModel:
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
        params, fields = _class_level_fields(klass, importable)
    else:
        params, fields = _init_fields(init, importable)
    field_names = {f.name for f in fields}
    return LegacyClassModel(
        found=True,
        path=path,
        module=module,
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
    klass: cst.ClassDef, importable: frozenset[str]
) -> tuple[tuple[LegacyParam, ...], tuple[LegacyField, ...]]:
    """Dataclass- or pydantic-style fields: ``name: type = default`` in the class body,
    the default also given as ``Field(default=...)`` or ``Field(default_factory=...)``."""
    params: list[LegacyParam] = []
    fields: list[LegacyField] = []
    for line in klass.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
                if m.matches(statement.annotation.annotation, _CLASS_VAR):
                    continue
                name = statement.target.value
                has_default, default = _declared_default(statement.value)
                params.append(LegacyParam(name, has_default, keyword_only=False))
                fields.append(_field_with_default(name, name, default, importable))
    return tuple(params), tuple(fields)


_CLASS_VAR = (
    m.Name("ClassVar")
    | m.Attribute(attr=m.Name("ClassVar"))
    | m.Subscript(value=m.Name("ClassVar") | m.Attribute(attr=m.Name("ClassVar")))
)
_FIELD_CALL = m.Call(func=m.Name("Field") | m.Name("field") | m.Attribute(attr=m.Name("Field")))


def _declared_default(
    value: cst.BaseExpression | None,
) -> tuple[bool, cst.BaseExpression | None]:
    """(whether the field has a default, the expression giving a fresh one or None) for
    the value of ``name: T = value``: a plain value, or a ``Field``/``field`` call with
    ``default=``, ``default_factory=`` or (pydantic) a first positional default."""
    if value is None:
        return False, None
    if not m.matches(value, _FIELD_CALL):
        return True, value
    assert isinstance(value, cst.Call)
    for arg in value.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "default_factory":
            return True, _called(arg.value)
        if keyword == "default" or (keyword is None and arg is value.args[0] and not arg.star):
            if isinstance(arg.value, cst.Ellipsis):
                return False, None  # pydantic's Field(...): required
            return True, arg.value
    return False, None


def _called(factory: cst.BaseExpression) -> cst.BaseExpression | None:
    """The expression a default factory's call returns: ``list`` gives ``[]``, ``dict``
    ``{}``, ``lambda: x`` gives ``x``, a name ``F`` gives ``F()``."""
    if isinstance(factory, cst.Name) and factory.value == "list":
        return cst.List([])
    if isinstance(factory, cst.Name) and factory.value == "dict":
        return cst.Dict([])
    if isinstance(factory, cst.Lambda) and not factory.params.params:
        return factory.body
    if isinstance(factory, cst.Name):
        return cst.Call(func=factory)
    return None


def _field_with_default(
    name: str, param: str | None, default: cst.BaseExpression | None, importable: frozenset[str]
) -> LegacyField:
    """The field, its default kept when it can be copied into another module."""
    if default is not None and is_portable(default):
        return LegacyField(name, param, default, True)
    factory = _importable_factory(default, importable) if default is not None else None
    if factory is not None:
        return LegacyField(name, param, default, True, (factory,))
    return LegacyField(name, param, None, False)


def _importable_factory(node: cst.BaseExpression, importable: frozenset[str]) -> str | None:
    """``F()`` (no arguments) where ``F`` is a top-level name of the legacy module: F."""
    if (
        isinstance(node, cst.Call)
        and not node.args
        and isinstance(node.func, cst.Name)
        and node.func.value in importable
    ):
        return node.func.value
    return None


def _init_fields(
    init: cst.FunctionDef, importable: frozenset[str]
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
        fields[name] = _field_from_value(
            name, value, defaults, {p.name for p in params}, importable
        )
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
    importable: frozenset[str],
) -> LegacyField:
    if isinstance(value, cst.Name) and value.value in params:
        return _field_with_default(name, value.value, defaults.get(value.value), importable)
    fallback = _none_fallback(value, params)
    if fallback is not None:
        param, default = fallback
        param_default = defaults.get(param)
        # The fallback applies when the parameter is left at its default of None.
        if param_default is not None and m.matches(param_default, m.Name("None")):
            return _field_with_default(name, param, default, importable)
        return LegacyField(name, param, None, False)
    return _field_with_default(name, None, value, importable)


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
