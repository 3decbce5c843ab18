"""The facts one pass over a module extracts: plain, path-independent, JSON-serialisable data.

A ``ModuleFacts`` depends only on a file's bytes and the analysis options, so it is cached by
content hash. Rules never see syntax trees: they read these facts, together with the facts of
the modules they import (see ``isolint.project``).
"""

from __future__ import annotations

import dataclasses
import operator
import re
import sys
import types
import typing
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Any, TypeVar

# A module may define one name more than once: a file pasted twice, a fallback under `try` or
# `if`. Each definition keeps facts of its own, so the second and later ones (functions,
# methods, classes) are keyed ``REDEFINITION.format(n) + qualname``, n counting from 2; every
# fact that names its function or class (writes, calls, defaults) uses that key. The prefix
# leaves the last dotted part, the function's own name, as it is; ``public_name`` takes it
# off for whatever a user reads.
REDEFINITION = "\x1f{}\x1f"
_REDEFINITION_PREFIX = re.compile("\x1f[0-9]+\x1f")


def redefinition_key(qualname: str, n: int) -> str:
    """The key of the n-th definition (n >= 2) of ``qualname`` in its module."""
    return REDEFINITION.format(n) + qualname


def public_name(key: str) -> str:
    """The qualified name as written in the code, for a key or any text holding keys."""
    return _REDEFINITION_PREFIX.sub("", key) if "\x1f" in key else key


@dataclass(slots=True)
class Span:
    """Where a fact sits: 1-based lines and columns, end exclusive (as ruff reports them).

    The pass records only ``node``, the pre-order number of the node in the module's tree;
    ``line`` stays 0 until ``isolint.analysis.positions`` resolves it (for the few modules
    that have something to report).
    """

    line: int
    column: int
    end_line: int
    end_column: int
    node: int = -1

    @property
    def resolved(self) -> bool:
        return self.line > 0


@dataclass(slots=True)
class Key:
    """The key of a subscript or keyed method call, classified once by the pass.

    kind: ``none`` (no key), ``const`` (literal or UPPER_CASE constant), ``user`` (mentions a
    user-key pattern, so the store is per user), ``dynamic`` (anything else: a path, a run id).
    """

    kind: str
    text: str = ""


@dataclass(slots=True)
class Access:
    """An expression such as ``state.CACHE["a"]``: a root name, attributes, then subscripts."""

    root: str
    attrs: list[str] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)

    def text(self) -> str:
        dotted = ".".join([self.root, *self.attrs])
        return dotted + "".join(f"[{key.text}]" for key in self.keys)

    def is_application_state(self) -> bool:
        """``app.state.x``, ``self.app.state.x``, ``request.app.state.x``, Sanic's
        ``app.ctx.x``: the application's own state, which lives as long as the process
        whoever reaches the app."""
        parts = [self.root, *self.attrs]
        return any(
            _names_an_app(part) and parts[index + 1] in ("state", "ctx")
            for index, part in enumerate(parts[:-2])
        )

    def application_state_name(self) -> str:
        """``ccat`` of ``request.app.state.ccat`` (or ``app.state.ccat``): the name an
        object is kept under on the application's state, when the access is exactly that."""
        parts = [self.root, *self.attrs]
        if self.keys or len(parts) < 3 or not self.is_application_state():
            return ""
        if not _names_an_app(parts[-3]) or parts[-2] not in ("state", "ctx"):
            return ""
        return parts[-1]

    def kept_on_application_state(self) -> tuple[str, list[str]]:
        """``("ccat", ["rabbit_hole", "ingest"])`` for ``request.app.state.ccat.rabbit_hole
        .ingest``: the name of what the application keeps that the access goes through, and
        the attributes after it; ``("", [])`` when it goes through none."""
        if self.keys or not self.is_application_state():
            return "", []
        for cut in range(len(self.attrs), 0, -1):
            kept_as = Access(self.root, self.attrs[:cut]).application_state_name()
            if kept_as:
                return kept_as, self.attrs[cut:]
        return "", []

    def is_request_app(self) -> bool:
        """``request.app``: the application a request came to (aiohttp's is a mapping its
        handlers may write, ``request.app[key] = value``)."""
        return self.root in ("request", "req") and self.attrs == ["app"]


def _names_an_app(name: str) -> bool:
    return name in ("app", "application") or name.endswith("_app")


@dataclass(slots=True)
class NameRead:
    """A read of ``name`` at ``span``."""

    name: str
    span: Span


@dataclass(slots=True)
class DecoratorUse:
    """A decorator as written: ``router.get`` for ``@router.get("/x")``; ``first_arg`` is its
    first argument when that is a string (``"startup"`` in ``@app.on_event("startup")``)."""

    callee: Access
    first_arg: str = ""
    # the keyword arguments it is called with (``make_cache_key`` in ``@cache.cached(...)``)
    keywords: list[str] = field(default_factory=list)
    # those given a string literal (``key_prefix="home"``: a fixed text, not a callable)
    text_keywords: list[str] = field(default_factory=list)
    span: Span | None = None


@dataclass(slots=True)
class Function:
    """A def or async def; ``owner`` is the outermost def containing it (for import time)."""

    qualname: str
    name: str
    owner: str
    class_name: str | None
    is_async: bool
    is_entry: bool
    span: Span
    decorator_names: list[str] = field(default_factory=list)
    # an ``async def`` whose ``while True:`` (or ``while self.running:``) loop awaits
    # ``queue.get()``: a worker that serves item after item, whoever put them there, for as
    # long as it runs; not one request's piece of work
    queue_worker: bool = False
    # a decorator's wrapper: a nested function its definer returns, taking ``*args`` or
    # ``**kwargs``; it runs in place of the decorated function
    stands_in: bool = False
    # what it takes the next item out of (``await ccat.ws_messages.get()``:
    # ``ccat.ws_messages``)
    takes_from: list[str] = field(default_factory=list)
    # only an administrator may call it (``dependencies=[Depends(verify_admin_key)]``,
    # ``user=Depends(get_admin_user)``, ``@staff_member_required``): what it writes for
    # everyone is configuration, set by the one who runs the service
    admin_only: bool = False
    cache_decorator: Span | None = None
    # names from outside the function that a cached function reads (the first read of each):
    # what they hold is baked into the cached result but not into its key
    cached_reads: list[NameRead] = field(default_factory=list)
    request_params: list[str] = field(default_factory=list)
    scalar_params: list[str] = field(default_factory=list)
    returns_calls: list[Access] = field(default_factory=list)
    reads_request_state: bool = False
    decorators: list[DecoratorUse] = field(default_factory=list)
    # every parameter but self/cls, in order, and the type each one is annotated with
    params: list[str] = field(default_factory=list)
    # the ``**kwargs`` parameter, which receives every keyword no other parameter names
    keywords_param: str = ""
    param_types: dict[str, Access] = field(default_factory=dict)
    # what the function returns when it is a bare name (``return _instance``)
    returns_names: list[str] = field(default_factory=list)
    # module-level names the function reads (to find request globals such as flask.request)
    reads_globals: list[str] = field(default_factory=list)
    # the parameters its return values are computed from, and whether one reads the user
    return_sources: list[str] = field(default_factory=list)
    # module-level names its return values (other than numbers and flags) are computed
    # from: imports, objects built at import time and the module's own functions
    # (``return session.get("user")``, ``return current_username()``)
    return_reads: list[str] = field(default_factory=list)
    returns_user_scoped: bool = False
    # parameters the function reads a user's or request's id from (``context.user_id``):
    # objects carrying a request's identity
    identity_params: list[str] = field(default_factory=list)
    # parameters with a default other than ``None`` (``db=config.get("REDIS_DB", 0)``): a
    # value, not an object each caller must hand in (such as a database session)
    valued_defaults: list[str] = field(default_factory=list)
    # parameters the function replaces with a fresh id when a caller leaves them out
    # (``task_id = task_id or str(uuid4())``)
    fresh_defaults: list[str] = field(default_factory=list)
    # the one class its return annotation names (``-> Optional[OAuthProvider]``)
    return_type: Access | None = None
    # it reads who is asking from its parameters: ``request.user``, ``info.context.user``,
    # ``request.session``, ``request.cookies`` or a credential header (``"authorization"``)
    reads_caller: bool = False
    # the provider of each parameter a framework fills by dependency injection
    # (``conda_store=Depends(get_conda_store)``): the parameter holds what it returns
    dependency_providers: dict[str, Access] = field(default_factory=dict)
    # the names of the request's state it returns (``return request.state.conda_store``)
    returns_request_state: list[str] = field(default_factory=list)
    # the attributes of its own object it returns (``return self._settings``)
    returns_self_attributes: list[str] = field(default_factory=list)
    # methods of its own class it hands to a method call, by the call's dotted name
    # (``app.server.add_url_rule`` -> ``["login"]`` for ``view_func=self.login``): the
    # program decides which calls register request handlers
    hands_own_methods: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class WriteSite:
    """A statement in function scope that may write long-lived state.

    ``operation`` is one of ``setitem``, ``delitem``, ``augitem``, ``setattr``, ``delattr``,
    ``augattr``, ``rebind`` (through ``global``) or ``call:<method>`` (a mutating method).
    ``target`` is what is written; for ``self`` writes its root is the method's first
    parameter and ``self_class`` names the class.
    """

    target: Access
    operation: str
    key: Key
    span: Span
    function: str
    value_from_param: bool = False
    value_call: Access | None = None
    value_is_call_of_call: bool = False
    # the arguments that call passes a value for (``expressions.passed_arguments``)
    value_call_passes: list[str] = field(default_factory=list)
    self_class: str | None = None
    # the annotated class of the parameter the target is an attribute of (``svc.user = u``
    # with ``svc: Service``): the object a caller handed in, written from outside its class
    receiver_type: Access | None = None
    # ... or the unannotated parameter it is an attribute of, typed by what callers pass
    receiver_param: str = ""
    after_await_check: bool = False
    lazy_init_guard: bool = False
    # the parameters the tests of the enclosing ``if`` statements are computed from (a
    # global rebuilt when they change, ``if _params != (api_key, url):``, is keyed by them)
    guard_sources: list[str] = field(default_factory=list)
    is_container: bool = False
    memoized: bool = False
    augmented: bool = False
    under_lock: bool = False
    # ``obj.x = saved`` where the function took ``saved = obj.x`` before, with no ``await``
    # or ``yield`` between: it puts back the value it found (a temporary override)
    restores_saved: bool = False
    # in an ``async def``: the function reads the written global back only after this
    # write and before it next suspends (``DATA["word"] = text; post(json=DATA)``), so no
    # other task on the event loop sees the value it wrote
    read_back_at_once: bool = False
    # the value is an entry of module-level constant tables (``scheme["sample"]`` after
    # ``scheme = PERSON_NAME_SCHEMES[event.settings.name_scheme]``): their names
    value_tables: list[str] = field(default_factory=list)
    value_sources: list[str] = field(default_factory=list)
    key_sources: list[str] = field(default_factory=list)
    # the function the key is the result of (``key = self._endpoint_key(flow); d[key] = v``)
    key_call: Access | None = None
    # the class of the instance stored, when the value is ``Cls(...)`` or a local holding one
    value_class: Access | None = None
    # the call whose result the stored local holds (``prompt = st.chat_input()``, then
    # ``prompt`` stored): for the calls whose result is request data (the models'
    # ``user-input-calls``)
    value_result_of: Access | None = None
    # the value when it is a bare name (``self.db = db_session``)
    value_name: str = ""
    # what kind of value is stored: "number" (counts, timings), "bool", "" (anything else)
    value_kind: str = ""
    # module-level imports the stored value is computed from (``flask.request``)
    value_imports: list[str] = field(default_factory=list)
    # names of the module's own functions whose results the stored value is computed from
    # (``name = current_username(); LAST["name"] = name``)
    value_functions: list[str] = field(default_factory=list)
    # the stored value depends on who asked (it reads ``request.user``, a user id, ...)
    value_user: bool = False
    # ... and reads them itself, not only through locals computed from them (``request.user``
    # stored, not a project fetched with the user as its access filter)
    value_names_user: bool = False
    # ... or holds them, or something of theirs, as a part (``{"owner": request.user.name}``,
    # a response built from it), not only as the filter a thing was looked up with
    value_carries_user: bool = False
    # the write sits under an ``if`` that tests its target (``if tools: tools[-1] = x``):
    # an empty default never reaches it
    guarded_by_truth: bool = False
    # ``if key not in CACHE: CACHE[key] = value``: fills an absent entry, once per key
    fills_absent: bool = False
    # the stored value is only an identifier (``run.id``, ``run.id if run else None``)
    value_id: bool = False
    # ... and names whose it is: it matches the user-key patterns (``tenant_id``, ``user.id``)
    value_owner: bool = False
    # written under an ``if`` (any test): a request the test turns away leaves it as it was
    conditional: bool = False
    # written by a handler a function defines, into that function's local or parameter
    # (``def create_app(agent): @app.post(...) def chat(q): agent.history.append(q)``): the
    # function (``captured_in``), what it holds (a container's type, "instance" or "parameter"),
    # its class when known, where it is made, and the function's other handlers that load it
    captured_in: str = ""
    captured_as: str = ""
    captured_class: Access | None = None
    captured_span: Span | None = None
    captured_readers: list[str] = field(default_factory=list)
    # written under an ``if`` that tests who is asking (``if request.user.is_superuser:``):
    # even a constant value tells the next reader what the last user was allowed
    chosen_by_user: bool = False
    # the value is what the rest of the application answered this caller (``await
    # call_next(request)`` in a middleware, directly or through locals)
    answers_caller: bool = False
    # the value reads the request the object was built for (``self.request.user.email`` in
    # a class-based view)
    value_reads_own_request: bool = False
    # written through a local holding a fresh instance (``r = Request(); r.headers[k] = v``),
    # the target rebased onto its class: a class-body container is shared by every instance
    through_new_instance: bool = False
    # the written object is what a call returned (``history = get_history();
    # history.append(x)``, ``get_history().append(x)``): ``target`` names the function
    returned_by_call: bool = False
    # ... and the attributes of that object written (``api = Api.get_instance(app);
    # api.client.headers = h``: ``["client", "headers"]``, with ``target`` the getter)
    returned_attrs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CallSite:
    """A call (or decorator use) whose callee may be a project function or method."""

    callee: Access
    at_import_time: bool
    function: str | None = None
    self_class: str | None = None
    # the class whose body makes the call (``users = UserField()`` declared on a form)
    in_class_body: str = ""
    # ``result_method`` is called on the result directly (``app.app_context().push()``),
    # not on a local holding it, so nothing keeps the result to undo the call later
    chained_result: bool = False
    span: Span | None = None
    # positional arguments that are names or attribute chains (None for anything else)
    args: list[Access | None] = field(default_factory=list)
    # keyword arguments that are names or attribute chains (``fn=respond``)
    keyword_args: dict[str, Access] = field(default_factory=dict)
    # how many positional arguments, and the keyword names, the call passes (-1: a *args)
    positional: int = 0
    keywords: list[str] = field(default_factory=list)
    # what each argument is computed from: the caller's parameters, and ``@name`` for a
    # module-level import it reads (``@request`` for flask's request proxy)
    arg_sources: list[list[str]] = field(default_factory=list)
    keyword_sources: dict[str, list[str]] = field(default_factory=dict)
    # set when the call is ``callee().result_method(...)``: a method of what callee returns
    result_method: str = ""
    # a method of a local that holds an element of this container (``agent =
    # self.agents[0]; agent.achat(...)``); ``element_class`` is the class when it is on self
    element_of: Access | None = None
    element_class: str | None = None
    # the function whose parameter the receiver is, when not the calling function itself
    # (a handler calling a method of what its app factory was handed)
    receiver_scope: str = ""
    # arguments (by position as a string, or keyword) that are a new instance of a class,
    # or one function's result, directly or through a local: the class / the function
    arg_instances: dict[str, Access] = field(default_factory=dict)
    arg_results: dict[str, Access] = field(default_factory=dict)
    # positional argument indexes and keyword names whose value depends on who is asking
    user_args: list[int] = field(default_factory=list)
    user_keywords: list[str] = field(default_factory=list)
    # of those, the ones that depend on the request only through a fresh id (``uuid4()``,
    # ``secrets.token_hex()``): unique to the request, but not who is asking
    fresh_args: list[str] = field(default_factory=list)
    # written at module level but not run when the module is imported into a server: under
    # ``if __name__ == "__main__":`` (a script's body) or in a lambda (run when called)
    deferred: bool = False
    # made under an ``if`` in its function: a request the test turns away does not make it
    conditional: bool = False
    # made by a runner the call hands the callable to (``asyncio.to_thread(fn, x)``: ``fn(x)``)
    handed: bool = False
    # the position of a ``*rest`` argument (``self.model.set_key(*args)``): its sources are
    # recorded at that position, for the parameter there; nothing is known of later ones
    star_at: int = -1


@dataclass(slots=True)
class Binding:
    """A name bound at module level, or an attribute bound in a class body.

    kind: ``container`` (list/dict/set/... literal or constructor), ``call`` (the result of
    another call: resolved later to a class instance, session, engine, factory, ...),
    ``constant`` (anything else never reassigned), ``threading_local``.
    """

    name: str
    kind: str
    span: Span
    type_name: str = ""
    callee: Access | None = None
    call_of_call: bool = False
    # for a ``call``: the names its arguments read (``chain = Chain(llm, memory=memory)``)
    arguments: list[str] = field(default_factory=list)
    # ... and the arguments it passes a value for (``expressions.passed_arguments``)
    passes: list[str] = field(default_factory=list)
    # ... and, by position (as a string) or keyword, the callees of the arguments that are
    # calls (``Repo(SessionLocal())``: ``{"0": SessionLocal}``)
    argument_calls: dict[str, Access] = field(default_factory=dict)
    # ... and the keywords it hands a new mutable container (``Field(render_kw={})``): made
    # once, with the binding, and kept by what the call builds
    container_keywords: list[str] = field(default_factory=list)
    # bound under ``if __name__ == "__main__":``: a global only when the module runs as a
    # script (which may start the server: a Gradio app built and launched there)
    in_main_guard: bool = False


@dataclass(slots=True)
class ClassFacts:
    name: str
    span: Span
    bases: list[Access] = field(default_factory=list)
    is_dsl: bool = False
    attributes: dict[str, Binding] = field(default_factory=dict)
    init_attributes: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    is_singleton: bool = False
    # its ``__new__`` keeps the instance on the class (``cls._instance = ...``) and hands it
    # out again: ``__init__`` then runs anew on that one instance at every construction
    new_keeps_instance: bool = False
    container_attributes: list[str] = field(default_factory=list)
    # ``class Session(metaclass=Singleton)``
    metaclass: Access | None = None
    # the class's decorators, as called (``@singleton`` -> ``singleton``)
    decorators: list[Access] = field(default_factory=list)


@dataclass(slots=True)
class ImportRef:
    """``module`` is absolute after resolution; ``level`` > 0 marks a relative import."""

    module: str
    name: str | None
    level: int = 0
    span: Span | None = None


@dataclass(slots=True)
class LegacyUse:
    """A reference to a legacy shared-state class; context says which ISO2xx rule applies."""

    context: str
    name: str
    span: Span


@dataclass(slots=True)
class MutableDefault:
    """A parameter with a mutable default that its function mutates or stores."""

    function: str
    parameter: str
    how: str
    span: Span
    # the attribute it is kept in (``self.items = items``), for "stores it"
    stored_as: str = ""
    class_name: str = ""
    # its position among the positional parameters, self included (-1: keyword-only)
    index: int = -1


@dataclass(slots=True)
class ContextVarDefault:
    name: str
    default: str
    span: Span
    # the module-level name it is bound to (``request_ctx = ContextVar(...)``)
    variable: str = ""


@dataclass(slots=True)
class AsyncUse:
    """A module-level name read inside ``async def`` code, or a possible thread local read
    in a synchronous function (for ISO501)."""

    root: str
    span: Span
    through_class: str | None = None
    # a use in a synchronous function (its qualname): a thread local read there is shared by
    # tasks too when async code calls that function
    sync_function: str = ""


@dataclass(slots=True)
class Suppression:
    """``# isolint: ignore[...]`` (kind ``ignore``) or ``# isolint: fixme[...]`` (known debt).

    ``column``/``end_column`` (1-based) span the directive within its comment.
    """

    line: int
    codes: list[str]
    reason: str = ""
    kind: str = "ignore"
    column: int = 1
    end_column: int = 1


@dataclass(slots=True)
class ModuleFacts:
    """Everything the rules need to know about one module."""

    bindings: dict[str, Binding] = field(default_factory=dict)
    rebindings: list[Binding] = field(default_factory=list)
    imports: dict[str, ImportRef] = field(default_factory=dict)
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    writes: list[WriteSite] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    async_uses: list[AsyncUse] = field(default_factory=list)
    # what code puts on each request's state (``request.state.conda_store = self.store``
    # in a middleware), by the function that does: name -> (function, the value stored)
    request_state_stores: list[tuple[str, str, Access]] = field(default_factory=list)
    legacy_uses: list[LegacyUse] = field(default_factory=list)
    mutable_defaults: list[MutableDefault] = field(default_factory=list)
    contextvar_defaults: list[ContextVarDefault] = field(default_factory=list)
    # names X whose ``X.get()`` result is mutated in place here (a shared ContextVar default)
    contextvar_mutations: list[str] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    # every name the module's code loads, beside the attribute names in `attribute_reads`:
    # together, what it refers to
    loaded_names: list[str] = field(default_factory=list)
    # attribute name -> the functions reading it (their qualnames; "" outside a function).
    # Storing into it, or calling a writing method on it (`self.errors.append(e)`), is no read.
    attribute_reads: dict[str, list[str]] = field(default_factory=dict)
    # every module an import statement names, anywhere in the module (``import a.b`` as
    # ``a.b``; ``from .x import y`` as ``.x`` with ``y``, which may be a module): who imports it
    imported: list[ImportRef] = field(default_factory=list)
    # it does work when run: a ``__main__`` guard, or calls as statements at its top level
    # (``agent.start("...")``, ``asyncio.run(main())``)
    runs_as_script: bool = False
    skip_file: bool = False
    error: str | None = None
    error_span: Span | None = None


FACT_CLASSES: tuple[type, ...] = (
    Span,
    Key,
    Access,
    NameRead,
    DecoratorUse,
    Function,
    WriteSite,
    CallSite,
    Binding,
    ClassFacts,
    ImportRef,
    LegacyUse,
    MutableDefault,
    ContextVarDefault,
    AsyncUse,
    Suppression,
    ModuleFacts,
)


def schema_fingerprint() -> str:
    """A digest of every facts class's fields: the cache folder changes when they do."""
    import hashlib

    described = [
        f"{cls.__name__}:{','.join(f'{f.name}={f.type}' for f in dataclasses.fields(cls))}"
        for cls in FACT_CLASSES
    ]
    return hashlib.sha256(";".join(described).encode()).hexdigest()[:8]


# --- pickling ------------------------------------------------------------------------------
# Workers send each module's facts back to the main process by pickle: hundreds of thousands
# of small objects for a large project. By default a slotted dataclass pickles as a dict of
# its field names per object; as the tuple of its field values it takes half the bytes and
# less than half the time to load, and the loading competes with the workers for the cores.


def _by_field_values(kind: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """The ``__reduce__`` of one facts class: its field values read by one C-level getter
    (the pickling runs once per object, hundreds of thousands of times)."""
    names = [f.name for f in dataclasses.fields(kind)]
    values = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda fact: (kind, (values(fact),))
    return lambda fact: (kind, values(fact))


for _kind in FACT_CLASSES:
    _kind.__reduce__ = _by_field_values(_kind)  # type: ignore[method-assign,assignment]


# --- JSON codec -------------------------------------------------------------------------
# The cache must never execute anything it reads, so facts travel as JSON, not pickle. A
# dataclass is written as the list of its field values, in field order (the schema
# fingerprint in the cache folder's name changes when the fields do), and read back by a
# decoder compiled once per type.

T = TypeVar("T")
_Decoder = Callable[[Any], Any]


def to_json(value: Any) -> Any:
    """A facts dataclass as JSON data: written by an encoder compiled once per type from the
    field annotations, so values that are already JSON (names, lines, lists of names) are
    passed through without being looked at."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encoder(type(value))(value)
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


def from_json(cls: type[T], data: Any) -> T:
    """Facts from ``to_json`` output; ValueError or TypeError when the shape is wrong."""
    return typing.cast(T, _decoder(cls)(data))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_DECODERS: dict[Any, _Decoder] = {}
_ENCODERS: dict[Any, _Decoder] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _identity(data: Any) -> Any:
    return data


def _decoder(kind: Any) -> _Decoder:
    known = _DECODERS.get(kind)
    if known is None:
        known = _DECODERS[kind] = _build_decoder(kind)
    return known


def _encoder(kind: Any) -> _Decoder:
    known = _ENCODERS.get(kind)
    if known is None:
        known = _ENCODERS[kind] = _build_encoder(kind)
    return known


def _build_encoder(kind: Any) -> _Decoder:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        encode_inner = _encoder(inner)
        if encode_inner is _identity:
            return _identity
        return lambda value: None if value is None else encode_inner(value)
    if origin is list:
        encode_item = _encoder(typing.get_args(kind)[0])
        if encode_item is _identity:
            return _identity
        return lambda value: [encode_item(element) for element in value]
    if origin is dict:
        encode_value = _encoder(typing.get_args(kind)[1])
        if encode_value is _identity:
            return _identity
        return lambda value: {key: encode_value(item) for key, item in value.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass_encoder(kind)
    if kind in (str, int, bool, float, type(None)):
        return _identity
    return to_json  # anything else (``Any``): looked at value by value


def _dataclass_encoder(cls: type) -> _Decoder:
    hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
    fields = [(name, _encoder(hints[name])) for name in _field_names(cls)]
    plain = tuple(name for name, encode in fields if encode is _identity)
    if len(plain) == len(fields) > 1:
        read_all = operator.attrgetter(*plain)  # one C call for the whole row
        return lambda value: list(read_all(value))
    return lambda value: [encode(getattr(value, name)) for name, encode in fields]


def _build_decoder(kind: Any) -> _Decoder:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        decode_inner = _decoder(inner)
        return lambda data: None if data is None else decode_inner(data)
    if origin is list:
        (item,) = typing.get_args(kind)
        decode_item = _decoder(item)
        if decode_item is _identity:
            return list
        return lambda data: [decode_item(element) for element in data]
    if origin is dict:
        _, item = typing.get_args(kind)
        decode_value = _decoder(item)
        return lambda data: {key: decode_value(value) for key, value in data.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass_decoder(kind)
    return _identity


def _dataclass_decoder(cls: type) -> _Decoder:
    hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
    decoders = [_decoder(hints[name]) for name in _field_names(cls)]
    count = len(decoders)

    def decode(data: Any) -> Any:
        if not isinstance(data, list) or len(data) != count:
            raise ValueError(f"{cls.__name__}: expected a list of {count} fields")
        return cls(
            *[decode_field(value) for decode_field, value in zip(decoders, data, strict=True)]
        )

    return decode


# --- questions about a fact -----------------------------------------------------------------


def only_a_protocol(class_facts: ClassFacts, dsl_bases: Set[str]) -> bool:
    """A ``typing.Protocol`` (declarative only because it derives from ``Protocol``): a
    class that names it as a base implements it, and is an ordinary class."""
    names = [(base.attrs or [base.root])[-1] for base in class_facts.bases]
    return "Protocol" in names and not any(
        name in dsl_bases and name != "Protocol" for name in names
    )
