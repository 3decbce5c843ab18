"""The rule catalogue: every public rule code, its name, family and one-line summary.

Codes are public API: they never change meaning and are never reused. The analysis
modules emit findings by code; reporters, docs and ``--select`` read this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: str
    summary: str
    # Whether `isolint fix` offers an edit for this rule's findings (where the rewrite is
    # sure; the rule document's "Fix safety" says when and whether it is safe).
    fixable: bool = False


FAMILIES: dict[str, str] = {
    "ISO1": "shared mutable state",
    "ISO2": "legacy shared-state class",
    "ISO3": "module-level database sessions",
    "ISO4": "unscoped registries, singletons and caches",
    "ISO5": "async and context hazards",
    "ISO9": "isolint itself",
}

_RULES = [
    Rule(
        "ISO101",
        "mutated-module-container",
        "ISO1",
        "A module-level mutable container is written from function scope at request time.",
        fixable=True,
    ),
    Rule(
        "ISO102",
        "global-rebinding",
        "ISO1",
        "A function rebinds a module-level name through `global` at request time.",
    ),
    Rule(
        "ISO103",
        "mutated-class-container",
        "ISO1",
        "A container defined in a class body is written through `self`, `cls` or the class.",
        fixable=True,
    ),
    Rule(
        "ISO104",
        "foreign-module-attribute-write",
        "ISO1",
        "A function rebinds an attribute of another module (`state.current = value`).",
    ),
    Rule(
        "ISO105",
        "mutated-mutable-default",
        "ISO1",
        "A mutable argument default is mutated or stored by the function.",
        fixable=True,
    ),
    Rule(
        "ISO201",
        "legacy-state-import",
        "ISO2",
        "The legacy shared-state class is imported.",
    ),
    Rule(
        "ISO202",
        "legacy-state-annotation",
        "ISO2",
        "An annotation names the legacy shared-state class.",
    ),
    Rule(
        "ISO203",
        "legacy-state-instantiation",
        "ISO2",
        "The legacy shared-state class is constructed.",
    ),
    Rule(
        "ISO204",
        "legacy-state-subclass",
        "ISO2",
        "A class inherits from the legacy shared-state class.",
    ),
    Rule(
        "ISO205",
        "legacy-state-reference",
        "ISO2",
        "The legacy shared-state class is referenced (isinstance, passed as a value, ...).",
    ),
    Rule(
        "ISO301",
        "module-level-db-session",
        "ISO3",
        "A database session or connection is created at import time and shared.",
        fixable=True,
    ),
    Rule(
        "ISO302",
        "long-lived-db-session",
        "ISO3",
        "A database session or connection is kept on a class or a long-lived object.",
    ),
    Rule(
        "ISO401",
        "singleton-stores-request-data",
        "ISO4",
        "A method of a long-lived instance stores request data on `self` or on an object it keeps.",
    ),
    Rule(
        "ISO402",
        "unscoped-registry-write",
        "ISO4",
        "A module-level registry or cache is written with a key not scoped to the user.",
    ),
    Rule(
        "ISO403",
        "cached-request-function",
        "ISO4",
        "A `functools` cache wraps a function that takes request-bound arguments.",
    ),
    Rule(
        "ISO404",
        "shared-per-request-object",
        "ISO4",
        "An object meant for one request (a dataloader, a chat memory) is created once for "
        "the process.",
    ),
    Rule(
        "ISO501",
        "threading-local-in-async",
        "ISO5",
        "A `threading.local()` is used from `async def` code, where tasks share the thread.",
        fixable=True,
    ),
    Rule(
        "ISO502",
        "mutable-contextvar-default",
        "ISO5",
        "A `ContextVar` has a mutable default shared by every context.",
        fixable=True,
    ),
    Rule(
        "ISO503",
        "check-then-act-across-await",
        "ISO5",
        "Shared state is checked, then written after an `await` with a key not scoped to the user.",
    ),
    Rule(
        "ISO504",
        "app-context-pushed-for-good",
        "ISO5",
        "An application context is pushed outside a request and never popped, so requests "
        "share its `g`.",
    ),
    Rule(
        "ISO505",
        "thread-local-outlives-request",
        "ISO5",
        "A request sets a `threading.local()` field (or, on a WSGI worker thread, a "
        "`ContextVar`) and nothing clears it, so what the thread runs next can read it.",
    ),
    Rule(
        "ISO506",
        "task-keeps-request-context",
        "ISO5",
        "A request starts a queue's worker task; the task keeps a copy of that request's "
        "ContextVars (its user) while it serves every later request's items.",
    ),
    Rule(
        "ISO900",
        "unparsable-file",
        "ISO9",
        "A file could not be read or parsed, so it was not checked.",
    ),
    Rule(
        "ISO901",
        "unused-suppression",
        "ISO9",
        "An `# isolint: ignore` or `fixme` comment suppresses no finding.",
    ),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def rule_for(code: str) -> Rule:
    return RULES[code]
