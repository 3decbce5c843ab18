"""Analysis of one module for the ``migrate-context`` codemod: fills its ``ModulePlan``.

One visit with libcst metadata (scopes, qualified names, parents, expression contexts)
finds every use of the legacy class and classifies it: a type (annotation, ``isinstance``
argument, alias) becomes the target class; a construction is rebuilt with the field map;
a base class, the class's own API (``Legacy.method``) or any other value use is a problem
for a person. Names known to hold the legacy type (annotated parameters, variables only
ever assigned a construction, ``self.x`` annotated in the class) have their attribute
accesses mapped; legacy-typed parameters are renamed unless the new name would clash.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst
import libcst.matchers as m
from libcst.metadata import (
    Assignment,
    ExpressionContext,
    ExpressionContextProvider,
    FunctionScope,
    GlobalScope,
    PositionProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from isolint.fix.codemods.migrate_context_constructions import Surroundings, plan_construction
from isolint.fix.codemods.migrate_context_exports import LegacyExports
from isolint.fix.codemods.migrate_context_keywords import (
    KeywordSite,
    absolute_name,
    decide_keyword,
    method_name,
)
from isolint.fix.codemods.migrate_context_legacy import LegacyClassModel
from isolint.fix.codemods.migrate_context_options import MigrationOptions
from isolint.fix.codemods.migrate_context_plan import (
    ConstructionPlan,
    FieldAccess,
    FunctionIndex,
    FunctionSignature,
    ModulePlan,
)
from isolint.fix.codemods.migrate_context_subclass import (
    ProjectReferences,
    composable_subclass,
)
from isolint.fix.codemods.migrate_context_syntax import (
    binds_or_uses,
    dotted,
    last_name,
    names_only_legacy,
    rewrite_string_annotation,
    string_expression,
)
from isolint.fix.codemods.migrate_context_target import TargetClassModel


@dataclass(frozen=True)
class _LegacyImport:
    statement: cst.ImportFrom
    module: str
    name: str
    asname: str | None


class _Parents(cst.CSTVisitor):
    """Each node's parent, as libcst's ``ParentNodeProvider`` has it, from one visit."""

    def __init__(self, parents: dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.parents = parents
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parents[node] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


class ModuleAnalysis(cst.CSTVisitor):
    """Collects the plan of one module (call ``run``, then ``plan_call_sites``)."""

    # Qualified names are asked of the scopes and parents read from a map of this
    # module's own (``_Parents``): libcst's providers of both walk the whole module once
    # more each, at more cost than the scopes, for the few nodes the analysis asks about.
    METADATA_DEPENDENCIES = (ScopeProvider, PositionProvider, ExpressionContextProvider)

    def __init__(
        self,
        path: Path,
        module_name: str,
        package: str,
        module: cst.Module,
        options: MigrationOptions,
        legacy: Mapping[str, LegacyClassModel],
        legacy_modules: frozenset[str],
        references: ProjectReferences,
        target: TargetClassModel | None = None,
        exports: LegacyExports | None = None,
        *,
        unbound: LegacyClassModel | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.module_name = module_name
        self.package = package
        self.options = options
        self.legacy_models = legacy
        # The class this module uses: set from its import; the only definition otherwise.
        distinct = {model.module: model for model in legacy.values()}
        only = next(iter(distinct.values())) if len(distinct) == 1 else None
        self.legacy = legacy.get(module_name) or only or LegacyClassModel(found=False)
        # a module that names the legacy class only in strings: they mean ``unbound``
        if unbound is not None:
            self.legacy = unbound
        self.legacy_modules = legacy_modules
        self.references = references
        self.target = target or TargetClassModel(found=False)
        self.exports = exports or LegacyExports()
        self.wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
        self.plan = ModulePlan()
        self.signatures: list[FunctionSignature] = []
        self._class_stack: list[cst.ClassDef] = []
        self._function_depth = 0
        self._legacy_imports: list[_LegacyImport] = []
        self._module_imports: list[tuple[cst.Import, str]] = []
        # local names (or dotted module paths) bound to the legacy class / its module
        self._class_aliases: set[str] = set()
        if unbound is not None:
            self._class_aliases.add(options.legacy_class_name)
        self._module_aliases: dict[str, str] = {}
        self._kept_refs: set[cst.CSTNode] = set()
        self._typed_bindings: set[cst.CSTNode] = set()
        self._functions: list[tuple[cst.FunctionDef, str | None]] = []
        self._keyword_calls: list[cst.Call] = []
        self._annotation_strings: list[cst.SimpleString] = []
        self._legacy_attributes: dict[cst.ClassDef, set[str]] = {}
        self.target_name_clash = False
        self._code_lines: list[str] | None = None
        self._parents: dict[cst.CSTNode, cst.CSTNode] = {}

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    # -- entry points -------------------------------------------------------------------

    def run(self) -> None:
        with self.resolve(self.wrapper):
            self.module.visit(_Parents(self._parents))
            self.module.visit(self)
            # after the visit: an import further down (in a function) names the class too
            for string in self._annotation_strings:
                rewritten = self._rewrite_string_annotation(string)
                if rewritten is not None:
                    self.plan.strings[string] = rewritten
            for function, qualname in self._functions:
                self._plan_parameters(function, qualname)
            for binding in self._typed_bindings:
                self._plan_variable(binding)
            self._plan_self_attributes()
            self._plan_imports()
            self.target_name_clash = self._target_name_clash()

    def plan_call_sites(self, index: FunctionIndex) -> None:
        with self.resolve(self.wrapper):
            for call in self._keyword_calls:
                for arg in call.args:
                    if arg.keyword is not None and arg.keyword.value in index.renamed_params:
                        self._plan_keyword(call, arg, arg.keyword.value, index)

    # -- resolution ---------------------------------------------------------------------

    def _absolute(self, name: str, source: QualifiedNameSource) -> str:
        return absolute_name(name, source, self.module_name, self.package)

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        scope = self.get_metadata(ScopeProvider, node, None)
        names = scope.get_qualified_names_for(node) if scope is not None else set()
        return {self._absolute(q.name, q.source) for q in names}

    def _is_legacy_name(self, qualified: str) -> bool:
        if self.options.legacy_module is not None:
            return qualified == self.options.legacy or qualified in self.exports.aliases
        return qualified.rpartition(".")[2] == self.options.legacy

    def _is_legacy_ref(self, node: cst.CSTNode) -> bool:
        return any(self._is_legacy_name(name) for name in self._qualified(node))

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def _problem(self, node: cst.CSTNode, reason: str) -> None:
        self.plan.problems.append((self._line(node), reason))

    # -- imports ------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            module = dotted(alias.name)
            local = dotted(alias.asname.name) if alias.asname else module
            if module in self.legacy_modules and module is not None and local is not None:
                self._module_aliases[local] = module
                self._module_imports.append((node, local))
                self.legacy = self.legacy_models.get(module, self.legacy)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            return False
        dots = "." * len(node.relative)
        written = dots + (dotted(node.module) or "")
        module = self._absolute(written, QualifiedNameSource.IMPORT)
        for alias in node.names:
            name = dotted(alias.name)
            asname = dotted(alias.asname.name) if alias.asname else None
            if name is None:
                continue
            if self._is_legacy_name(f"{module}.{name}"):
                self._legacy_imports.append(_LegacyImport(node, module, name, asname))
                self.legacy = self.legacy_models.get(module, self.legacy)
                self._class_aliases.add(asname or name)
            elif f"{module}.{name}" in self.legacy_modules:
                self._module_aliases[asname or name] = f"{module}.{name}"
        return False

    # -- scopes of classes and functions -------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if self._is_legacy_ref(node.name):
            return False  # the legacy class's own definition is not a use
        legacy_bases = [base for base in node.bases if self._is_legacy_ref(base.value)]
        self._kept_refs.update(base.value for base in legacy_bases)
        if legacy_bases and not self._plan_composition(node):
            for _ in legacy_bases:
                self._problem(
                    node.name,
                    f"class `{node.name.value}` subclasses the legacy class "
                    f"`{self.options.legacy_class_name}`: hold a "
                    f"`{self.options.target_class_name}` as a field instead (not rewritten)",
                )
        self._class_stack.append(node)
        return True

    def _plan_composition(self, node: cst.ClassDef) -> bool:
        """A simple subclass no other code names holds the context instead of inheriting
        (see ``migrate_context_subclass``); whether it was planned."""
        attribute = self.options.parameter_name
        shape = composable_subclass(node, self._is_legacy_ref, self.legacy, attribute)
        if shape is None or not self.references.named_once(node.name.value):
            return False
        outcome = plan_construction(
            shape.call, self.legacy, self.options, self.target, self._surroundings(shape.call)
        )
        if outcome.plan is None:
            return False
        for reason in outcome.problems:
            self._problem(shape.call, reason)
        self._register_construction(shape.call, outcome.plan, f"{shape.receiver}.{attribute} = ")
        self.plan.dropped_bases[node] = shape.base
        self.plan.composed_inits[shape.super_init] = (shape.receiver, attribute)
        self._problem(
            node.name,
            f"class `{node.name.value}` subclassed the legacy class "
            f"`{self.options.legacy_class_name}`: it now holds a "
            f"`{self.options.target_class_name}` in `{shape.receiver}.{attribute}`; code "
            f"outside the project that reads legacy fields from it must use `.{attribute}`",
        )
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if self._class_stack and self._class_stack[-1] is original_node:
            self._class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        qualname = None
        if self._function_depth == 0:
            owners = [klass.name.value for klass in self._class_stack]
            qualname = ".".join([self.module_name, *owners, node.name.value])
        self._functions.append((node, qualname))
        self._function_depth += 1
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._function_depth -= 1

    # -- uses of the legacy class -------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> bool:
        if node not in self._kept_refs and self._is_legacy_ref(node):
            self._classify(node)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node not in self._kept_refs and self._is_legacy_ref(node):
            self._classify(node)
            return False
        return True

    def visit_SimpleString(self, node: cst.SimpleString) -> bool:
        if self._in_annotation(node):
            self._annotation_strings.append(node)
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        if any(arg.keyword is not None for arg in node.args):
            self._keyword_calls.append(node)
        return True

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if self._annotation_holds_legacy(node.annotation.annotation):
            if isinstance(node.target, cst.Name):
                self._typed_bindings.add(node.target)
            self._note_legacy_attribute(node.target)
        return True

    def visit_Assign(self, node: cst.Assign) -> bool:
        if len(node.targets) == 1 and self._is_construction(node.value):
            target = node.targets[0].target
            if isinstance(target, cst.Name):
                self._typed_bindings.add(target)
        return True

    def _note_legacy_attribute(self, target: cst.BaseExpression) -> None:
        """``x: Legacy`` in a class body, or ``self.x: Legacy`` in one of its methods."""
        if not self._class_stack:
            return
        klass = self._class_stack[-1]
        if isinstance(target, cst.Name) and self._function_depth == 0:
            self._legacy_attributes.setdefault(klass, set()).add(target.value)
        elif m.matches(target, m.Attribute(value=m.Name("self"))):
            assert isinstance(target, cst.Attribute)
            self._legacy_attributes.setdefault(klass, set()).add(target.attr.value)

    def _is_construction(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and self._is_legacy_ref(node.func)

    def _classify(self, node: cst.Name | cst.Attribute) -> None:
        parent = self._parent(node)
        legacy = self.options.legacy_class_name
        if isinstance(parent, cst.Call) and parent.func is node:
            self._plan_construction(parent)
        elif isinstance(parent, cst.Attribute) and parent.value is node:
            self._kept_refs.add(node)
            self._problem(
                node,
                f"`{legacy}.{parent.attr.value}` uses the legacy class's own API: "
                f"the context has no equivalent (not rewritten)",
            )
        elif self._is_type_position(node):
            self.plan.type_refs.add(node)
        else:
            self._kept_refs.add(node)
            self._problem(
                node,
                f"`{legacy}` used as a value (passed, stored or returned): "
                f"decide what the code needs from the context (not rewritten)",
            )

    def _is_type_position(self, node: cst.CSTNode) -> bool:
        """Annotations, ``isinstance``/``issubclass`` class arguments, and type aliases
        (``Alias = Legacy``), through subscripts, ``|`` unions and tuples."""
        child: cst.CSTNode = node
        parent = self._parent(child)
        while isinstance(
            parent,
            (cst.Subscript, cst.SubscriptElement, cst.Index, cst.Tuple, cst.Element),
        ) or (isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.BitOr)):
            child, parent = parent, self._parent(parent)
        if isinstance(parent, cst.Annotation):
            return True
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is child:
            return child is node  # a plain alias only, not a container of classes
        if isinstance(parent, cst.Arg):
            call = self._parent(parent)
            return (
                isinstance(call, cst.Call)
                and m.matches(call.func, m.Name("isinstance") | m.Name("issubclass"))
                and len(call.args) == 2
                and call.args[1] is parent
            )
        return False

    def _in_annotation(self, node: cst.CSTNode) -> bool:
        parent = self._parent(node)
        while parent is not None and not isinstance(
            parent, (cst.BaseStatement, cst.BaseSmallStatement, cst.Param)
        ):
            if isinstance(parent, cst.Annotation):
                return True
            parent = self._parent(parent)
        return False

    # -- annotations in strings ---------------------------------------------------------

    def _rewrite_string_annotation(self, node: cst.SimpleString) -> cst.SimpleString | None:
        return rewrite_string_annotation(
            node, self._class_aliases, set(self._module_aliases), self.options
        )

    def _annotation_holds_legacy(self, annotation: cst.BaseExpression) -> bool:
        """Whether a value of this annotation is a legacy object: ``Legacy``,
        ``Optional[Legacy]``, ``Legacy | None``, ``Union[Legacy, None]``, ``"Legacy"``."""
        if isinstance(annotation, cst.SimpleString):
            expression = string_expression(annotation)
            return expression is not None and names_only_legacy(
                expression, self._class_aliases | set(self._module_aliases_with_class())
            )
        if self._is_legacy_ref(annotation):
            return True
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            sides = (annotation.left, annotation.right)
            return any(self._annotation_holds_legacy(s) for s in sides) and all(
                self._annotation_holds_legacy(s) or m.matches(s, m.Name("None")) for s in sides
            )
        if isinstance(annotation, cst.Subscript):
            wrapper = last_name(annotation.value)
            elements = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
            if wrapper == "Optional" and len(elements) == 1:
                return self._annotation_holds_legacy(elements[0])
            if wrapper == "Union":
                return any(self._annotation_holds_legacy(e) for e in elements) and all(
                    self._annotation_holds_legacy(e) or m.matches(e, m.Name("None"))
                    for e in elements
                )
        return False

    def _module_aliases_with_class(self) -> Iterator[str]:
        for alias in self._module_aliases:
            yield f"{alias}.{self.options.legacy_class_name}"

    # -- constructions ------------------------------------------------------------------

    def _surroundings(self, call: cst.Call) -> Surroundings:
        parameters: set[str] = set()
        parent = self._parent(call)
        while parent is not None:
            if isinstance(parent, (cst.FunctionDef, cst.Lambda)):
                params = parent.params
                parameters.update(
                    param.name.value
                    for param in [*params.posonly_params, *params.params, *params.kwonly_params]
                )
            parent = self._parent(parent)
        return Surroundings(frozenset(parameters - {"self", "cls"}), self._can_import)

    def _can_import(self, name: str) -> bool:
        """Whether ``name`` of the legacy module can be used here: this is that module,
        the name is free at module level, or already imported from there."""
        module = self.legacy.module
        if not module or module == self.module_name:
            return bool(module)
        scope = self.get_metadata(ScopeProvider, self.module, None)
        if scope is None:
            return False
        for assignment in scope.assignments[name]:
            node = getattr(assignment, "node", None)
            if not isinstance(node, cst.ImportFrom) or node.module is None:
                return False
            written = "." * len(node.relative) + (dotted(node.module) or "")
            if self._absolute(written, QualifiedNameSource.IMPORT) != module:
                return False
        return True

    def _plan_construction(self, call: cst.Call) -> None:
        outcome = plan_construction(
            call, self.legacy, self.options, self.target, self._surroundings(call)
        )
        for reason in outcome.problems:
            self._problem(call, reason)
        if outcome.plan is None:
            self._kept_refs.add(call.func)
            return
        self._register_construction(call, outcome.plan)

    def _register_construction(
        self, call: cst.Call, plan: ConstructionPlan, written_before: str = ""
    ) -> None:
        """Plan ``call``'s rebuild; ``written_before`` is text the rewrite puts before it
        on its line (counted when deciding to split a long call)."""
        start = self.get_metadata(PositionProvider, call).start
        line = self._lines()[start.line - 1]
        indent = line[: len(line) - len(line.lstrip())]
        column = start.column + len(written_before)
        self.plan.constructions[call] = replace(plan, column=column, indent=indent)
        if self.legacy.module != self.module_name:
            self.plan.extra_imports.update((self.legacy.module, name) for name in plan.imports)

    def _lines(self) -> list[str]:
        """The module's lines (its code generated once, not per construction)."""
        if self._code_lines is None:
            self._code_lines = self.module.code.splitlines()
        return self._code_lines

    # -- parameters, variables and their attribute accesses ------------------------------

    def _plan_parameters(self, function: cst.FunctionDef, qualname: str | None) -> None:
        renames: dict[str, str] = {}
        all_params = [
            *function.params.posonly_params,
            *function.params.params,
            *function.params.kwonly_params,
        ]
        taken = {p.name.value for p in all_params}
        for param in all_params:
            if param.annotation is None or not self._annotation_holds_legacy(
                param.annotation.annotation
            ):
                continue
            new_name = self._parameter_rename(function, param, taken)
            if new_name is not None:
                renames[param.name.value] = new_name
                taken.add(new_name)
        if qualname is not None:
            names = frozenset(p.name.value for p in all_params)
            self.signatures.append(FunctionSignature(qualname, function.name.value, names, renames))

    def _parameter_rename(
        self, function: cst.FunctionDef, param: cst.Param, taken: set[str]
    ) -> str | None:
        old, new = param.name.value, self.options.parameter_name
        scope = self.get_metadata(ScopeProvider, param.name, None)
        function_scope = self._function_scope(function)
        if function_scope is None:
            return None
        assignments = [a for a in function_scope.assignments[old] if isinstance(a, Assignment)]
        if len(assignments) != 1:
            self._problem(
                param,
                f"parameter `{old}` is reassigned in `{function.name.value}`: "
                "its uses were not migrated",
            )
            return None
        assignment = assignments[0]
        accesses = [access.node for access in assignment.references]
        self._plan_holder_accesses(accesses)
        if old == new or new in taken or binds_or_uses(function, new, old):
            return None
        del scope
        self.plan.renames[param.name] = new
        for node in accesses:
            if isinstance(node, cst.Name):
                self.plan.renames[node] = new
        return new

    def _function_scope(self, function: cst.FunctionDef) -> Scope | None:
        body_node = function.body
        scope = self.get_metadata(ScopeProvider, body_node, None)
        return scope if isinstance(scope, FunctionScope) else None

    def _plan_variable(self, binding: cst.CSTNode) -> None:
        """Accesses of a variable every assignment of which binds a legacy object."""
        assert isinstance(binding, cst.Name)
        scope = self.get_metadata(ScopeProvider, binding, None)
        if scope is None:
            return
        assignments = [a for a in scope.assignments[binding.value] if isinstance(a, Assignment)]
        if not assignments or not all(a.node in self._typed_bindings for a in assignments):
            return
        if min(id(a.node) for a in assignments) != id(binding):
            return  # plan each variable once, from one of its bindings
        if any(self._binds_a_kept_construction(a.node) for a in assignments):
            return  # the variable may still hold a legacy object: its fields stay as they are
        accesses = [access.node for a in assignments for access in a.references]
        self._plan_holder_accesses(accesses)

    def _binds_a_kept_construction(self, target: cst.CSTNode) -> bool:
        """``state = Legacy(...)`` (or ``state: T = Legacy(...)``) whose construction is
        left unchanged for a person."""
        statement = self._parent(target)
        if isinstance(statement, cst.AssignTarget):
            statement = self._parent(statement)
        value = statement.value if isinstance(statement, (cst.Assign, cst.AnnAssign)) else None
        return (
            isinstance(value, cst.Call)
            and self._is_construction(value)
            and value not in self.plan.constructions
        )

    def _plan_self_attributes(self) -> None:
        for function, _ in self._functions:
            klass = self._owning_class(function)
            if klass is None or klass not in self._legacy_attributes:
                continue
            params = [*function.params.posonly_params, *function.params.params]
            if not params:
                continue
            receiver = params[0].name.value
            attributes = frozenset(self._legacy_attributes[klass])
            pattern = m.Attribute(
                value=m.Attribute(
                    value=m.Name(receiver),
                    attr=m.OneOf(*(m.Name(name) for name in sorted(attributes))),
                )
            )
            for node in m.findall(function.body, pattern):
                assert isinstance(node, cst.Attribute)
                self._plan_field_access(node)

    def _owning_class(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        parent = self._parent(function)
        while parent is not None and not isinstance(parent, (cst.ClassDef, cst.FunctionDef)):
            parent = self._parent(parent)
        return parent if isinstance(parent, cst.ClassDef) else None

    def _plan_holder_accesses(self, accesses: Sequence[cst.CSTNode]) -> None:
        for node in accesses:
            parent = self._parent(node)
            if isinstance(parent, cst.Attribute) and parent.value is node:
                self._plan_field_access(parent)

    def _plan_field_access(self, node: cst.Attribute) -> None:
        name = node.attr.value
        holder = cst.Module([]).code_for_node(node)
        context = self.get_metadata(ExpressionContextProvider, node, ExpressionContext.LOAD)
        augmented = isinstance(self._parent(node), cst.AugAssign)
        writes = context is not ExpressionContext.LOAD
        context_field = self.options.field_map.get(name)
        if context_field is not None:
            if not writes:
                self.plan.field_accesses[node] = FieldAccess(name, context_field)
            elif context_field in self.options.identity_fields:
                self._problem(
                    node,
                    f"`{holder}` {'is updated' if augmented else 'is written'}: "
                    f"`{context_field}` is an identity field of the immutable context; "
                    "create the context with the right value instead (not rewritten)",
                )
            else:
                self._problem(
                    node,
                    f"`{holder}` is written: `{context_field}` is a field of the immutable "
                    "context (not rewritten)",
                )
            return
        if name.startswith("__") or name in self.legacy.methods:
            self._problem(
                node,
                f"`{holder}` uses a method of the legacy class: the context has no "
                "equivalent (not rewritten)",
            )
            return
        if self._calls_an_undeclared_attribute(node):
            self._problem(
                node,
                f"`{holder}` calls a method the legacy class inherits or lacks (not one "
                "of its fields): the context has no equivalent (not rewritten)",
            )
            return
        self.plan.field_accesses[node] = FieldAccess(name, None)

    def _calls_an_undeclared_attribute(self, node: cst.Attribute) -> bool:
        """``state.model_dump()`` where the legacy class, read from source, has bases
        (pydantic's ``BaseModel``) and no field ``model_dump``: a method it inherits, not a
        value the unmapped dict could hold. (Instances of a class without bases may get
        any attribute, which the unmapped dict holds as well.)"""
        call = self._parent(node)
        if not (isinstance(call, cst.Call) and call.func is node):
            return False
        if not self.legacy.found or self.legacy.standalone:
            return False
        return node.attr.value not in {known.name for known in self.legacy.fields}

    # -- imports to replace or remove ---------------------------------------------------

    def _plan_imports(self) -> None:
        """A single-name import whose every use is rewritten becomes the target's import
        in place; from other legacy imports the names no use is left of are removed; the
        target's import is added when the module needs one and has none."""
        target_bound = self._binds_target()
        statements: list[tuple[cst.Import | cst.ImportFrom, str]]
        statements = [(item.statement, item.asname or item.name) for item in self._legacy_imports]
        statements += self._module_imports
        for statement, local in statements:
            single = isinstance(statement.names, Sequence) and len(statement.names) == 1
            at_top = isinstance(self._parent(self._parent(statement) or statement), cst.Module)
            uses = self._uses_of(statement, local)
            all_rewritten = all(self._is_rewritten(node) for node in uses)
            if self._exported(statement, local):
                continue  # other code imports it from here: it stays, used or not
            if (
                not target_bound
                and single
                and at_top  # a TYPE_CHECKING import would not serve rewritten constructions
                and uses
                and all_rewritten
            ):
                self.plan.import_replacements.add(statement)
                target_bound = True
            elif all_rewritten:
                self.plan.import_removals.setdefault(statement, set()).add(local)
        self.plan.add_target_import = self.plan.uses_target and not target_bound

    def _uses_of(self, statement: cst.Import | cst.ImportFrom, local: str) -> list[cst.CSTNode]:
        scope = self.get_metadata(ScopeProvider, statement, None)
        if scope is None:
            return [statement]  # unknown: never counts as all rewritten
        return [
            access.node
            for assignment in scope.assignments[local.partition(".")[0]]
            if getattr(assignment, "node", None) is statement
            for access in assignment.references
        ]

    def _is_rewritten(self, node: cst.CSTNode) -> bool:
        plan = self.plan
        for candidate in (node, self._parent(node)):
            if (
                candidate in plan.type_refs
                or candidate in plan.strings
                or any(call.func is candidate for call in plan.constructions)
                or any(base.value is candidate for base in plan.dropped_bases.values())
            ):
                return True
        return False

    def _exported(self, statement: cst.Import | cst.ImportFrom, name: str) -> bool:
        """Whether a module-level import of ``name`` is a re-export: listed in the
        module's ``__all__``, imported from this module by other project code, or carried
        by a ``from this_module import *``."""
        if not isinstance(self.get_metadata(ScopeProvider, statement, None), GlobalScope):
            return False
        return self.exports.is_imported(self.module_name, name) or name in self._all_names()

    def _all_names(self) -> set[str]:
        """The strings of the module-level statements that build ``__all__``
        (``__all__ = [...]``, ``__all__ += [...]``, ``__all__.extend([...])``)."""
        names: set[str] = set()
        for line in self.module.body:
            if not isinstance(line, cst.SimpleStatementLine) or not m.findall(
                line, m.Name("__all__")
            ):
                continue
            for string in m.findall(line, m.SimpleString()):
                assert isinstance(string, cst.SimpleString)
                value = string.evaluated_value
                if isinstance(value, str):
                    names.add(value)
        return names

    def _binds_target(self) -> bool:
        """Whether the module already has a global named like the target class."""
        return self.options.target_class_name in {
            assignment.name
            for scope in {self.get_metadata(ScopeProvider, self.module, None)}
            if scope is not None
            for assignment in scope.assignments
        }

    def _target_name_clash(self) -> bool:
        """The target's name is bound to something other than the target class."""
        scope = self.get_metadata(ScopeProvider, self.module, None)
        if scope is None:
            return False
        for assignment in scope.assignments[self.options.target_class_name]:
            node = getattr(assignment, "node", None)
            if not isinstance(node, cst.ImportFrom) or node.module is None:
                return True
            if dotted(node.module) != self.options.target_module:
                return True
        return False

    # -- keyword arguments of callers ---------------------------------------------------

    def _plan_keyword(
        self, call: cst.Call, arg: cst.Arg, keyword: str, index: FunctionIndex
    ) -> None:
        new_name, problem = decide_keyword(
            keyword, tuple(self._qualified(call.func)), method_name(call), index
        )
        if new_name is not None:
            self.plan.keyword_renames[arg] = new_name
        if problem is not None:
            self._problem(arg, problem)

    def keyword_sites(self) -> list[tuple[cst.Arg, KeywordSite]]:
        """Every keyword argument ``plan_call_sites`` would look at, with what deciding its
        rename needs (the slot is the caller's to fill)."""
        with self.resolve(self.wrapper):
            return [
                (
                    arg,
                    KeywordSite(
                        arg.keyword.value,
                        tuple(self._qualified(call.func)),
                        method_name(call),
                        self._line(arg),
                    ),
                )
                for call in self._keyword_calls
                for arg in call.args
                if arg.keyword is not None
            ]
