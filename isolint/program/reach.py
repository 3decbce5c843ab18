"""The call graph, and which functions run at request time (with the chain that proves it).

Calls are resolved to project functions and methods through imports, module-level
instances, getters that return one (``get_manager().send``), attributes kept on ``self``
(``self.engine.run``) and annotated parameters (``engine: ExecutionEngine``). A function
defined in another and registered there by a decorator (``@pc.on("track")``) is called by it,
as a callback of that call. A function runs at request time when the graph reaches it from
an entry point or from a function that takes request data; a function that only startup
hooks reach runs once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, ItemsView, Sequence
from dataclasses import dataclass
from functools import cached_property

from isolint.analysis.facts import Access, CallSite, Function, Span, WriteSite
from isolint.analysis.module_pass import USER_IDENTITY_NAMES
from isolint.program.entry_points import EntryPoints, FunctionKey
from isolint.program.types import TypeIndex
from isolint.project import Project, is_init_method

_MAX_CHAIN = 12
Sources = Sequence[str]


@dataclass(frozen=True, eq=False)
class CallEdge:
    """``caller`` (None at import time) calls ``callee`` at ``span`` in ``module``; what the
    call passes is read from its ``CallSite`` (shared by the edges to every definition).
    Each edge is made once, so it is compared and hashed by identity (a ``CallSite`` is
    mutable, hence not hashable)."""

    caller: FunctionKey | None
    callee: FunctionKey
    module: str
    call: CallSite

    @property
    def span(self) -> Span | None:
        return self.call.span

    @property
    def positional(self) -> int:
        """How many positional arguments the call passes."""
        return self.call.positional

    @property
    def keywords(self) -> Sequence[str]:
        """The keyword names it passes ("*" for ``**kwargs``)."""
        return self.call.keywords

    @property
    def arg_sources(self) -> Sequence[Sequence[str]]:
        """What each argument is computed from (caller parameters, ``@import`` names)."""
        return self.call.arg_sources

    @property
    def keyword_sources(self) -> ItemsView[str, list[str]]:
        return self.call.keyword_sources.items()

    @property
    def user_args(self) -> Sequence[int]:
        """Positional arguments whose value depends on who is asking."""
        return self.call.user_args

    @property
    def user_keywords(self) -> Sequence[str]:
        return self.call.user_keywords

    def position(self, index: int) -> int:
        """Where the call's facts record the argument of the parameter at ``index`` (-1 for
        none). A ``*rest`` argument is recorded at its own position and stands for the
        parameter there (``self.model.set_key(*args)`` passes ``args`` on as the key); what
        it passes further on is not known, and assuming every later parameter gets the same
        data marked whole constructors as request data through one wrapper."""
        star_at = self.call.star_at
        if 0 <= star_at < index:
            return -1
        return index if 0 <= index < len(self.arg_sources) else -1

    def argument(self, index: int, name: str) -> Sources | None:
        """What the call passes the parameter at ``index`` (or named ``name``) is computed
        from, or None when it does not pass it by position or keyword."""
        at = self.position(index)
        if at >= 0:
            return self.arg_sources[at]
        return self.call.keyword_sources.get(name)

    def asks_who(self, index: int, name: str, fresh_too: bool = True) -> bool:
        """Whether what it passes that parameter depends on who is asking (with
        ``fresh_too=False``: through more than a fresh id such as ``uuid4()``)."""
        at = self.position(index)
        if at >= 0:
            asked, position = at in self.user_args, str(at)
        else:
            asked, position = name in self.user_keywords, name
        return asked and (fresh_too or position not in self.call.fresh_args)

    def fresh(self, index: int, name: str) -> bool:
        """Whether what it passes that parameter is a fresh id (``uuid4()``, a token) and
        nothing about who is asking: no other request has it."""
        at = self.position(index)
        return (str(at) if at >= 0 else name) in self.call.fresh_args

    def passes(self, name: str, index: int) -> bool:
        """Whether the call passes the parameter at ``index`` (or named ``name``)."""
        return (
            (index >= 0 and self.positional > index)
            or name in self.keywords
            or "*" in self.keywords
        )


# Whether an argument (by position or keyword) passes on the data a caller's parameters carry.
ArgumentCarries = Callable[["CallEdge", set[str], "int | str", Sources], bool]


@dataclass(frozen=True)
class RequestPath:
    """Why a function runs at request time: the entry point, and the calls from it."""

    entry: FunctionKey
    reason: str
    calls: tuple[CallEdge, ...] = ()


class Reach:
    """Call graph and request-time reachability of one project."""

    def __init__(self, project: Project, types: TypeIndex, entry_points: EntryPoints) -> None:
        self.project = project
        self.types = types
        self.entry_points = entry_points

    # ---- the graph ---------------------------------------------------------------------------

    @cached_property
    def edges(self) -> list[CallEdge]:
        found: list[CallEdge] = []
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                callee = self.resolve_call(module, call)
                if callee is None:
                    continue
                caller = None if call.at_import_time else (module, call.function or "")
                found.extend(
                    CallEdge(caller, definition, module, call)
                    for definition in (
                        *self.project.definitions(callee),
                        *self._overrides(callee),
                    )
                )
        found.extend(self._callback_registrations)
        return found

    @cached_property
    def registered_callbacks(self) -> frozenset[FunctionKey]:
        """Functions registered as callbacks by the function they are defined in."""
        return frozenset(edge.callee for edge in self._callback_registrations)

    @cached_property
    def _callback_registrations(self) -> list[CallEdge]:
        """A function defined in another and decorated there (``@pc.on("track") def
        on_track(track): ...`` in a request handler) is registered as a callback by each call
        of the enclosing function, and runs on behalf of that call: an edge from the one to
        the other. Entry points and startup hooks are the framework's, not the caller's."""
        framework_s = self.entry_points.entries.keys() | self.entry_points.startup_hooks
        found: list[CallEdge] = []
        for module, record in self.project.modules.items():
            functions = record.facts.functions
            for qualname, function in functions.items():
                enclosing = qualname.rpartition(".")[0]
                if not function.decorators or enclosing not in functions:
                    continue
                if (module, qualname) in framework_s:
                    continue
                registration = CallSite(
                    Access(function.name),
                    at_import_time=False,
                    function=enclosing,
                    span=function.decorators[0].span,
                )
                caller, callee = (module, enclosing), (module, qualname)
                found.append(CallEdge(caller, callee, module, registration))
        return found

    def _overrides(self, method: FunctionKey) -> tuple[FunctionKey, ...]:
        """The subclasses' own versions of a method: a call through the base class's type
        (``provider.get_token(code)`` with ``provider: OAuthProvider``) may run any of them."""
        known = self._override_cache.get(method)
        if known is not None:
            return known
        module, qualname = method
        found: list[FunctionKey] = []
        if "." in qualname:
            class_name, name = qualname.rsplit(".", 1)
            for sub_module, sub_name in self.types.subclasses.get((module, class_name), ()):
                record = self.project.modules.get(sub_module)
                if record is not None and f"{sub_name}.{name}" in record.facts.functions:
                    found.append((sub_module, f"{sub_name}.{name}"))
        result = self._override_cache[method] = tuple(found)
        return result

    @cached_property
    def _override_cache(self) -> dict[FunctionKey, tuple[FunctionKey, ...]]:
        return {}

    @cached_property
    def callees(self) -> dict[FunctionKey, list[CallEdge]]:
        found: dict[FunctionKey, list[CallEdge]] = defaultdict(list)
        for edge in self.edges:
            if edge.caller is not None:
                found[edge.caller].append(edge)
        return dict(found)

    @cached_property
    def callers(self) -> dict[FunctionKey, list[CallEdge]]:
        found: dict[FunctionKey, list[CallEdge]] = defaultdict(list)
        for edge in self.edges:
            found[edge.callee].append(edge)
        return dict(found)

    def resolve_call(self, module: str, call: CallSite) -> FunctionKey | None:
        if call.result_method:
            made = self.types.class_type(module, call.callee) or self.types.returned_type(
                module, call.callee, annotated=True
            )
            if made is None or made.project is None:
                return None
            return self.project._method_key(*made.project, call.result_method)
        direct = self.project._call_key(module, call.callee, call.self_class)
        if direct is not None:
            return direct
        if call.self_class is None:
            constructor = self._constructor(module, call.callee)
            if constructor is not None:
                return constructor
        callee = call.callee
        if callee.keys:
            return None
        scope = call.receiver_scope or call.function
        function = self.project.function(module, scope) if scope else None
        called = self._called_instance(module, function, call.self_class, callee)
        if called is not None or not callee.attrs:
            return called
        receiver = Access(callee.root, callee.attrs[:-1])
        self_class = call.self_class
        receiver_type = self.types.receiver_type(module, function, self_class, receiver)
        if receiver_type is None or receiver_type.project is None:
            return None
        owner, class_name = receiver_type.project
        return self.project._method_key(owner, class_name, callee.attrs[-1])

    def _called_instance(
        self, module: str, function: Function | None, self_class: str | None, callee: Access
    ) -> FunctionKey | None:
        """``ccat(body)`` with ``ccat`` an instance of a project class (a global, a typed
        parameter, ``self.x``, what the application keeps): its ``__call__`` runs."""
        instance = self.types.receiver_type(module, function, self_class, callee)
        if instance is None or instance.project is None:
            return None
        owner, class_name = instance.project
        key = self.project._method_key(owner, class_name, "__call__")
        return key if self.project.function(*key) is not None else None

    def _constructor(self, module: str, callee: Access) -> FunctionKey | None:
        """``Agent(query, history)`` runs ``Agent.__init__`` (or the base class's that it
        inherits) with those arguments."""
        target = self.project.resolve(module, callee)
        if target is None or target.kind != "class" or target.rest:
            return None
        for owner, class_facts, _ in self.project._hierarchy(target.module, target.name):
            if "__init__" in class_facts.methods:
                return (owner, f"{class_facts.name}.__init__")
        return None

    @cached_property
    def construction_only(self) -> frozenset[FunctionKey]:
        """Methods that only an object's construction calls (``__init__`` calling
        ``self._init_components()``): like ``__init__``, they set up a new object."""
        found: set[FunctionKey] = set()
        methods = [key for key in self.callers if "." in key[1] and not is_init_method(key[1])]
        changed = True
        while changed:
            changed = False
            for key in methods:
                if key in found:
                    continue
                if all(
                    edge.caller is not None
                    and "." in edge.caller[1]
                    and (is_init_method(edge.caller[1]) or edge.caller in found)
                    for edge in self.callers[key]
                ):
                    found.add(key)
                    changed = True
        return frozenset(found)

    # ---- startup -------------------------------------------------------------------------------

    @cached_property
    def startup_only(self) -> frozenset[FunctionKey]:
        """Startup hooks and the functions only they (or import time) call."""
        return self._only_reached_from(self.entry_points.startup_hooks)

    @cached_property
    def outside_requests(self) -> frozenset[FunctionKey]:
        """Functions no request runs: startup hooks, command-line commands, and the
        functions only they (or import time) call."""
        return self._only_reached_from(self.entry_points.startup_hooks | self.entry_points.commands)

    @cached_property
    def admin_only(self) -> frozenset[FunctionKey]:
        """Functions only administrators' requests run: handlers behind an admin check and
        the helpers only they call. What they write for everyone is the service's
        configuration (a mode switched, roots registered), global by design."""
        roots = frozenset(
            (module, qualname)
            for module, record in self.project.modules.items()
            for qualname, function in record.facts.functions.items()
            if function.admin_only
        )
        return self._only_reached_from(roots)

    @cached_property
    def serving_no_user(self) -> frozenset[FunctionKey]:
        """Functions whose writes are no user's data crossing to another: those no request
        runs, and those only administrators' requests run."""
        return self.outside_requests | self.admin_only

    def at_the_command_line(self, key: FunctionKey) -> bool:
        """Whether only command-line commands (and what only they reach) run the function,
        not startup: it serves the one person who typed the command."""
        return key in self.outside_requests and key not in self.startup_only

    def _only_reached_from(self, roots: frozenset[FunctionKey]) -> frozenset[FunctionKey]:
        """``roots`` and the functions only they, each other or import time call."""
        known = set(roots)
        entries = self.entry_points.entries
        # per function: how many calls from functions not yet known to be reached only from
        # the roots reach it; it joins when that falls to zero (a worklist, linear in the calls)
        remaining: dict[FunctionKey, int] = {}
        for callee, edges in self.callers.items():
            if callee in known or callee in entries:
                continue
            from_functions = [e for e in edges if e.caller is not None]
            if from_functions:
                remaining[callee] = sum(1 for e in from_functions if e.caller not in known)
        queue = [callee for callee, count in remaining.items() if count == 0]
        while queue:
            current = queue.pop()
            if current in known:
                continue
            known.add(current)
            for edge in self.callees.get(current, ()):
                callee = edge.callee
                if callee in remaining and callee not in known:
                    remaining[callee] -= 1
                    if remaining[callee] == 0:
                        queue.append(callee)
        return frozenset(known)

    # ---- request time ----------------------------------------------------------------------------

    @cached_property
    def request_paths(self) -> dict[FunctionKey, RequestPath]:
        """Every function that runs at request time, with the path from its entry point.

        Paths start at the framework's entry points where one reaches the function (the
        route a request comes in by), and at a function taking request data only where
        none does: the witness names the route, not a helper on the way."""
        seeds = self._seeds()
        parent: dict[FunctionKey, CallEdge | None] = {}
        routes = [key for key in seeds if key in self.entry_points.entries]
        self._walk_from(routes, parent)
        self._walk_from([key for key in seeds if key not in parent], parent)
        paths: dict[FunctionKey, RequestPath] = {}
        for key in parent:
            calls: list[CallEdge] = []
            current = key
            while (step := parent.get(current)) is not None and len(calls) < _MAX_CHAIN:
                calls.append(step)
                if step.caller is None:
                    break
                current = step.caller
            paths[key] = RequestPath(current, seeds.get(current, ""), tuple(reversed(calls)))
        return paths

    def _walk_from(
        self, roots: list[FunctionKey], parent: dict[FunctionKey, CallEdge | None]
    ) -> None:
        """Breadth first from ``roots`` to every function not reached yet, noting the call
        each was first reached by (a shortest chain)."""
        outside = self.outside_requests
        queue = [root for root in roots if root not in parent]
        parent.update(dict.fromkeys(queue))
        position = 0
        while position < len(queue):
            caller = queue[position]
            position += 1
            for edge in self.callees.get(caller, ()):
                if edge.callee in parent or edge.callee in outside:
                    continue
                parent[edge.callee] = edge
                queue.append(edge.callee)

    def reached_from(self, root: FunctionKey) -> set[FunctionKey]:
        """``root`` and every function its calls reach, however deep (what a task running
        ``root`` may run)."""
        seen = {root}
        queue = [root]
        for caller in queue:  # (grows while it is read: breadth first)
            for edge in self.callees.get(caller, ()):
                if edge.callee not in seen:
                    seen.add(edge.callee)
                    queue.append(edge.callee)
        return seen

    def _seeds(self) -> dict[FunctionKey, str]:
        seeds = {
            key: entry.reason
            for key, entry in self.entry_points.entries.items()
            if key not in self.admin_only
        }
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                key = (module, qualname)
                if key in seeds or key in self.serving_no_user:
                    continue
                if self.never_referenced(module, function):
                    continue  # dead code: a private helper nothing refers to
                reason = self.direct_reason(module, function)
                if reason:
                    seeds[key] = reason
        return seeds

    def never_referenced(self, module: str, function: Function) -> bool:
        """A private, undecorated function or method whose name no module refers to: no
        code calls it, and no framework looks up a private name. A module that looks up
        attributes by a computed name (``getattr(self, f"_on_{event}")``) may call any."""
        name = function.name
        return (
            name.startswith("_")
            and not name.startswith("__")
            and not function.decorators
            and name not in self.project.referenced_names
            and "__dict__" not in self.project.modules[module].facts.attribute_reads
        )

    def direct_reason(self, module: str, function: Function) -> str:
        """Why a function serves a request by itself: it takes or reads request data."""
        if function.name.startswith("__") and function.name != "__call__":
            return ""
        params = self.entry_points.request_parameters(module, function)
        if params:
            return "takes request data (" + ", ".join(f"`{p}`" for p in params) + ")"
        proxies = self.entry_points.reads_request_globals(module, function)
        if proxies:
            return "reads the request (" + ", ".join(f"`{p}`" for p in proxies) + ")"
        return ""

    # ---- request data ------------------------------------------------------------------------

    @cached_property
    def request_data_params(self) -> dict[FunctionKey, frozenset[str]]:
        """Parameters that carry request data, followed across calls (a summary per function:
        which parameters receive what a request sent).

        Seeds: every parameter of an entry point, and parameters that carry a request by
        type or name (``request: Request``, ``user_id``, ``prompt``). A callee's parameter
        carries request data when some call passes it an argument computed from the
        caller's request data or from a request proxy (``flask.request``).
        """
        found: dict[FunctionKey, set[str]] = {}
        content = self.project.config.models.values("request-content-names")
        entries = self.entry_points.entries
        callbacks = self.registered_callbacks
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                key = (module, qualname)
                params = set(self.entry_points.request_parameters(module, function))
                params |= set(function.params) & content
                params |= set(function.identity_params)
                handling = (
                    params
                    or key in entries
                    or key in callbacks
                    or self.entry_points.reads_request_globals(module, function)
                )
                # a callback is handed what the library delivers for the call that
                # registered it (a peer's track, a channel's message): that request's input
                called = key not in entries and key not in callbacks and key in self.callers
                if handling and called:
                    # a helper the project itself calls: its callers say which of its
                    # other arguments are the request's (a catalog handed in is not), and
                    # a parameter none of them passes always holds its default
                    found[key] = self._passed_by_some_caller(key, function, params)
                elif handling:
                    # a function handed the request (or its ids or content) is handling
                    # it: what else it is passed is that request's input too, and what it
                    # reads from a request proxy it hands on
                    found[key] = params | set(function.params)
        proxies = self._proxies

        def carries(
            edge: CallEdge, carrying: set[str], position: int | str, sources: Sources
        ) -> bool:
            if any(
                source in carrying or (edge.module, source[1:]) in proxies for source in sources
            ):
                return True
            # the result of a function that returns request data (``remember(display_name())``)
            result_of = edge.call.arg_results.get(str(position))
            return (
                result_of is not None
                and not result_of.attrs
                and self.returns_request_data(edge.module, result_of.root)
            )

        return self._flow(found, carries)

    def _passed_by_some_caller(
        self, key: FunctionKey, function: Function, params: set[str]
    ) -> set[str]:
        """The parameters among ``params`` that some call of the function passes
        (``session_id`` in ``register(handle, callback, session_id=None)`` is request data
        by its name, but if no call hands it one, it is always None)."""
        edges = self.callers[key]
        return {
            param
            for param in params
            if any(edge.passes(param, function.params.index(param)) for edge in edges)
        }

    def returns_request_data(self, module: str, name: str) -> bool:
        """Whether the module-level ``name`` of ``module`` is a function of the project that
        returns what the current request sent (``current_username()`` returning
        ``session.get("user")``), itself or through another such function."""
        key = self._function_named(module, name)
        return key is not None and key in self._request_data_returners

    def _function_named(self, module: str, name: str) -> FunctionKey | None:
        target = self.project.resolve(module, Access(name))
        if target is None or target.kind != "function" or target.rest:
            return None
        return (target.module, target.name)

    @cached_property
    def _request_data_returners(self) -> frozenset[FunctionKey]:
        """Functions whose return value reads a request proxy (``flask.session``), directly
        or through the result of another such function (a worklist over those results)."""
        proxies = self._proxies
        found: set[FunctionKey] = set()
        returning_results_of: dict[FunctionKey, list[FunctionKey]] = defaultdict(list)
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                key = (module, qualname)
                for name in function.return_reads:
                    if (module, name) in proxies:
                        found.add(key)
                    elif (callee := self._function_named(module, name)) is not None:
                        returning_results_of[callee].append(key)
        queue = list(found)
        while queue:
            for caller in returning_results_of.get(queue.pop(), ()):
                if caller not in found:
                    found.add(caller)
                    queue.append(caller)
        return frozenset(found)

    def _request_proxy_names(self) -> set[tuple[str, str]]:
        """(module, name) pairs whose value is the current request's: request proxies
        (``flask.request``, a request parser) and holders of the task's context (a
        ``ContextVar``)."""
        found: set[tuple[str, str]] = set()
        entry_points = self.entry_points
        for module, record in self.project.modules.items():
            for name in (*record.facts.imports, *record.facts.bindings):
                if entry_points.is_request_proxy(module, name) or (
                    entry_points.holds_request_context(module, name)
                ):
                    found.add((module, name))
        return found

    def stores_request_data(self, module: str, site: WriteSite) -> bool:
        """Whether the stored value (or the key it is stored under) is request data."""
        carrying = self.request_data_params.get((module, site.function), frozenset())
        if not carrying.isdisjoint(site.value_sources) or site.chosen_by_user:
            return True
        if site.value_reads_own_request:
            return True  # `self.request.user.email` in a view built for one request
        keyed = site.key.kind == "dynamic" or any(k.kind == "dynamic" for k in site.target.keys)
        if keyed and site.value_sources and not carrying.isdisjoint(site.key_sources):
            return True  # `CACHE[request.path] = response`: a result stored per request key
        proxies = self._proxies
        if any((module, name) in proxies for name in site.value_imports):
            return True
        if site.value_result_of is not None and self._is_user_input(module, site.value_result_of):
            return True  # `prompt = st.chat_input()` in a function of a Streamlit script
        return bool(self.request_data_results(module, site))

    def _is_user_input(self, module: str, callee: Access) -> bool:
        """A call returning what one user typed or chose (the models' ``user-input-calls``)."""
        inputs = self.project.config.models.values("user-input-calls")
        return self.project.callee_name(module, callee) in inputs

    def request_data_results(self, module: str, site: WriteSite) -> list[str]:
        """The functions returning request data whose results the stored value is computed
        from (``name = current_username(); LAST["name"] = name``)."""
        names = (*site.value_imports, *site.value_functions)
        return [name for name in names if self.returns_request_data(module, name)]

    @cached_property
    def _proxies(self) -> set[tuple[str, str]]:
        return self._request_proxy_names()

    # ---- who is asking -----------------------------------------------------------------------

    @cached_property
    def user_data_params(self) -> dict[FunctionKey, frozenset[str]]:
        """Parameters whose value depends on who is asking (a user, their id, or something
        computed from them, such as a list filtered by their permissions), across calls."""
        found: dict[FunctionKey, set[str]] = {}
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                params = set(function.identity_params) | (
                    set(function.params) & USER_IDENTITY_NAMES
                )
                if params:
                    found[(module, qualname)] = params

        def carries(
            edge: CallEdge, carrying: set[str], position: int | str, sources: Sources
        ) -> bool:
            asked = position in edge.user_args or position in edge.user_keywords
            return asked or not carrying.isdisjoint(sources)

        for edge in self.edges:
            if edge.user_args or edge.user_keywords:
                self._feed(edge, set(), found, carries)
        return self._flow(found, carries)

    def _flow(
        self, found: dict[FunctionKey, set[str]], carries: ArgumentCarries
    ) -> dict[FunctionKey, frozenset[str]]:
        """Follow what parameters carry along call edges to a fixed point (a per-function
        summary: which of its parameters receive the data from some caller)."""
        queue = list(found)
        queued = set(queue)
        while queue:
            caller = queue.pop()
            queued.discard(caller)
            carrying = found.get(caller, set())
            for edge in self.callees.get(caller, ()):
                if self._feed(edge, carrying, found, carries) and edge.callee not in queued:
                    queue.append(edge.callee)
                    queued.add(edge.callee)
        return {key: frozenset(params) for key, params in found.items()}

    def _feed(
        self,
        edge: CallEdge,
        carrying: set[str],
        found: dict[FunctionKey, set[str]],
        carries: ArgumentCarries,
    ) -> bool:
        """Mark the callee's parameters this call feeds the data; True if any is new."""
        function = self.project.function(*edge.callee)
        if function is None:
            return False
        fed = {
            function.params[index]
            for index, sources in enumerate(edge.arg_sources)
            if index < len(function.params) and carries(edge, carrying, index, sources)
        }
        for keyword, sources in edge.keyword_sources:
            receiver = keyword if keyword in function.params else function.keywords_param
            if receiver and carries(edge, carrying, keyword, sources):
                fed.add(receiver)
        known = found.setdefault(edge.callee, set())
        new = fed - known
        known |= new
        return bool(new)

    @cached_property
    def _attributes_made_for_user(self) -> frozenset[tuple[str, str, str]]:
        """(module, class, attribute) that a class keeps on ``self`` from a call given who
        is asking: ``self.redis = get_redis_client(tenant_id=tenant_id)``."""
        found: set[tuple[str, str, str]] = set()
        for module, record in self.project.modules.items():
            for site in record.facts.writes:
                if (
                    site.self_class is not None
                    and site.operation == "setattr"
                    and len(site.target.attrs) == 1
                    and site.value_call is not None
                    and self.depends_on_user(module, site)
                ):
                    found.add((module, site.self_class, site.target.attrs[0]))
        return frozenset(found)

    def made_for_user(self, module: str, class_name: str, attribute: str) -> bool:
        """Whether ``self.attribute`` of the class (or a project base class) is built for the
        user who asks: a client that prefixes every key with their tenant is theirs alone."""
        made = self._attributes_made_for_user
        return any(
            (owner, class_facts.name, attribute) in made
            for owner, class_facts, _ in self.project._hierarchy(module, class_name)
        )

    def depends_on_user(self, module: str, site: WriteSite) -> bool:
        """Whether the stored value depends on who is asking."""
        if site.value_user:
            return True
        if self.reads_caller_state(module, site.value_imports):
            return True
        params = self.user_data_params.get((module, site.function), frozenset())
        if not params.isdisjoint(site.value_sources):
            return True
        return bool(site.value_sources) and any(
            self._reads_who_asks(module, name) for name in site.value_functions
        )

    def reads_caller_state(self, module: str, names: Sequence[str]) -> bool:
        """The value reads the asking user's own state through a framework global (the
        models' ``caller-state-globals``: Flask's ``session``, Streamlit's
        ``session_state``): what it holds is theirs."""
        caller_state = self.project.config.models.values("caller-state-globals")
        return bool(caller_state) and any(
            self.project.callee_name(module, Access(name)) in caller_state for name in names
        )

    def _reads_who_asks(self, module: str, name: str) -> bool:
        """``context = friends_of(request)``: a project function that reads who is asking
        from what it is handed (``request.user``), so its result is that user's."""
        target = self.project.resolve(module, Access(name))
        if target is None or target.kind != "function" or target.rest:
            return False
        function = self.project.function(target.module, target.name)
        return function is not None and (function.reads_caller or function.returns_user_scoped)
