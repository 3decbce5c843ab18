"""How one legacy construction maps onto the context class (no metadata needed).

Arguments are named by the legacy ``__init__`` (positional ones by its parameter order);
each sets a legacy field, which ``field-map`` either maps to a context field (passed by
keyword) or sends to the unmapped dict. Fields the caller did not pass get the legacy
default when it can be copied (a fresh one per construction: ``[]``, ``AgentMetadata()``),
so code that reads them right after the construction keeps working (see the module
documentation of ``migrate_context``).

The result must be valid for the target's constructor (``TargetClassModel``): a field it
requires that the call does not pass is taken from a parameter of the enclosing functions
of that name (or of a legacy name mapped to it: ``chat_thread_id`` for ``thread_id``);
failing that the construction is left for a person. A construction from ``**kwargs``
becomes a call of the target's ``from_legacy_kwargs`` classmethod, which applies the
field map and the defaults at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import libcst as cst

from isolint.fix.codemods.migrate_context_legacy import LegacyClassModel
from isolint.fix.codemods.migrate_context_options import MigrationOptions
from isolint.fix.codemods.migrate_context_plan import ConstructionPlan
from isolint.fix.codemods.migrate_context_target import KWARGS_HELPER, TargetClassModel


@dataclass(frozen=True)
class Surroundings:
    """What the code around a construction offers: the parameters of its enclosing
    functions, and whether a name of the legacy module may be imported here."""

    parameters: frozenset[str] = frozenset()
    can_import: Callable[[str], bool] = lambda name: False


@dataclass(frozen=True)
class ConstructionOutcome:
    """The plan (None: leave the call unchanged) and the problems to report at the call."""

    plan: ConstructionPlan | None
    problems: tuple[str, ...] = ()


def plan_construction(
    call: cst.Call,
    legacy: LegacyClassModel,
    options: MigrationOptions,
    target: TargetClassModel,
    around: Surroundings,
) -> ConstructionOutcome:
    name = options.legacy_class_name
    if any(arg.star == "*" for arg in call.args):
        return ConstructionOutcome(
            None, (f"`{name}(...)` with *args: map its fields by hand (not rewritten)",)
        )
    if any(arg.star == "**" for arg in call.args) and not target.has_kwargs_helper:
        return ConstructionOutcome(
            None,
            (
                f"`{name}(...)` with **kwargs and `{options.target_class_name}` has no "
                f"`{KWARGS_HELPER}` classmethod: map its fields by hand (not rewritten)",
            ),
        )
    positional = [param for param in legacy.params if not param.keyword_only]
    passed: dict[str, int] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            continue
        if arg.keyword is not None:
            passed[arg.keyword.value] = index
        elif legacy.found and index < len(positional):
            passed[positional[index].name] = index
        else:
            return ConstructionOutcome(
                None,
                (
                    f"`{name}(...)` takes a positional argument the codemod cannot name: "
                    "pass it by keyword first (not rewritten)",
                ),
            )
    if any(arg.star for arg in call.args):
        return _through_helper(call, passed, legacy, options, around)
    return _mapped(call, passed, legacy, options, target, around)


def _mapped(
    call: cst.Call,
    passed: Mapping[str, int],
    legacy: LegacyClassModel,
    options: MigrationOptions,
    target: TargetClassModel,
    around: Surroundings,
) -> ConstructionOutcome:
    keywords: list[str | None] = [None] * len(call.args)
    by_field: dict[str, int | cst.BaseExpression] = {}
    for param, index in passed.items():
        legacy_field = legacy.field_for_param(param)
        context_field = options.field_map.get(legacy_field)
        if context_field is None:
            by_field[legacy_field] = index
        elif context_field in keywords:
            return ConstructionOutcome(
                None,
                (
                    f"two arguments of `{options.legacy_class_name}(...)` map to "
                    f"`{context_field}`: choose one (not rewritten)",
                ),
            )
        else:
            keywords[index] = context_field
    unmapped, imports, problems = _unmapped_entries(passed, by_field, legacy, options, around)
    filled, missing = _filled_from_parameters(keywords, target, options, around)
    refused = _refusal(keywords, filled, missing, bool(unmapped), target, options)
    if refused is not None:
        return ConstructionOutcome(None, (refused,))
    plan = ConstructionPlan(tuple(keywords), unmapped, filled=filled, imports=imports)
    return ConstructionOutcome(plan, problems)


def _unmapped_entries(
    passed: Mapping[str, int],
    by_field: dict[str, int | cst.BaseExpression],
    legacy: LegacyClassModel,
    options: MigrationOptions,
    around: Surroundings,
) -> tuple[tuple[tuple[str, int | cst.BaseExpression], ...], tuple[str, ...], tuple[str, ...]]:
    """The unmapped dict's entries (passed values, then copied defaults in the legacy
    order), the names the defaults import from the legacy module, and the problems."""
    problems: list[str] = []
    imports: list[str] = []
    for known in legacy.fields:
        if known.name in by_field or known.name in options.field_map:
            continue
        if known.param is not None and known.param in passed:
            continue
        if known.default is not None and all(around.can_import(name) for name in known.imports):
            by_field[known.name] = known.default
            imports += [name for name in known.imports if name not in imports]
        elif known.param is None or _has_default(legacy, known.param):
            problems.append(
                f"the legacy default of `{known.name}` cannot be copied: "
                f'`{options.unmapped}["{known.name}"]` starts unset, set it by hand'
            )
    order = [known.name for known in legacy.fields]
    unmapped = sorted(
        by_field.items(),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    )
    return tuple(unmapped), tuple(imports), tuple(problems)


def _filled_from_parameters(
    keywords: list[str | None],
    target: TargetClassModel,
    options: MigrationOptions,
    around: Surroundings,
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(context field, parameter) for each required field the call does not pass that a
    parameter in scope holds; the required fields nothing holds."""
    filled: list[tuple[str, str]] = []
    missing: list[str] = []
    for required in target.required:
        if required in keywords or required == options.unmapped:
            continue
        sources = [
            required,
            *sorted(legacy for legacy, context in options.field_map.items() if context == required),
        ]
        parameter = next((name for name in sources if name in around.parameters), None)
        if parameter is None:
            missing.append(required)
        else:
            filled.append((required, parameter))
    return tuple(filled), tuple(missing)


def _refusal(
    keywords: list[str | None],
    filled: tuple[tuple[str, str], ...],
    missing: tuple[str, ...],
    has_unmapped: bool,
    target: TargetClassModel,
    options: MigrationOptions,
) -> str | None:
    """Why the rebuilt call would not be valid for the target's constructor, or None."""
    legacy, context = options.legacy_class_name, options.target_class_name
    if missing:
        fields = ", ".join(f"`{name}`" for name in missing)
        return (
            f"`{legacy}(...)` needs a person: `{context}` requires {fields}, which the "
            "call does not pass and no parameter in scope holds (not rewritten)"
        )
    names = [k for k in keywords if k is not None] + [field for field, _ in filled]
    if has_unmapped:
        names.append(options.unmapped)
    unknown = [name for name in names if not target.accepts(name)]
    if unknown:
        return (
            f"`{legacy}(...)` would pass `{unknown[0]}`, which `{context}` does not take: "
            "fix `field-map` or map it by hand (not rewritten)"
        )
    return None


def _through_helper(
    call: cst.Call,
    passed: Mapping[str, int],
    legacy: LegacyClassModel,
    options: MigrationOptions,
    around: Surroundings,
) -> ConstructionOutcome:
    """A construction from ``**kwargs``: every argument goes to ``from_legacy_kwargs``
    under its legacy name, with the non-identity entries of the field map and the
    defaults of fields it may not pass (applied at run time where it does not)."""
    keywords: list[str | None] = [None] * len(call.args)
    for param, index in passed.items():
        keywords[index] = param
    defaults: list[tuple[str, int | cst.BaseExpression]] = []
    imports: list[str] = []
    for known in legacy.fields:
        mapped = known.name in options.field_map or (known.param or known.name) in passed
        if mapped or known.default is None:
            continue
        if all(around.can_import(name) for name in known.imports):
            defaults.append((known.name, known.default))
            imports += [name for name in known.imports if name not in imports]
    field_map = tuple(
        (legacy_name, context)
        for legacy_name, context in sorted(options.field_map.items())
        if legacy_name != context
    )
    plan = ConstructionPlan(
        tuple(keywords),
        tuple(defaults),
        imports=tuple(imports),
        helper=KWARGS_HELPER,
        helper_map=field_map,
    )
    return ConstructionOutcome(plan)


def _has_default(legacy: LegacyClassModel, name: str) -> bool:
    param = legacy.param(name)
    return param is not None and param.has_default
