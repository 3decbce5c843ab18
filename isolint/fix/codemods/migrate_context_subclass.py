"""Which legacy subclasses the ``migrate-context`` codemod turns into composition.

ISO204's advice for ``class TriageState(DeepAgentState)`` is to hold the context instead
of inheriting the legacy state. The codemod follows it only when the change provably
breaks nothing it can see:

- the shape is simple: no decorators, metaclass or bases other than ``object``; a body of
  a docstring, field annotations and constant assignments, an ``__init__`` made of one
  ``super().__init__(...)`` statement and assignments of the subclass's own attributes
  (``self.priority = priority``), and other methods that never reach the legacy class's
  attributes through ``self`` (nor pass ``self`` along, nor call ``super()``);
- the legacy class is defined in the project and inherits from nothing else, so that its
  fields and members are every attribute the subclass could get from it;
- no other code of the project names the subclass (``ProjectReferences``): nothing the
  codemod can see constructs, annotates, imports or reads it.

The ``super().__init__(...)`` statement then becomes ``self.context = Target(...)``, built
like any rewritten construction, and the legacy base is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import libcst.matchers as m

from isolint.analysis.source import parse_risk, python_verdict
from isolint.fix.codemods.migrate_context_legacy import LegacyClassModel, is_portable

_SUPER_INIT = m.Call(
    func=m.Attribute(value=m.Call(func=m.Name("super"), args=()), attr=m.Name("__init__"))
)
_STRING = m.SimpleString() | m.ConcatenatedString()


@dataclass(frozen=True)
class ComposableSubclass:
    """A subclass to migrate: the legacy ``base`` to drop, and the ``super_init``
    statement (whose ``call`` is rebuilt as the context) to assign to ``receiver``."""

    base: cst.Arg
    super_init: cst.Expr
    call: cst.Call
    receiver: str


def composable_subclass(
    klass: cst.ClassDef,
    is_legacy: Callable[[cst.BaseExpression], bool],
    legacy: LegacyClassModel,
    attribute: str,
) -> ComposableSubclass | None:
    """The migration of ``klass`` to a ``self.<attribute>`` holding the context, or None
    when its shape is not simple enough (the project-wide references are checked apart)."""
    if not (legacy.found and legacy.standalone) or klass.decorators or klass.keywords:
        return None
    legacy_bases = [base for base in klass.bases if is_legacy(base.value)]
    others = [base for base in klass.bases if all(base is not item for item in legacy_bases)]
    if (
        len(legacy_bases) != 1
        or legacy_bases[0].star
        or not all(m.matches(base, m.Arg(value=m.Name("object"), star="")) for base in others)
    ):
        return None
    if not isinstance(klass.body, cst.IndentedBlock):
        return None
    inherited = {known.name for known in legacy.fields} | legacy.members | legacy.methods
    reserved = frozenset(inherited | {attribute})
    init: cst.FunctionDef | None = None
    for statement in klass.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            if init is not None:
                return None
            init = statement
        elif isinstance(statement, cst.FunctionDef):
            if statement.name.value == attribute or not _keeps_to_own_attributes(
                statement, reserved, allowed_super=None
            ):
                return None
        elif not _is_plain_class_line(statement, reserved):
            return None
    if init is None:
        return None
    shape = _init_shape(init, reserved)
    return None if shape is None else ComposableSubclass(legacy_bases[0], *shape)


def _is_plain_class_line(statement: cst.BaseStatement, reserved: frozenset[str]) -> bool:
    """A docstring, ``pass``, ``name: T`` or ``name[: T] = constant`` in the class body."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Pass) or (
            isinstance(small, cst.Expr) and m.matches(small.value, _STRING)
        ):
            continue
        if isinstance(small, cst.AnnAssign):
            targets, value = [small.target], small.value
        elif isinstance(small, cst.Assign):
            targets, value = [target.target for target in small.targets], small.value
        else:
            return False
        if value is not None and not is_portable(value):
            return False
        if not all(isinstance(t, cst.Name) and t.value not in reserved for t in targets):
            return False
    return True


def _init_shape(
    init: cst.FunctionDef, reserved: frozenset[str]
) -> tuple[cst.Expr, cst.Call, str] | None:
    """(the ``super().__init__(...)`` statement, its call, the receiver) when ``__init__``
    holds that one statement and assignments of the subclass's own attributes."""
    params = [*init.params.posonly_params, *init.params.params]
    if init.decorators or not params or not isinstance(init.body, cst.IndentedBlock):
        return None
    receiver = params[0].name.value
    own_attribute = m.Attribute(value=m.Name(receiver), attr=m.Name())
    super_inits: list[cst.Expr] = []
    for line in init.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            return None
        for small in line.body:
            if isinstance(small, cst.Expr) and m.matches(small.value, _SUPER_INIT):
                super_inits.append(small)
            elif isinstance(small, cst.Assign):
                if len(small.targets) != 1 or not m.matches(small.targets[0].target, own_attribute):
                    return None
            elif isinstance(small, cst.AnnAssign):
                if small.value is None or not m.matches(small.target, own_attribute):
                    return None
            elif not (
                isinstance(small, cst.Pass)
                or (isinstance(small, cst.Expr) and m.matches(small.value, _STRING))
            ):
                return None
    if len(super_inits) != 1:
        return None
    statement = super_inits[0]
    call = statement.value
    assert isinstance(call, cst.Call)
    assert isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Call)
    super_name = call.func.value.func
    assert isinstance(super_name, cst.Name)
    if not _keeps_to_own_attributes(init, reserved, allowed_super=super_name):
        return None
    return statement, call, receiver


def _keeps_to_own_attributes(
    function: cst.FunctionDef, reserved: frozenset[str], allowed_super: cst.Name | None
) -> bool:
    """Whether ``function`` uses its receiver only as ``receiver.attr`` with ``attr`` not
    reserved (not inherited, not a dunder, not the new attribute), and ``super`` only as
    ``allowed_super``: then dropping the legacy base changes nothing it reads."""
    params = [*function.params.posonly_params, *function.params.params]
    receiver = params[0].name.value if params else None
    checker = _ReceiverUses(receiver, reserved, allowed_super)
    function.body.visit(checker)
    return checker.safe


class _ReceiverUses(cst.CSTVisitor):
    def __init__(
        self, receiver: str | None, reserved: frozenset[str], allowed_super: cst.Name | None
    ) -> None:
        super().__init__()
        self.receiver = receiver
        self.reserved = reserved
        self.allowed_super = allowed_super
        self.safe = True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if self.receiver is not None and m.matches(node.value, m.Name(self.receiver)):
            name = node.attr.value
            dunder = name.startswith("__") and name.endswith("__")
            self.safe = self.safe and not dunder and name not in self.reserved
            return False
        node.value.visit(self)  # the attribute's name is not a use of a variable
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # nor is the keyword of `f(name=...)`
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        if node.value == self.receiver:
            self.safe = False  # the receiver itself escapes: `f(self)`, `return self`
        elif node.value == "super" and node is not self.allowed_super:
            self.safe = False
        return False


class ProjectReferences:
    """Where the project writes a class name (outside comments and docstrings): a
    composable subclass must be named once in the whole project, by its own definition.

    Only the files whose text mentions the name are parsed, when first asked."""

    def __init__(self, sources: Mapping[Path, str]) -> None:
        """``sources``: the text of every file of the project."""
        self.sources = sources
        self._counts: dict[str, int] = {}
        self._modules: dict[Path, cst.Module | None] = {}

    def named_once(self, name: str) -> bool:
        if name not in self._counts:
            pattern = re.compile(rf"\b{re.escape(name)}\b")
            self._counts[name] = sum(
                self._count_in(path, name, pattern)
                for path, source in self.sources.items()
                if pattern.search(source)
            )
        return self._counts[name] == 1

    def _count_in(self, path: Path, name: str, pattern: re.Pattern[str]) -> int:
        if path not in self._modules:
            self._modules[path] = _parsed_if_safe(self.sources[path])
        module = self._modules[path]
        # a file that does not parse counts as naming it: the subclass stays as it is
        return 1 if module is None else _count_names(module, name, pattern)


def _parsed_if_safe(source: str) -> cst.Module | None:
    """``source`` parsed, or None when it does not parse or might crash the parser."""
    if parse_risk(python_verdict(source), len(source), slow=False) is not None:
        return None
    try:
        return cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return None


def _count_names(module: cst.Module, name: str, pattern: re.Pattern[str]) -> int:
    counter = _NameCounter(name, pattern)
    module.visit(counter)
    return counter.count


class _NameCounter(cst.CSTVisitor):
    """Names equal to ``name`` (definitions, uses, attributes, imports, keywords) and
    strings mentioning it (string annotations, ``__all__``, ``getattr``), docstrings
    and other string statements aside."""

    def __init__(self, name: str, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.name = name
        self.pattern = pattern
        self.count = 0

    def visit_Name(self, node: cst.Name) -> bool:
        self.count += node.value == self.name
        return False

    def visit_Expr(self, node: cst.Expr) -> bool:
        return not m.matches(node.value, _STRING)

    def visit_SimpleString(self, node: cst.SimpleString) -> bool:
        self.count += bool(self.pattern.search(node.value))
        return False

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> bool:
        self.count += bool(self.pattern.search(node.value))
        return False
