"""Why a write runs at request time, and the witness a finding carries for it.

A write runs at request time when its function is an entry point, takes or reads request
data, stores a value derived from request data, or is reached in the call graph from such a
function. Startup hooks and the code only they reach never do. The witness is the entry
point and the chain of calls from it, each as a related location.
"""

from __future__ import annotations

from dataclasses import dataclass

from isolint.analysis.facts import Function, WriteSite
from isolint.analysis.module_pass import SCRIPT_FUNCTION
from isolint.findings import Related
from isolint.program import program_of
from isolint.program.entry_points import is_lifecycle_hook, is_lifecycle_name
from isolint.program.reach import RequestPath
from isolint.project import Project, kept_only

# Public methods that set a shared object up rather than serve with it: registering,
# loading, connecting, and setters of its configuration (`set_missing_key_message(...)`,
# `configure(...)`), which the code that owns the object calls, not a request.
_SETUP_PREFIXES = (
    "register",
    "add_",
    "load",
    "init",
    "close",
    "connect",
    "disconnect",
    "set_",
    "configure",
)


@dataclass(frozen=True)
class RequestEvidence:
    """``reasons`` the writing function serves requests itself; else the ``path`` to it."""

    reasons: tuple[str, ...]
    path: RequestPath | None
    # no request path was found, but the write is in a public method of a shared object
    shared_method: bool = False

    def phrase(self) -> str:
        if self.reasons:
            return "; it " + " and ".join(self.reasons)
        if self.path is not None and self.path.entry[1] == SCRIPT_FUNCTION:
            return (
                "; it is reached from the top level of a Streamlit script, which runs for "
                "every session"
            )
        if self.path is not None:
            return f"; it is reached from request handler `{self.path.entry[1]}`"
        if self.shared_method:
            return "; it is a public method of the shared object, which any request may call"
        return ""

    def entry_point(self) -> str:
        return self.path.entry[1] if self.path is not None else ""


def request_evidence(project: Project, module: str, site: WriteSite) -> RequestEvidence | None:
    """The evidence that ``site`` runs at request time, or None when there is none."""
    program = program_of(project)
    key = (module, site.function)
    function = project.function(module, site.function)
    if function is None or is_lifecycle_hook(function):
        return None  # lifecycle hooks run once
    if key in program.reach.serving_no_user:
        return None  # no request runs it, or an administrator's writes are configuration
    entry = program.entry_points.entries.get(key)
    if entry is None and program.reach.never_referenced(module, function):
        return None  # dead code runs for nobody
    reasons: list[str] = []
    if entry is not None:
        reasons.append(f"is {entry.reason}")
    direct = program.reach.direct_reason(module, function)
    if direct:
        reasons.append(direct)
    if reasons and stores_request_data(project, module, site):
        helpers = program.reach.request_data_results(module, site)
        through = ", ".join(f"`{name}()`" for name in helpers)
        detail = f" (the result of {through}, which reads the request)" if helpers else ""
        reasons.append("stores a value derived from request data" + detail)
    if reasons and function.is_async:
        reasons.append("runs in `async def`")
    path = program.reach.request_paths.get(key)
    if reasons:
        return RequestEvidence(tuple(reasons), path)
    if path is not None:
        return RequestEvidence((), path)
    if is_shared_public_method(project, module, function):
        return RequestEvidence((), None, shared_method=True)
    return None


def is_shared_public_method(project: Project, module: str, function: Function) -> bool:
    """A public method of a long-lived object that startup code does not own: any request
    holding the shared object may call it (RacerD's assumption for shared classes). Only
    of an object the project itself allocates for the process (at import time, as a
    singleton, in a cached factory, for the framework): one merely kept by another
    long-lived object is reached by what its keeper calls, which the call graph follows."""
    name = function.name
    if function.class_name is None or name.startswith("_") or is_lifecycle_name(name):
        return False
    if name.startswith(_SETUP_PREFIXES):
        return False
    program = program_of(project)
    creations = program.long_lived.inherited_by((module, function.class_name))
    if not creations or kept_only(creations):
        return False
    callers = program.reach.callers.get((module, function.qualname), [])
    serving_no_user = program.reach.serving_no_user
    return not callers or any(
        e.caller is not None and e.caller not in serving_no_user for e in callers
    )


def stores_request_data(project: Project, module: str, site: WriteSite) -> bool:
    """The written value (or the key of a keyed write) is request data."""
    return program_of(project).reach.stores_request_data(module, site)


def witness(project: Project, evidence: RequestEvidence | None) -> tuple[Related, ...]:
    """The entry point and each call from it to the writing function, as related locations."""
    if evidence is None or evidence.path is None or not evidence.path.calls:
        return ()
    path = evidence.path
    found: list[Related] = []
    entry_record = project.modules.get(path.entry[0])
    if entry_record is not None:
        function = entry_record.facts.functions.get(path.entry[1])
        if function is not None:
            line = entry_record.located(function.span).line
            reason = f": {path.reason}" if path.reason else ""
            found.append(
                Related(
                    entry_record.display_path,
                    line,
                    f"request entry point `{path.entry[1]}`{reason}",
                    "entry",
                )
            )
    for edge in path.calls:
        record = project.modules.get(edge.module)
        if record is None or edge.span is None:
            continue
        line = record.located(edge.span).line
        caller = edge.caller[1] if edge.caller else "<module>"
        found.append(
            Related(record.display_path, line, f"`{caller}` calls `{edge.callee[1]}`", "call")
        )
    return tuple(found)
