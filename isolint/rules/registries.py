"""ISO4xx unscoped registries, singletons and caches.

ISO401: a method of a long-lived instance stores request data on ``self`` (or on an object
it keeps). ISO402: a module-level registry or cache written with a key not scoped to the
user, a cache-key builder that leaves the user out, or a view's response cached under its
URL though the page depends on who asks. ISO403: a ``functools`` cache on a function that
takes request-bound arguments or reads request state, or a hand-made one (a lazily created
global) built from its first caller's credentials.
"""

from __future__ import annotations

from collections.abc import Iterator

from isolint.analysis.facts import Access, DecoratorUse, Function, WriteSite
from isolint.analysis.module_pass import CREDENTIAL_NAMES, REQUEST_ID_PARAMETERS
from isolint.findings import Finding, Related, Severity
from isolint.program import program_of
from isolint.program.entry_points import EntryPoints
from isolint.project import ModuleRecord, Project
from isolint.rules.base import data_kind, describe, finding, severity_for
from isolint.rules.writes import ClassifiedWrite, classified_writes

_FIXES = {
    "ISO401": "Keep per-request data out of the shared instance: key it by user "
    "(`self._by_user[user_id] = ...`), or create the object per request.",
    "ISO402": "Scope the key to the user (`store[(user_id, key)]`) or keep the data in the "
    "request's context.",
    "ISO403": "Cache only on values that are the same for every user, or key the cache "
    "by user explicitly.",
}


def check(project: Project) -> Iterator[Finding]:
    for classified in classified_writes(project):
        if classified.code in ("ISO401", "ISO402"):
            yield _write_finding(project, classified)
    yield from _unscoped_cache_keys(project)
    yield from _response_caches(project)
    yield from _singletons_built_from_a_credential(project)
    for record in project.targets():
        for function in record.facts.functions.values():
            if function.cache_decorator is None or function.class_name is not None:
                continue
            reason = _request_bound(project, record, function)
            related: tuple[Related, ...] = ()
            if reason is None:
                typed = _reads_user_input(project, record, function)
                if typed is None:
                    continue
                reason, related = typed
            yield finding(
                "ISO403",
                record,
                function.cache_decorator,
                f"`{function.qualname}` is cached process-wide but {reason}; one user's "
                "result can be served to another",
                _FIXES["ISO403"],
                Severity.WARNING,
                related,
            )


# Parameters that carry whose credentials or identity a caller acts with (the pass's
# credential names and more): a singleton built from one serves every later caller with
# the first caller's.
_CREDENTIAL_PARAMETERS = CREDENTIAL_NAMES | {
    "api_key",
    "apikey",
    "auth_token",
    "password",
    "secret",
    "user",
    "user_id",
    "tenant",
    "tenant_id",
}


def _singletons_built_from_a_credential(project: Project) -> Iterator[Finding]:
    """``def get_client(api_key): global _client; if _client is None: _client =
    OpenAI(api_key=api_key); return _client``: a hand-made cache that ignores its key. The
    first caller's credentials build the one object; every later caller gets it, whatever
    credentials it passes (another tenant's agent runs, and is billed, as the first). Where
    the rebuild is evidently at request time it is ISO102's finding instead."""
    scripts = program_of(project).entry_points.script_modules
    # a global rebuilt at request time from request data is ISO102's (one finding per site)
    reported = {
        (classified.record.name, classified.site.span.node)
        for classified in classified_writes(project)
    }
    for record in project.targets():
        if record.name in scripts:
            continue
        for site in record.facts.writes:
            if site.operation != "rebind" or not site.lazy_init_guard or site.value_call is None:
                continue
            if (record.name, site.span.node) in reported:
                continue
            credentials = sorted(_CREDENTIAL_PARAMETERS.intersection(site.value_sources))
            if not credentials or not set(credentials).isdisjoint(site.guard_sources):
                continue  # (rebuilt when the credentials change: keyed by them)
            function = record.facts.functions.get(site.function)
            if function is None or "." in site.function:
                continue
            if site.target.root not in function.returns_names:
                continue  # it keeps the object but hands out something else
            passed = ", ".join(f"`{name}`" for name in credentials)
            yield finding(
                "ISO403",
                record,
                site.span,
                f"`{site.function}` keeps the first `{site.value_call.text()}` it builds for "
                f"the process, made with its first caller's {passed}; every later caller gets "
                "that one, whatever it passes, so one caller's credentials serve all of them",
                "Key the kept objects by the credential (`_clients[api_key]`), or build one "
                "per caller.",
                Severity.WARNING,
                shared_object=site.target.root,
                data_kind="credentials",
            )


def _request_bound(project: Project, record: ModuleRecord, function: Function) -> str | None:
    """Why a cached function's result depends on the request, or None."""
    # An id argument (user_id, token) is part of the cache key, so results stay per id; a
    # request object is not: it pins the request in memory and is hashed by identity.
    objects = [
        p
        for p in function.request_params
        if p not in REQUEST_ID_PARAMETERS and p not in function.scalar_params
    ]
    if objects:
        params = ", ".join(f"`{p}`" for p in objects)
        return f"takes request object(s) {params}"
    if function.reads_request_state:
        return "reads request state (a thread local or ContextVar)"
    for call in record.facts.calls:
        if call.function != function.qualname or call.self_class is not None:
            continue
        target = project.resolve(record.name, call.callee)
        if target is None or target.kind != "function" or target.rest:
            continue
        callee = project.function(target.module, target.name)
        if callee is not None and callee.reads_request_state:
            return f"calls `{callee.qualname}()`, which reads request state"
    return None


def _reads_user_input(
    project: Project, record: ModuleRecord, function: Function
) -> tuple[str, tuple[Related, ...]] | None:
    """A cached function reading a module-level name that holds what one user typed (a
    Streamlit widget's value): the first user's input is baked into everyone's result,
    since the cache key holds only the arguments."""
    inputs = project.config.models.values("user-input-calls")
    models = project.config.models
    session_state = models.values("per-request-globals") | models.values("request-globals")
    for read in function.cached_reads:
        if "." in read.name or read.name in record.facts.imports:
            root, _, attribute = read.name.partition(".")
            read_of = {  # `g.user` reads `flask.g`; `st.session_state` is the state itself
                project.callee_name(record.name, Access(root, [attribute] if attribute else [])),
                project.callee_name(record.name, Access(root)),
            }
            if read_of & session_state:
                reason = (
                    f"reads `{read.name}`, state of one request or session, "
                    "which its cache key does not hold"
                )
                line = record.located(read.span).line
                return reason, (
                    Related(record.display_path, line, f"reads `{read.name}`", kind="call"),
                )
            continue
        binding = record.facts.bindings.get(read.name)
        if binding is None or binding.kind != "call" or binding.callee is None:
            continue
        callee = project.callee_name(record.name, binding.callee)
        if callee not in inputs:
            continue
        reason = (
            f"reads `{read.name}`, what one user typed (`{binding.callee.text()}`), "
            "which its cache key does not hold"
        )
        related = (
            Related(
                record.display_path,
                record.located(read.span).line,
                f"`{function.qualname}` reads `{read.name}`",
                kind="call",
            ),
            Related(
                record.display_path,
                record.located(binding.span).line,
                f"`{read.name}` holds one session's input",
                kind="creation",
            ),
        )
        return reason, related
    return None


def _write_finding(project: Project, classified: ClassifiedWrite) -> Finding:
    site = classified.site
    severity, evidence = severity_for(classified, project)
    note = (
        f"the long-lived instance ({classified.what}) is created here"
        if classified.code == "ISO401"
        else f"`{classified.subject}` is defined here and lives as long as the process"
    )
    related = classified.definition(project, note)
    if classified.code == "ISO401":
        message = (
            f"{describe(site)} stores request data on `{classified.subject}`, but this object "
            f"is shared by every request and user (long-lived: {classified.what})"
        )
    else:
        shared = "" if "shared" in classified.what else " shared by every request"
        message = (
            f"{describe(site)} writes `{classified.subject}`, a {classified.what}{shared}, "
            f"under key `{_dynamic_key(site)}`, which is not scoped to the user"
        )
    return finding(
        classified.code,
        classified.record,
        site.span,
        message + evidence + classified.read_back(project),
        classified.fix or _FIXES[classified.code],
        severity,
        related,
        shared_object=classified.subject,
        entry_point=classified.evidence.entry_point() if classified.evidence else "",
        data_kind=data_kind(classified),
    )


def _dynamic_key(site: WriteSite) -> str:
    """The key that makes this a per-request registry write (the last non-constant one)."""
    for key in reversed([*site.target.keys, site.key]):
        if key.kind == "dynamic":
            return key.text
    return site.key.text


def _unscoped_cache_keys(project: Project) -> Iterator[Finding]:
    """A cache-key builder computing the key from what the user sent (a prompt, a query)
    but not from who sent it: every user asking the same thing gets the first answer."""
    program = program_of(project)
    models = project.config.models
    typed = models.values("user-content-names")
    asked = typed | models.values("request-content-names")
    for record in project.targets():
        for qualname, function in record.facts.functions.items():
            if not _builds_cache_key(record.name, function):
                continue
            if models.is_bookkeeping(function.class_name or "", "", record.name):
                continue  # a throttle's key counts a client's requests: nothing is served
            # a `query` may be a search, the same for everyone; asked of a model, it is a
            # user's question
            model_answers = models.caches_model_answers(function.class_name or "", record.name)
            content_names = asked if model_answers else typed
            content = sorted(set(function.return_sources) & content_names)
            if function.returns_user_scoped or _asks_who(project, record.name, qualname, 2):
                continue
            if (record.name, qualname) in program.reach.outside_requests:
                continue
            if content:
                params = ", ".join(f"`{p}`" for p in content)
                what = f"from {params}, what the user sent,"
                served = "one user's result to anyone who sends the same thing"
            else:
                requests = _request_objects(project, record.name, function)
                if not requests:
                    continue
                what = f"from the request (`{requests[0]}`: its path and query)"
                served = "one user's response to anyone who asks for the same URL"
            yield finding(
                "ISO402",
                record,
                function.span,
                f"`{qualname}` builds a cache key {what} but not from the user: a cache "
                f"shared by every request then serves {served}",
                _FIXES["ISO402"],
                Severity.WARNING,
                shared_object=qualname,
                data_kind="cache key",
            )


def _request_objects(project: Project, module: str, function: Function) -> list[str]:
    """The web requests (not ids, not a model's request object) the key is computed from:
    a parameter typed as one of the models' ``request-types``, or untyped and named so."""
    types = project.config.models.values("request-types")
    found = []
    for param in function.request_params:
        if param not in function.return_sources or param in REQUEST_ID_PARAMETERS:
            continue
        declared = function.param_types.get(param)
        if declared is None:
            if param in ("request", "req"):
                found.append(param)
        elif project.callee_name(module, declared) in types:
            found.append(param)
    return found


def _builds_cache_key(module: str, function: Function) -> bool:
    name = function.name.lower()
    if "key" not in name:
        return False
    return "cache" in function.qualname.lower() or "cache" in module.rsplit(".", 1)[-1].lower()


def _response_caches(project: Project) -> Iterator[Finding]:
    """``@cache_page(60)`` on a view whose page depends on who is asking: the cache keeps the
    response under its URL, so the first user's page is served to everyone who opens it
    (the models' ``response-cache-decorators``; one of ``response-varying-decorators`` on
    the same view, or a key of its own, makes it per user)."""
    models = project.config.models
    caching = models.values("response-cache-decorators")
    varying = models.values("response-varying-decorators")
    if not caching:
        return
    entry_points = program_of(project).entry_points
    for record in project.targets():
        for qualname, function in record.facts.functions.items():
            if not function.decorators:
                continue
            named = [
                (decorator, *entry_points.decorator_names(record.name, function, decorator))
                for decorator in function.decorators
            ]
            cache = next(
                (d for d, qualified, on in named if _names_one_of(d, qualified, on, caching)),
                None,
            )
            if cache is None or _keyed_by_the_view(cache):
                continue
            if not _serves_pages(entry_points, record.name, function):
                continue  # `@cache.cached` on a helper: what it returns is no user's page
            if any(_names_one_of(d, qualified, on, varying) for d, qualified, on in named):
                continue
            who = _asks_who(project, record.name, qualname, 2)
            if who is None:
                continue
            yield finding(
                "ISO402",
                record,
                cache.span or function.span,
                f"`@{cache.callee.text()}` caches the response of `{qualname}` under its URL "
                f"for every user, but the view {who}; the first user's page is served to "
                "everyone who opens the same URL",
                "Vary the cached response by user (`@vary_on_cookie`, a cache key that "
                "holds the user) or cache only what is the same for everyone.",
                Severity.ERROR,
                shared_object=qualname,
                entry_point=qualname,
                data_kind="response",
            )


def _serves_pages(entry_points: EntryPoints, module: str, function: Function) -> bool:
    """A view: a request handler, or a function taking a request."""
    return (module, function.qualname) in entry_points.entries or bool(
        entry_points.request_parameters(module, function)
    )


# Flask-Caching's own key (`make_cache_key`), a condition to skip the cache (`unless`), or
# a prefix of the view's making: the view decides what the key holds
_KEYED_BY_THE_VIEW = frozenset({"make_cache_key", "unless", "key_prefix"})


def _keyed_by_the_view(cache: DecoratorUse) -> bool:
    """The decorator is handed what makes the key; a text ``key_prefix="front_page"`` is a
    fixed key (with ``%s``, the path's), the same for every user."""
    chosen = set(cache.keywords) - set(cache.text_keywords)
    return not _KEYED_BY_THE_VIEW.isdisjoint(chosen)


def _names_one_of(
    decorator: DecoratorUse, qualified: str, instance_of: frozenset[str], names: frozenset[str]
) -> bool:
    if qualified in names:
        return True
    method = decorator.callee.attrs[-1] if decorator.callee.attrs else ""
    return bool(method) and any(f"{cls}.{method}" in names for cls in instance_of)


def _asks_who(project: Project, module: str, qualname: str, depth: int) -> str | None:
    """How the function's result depends on who is asking: it reads the user, a session or a
    credential from the request, a framework's proxy of the user, or hands the request to a
    function that does (``get_org(request)`` reading ``request.user``)."""
    function = project.function(module, qualname)
    if function is None:
        return None
    if function.reads_caller:
        return "reads who is asking (the user, a session or a credential)"
    program = program_of(project)
    for name in program.entry_points.reads_request_globals(module, function):
        proxied = project.callee_name(module, Access(name))
        if proxied.rsplit(".", 1)[-1] in ("current_user", "session", "g"):
            return f"reads `{name}`"
    if depth == 0:
        return None
    params = set(function.params)
    for edge in program.reach.callees.get((module, qualname), []):
        handed = any(params.intersection(sources) for sources in edge.arg_sources) or any(
            params.intersection(sources) for _, sources in edge.keyword_sources
        )
        if handed and _asks_who(project, *edge.callee, depth - 1) is not None:
            return f"hands the request to `{edge.callee[1]}`, which reads who is asking"
    return None
