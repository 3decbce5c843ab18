"""What the target context class accepts, read statically from its source.

A rewritten construction must be valid for the target's constructor: every required field
passed, no keyword it does not take. The codemod reads the target class from the project
when the project defines it, or from isolint's own ``isolint.context`` (the default
target); it never imports either. A dataclass-style class (``name: T`` and ``name: T =
default`` or ``field(...)`` in its body, ``ClassVar``s and ``field(init=False)`` aside) or
one with an ``__init__`` is understood; for any other, or a target it cannot find, nothing
is known and constructions are checked against the legacy fields only.

``from_legacy_kwargs`` is the classmethod that applies the field map at run time, for
constructions from ``**kwargs`` (see ``isolint.context.UserExecutionContext``); the codemod
uses it only when the target defines it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import libcst.matchers as m

KWARGS_HELPER = "from_legacy_kwargs"


@dataclass(frozen=True)
class TargetClassModel:
    """The target's constructor: its keyword names and which of them are required.
    ``found`` is False when the class could not be read (then nothing is checked)."""

    found: bool
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    classmethods: frozenset[str] = frozenset()
    takes_any_keyword: bool = False

    def accepts(self, name: str) -> bool:
        return not self.found or self.takes_any_keyword or name in self.fields

    @property
    def has_kwargs_helper(self) -> bool:
        return KWARGS_HELPER in self.classmethods


def find_target_class(
    target: str, project_sources: Mapping[str, Path], read: Mapping[Path, str]
) -> TargetClassModel:
    """The model of ``target`` (``module.Class``): from the project module of that name
    (``project_sources`` maps module names to paths, ``read`` paths to text), else from
    isolint's own package for an ``isolint.`` target."""
    module_name, _, class_name = target.rpartition(".")
    path = project_sources.get(module_name)
    text = read.get(path) if path is not None else None
    if text is None and module_name.partition(".")[0] == "isolint":
        own = Path(__file__).resolve().parents[2] / (module_name.partition(".")[2] + ".py")
        text = own.read_text(encoding="utf-8") if own.is_file() else None
    if text is None:
        return TargetClassModel(found=False)
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return TargetClassModel(found=False)
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value == class_name:
            return _model_of(statement)
    return TargetClassModel(found=False)


def _model_of(klass: cst.ClassDef) -> TargetClassModel:
    methods = [node for node in klass.body.body if isinstance(node, cst.FunctionDef)]
    classmethods = frozenset(
        method.name.value
        for method in methods
        if any(m.matches(d.decorator, m.Name("classmethod")) for d in method.decorators)
    )
    init = next((method for method in methods if method.name.value == "__init__"), None)
    if init is not None:
        return _from_init(init, classmethods)
    fields: list[str] = []
    required: list[str] = []
    for line in klass.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if not isinstance(statement, cst.AnnAssign) or not isinstance(
                statement.target, cst.Name
            ):
                continue
            if _is_class_var(statement.annotation.annotation) or _not_in_init(statement.value):
                continue
            fields.append(statement.target.value)
            if statement.value is None or _field_without_default(statement.value):
                required.append(statement.target.value)
    return TargetClassModel(True, tuple(fields), tuple(required), classmethods)


def _from_init(init: cst.FunctionDef, classmethods: frozenset[str]) -> TargetClassModel:
    params = init.params
    named = [*params.params[1:], *params.kwonly_params]  # self aside
    return TargetClassModel(
        True,
        tuple(param.name.value for param in named),
        tuple(param.name.value for param in named if param.default is None),
        classmethods,
        takes_any_keyword=isinstance(params.star_kwarg, cst.Param),
    )


def _is_class_var(annotation: cst.BaseExpression) -> bool:
    base = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    return m.matches(base, m.Name("ClassVar") | m.Attribute(attr=m.Name("ClassVar")))


_FIELD = m.Call(func=m.Name("field") | m.Name("Field") | m.Attribute(attr=m.Name("field")))


def _not_in_init(value: cst.BaseExpression | None) -> bool:
    """``field(init=False)``: not a constructor parameter."""
    return (
        value is not None
        and m.matches(value, _FIELD)
        and any(
            m.matches(arg, m.Arg(keyword=m.Name("init"), value=m.Name("False")))
            for arg in value.args  # type: ignore[attr-defined]
        )
    )


def _field_without_default(value: cst.BaseExpression) -> bool:
    if not m.matches(value, _FIELD):
        return False
    assert isinstance(value, cst.Call)
    keywords = {arg.keyword.value for arg in value.args if arg.keyword is not None}
    return not keywords & {"default", "default_factory"}
