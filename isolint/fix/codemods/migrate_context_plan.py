"""The plan of the ``migrate-context`` codemod: what to rewrite, keyed by original node.

``migrate_context_analysis`` fills a ``ModulePlan`` per module (libcst nodes compare by
identity, so a plan can point at the exact node to change) and a ``FunctionIndex`` of the
project's functions; ``migrate_context_rewrite`` applies a plan without deciding anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst


@dataclass(frozen=True)
class FieldAccess:
    """``holder.field`` rewritten: renamed to ``context_field``, or moved into the
    unmapped dict as ``holder.<unmapped>["field"]`` when ``context_field`` is None."""

    field: str
    context_field: str | None


@dataclass(frozen=True)
class ConstructionPlan:
    """A legacy construction rebuilt as the target: ``keywords[i]`` names the context
    field of argument ``i`` (None: the argument moves into the unmapped dict), and
    ``unmapped`` lists the dict's entries: (field, argument index or default expression).
    ``column`` and ``indent`` locate the call (0-based start column, indentation of its
    first line) so that a one-line call that grows too long can be split. ``filled``
    adds ``field=parameter`` for required fields taken from the enclosing functions;
    ``imports`` are names the defaults need from the legacy module.

    With ``helper`` the call becomes ``Target.<helper>(field_map, defaults, ...)``: the
    arguments keep their legacy names (``keywords``), ``unmapped`` holds the defaults and
    ``helper_map`` the field map's entries that rename a field."""

    keywords: tuple[str | None, ...]
    unmapped: tuple[tuple[str, int | cst.BaseExpression], ...]
    column: int = 0
    indent: str = ""
    filled: tuple[tuple[str, str], ...] = ()
    imports: tuple[str, ...] = ()
    helper: str | None = None
    helper_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FunctionSignature:
    """A project function, for renaming the keyword arguments of its callers."""

    qualname: str
    name: str
    params: frozenset[str]
    renames: Mapping[str, str]


@dataclass
class ModulePlan:
    """Every rewrite of one module, keyed by original node, and its problems."""

    type_refs: set[cst.CSTNode] = field(default_factory=set)
    strings: dict[cst.SimpleString, cst.SimpleString] = field(default_factory=dict)
    constructions: dict[cst.Call, ConstructionPlan] = field(default_factory=dict)
    renames: dict[cst.Name, str] = field(default_factory=dict)
    field_accesses: dict[cst.Attribute, FieldAccess] = field(default_factory=dict)
    keyword_renames: dict[cst.Arg, str] = field(default_factory=dict)
    # composed subclasses: the legacy base each drops, and the ``super().__init__(...)``
    # statement that becomes ``<receiver>.<attribute> = <its rebuilt call>``
    dropped_bases: dict[cst.ClassDef, cst.Arg] = field(default_factory=dict)
    composed_inits: dict[cst.Expr, tuple[str, str]] = field(default_factory=dict)
    import_replacements: set[cst.Import | cst.ImportFrom] = field(default_factory=set)
    # legacy imports and the local names to drop from them (no use of them is left)
    import_removals: dict[cst.Import | cst.ImportFrom, set[str]] = field(default_factory=dict)
    add_target_import: bool = False
    # (module, name) to import for the copied defaults of constructions
    extra_imports: set[tuple[str, str]] = field(default_factory=set)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def uses_target(self) -> bool:
        return bool(self.type_refs or self.strings or self.constructions)

    @property
    def is_empty(self) -> bool:
        return not (
            self.uses_target
            or self.renames
            or self.field_accesses
            or self.keyword_renames
            or self.dropped_bases
            or self.import_replacements
            or self.import_removals
        )


@dataclass
class FunctionIndex:
    """Every project function by qualified name and by bare name."""

    by_qualname: dict[str, FunctionSignature] = field(default_factory=dict)
    by_name: dict[str, list[FunctionSignature]] = field(default_factory=dict)
    renamed_params: set[str] = field(default_factory=set)

    def add(self, signature: FunctionSignature) -> None:
        self.by_qualname[signature.qualname] = signature
        self.by_name.setdefault(signature.name, []).append(signature)
        self.renamed_params.update(signature.renames)


def string_key(name: str) -> cst.SimpleString:
    return cst.SimpleString(json.dumps(name))
