"""How one legacy construction maps onto the context class (no metadata needed).

Arguments are named by the legacy ``__init__`` (positional ones by its parameter order);
each sets a legacy field, which ``field-map`` either maps to a context field (passed by
keyword) or sends to the unmapped dict. Fields the caller did not pass get the legacy
default when it is portable, so code that reads them right after the construction keeps
working (see the module documentation of ``migrate_context``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from isolint.fix.codemods.migrate_context_legacy import LegacyClassModel
from isolint.fix.codemods.migrate_context_options import MigrationOptions
from isolint.fix.codemods.migrate_context_plan import ConstructionPlan


@dataclass(frozen=True)
class ConstructionOutcome:
    """The plan (None: leave the call unchanged) and the problems to report at the call."""

    plan: ConstructionPlan | None
    problems: tuple[str, ...] = ()


def plan_construction(
    call: cst.Call, legacy: LegacyClassModel, options: MigrationOptions
) -> ConstructionOutcome:
    name = options.legacy_class_name
    if any(arg.star for arg in call.args):
        return ConstructionOutcome(
            None, (f"`{name}(...)` with *args/**kwargs: map its fields by hand (not rewritten)",)
        )
    positional = [param for param in legacy.params if not param.keyword_only]
    passed: dict[str, int] = {}
    for index, arg in enumerate(call.args):
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
    return _mapped(call, passed, legacy, options)


def _mapped(
    call: cst.Call,
    passed: Mapping[str, int],
    legacy: LegacyClassModel,
    options: MigrationOptions,
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
    problems = []
    for known in legacy.fields:
        if known.name in by_field or known.name in options.field_map:
            continue
        if known.param is not None and known.param in passed:
            continue
        if known.default is not None:
            by_field[known.name] = known.default
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
    return ConstructionOutcome(ConstructionPlan(tuple(keywords), tuple(unmapped)), tuple(problems))


def _has_default(legacy: LegacyClassModel, name: str) -> bool:
    param = legacy.param(name)
    return param is not None and param.has_default
