"""One pass over one module: bindings, scopes, writes and uses, turned into ``ModuleFacts``.

This is the hot path of ``isolint check``. It walks the libcst tree exactly once (with the
fast walk of ``isolint.analysis.walk``) and keeps its own scope frames (a pyflakes-style
binding analysis) instead of libcst's ScopeProvider and QualifiedNameProvider, which cost
several times the parse itself. Facts point at their nodes by pre-order number; line and
column are computed later, only for modules that have something to report.

Names are resolved the way Python does: a name bound anywhere in a function is local to it
unless declared ``global``. Sites whose root name is not local are handed to the enclosing
function, then to the module, where they stay as references the project index resolves.
"""

from __future__ import annotations

import builtins
import io
import itertools
import re
import tokenize
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple, TypeVar

import libcst as cst

from isolint.analysis import expressions as ex
from isolint.analysis.facts import (
    Access,
    AsyncUse,
    Binding,
    CallSite,
    ClassFacts,
    ContextVarDefault,
    DecoratorUse,
    Function,
    ImportRef,
    Key,
    LegacyUse,
    ModuleFacts,
    MutableDefault,
    NameRead,
    Span,
    Suppression,
    WriteSite,
    only_a_protocol,
    redefinition_key,
)
from isolint.analysis.walk import children, walk
from isolint.config import FRESH_ID_CALLS

# Parameters that carry a request: the request objects themselves, and the ids of who and
# what the request is about (ids go into cache keys, objects do not: see ISO403).
REQUEST_ID_PARAMETERS = frozenset(
    {
        "user_id",
        "token",
        "access_token",
        "thread_id",
        "run_id",
        "request_id",
        "session_id",
        "conversation_id",
        "chat_id",
        "tenant_id",
        "account_id",
    }
)
_REQUEST_PARAM_NAMES = REQUEST_ID_PARAMETERS | {
    "request",
    "req",
    "user",
    "session",
    "websocket",
    "ws",
    "current_user",
    "cookies",
    "headers",
}
_REQUEST_ANNOTATIONS = frozenset(
    {"Request", "WebSocket", "HttpRequest", "Session", "AsyncSession", "User"}
)
# functools' caches, and Streamlit's caches shared by every session of the app
_CACHE_DECORATORS = frozenset(
    {
        "lru_cache",
        "cache",
        "cache_resource",
        "cache_data",
        "experimental_singleton",
        "experimental_memo",
    }
)
# Caches of other libraries, by a name common enough that a project's own decorator may have
# it (`def cached(prefix)`): counted only when imported from these packages.
_LIBRARY_CACHE_DECORATORS = frozenset({"cached", "ttl_cache", "lru_cache", "alru_cache"})
_CACHE_LIBRARIES = ("cachetools", "asyncache", "async_lru", "aiocache")
_BUILTINS = frozenset(dir(builtins))
# Methods that put what they are passed into the container they are called on.
_FILLING_METHODS = frozenset(
    {"append", "add", "insert", "appendleft", "extend", "extendleft", "update", "setdefault"}
)
# Methods that keep the object passed to them (``update``/``extend`` copy its items instead).
_STORING_METHODS = frozenset({"append", "add", "insert", "appendleft", "setdefault", "__setitem__"})
# Names of the asking user's identity: a value reading one depends on who asked.
# (A user's own connection counts: what is sent down it reaches that user.)
# (The user's credentials count too: what is fetched with them is what that user may see.)
USER_IDENTITY_NAMES = frozenset(
    {
        "user",
        "current_user",
        "actor",
        "requester",
        "user_id",
        "owner",
        "websocket",
        "ws",
        "cookies",
        "credentials",
        "token",
        "access_token",
    }
)
# Names of the asking user's credentials (the subset of the identity names a key built for
# them is made from: `_hash(token.token)` partitions a cache by access token).
CREDENTIAL_NAMES = frozenset({"token", "access_token", "credentials"})
# Writes into a key-value store and the index of the value argument (the key comes first).
_STORE_WRITES = {
    "set": 1,
    "setex": 2,
    "psetex": 2,
    "setnx": 1,
    "hset": 2,
    "lpush": 1,
    "rpush": 1,
    "sadd": 1,
    "zadd": 1,
    "get_or_set": 1,
}
# Handing an item to a queue (`queue.Queue`, `asyncio.Queue`): whoever takes next gets it.
_QUEUE_PUTS = frozenset({"put", "put_nowait"})
_QUEUE_TAKES = frozenset({"get", "get_nowait"})
# A set's element is its own key: `ADMINS.add(user_id)` keeps one entry per user.
_SET_ELEMENT_METHODS = frozenset({"add", "discard"})
_INIT_METHODS = frozenset({"__init__", "__post_init__", "__new__", "setUp", "setup", "__enter__"})
_SINGLETON_ATTRIBUTE = re.compile(r"^_*instance$")
# Another tool's comment (a ``noqa``, say) may follow a directive; a reason ends there.
_SUPPRESSION = re.compile(
    r"(?P<directive>#\s*isolint:\s*(?P<kind>ignore|fixme|skip-file)"
    r"(?:\[(?P<codes>\s*ISO\d*\s*(?:,\s*ISO\d*\s*)*)\])?"
    r"(?:\s*--\s*(?P<reason>[^#]*?))?)"
    r"\s*(?:#.*)?$"
)
# Where each directive of a comment starts (one comment may hold several, and other tools').
_DIRECTIVE_START = re.compile(r"#\s*isolint:")


@dataclass(frozen=True)
class PassOptions:
    """The analysis options that shape facts (part of the cache key)."""

    legacy_classes: frozenset[str]
    context_class: str
    user_keys: ex.UserKeyMatcher
    entry_decorators: frozenset[str]
    dsl_bases: frozenset[str]
    # runner -> the position of the callable it runs (``asyncio.to_thread``: 0,
    # ``.run_in_executor``: 1), from the models' ``callable-runners``
    callable_runners: tuple[tuple[str, int], ...] = ()
    # a graph's runs that may name a conversation's thread (the models' `graph-run-methods`)
    graph_runs: frozenset[str] = frozenset()
    # the next handler a middleware calls (the models' ``downstream-handlers``)
    downstream_handlers: frozenset[str] = frozenset()


@dataclass
class _Pending:
    """A fact whose root name may still turn out to be a local of some function."""

    kind: str  # "write", "call", "async", "return"
    access: Access
    fact: WriteSite | CallSite | AsyncUse | Access


@dataclass
class _Check:
    """An open ``if key not in CACHE:`` in async code, waiting for an await then a write."""

    container: str
    key: str
    locked: bool
    awaited: bool = False


@dataclass
class _Frame:
    kind: str  # "module", "class", "function"
    qualname: str
    owner: str = ""
    bound: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    pending: list[_Pending] = field(default_factory=list)
    aliases: dict[str, Access] = field(default_factory=dict)
    assignments: Counter[str] = field(default_factory=Counter)
    # local name -> the parameters its value was computed from
    tainted: dict[str, frozenset[str]] = field(default_factory=dict)
    # local name -> every name its value was computed from (through other locals)
    depends: dict[str, frozenset[str]] = field(default_factory=dict)
    # names an enclosing branch knows to be None or empty (the body of ``if x is None:``):
    # no request data comes from them there
    known_empty: list[frozenset[str]] = field(default_factory=list)
    # how many enclosing statements may skip what they contain (``if``, ``try``, loops): an
    # assignment there adds to what a local may hold instead of replacing it
    branch_depth: int = 0
    user_scoped: set[str] = field(default_factory=set)
    # locals holding an instance created here: name -> its class (for following calls)
    instances: dict[str, Access] = field(default_factory=dict)
    # locals known to hold a value that is never user data: name -> its kind (``number``
    # for a count or a timing, ``task`` for a task handle, see ``_value_kind``)
    kinds: dict[str, str] = field(default_factory=dict)
    stored: set[str] = field(default_factory=set)
    # locals whose value depends on who is asking (read a user object or id)
    user_dependent: set[str] = field(default_factory=set)
    # of those, the ones holding it as a part (see ``ModulePass._carries_user``)
    carries_user: set[str] = field(default_factory=set)
    # locals computed from what the next handler answered (``tools = await call_next(ctx)``)
    answers: set[str] = field(default_factory=set)
    # locals computed from the request a per-request handler object keeps on itself
    # (``q = self.get_argument("q")`` in a Tornado handler, ``body = self.request.body``)
    from_own_request: set[str] = field(default_factory=set)
    # locals holding ``var.get()``: local -> var
    context_values: dict[str, str] = field(default_factory=dict)
    # mutable-default parameters kept on self: parameter -> attribute
    stored_on_self: dict[str, str] = field(default_factory=dict)
    self_name: str | None = None
    class_name: str | None = None
    function: Function | None = None
    mutable_defaults: dict[str, str] = field(default_factory=dict)
    # the mutable-default parameters already reported for this definition (a module may
    # define the same name again: each definition reports its own)
    reported_defaults: set[str] = field(default_factory=set)
    checks: list[_Check] = field(default_factory=list)
    lock_depth: int = 0
    # how many times the function has suspended so far (``await``, ``yield``), and for each
    # local assigned an attribute or item (``saved = obj.x``), that count and the lock depth
    # at the time
    suspensions: int = 0
    saved_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    # each load of a module-level name, in order, with the suspensions so far; and each
    # write into one, with how many loads and suspensions came before it
    global_loads: list[tuple[str, int]] = field(default_factory=list)
    global_writes: list[tuple[WriteSite, int, int]] = field(default_factory=list)
    # how many times ``async with`` or ``async for`` may have suspended so far
    async_blocks: int = 0
    # locals holding an entry of module-level constant tables (``_table_entry``)
    table_entries: dict[str, frozenset[str]] = field(default_factory=dict)
    # in ``__new__``: the local holding the instance being made (``inst = super().__new__(cls)``)
    new_instance: str = ""
    # whether each enclosing ``while`` runs until stopped (``while True:``), innermost last
    loops: list[bool] = field(default_factory=list)
    # (container, key) of each enclosing `if`, when it tests `key not in container`
    fills: list[tuple[str, str] | None] = field(default_factory=list)
    # names read by the tests of the enclosing `if`s (a global assigned under a test that
    # reads it is lazy or idempotent initialisation)
    guards: list[frozenset[str]] = field(default_factory=list)
    # the tests of the enclosing ``if`` statements (judged only when something is written)
    if_tests: list[cst.BaseExpression] = field(default_factory=list)
    class_facts: ClassFacts | None = None
    # parameters annotated as a class (``cls: type[Model]``): code, the same for every user
    class_params: set[str] = field(default_factory=set)
    # locals assigned once from a call (``provider = get_provider(name)``): what it returns
    call_results: dict[str, Access] = field(default_factory=dict)
    # locals that only ever hold an element of one container (``agent = self.agents[0]``,
    # ``for agent in AGENTS.values()``): the container; None once anything else is assigned
    elements: dict[str, Access | None] = field(default_factory=dict)
    # those of them a `for` loop binds: every element in turn, not the one a key picks
    iterated: set[str] = field(default_factory=set)
    # locals assigned a shallow copy, once (``opts = DEFAULTS.copy()``, ``{**DEFAULTS}``):
    # what they copy, whose nested containers they share, and the keys the copy sets
    # itself (``{**DEFAULTS, "headers": {...}}``)
    shallow_copies: dict[str, tuple[Access, frozenset[str]]] = field(default_factory=dict)
    # locals whose every value (``None`` aside) is one class's new instance ("new") or one
    # function's result ("call"): what a call handing the local on passes; None when mixed
    origins: dict[str, tuple[str, Access] | None] = field(default_factory=dict)
    # locals computed from a fresh id and nothing about the user (``run_id = f"run-{uuid4()}"``)
    fresh: set[str] = field(default_factory=set)
    # locals once assigned a new ``io.BytesIO()``/``io.StringIO()`` (see ``_fill_buffers``)
    buffers: set[str] = field(default_factory=set)
    # locals assigned once a new container (its type) or instance ("instance"), and where;
    # a handler the function defines that writes one shares it with every call of it
    made_here: dict[str, tuple[str, cst.CSTNode]] = field(default_factory=dict)
    # names the function loads, and those that the functions it defines load from it (by
    # their owners): who reads back what a handler writes into the function's locals
    loads: set[str] = field(default_factory=set)
    nested_loads: dict[str, set[str]] = field(default_factory=dict)
    nested: bool = False  # defined inside another function (only then are its loads kept)
    # locals assigned once a dict display (``config = {"configurable": {...}}``)
    dict_displays: dict[str, cst.Dict] = field(default_factory=dict)
    # the name the function ends by returning (``return wrapper``): what it hands out
    returned_name: str = ""

    def inputs(self, node: cst.CSTNode | None) -> frozenset[str]:
        """Every name an expression's value is computed from, following local assignments."""
        return self.inputs_of(ex.names_read(node))

    def inputs_of(self, names: set[str]) -> frozenset[str]:
        found = set(names)
        for name in names:
            found |= self.depends.get(name, frozenset())
        return frozenset(found)

    def sources(self, node: cst.CSTNode | None) -> frozenset[str]:
        """The parameters an expression's value is computed from (through locals)."""
        return self.sources_of(ex.names_read(node))

    def sources_of(self, names: set[str]) -> frozenset[str]:
        found: set[str] = set()
        for name in names:
            found |= self.tainted.get(name, frozenset())
        for empty in self.known_empty:
            found -= empty
        return frozenset(found)


class _ModuleNames(NamedTuple):
    """Module-level names an expression is computed from (``_module_names_among``)."""

    imported: list[str]
    built: list[str]
    functions: list[str]


class ModulePass(cst.CSTVisitor):
    """Collects ModuleFacts in one walk. Use ``analyze_module``; this class is the walk."""

    def __init__(self, options: PassOptions, source: bytes | None = None) -> None:
        self.options = options
        self.facts = ModuleFacts()
        # whether the module's text names a legacy class at all (else no annotation, not
        # even a string one, can mention it)
        self._legacy_in_text = source is None or any(
            name.encode() in source for name in options.legacy_classes
        )
        self.frames: list[_Frame] = [_Frame("module", "")]
        self._runners = dict(options.callable_runners)
        # their last names, to pass over every other call without resolving it
        self._runner_names = {name.rsplit(".", 1)[-1] for name in self._runners}
        self._spans: list[tuple[object, str, cst.CSTNode]] = []
        self._decorator_calls: set[int] = set()
        self._legacy_local: set[str] = set()
        self._skip_legacy: set[int] = set()
        self._annotation_depth = 0
        self._import_depth = 0
        self._type_checking_depth = 0
        # inside `if __name__ == "__main__":` at module level: a script's body, not the module's
        self._main_guard_depth = 0
        # names of class attributes that hold a thread local (a fast test per attribute read)
        self._thread_local_attributes: set[str] = set()
        self._lambda_depth = 0
        # the module-level name being assigned (for the ContextVar it may construct)
        self._assigning = ""
        self._legacy_class_depth = 0
        self._keepalive_sets: set[str] = set()
        # per function: the names it reads that no local binds (kept: the shared globals)
        self._free_reads: dict[int, tuple[Function, set[str]]] = {}
        self._seen_calls: dict[tuple[object, ...], CallSite] = {}
        # bodies of ``if``/``else`` blocks, by node id: the names None or empty in them
        self._empty_blocks: dict[int, frozenset[str]] = {}
        # how often each (kind, qualified name) was defined so far: a later definition of the
        # same name gets a key of its own (see ``redefinition_key``)
        self._definitions: Counter[tuple[str, str]] = Counter()
        # what the code refers to (see ModuleFacts.loaded_names and attribute_reads): the
        # Name nodes that define (a def's or class's name) and the Attribute nodes written
        # (a store's target, a writing method's receiver) are no reads
        self._loaded_names: set[str] = set()
        # imports read through an attribute in a cached function (noted with the attribute)
        self._attribute_roots: set[int] = set()
        # the module imports streamlit: its top level is a script run for every session
        self._streamlit_script = False
        self._attribute_reads: dict[str, set[str]] = {}
        self._not_reads: set[int] = set()
        # loads whose value escapes the statement (returned, or aliased by a local): the
        # function's caller or its later code may use it after the function suspends
        self._returning = 0
        self._aliased: set[int] = set()
        self._readers: list[str] = [""]  # the qualname of each enclosing function

    # ---- helpers -------------------------------------------------------------------------

    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    def _function_frame(self) -> _Frame | None:
        for frame in reversed(self.frames):
            if frame.kind == "function":
                return frame
        return None

    def _span_later(self, fact: object, attribute: str, node: cst.CSTNode) -> None:
        self._spans.append((fact, attribute, node))

    def _placeholder(self) -> Span:
        return Span(0, 0, 0, 0)

    def _at_import_time(self) -> bool:
        return self._function_frame() is None

    # ---- imports -------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self._import_depth += 1
        for alias in node.names:
            dotted = ex.dotted_name(alias.name) or ""
            if alias.asname is not None and type(alias.asname.name) is cst.Name:
                local = alias.asname.name.value
                ref = ImportRef(dotted, None)
            else:
                local = dotted.split(".")[0]
                ref = ImportRef(local, None)
            self._bind_import(local, ref, node)
            self.facts.imported.append(ImportRef(dotted, None))

    def leave_Import(self, original_node: cst.Import) -> None:
        self._import_depth -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import_depth += 1
        module = ex.dotted_name(node.module) if node.module is not None else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            self.facts.imported.append(ImportRef(module or "", None, level))
            return
        for alias in node.names:
            imported = ex.dotted_name(alias.name) or ""
            self.facts.imported.append(ImportRef(module or "", imported, level))
            local = imported
            if alias.asname is not None and type(alias.asname.name) is cst.Name:
                local = alias.asname.name.value
            self._bind_import(local, ImportRef(module or "", imported, level), node)
            if imported in self.options.legacy_classes:
                self._legacy_local.add(local)
                self._record_legacy("import", imported, node)

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._import_depth -= 1

    def _bind_import(self, local: str, ref: ImportRef, node: cst.CSTNode) -> None:
        if is_streamlit_import(ref):
            self._streamlit_script = True
        if self.frame.kind == "module":
            if self._type_checking_depth == 0 or local not in self.facts.imports:
                self.facts.imports[local] = ref
                ref.span = self._placeholder()
                self._span_later(ref, "span", node)
        elif self.frame.kind == "function" and self._function_import_is_module_wide(local, ref):
            # An import inside a function (to break an import cycle, or to import lazily)
            # names the same thing everywhere: resolve it like a module-level import.
            self.facts.imports[local] = ref
            ref.span = self._placeholder()
            self._span_later(ref, "span", node)
        else:
            self.frame.bound.add(local)

    def _function_import_is_module_wide(self, local: str, ref: ImportRef) -> bool:
        if local in self.facts.bindings or local in self.facts.classes:
            return False
        if local in self.facts.functions:
            return False
        known = self.facts.imports.get(local)
        return known is None or (known.module, known.name, known.level) == (
            ref.module,
            ref.name,
            ref.level,
        )

    # ---- module level --------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self.facts.runs_as_script = any(_runs_when_run(statement) for statement in node.body)

    def visit_If(self, node: cst.If) -> None:
        test = ex.dotted_name(node.test)
        if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            self._type_checking_depth += 1
        frame = self._function_frame()
        if frame is None:
            if _is_main_guard(node.test):
                self._main_guard_depth += 1
            return
        frame.guards.append(frozenset(ex.names_read(node.test)))
        frame.if_tests.append(node.test)
        frame.branch_depth += 1
        empty_in_body, empty_otherwise = _empty_names(node.test)
        if empty_in_body:
            self._empty_blocks[id(node.body)] = empty_in_body
        if empty_otherwise and type(node.orelse) is cst.Else:
            self._empty_blocks[id(node.orelse.body)] = empty_otherwise
        check = _membership_check(node.test)
        frame.fills.append(check)
        if frame.function is not None and frame.function.is_async and check is not None:
            frame.checks.append(_Check(check[0], check[1], locked=frame.lock_depth > 0))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_block(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._leave_block(original_node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_block(node)  # `if x is None: CACHE = build()` on one line

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_block(original_node)

    def _enter_block(self, block: cst.BaseSuite) -> None:
        """A block an enclosing ``if`` test leaves names None or empty in (``_empty_names``)."""
        empty = self._empty_blocks.get(id(block))
        frame = self._function_frame()
        if empty is not None and frame is not None:
            frame.known_empty.append(empty)

    def _leave_block(self, block: cst.BaseSuite) -> None:
        empty = self._empty_blocks.pop(id(block), None)
        frame = self._function_frame()
        if empty is not None and frame is not None:
            frame.known_empty.pop()

    def leave_If(self, original_node: cst.If) -> None:
        test = ex.dotted_name(original_node.test)
        if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            self._type_checking_depth -= 1
        frame = self._function_frame()
        if frame is None:
            if _is_main_guard(original_node.test):
                self._main_guard_depth -= 1
            return
        frame.guards.pop()
        frame.if_tests.pop()
        frame.branch_depth -= 1
        chosen = _checked_choice(original_node, frame.function)
        if chosen is not None:
            frame.kinds[chosen] = "choice"
        if frame.fills.pop() is not None and frame.function is not None:
            if frame.function.is_async:
                frame.checks.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        function = self.frame.function
        if type(node.value) is cst.Name and function is not None and function.is_async:
            self._aliased.add(id(node.value))  # `data = PAYLOAD`: used whenever, later
        for target in node.targets:
            self._note_stored(target.target)
            self._note_declared_field(target.target)
        first = node.targets[0].target if node.targets else None
        self._assigning = first.value if type(first) is cst.Name else ""
        for target in node.targets:
            self._assignment(target.target, node.value, node, "set")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._note_stored(node.target)
        self._note_declared_field(node.target)
        self._assigning = node.target.value if type(node.target) is cst.Name else ""
        declared = ex.last_name(_unsubscript(node.annotation.annotation))
        # `Final` is a constant; a `ClassVar` container is shared on purpose, by declaration.
        final = declared == "Final" or (declared == "ClassVar" and self.frame.kind == "class")
        if node.value is None:
            if self.frame.kind == "function" and type(node.target) is cst.Name:
                self.frame.bound.add(node.target.value)
            return
        self._assignment(node.target, node.value, node, "set", final=final)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._note_stored(node.target)  # `self.total += n`: the value goes back to the store
        if self._extends_through_alias(node):
            return  # the name still holds the same object
        self._assignment(node.target, node.value, node, "aug")

    def _extends_through_alias(self, node: cst.AugAssign) -> bool:
        """``allowed = ALL_FIELDS`` then ``allowed += ADMIN_FIELDS``: on a list (or a set,
        with ``|=``) the operator changes the object in place, so it extends what the local
        names (judged as ``ALL_FIELDS.extend(...)`` once the name is resolved)."""
        frame = self.frame
        target = node.target
        method = _IN_PLACE_OPERATORS.get(type(node.operator))
        if frame.kind != "function" or type(target) is not cst.Name or method is None:
            return False
        alias = frame.aliases.get(target.value)
        if alias is None or target.value in frame.globals or frame.assignments[target.value] != 1:
            return False
        site = WriteSite(
            target=Access(target.value),
            operation=f"call:{method}",
            key=Key("none"),
            span=self._placeholder(),
            function=frame.owner,
            value_from_param=bool(frame.sources(node.value)),
            value_sources=sorted(frame.sources(node.value)),
            under_lock=frame.lock_depth > 0,
            augmented=True,
        )
        self._describe_value(site, node.value, frame, "set")
        site.guarded_by_truth = any(target.value in guard for guard in frame.guards)
        self._span_later(site, "span", node)
        frame.pending.append(_Pending("write", site.target, site))
        return True

    def visit_Del(self, node: cst.Del) -> None:
        self._note_stored(node.target)
        for target in _flatten_targets(node.target):
            if type(target) is cst.Name:
                self._bind_local(target.value)
            elif isinstance(target, (cst.Subscript, cst.Attribute)):
                self._write_target(target, None, node, "del")

    def _note_stored(self, target: cst.BaseExpression) -> None:
        """The attributes and containers a store writes (``self.x = v``, ``self.cache[k] =
        v``, ``CACHE[k] = v``) are not read by it."""
        for element in _flatten_targets(target):
            if type(element) is cst.Subscript:
                element = element.value
                if type(element) is cst.Name:
                    self._not_reads.add(id(element))
                    self.frame.dict_displays.pop(element.value, None)  # no longer the display
            if type(element) is cst.Attribute:
                self._not_reads.add(id(element))

    def _note_declared_field(self, target: cst.BaseExpression) -> None:
        """A name declared in a class body (``user: str`` in a response model, ``user =
        serializers.CharField()``) is a field that serializers read from any object by that
        name (``from_attributes``): it counts as a read of the attribute."""
        if self.frame.kind == "class" and type(target) is cst.Name:
            self._note_attribute_read(target.value)

    def _note_attribute_read(self, attribute: str) -> None:
        """The innermost function here ("" outside one) reads ``.attribute``."""
        readers = self._attribute_reads.get(attribute)
        if readers is None:
            readers = self._attribute_reads[attribute] = set()
        readers.add(self._readers[-1])

    def _assignment(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression,
        node: cst.CSTNode,
        how: str,
        final: bool = False,
    ) -> None:
        frame = self.frame
        if frame.kind == "module":
            if how == "set" and self._type_checking_depth == 0:
                self._module_binding(target, value, node, final)
            for element in _flatten_targets(target):
                if isinstance(element, (cst.Subscript, cst.Attribute)):
                    if self._writes_imported_state_from_a_script(element):
                        self._as_script(node)
                        self._write_target(element, value, node, how)
            return
        if frame.kind == "class":
            if how == "set" and type(target) is cst.Name and frame.class_facts is not None:
                binding = _binding(target.value, value, final, self._constructs_thread_local(value))
                if binding is not None and binding.kind == "threading_local":
                    self._thread_local_attributes.add(target.value)
                if binding is not None and target.value not in frame.class_facts.attributes:
                    frame.class_facts.attributes[target.value] = binding
                    self._span_later(binding, "span", node)
                if _field_factory_container(value):
                    _note_container_attribute(frame.class_facts, target.value)
            return
        if how == "set" and self._constructs_thread_local(value):
            self._bind_lazy_thread_local(target, node)
        for element in _flatten_targets(target):
            if type(element) is cst.Name:
                self._assign_name(element.value, value, node, how)
            elif isinstance(element, (cst.Subscript, cst.Attribute)):
                self._write_target(element, value, node, how)

    def _constructs_thread_local(self, value: cst.BaseExpression) -> bool:
        """``threading.local()``, an alias of it (``from threading import local as tl``), or
        an instance of this module's subclass of it, resolved through the imports."""
        if type(value) is not cst.Call:
            return False
        return self._is_thread_local_class(ex.dotted_name(value.func) or "", 0)

    def _is_thread_local_class(self, dotted: str, depth: int) -> bool:
        root, _, rest = dotted.partition(".")
        ref = self.facts.imports.get(root)
        if ref is not None:
            module = ref.module if ref.name is None else f"{ref.module}.{ref.name}"
            return ".".join(part for part in (module, rest) if part) in ex.THREAD_LOCAL_CLASSES
        class_facts = self.facts.classes.get(dotted)
        if class_facts is None or depth > 3:
            return False
        return any(
            self._is_thread_local_class(base.text(), depth + 1) for base in class_facts.bases
        )

    def _bind_lazy_thread_local(self, target: cst.BaseExpression, node: cst.CSTNode) -> None:
        """``global _local; _local = threading.local()``, ``Locals.LOCALS = local()`` or
        ``self._local = local()`` in a function: the global or attribute holds a thread local
        from then on (created on first use, or once per instance), so its uses are judged as
        a module-level one's."""
        frame = self.frame
        owner: dict[str, Binding] | None = None
        name = ""
        if type(target) is cst.Name and target.value in frame.globals:
            owner, name = self.facts.bindings, target.value
        elif type(target) is cst.Attribute and type(target.value) is cst.Name:
            root = target.value.value
            class_name = frame.class_name if root == frame.self_name else root
            class_facts = self.facts.classes.get(class_name or "")
            if class_facts is not None:
                owner, name = class_facts.attributes, target.attr.value
        if owner is None:
            return
        binding = Binding(name, "threading_local", self._placeholder(), type_name="threading.local")
        self._span_later(binding, "span", node)
        owner[name] = binding
        self._thread_local_attributes.add(name)

    def _module_binding(
        self, target: cst.BaseExpression, value: cst.BaseExpression, node: cst.CSTNode, final: bool
    ) -> None:
        pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]] = [(target, value)]
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                pairs = [
                    (t.value, v.value) for t, v in zip(target.elements, value.elements, strict=True)
                ]
        for name_node, bound_value in pairs:
            if type(name_node) is not cst.Name:
                continue
            name = name_node.value
            binding = _binding(
                name,
                bound_value,
                final or name in ("__all__", "__slots__"),
                self._constructs_thread_local(bound_value),
            )
            if binding is None:
                binding = Binding(name, "constant", self._placeholder())
            binding.in_main_guard = self._main_guard_depth > 0
            self._span_later(binding, "span", node)
            existing = self.facts.bindings.get(name)
            if existing is None or existing.kind == "constant":
                self.facts.bindings[name] = binding
            elif binding.kind != "constant":
                self.facts.rebindings.append(binding)

    def _assign_name(
        self, name: str, value: cst.BaseExpression, node: cst.CSTNode, how: str
    ) -> None:
        frame = self.frame
        if name in frame.globals:
            site = WriteSite(
                target=Access(name),
                operation="rebind",
                key=Key("none"),
                span=self._placeholder(),
                function=frame.owner,
                value_from_param=bool(frame.sources(value)),
                value_sources=sorted(frame.sources(value)),
                lazy_init_guard=any(name in guard for guard in frame.guards),
                guard_sources=sorted(frame.sources_of(set().union(*frame.guards))),
                augmented=how == "aug",
                under_lock=frame.lock_depth > 0,
            )
            self._set_value_call(site, value)
            self._describe_value(site, value, frame, how)
            self._span_later(site, "span", node)
            self.facts.writes.append(site)
            return
        frame.bound.add(name)
        frame.assignments[name] += 1
        if how == "set" and _makes_the_instance(frame, value):
            frame.new_instance = name
        if how == "set":
            access = ex.access_of(_defaulted(value), self.options.user_keys)
            if access is not None and frame.assignments[name] == 1:
                frame.aliases[name] = access
                frame.saved_at[name] = (frame.suspensions, frame.lock_depth)
            else:
                frame.aliases.pop(name, None)
            origin = _origin_of(frame, value)  # the callee read once (a hot path)
            if not _is_none(value):  # `bank = None` first, the real value under an `if`
                _note_consistent(frame.origins, name, origin)
                if origin is not None and origin[0] == "new" and _names_a_buffer(origin[1]):
                    frame.buffers.add(name)
                container = _container_of(frame, value, self.options.user_keys)
                _note_consistent(frame.elements, name, container)
            copied = (
                _shallow_copy_of(value, self.options.user_keys)
                if frame.assignments[name] == 1
                else None
            )
            if copied is not None:
                frame.shallow_copies[name] = copied
            else:
                frame.shallow_copies.pop(name, None)
            made = origin if type(value) is not cst.Name else None
            if made is not None and made[0] == "new" and type(value) is cst.Call:
                frame.instances[name] = made[1]  # `runner = Runner()`
            elif made is not None and frame.assignments[name] == 1:
                frame.call_results[name] = made[1]  # `provider = get_provider(name)`
            made_type = ex.container_type(value) if frame.assignments[name] == 1 else None
            if made_type is not None and type(value) is cst.Dict:
                frame.dict_displays[name] = value  # `config = {"configurable": {...}}`
            else:
                frame.dict_displays.pop(name, None)
            if made_type is not None:
                frame.made_here[name] = (made_type, node)
            elif frame.assignments[name] == 1 and name in frame.instances:
                frame.made_here[name] = ("instance", node)
            else:
                frame.made_here.pop(name, None)
        names = ex.read_names(value)
        roots, attributes = names
        if self._depends_on_user(frame, value, names):
            frame.user_dependent.add(name)
            if self._is_user_part(frame, value):  # `name = request.user.username`, a display
                frame.carries_user.add(name)
            elif not frame.branch_depth:
                frame.carries_user.discard(name)
        else:
            frame.user_dependent.discard(name)
            if not frame.branch_depth:
                frame.carries_user.discard(name)
        if self._answers_caller(frame, value, *names):
            frame.answers.add(name)
        else:
            frame.answers.discard(name)
        if frame.self_name is not None and (
            frame.self_name in roots or not frame.from_own_request.isdisjoint(roots)
        ):
            if self._reads_own_request(frame, value):
                frame.from_own_request.add(name)
            else:
                frame.from_own_request.discard(name)
        else:
            frame.from_own_request.discard(name)
        got_from = _context_get_root(value)
        if got_from and how == "set":
            frame.context_values[name] = got_from
        else:
            frame.context_values.pop(name, None)
        kind = _value_kind(value, frame.kinds)
        if kind:
            frame.kinds[name] = kind
        else:
            frame.kinds.pop(name, None)
        sources = frame.sources_of(roots)
        inputs = frame.inputs_of(roots)
        if frame.branch_depth:  # the assignment may not run: the old value may be kept
            sources |= frame.tainted.get(name, frozenset())
            inputs |= frame.depends.get(name, frozenset())
        if sources:
            frame.tainted[name] = sources
        else:
            frame.tainted.pop(name, None)
        frame.depends[name] = inputs
        if self._reads_user_key(value, roots, attributes, frame) or self._next_of_a_count(value):
            frame.user_scoped.add(name)
        else:
            frame.user_scoped.discard(name)
        if self._only_fresh(frame, value, roots, attributes):
            frame.fresh.add(name)
        else:
            frame.fresh.discard(name)
        self._note_fresh_default(frame, name, value)
        tables = _table_entry(frame, value)
        if tables and not frame.branch_depth and name not in frame.user_dependent:
            frame.table_entries[name] = tables
        else:
            frame.table_entries.pop(name, None)

    def _note_fresh_default(self, frame: _Frame, name: str, value: cst.BaseExpression) -> None:
        """``task_id = task_id or str(uuid4())`` on a parameter: a caller that leaves it out
        hands the function a fresh id."""
        function = frame.function
        if function is None or name not in function.params or frame.branch_depth:
            return
        if type(value) is not cst.BooleanOperation or type(value.operator) is not cst.Or:
            return
        left, right = value.left, value.right
        if type(left) is not cst.Name or left.value != name:
            return
        if self._only_fresh(frame, right, *ex.read_names(right)):
            function.fresh_defaults.append(name)

    def _only_fresh(
        self, frame: _Frame, value: cst.BaseExpression, roots: set[str], attributes: set[str]
    ) -> bool:
        """The value is unique to this request through a fresh id (``uuid4()``, a token, a
        local made from one) and reads nothing about who is asking."""
        fresh = (
            not attributes.isdisjoint(_FRESH_ID_NAMES)
            or not roots.isdisjoint(_FRESH_ID_NAMES)
            or not frame.fresh.isdisjoint(roots)
        )
        if not fresh and not self._next_of_a_count(value):
            return False  # (most values: a hot path, so this test comes first)
        names = roots | attributes
        if names & USER_IDENTITY_NAMES:
            return False
        if not (frame.user_dependent - frame.fresh).isdisjoint(roots):
            return False
        matcher = self.options.user_keys
        return not any(
            ex.is_user_chain(chain, matcher, frame.user_scoped - frame.fresh)
            and chain.rsplit(".", 1)[-1] not in _FRESH_ID_NAMES
            and chain not in frame.fresh
            for chain in ex.dotted_chains(value)
        )

    def _next_of_a_count(self, value: cst.BaseExpression) -> bool:
        """``held = next(_places)`` with ``_places = itertools.count()`` at module level: a
        fresh number each time, unique to this call like a uuid4 (no other request has it)."""
        if not (
            type(value) is cst.Call
            and type(value.func) is cst.Name
            and value.func.value == "next"
            and len(value.args) == 1
            and type(value.args[0].value) is cst.Name
        ):
            return False
        binding = self.facts.bindings.get(value.args[0].value.value)
        callee = binding.callee if binding is not None and binding.kind == "call" else None
        return callee is not None and (callee.attrs or [callee.root])[-1] == "count"

    def _reads_user_key(
        self, value: cst.BaseExpression, roots: set[str], attributes: set[str], frame: _Frame
    ) -> bool:
        matcher = self.options.user_keys
        if roots.isdisjoint(frame.user_scoped) and not matcher.may_match(roots | attributes):
            return False
        return any(ex.is_user_chain(c, matcher, frame.user_scoped) for c in ex.dotted_chains(value))

    def _write_target(
        self,
        target: cst.Subscript | cst.Attribute,
        value: cst.BaseExpression | None,
        node: cst.CSTNode,
        how: str,
    ) -> None:
        frame = self.frame
        matcher = self.options.user_keys
        memoized = False
        if type(target) is cst.Attribute and how == "set":
            self._legacy_state_mutation(frame, target)
        self._note_context_value_mutation(frame, target.value)
        if how == "set" and frame.new_instance:
            self._note_new_instance_container(frame, target, value)
        if isinstance(target, cst.Subscript):
            access = ex.access_of(target.value, matcher, frame.user_scoped)
            key = ex.classify_subscript(target, matcher, frame.user_scoped)
            operation = {"set": "setitem", "aug": "augitem", "del": "delitem"}[how]
            memoized = how == "set" and _memoizes(frame, target.slice, value)
        else:
            access = ex.access_of(target, matcher)
            key = Key("none")
            operation = {"set": "setattr", "aug": "augattr", "del": "delattr"}[how]
        into_a_local = (
            type(target) is cst.Subscript
            and type(target.value) is cst.Name
            and target.value.value in frame.bound
            and target.value.value != frame.self_name
        )
        state_name = _request_state_name(target) if how == "set" else ""
        stored = ex.access_of(value, _NO_USER_KEYS) if state_name and value is not None else None
        if stored is not None:  # `request.state.conda_store = self.conda_store`
            self.facts.request_state_stores.append((state_name, frame.owner, stored))
        if into_a_local and value is not None:
            self._flow_into_local(frame, target.value, [*target.slice, value])  # type: ignore[union-attr]
        if how == "set" and not into_a_local:
            # `self.x = data`, `self._cache[k] = (user, data)`: kept beyond the call (a
            # local's `kwargs["tools"] = tools` only passes it on)
            frame.stored.update(_held_names(value))
            if type(value) is cst.Name and type(target) is cst.Attribute:
                if (
                    type(target.value) is cst.Name
                    and target.value.value == frame.self_name
                    and value.value in frame.mutable_defaults
                ):
                    frame.stored_on_self.setdefault(value.value, target.attr.value)
        returned: tuple[Access, list[str]] | None = None
        if access is None:
            returned = _returned_by_a_getter(target, matcher)
            if returned is None:
                return
            access = returned[0]
        site = WriteSite(
            target=access,
            operation=operation,
            key=key,
            span=self._placeholder(),
            function=frame.owner,
            value_from_param=bool(frame.sources(value)),
            value_sources=sorted(frame.sources(value)),
            key_sources=sorted(frame.sources(target)) if type(target) is cst.Subscript else [],
            under_lock=frame.lock_depth > 0,
            memoized=memoized,
        )
        if type(target) is cst.Subscript and key.kind == "dynamic":
            site.key_call = _key_call(frame, target)
        if how == "set":
            site.restores_saved = _puts_back_what_it_saved(frame, target, value, matcher)
        if value is not None:
            self._set_value_call(site, value)
            self._describe_value(site, value, frame, how)
            site.is_container = _builds_a_container(value)
        self._mark_check_then_act(site, frame)
        site.guarded_by_truth = any(access.root in guard for guard in frame.guards)
        site.fills_absent = (access.text(), site.key.text) in frame.fills
        self._span_later(site, "span", node)
        if returned is not None:
            # `get_client().headers["Authorization"] = token`: an attribute of what a getter
            # hands out, judged against the getter (as through a local holding it)
            site.returned_by_call = True
            site.returned_attrs = returned[1]
        elif frame.function is not None and frame.function.is_async:
            switches = frame.suspensions + frame.async_blocks
            frame.global_writes.append((site, len(frame.global_loads), switches))
        frame.pending.append(_Pending("write", access, site))

    def _note_new_instance_container(
        self, frame: _Frame, target: cst.Subscript | cst.Attribute, value: cst.BaseExpression | None
    ) -> None:
        """``inst = super().__new__(cls); inst.sessions = {}``: a container of the instance
        ``__new__`` makes (and a singleton's ``__new__`` keeps), as ``__init__`` would set."""
        facts = self.facts.classes.get(frame.class_name or "")
        if (
            facts is None
            or type(target) is not cst.Attribute
            or type(target.value) is not cst.Name
            or target.value.value != frame.new_instance
            or value is None
            or not _builds_a_container(value)
        ):
            return
        _note_container_attribute(facts, target.attr.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        frame = self._function_frame()
        if frame is not None:
            frame.suspensions += 1

    def _set_value_call(self, site: WriteSite, value: cst.BaseExpression) -> None:
        if type(value) is cst.Await:
            value = value.expression
        if type(value) is cst.Call:
            inner = value.func
            if type(inner) is cst.Call:
                site.value_is_call_of_call = True
                inner = inner.func
            site.value_call = ex.access_of(inner, self.options.user_keys)
            site.value_call_passes = ex.passed_arguments(value)

    def _note_context_value_mutation(self, frame: _Frame, base: cst.BaseExpression) -> None:
        """``var.get().append(x)``, ``var.get()[k] = v`` or the same through a local holding
        ``var.get()``: the object a ContextVar returns is changed in place."""
        name = _context_get_root(base) or frame.context_values.get(
            base.value if type(base) is cst.Name else ""
        )
        if name and name not in self.facts.contextvar_mutations:
            self.facts.contextvar_mutations.append(name)

    def _legacy_state_mutation(self, frame: _Frame, target: cst.Attribute) -> None:
        """``state.result = x`` where ``state`` is a parameter typed as the legacy class: the
        function writes into state that the caller (and every later step) shares."""
        root = target.value
        if type(root) is not cst.Name or frame.function is None:
            return
        declared = frame.function.param_types.get(root.value)
        if declared is None:
            return
        name = (declared.attrs or [declared.root])[-1]
        if name in self.options.legacy_classes or declared.root in self._legacy_local:
            self._record_legacy("mutation", name, target)

    def _describe_value(
        self, site: WriteSite, value: cst.BaseExpression, frame: _Frame, how: str
    ) -> None:
        """What is stored: an instance of a class, a bare name, a number or a flag."""
        if type(value) is cst.Await:
            value = value.expression
        if type(value) is cst.Name:
            site.value_name = value.value
            site.value_class = frame.instances.get(value.value)
            site.value_result_of = frame.call_results.get(value.value)
        else:
            site.value_class = _new_instance_class(value)
        site.value_kind = _value_kind(value, frame.kinds)
        if how == "aug" and not site.value_kind and not _is_sequence_literal(value):
            site.value_kind = "number"  # `stats[k] += n`: a running total, not user data
        if how != "aug" and not site.value_kind and _is_empty(value):
            site.value_kind = "empty"  # `slots[k] = {}`: a reset; the leak is what goes in
        names = ex.read_names(value)
        module_names = self._module_names_among(frame, names[0])
        site.value_imports = module_names.imported + module_names.built
        site.value_functions = module_names.functions
        site.value_user = self._depends_on_user(frame, value, names)
        site.answers_caller = site.value_user and self._answers_caller(frame, value, *names)
        if not site.value_user:
            site.value_tables = sorted(_table_entry(frame, value))
        site.value_id = _is_identifier(value)
        chains = list(ex.dotted_chains(value))
        if site.value_user:
            site.value_names_user = self._names_user(value, names, chains)
            site.value_carries_user = self._carries_user(frame, value)
        site.value_owner = site.value_id and any(map(self.options.user_keys.matches, chains))
        if frame.self_name is not None:
            site.value_reads_own_request = self._reads_own_request(frame, value, chains)
        site.conditional = bool(frame.if_tests)
        if frame.if_tests and not site.value_kind and not _is_none(value):
            if any(self._depends_on_user(frame, test) for test in frame.if_tests):
                site.chosen_by_user = site.value_user = True

    def _attribute_set_by_call(
        self, node: cst.Call, frame: _Frame
    ) -> tuple[cst.Attribute, cst.BaseExpression] | None:
        """``setattr(state, "user", v)`` or ``patch.object(Request, "body", v)``: the call sets
        the named attribute as ``state.user = v`` would (a patch for as long as its ``with``
        block lasts, which for every other task on the loop is the same)."""
        if len(node.args) < 3 or any(arg.keyword is not None for arg in node.args[:3]):
            return None
        func = node.func
        if type(func) is cst.Name:
            if func.value != "setattr" or "setattr" in frame.bound:
                return None
        elif type(func) is cst.Attribute and func.attr.value == "object":
            name = ex.dotted_name(func) or ""
            ref = self.facts.imports.get(name.split(".", 1)[0])
            if not name.endswith("patch.object") or ref is None or ref.module not in _MOCK:
                return None
        else:
            return None
        attribute = node.args[1].value
        if type(attribute) is not cst.SimpleString:
            return None
        text = attribute.evaluated_value
        if not isinstance(text, str) or not text.isidentifier():
            return None
        return cst.Attribute(value=node.args[0].value, attr=cst.Name(text)), node.args[2].value

    def _reads_own_request(
        self, frame: _Frame, value: cst.BaseExpression, chains: list[str] | None = None
    ) -> bool:
        """The value reads the request the handler object was built for: ``self.request``,
        a Channels consumer's ``self.scope``, one of the request-reading methods of a
        handler (Tornado's ``self.get_argument``), or a local computed from them."""
        own = f"{frame.self_name}."
        for chain in ex.dotted_chains(value) if chains is None else chains:
            if not chain.startswith(own):
                if chain.split(".", 1)[0] in frame.from_own_request:
                    return True
                continue
            first = chain[len(own) :].split(".", 1)[0]
            if first in ("request", "scope") or first in _OWN_REQUEST_READERS:
                return True
        return False

    def _depends_on_user(
        self,
        frame: _Frame,
        value: cst.BaseExpression,
        names: tuple[set[str], set[str]] | None = None,
    ) -> bool:
        """The value reads who is asking: a user object or id, directly or through locals.
        ``names`` is ``ex.read_names(value)`` where the caller has it already."""
        roots, attributes = names or ex.read_names(value)
        if _reads_identity(value, roots, attributes):
            return True
        if not frame.user_dependent.isdisjoint(roots):
            return True
        if not ex.HEADER_MAPPINGS.isdisjoint(attributes) and ex.reads_credential_header(value):
            return True
        if self._answers_caller(frame, value, roots, attributes):
            return True
        return self._reads_user_key(value, roots, attributes, frame)

    def _answers_caller(
        self, frame: _Frame, value: cst.BaseExpression, roots: set[str], attributes: set[str]
    ) -> bool:
        """``await call_next(request)``, ``self.get_response(request)``: in a middleware, what
        the rest of the application answered this caller, which it may have tailored to who
        asks (the tools they may use, their own page), so it is theirs like their user id.
        Also a local computed from such an answer."""
        if not frame.answers.isdisjoint(roots):
            return True
        handlers = self.options.downstream_handlers
        local = handlers & roots & frame.bound
        own = frame.self_name is not None and frame.self_name in roots and handlers & attributes
        if not local and not own:
            return False
        for call in _calls_in(value):
            func = call.func
            if type(func) is cst.Name and func.value in local:
                return True
            if (
                type(func) is cst.Attribute
                and func.attr.value in handlers
                and type(func.value) is cst.Name
                and func.value.value == frame.self_name
            ):
                return True
        return False

    def _carries_user(self, frame: _Frame, value: cst.BaseExpression) -> bool:
        """The value holds who is asking, or something of theirs, as one of its parts: a
        display or an f-string with such a part (``{"owner": request.user.username}``), a
        local holding one, or what a call builds from such a display or local
        (``JsonResponse(data)``). Not a thing looked up with the user as its filter
        (``Report.objects.get(id=report_id, owner=request.user)``): that is the thing, the
        same whoever holds its id; nor an id of a connection or a client in it."""
        kind = type(value)
        if kind is cst.Await:
            return self._carries_user(frame, value.expression)  # type: ignore[attr-defined]
        if kind is cst.Name:
            return value.value in frame.carries_user  # type: ignore[attr-defined]
        if kind in _DISPLAYS:
            return any(self._is_user_part(frame, part) for part in _display_parts(value))
        if kind is cst.Call:
            return any(
                (type(arg.value) is cst.Name or type(arg.value) in _DISPLAYS)
                and self._carries_user(frame, arg.value)
                for arg in value.args  # type: ignore[attr-defined]
            )
        return False

    def _is_user_part(self, frame: _Frame, part: cst.BaseExpression) -> bool:
        """A part of a display that is the asking user or something of theirs: ``user``,
        ``request.user.username``, a local holding such a value."""
        if isinstance(part, cst.Name):
            return part.value in USER_IDENTITY_NAMES or part.value in frame.carries_user
        if type(part) in (cst.Attribute, cst.Subscript):
            roots, attributes = ex.read_names(part)
            held = not frame.carries_user.isdisjoint(roots)
            return held or _reads_identity(part, roots, attributes)
        return self._carries_user(frame, part)

    def _names_user(
        self, value: cst.BaseExpression, names: tuple[set[str], set[str]], chains: list[str]
    ) -> bool:
        """The value itself reads who is asking (``request.user``, ``user_id``), not only
        locals computed from them."""
        if _reads_identity(value, *names):
            return True
        matcher = self.options.user_keys
        return any(matcher.matches(chain) for chain in chains if not chain[:1].isupper())

    def _module_names_among(self, frame: _Frame, roots: set[str]) -> _ModuleNames:
        """Module-level names among these root names and the names locals among them were
        computed from: imports and objects built at import time in this module (a framework
        object of either kind may read the current request when used: ``flask.request``,
        ``parser = RequestParser()``), and free names that can only be the module's own
        functions or classes (no import, module-level assignment or builtin; the index says
        which are functions: ``current_username()``)."""
        imports, bindings = self.facts.imports, self.facts.bindings
        found = _ModuleNames([], [], [])
        for name in sorted(frame.inputs_of(roots) - frame.bound):
            if name in imports:
                found.imported.append(name)
            elif (binding := bindings.get(name)) is not None:
                if binding.kind == "call":
                    found.built.append(name)
            elif name not in _BUILTINS and name not in frame.globals:
                found.functions.append(name)
        return found

    def _argument_sources(self, frame: _Frame, call: CallSite, node: cst.Call) -> None:
        """What each argument is computed from: parameters, ``@import`` names and ``$name``
        objects built at import time in this module."""
        for arg in node.args:
            if arg.star == "*" and len(call.arg_sources) < 8:
                call.star_at = len(call.arg_sources)  # `*args`: recorded as the next position
            elif arg.star:
                break
            value = _display_entry(frame, arg.value) or arg.value
            # the names an argument reads, found once for the three questions (a hot path)
            names = ex.read_names(value)
            if not names[0] and not names[1]:  # a literal: from nothing, nobody's, not fresh
                if arg.keyword is not None:
                    call.keyword_sources[arg.keyword.value] = []
                elif len(call.arg_sources) < 8:
                    call.arg_sources.append([])
                if call.star_at >= 0:
                    break
                continue
            sources = sorted(frame.sources_of(names[0]))
            module_names = self._module_names_among(frame, names[0])
            sources += [f"@{name}" for name in module_names.imported]
            sources += [f"${name}" for name in module_names.built]
            from_user = self._depends_on_user(frame, value, names)
            origin = _origin_of(frame, value)
            if origin is not None:
                position = arg.keyword.value if arg.keyword else str(len(call.arg_sources))
                made = call.arg_instances if origin[0] == "new" else call.arg_results
                made[position] = origin[1]
            fresh = self._only_fresh(frame, value, *names)
            if arg.keyword is not None:
                call.keyword_sources[arg.keyword.value] = sources
                if from_user:
                    call.user_keywords.append(arg.keyword.value)
                if fresh:
                    call.fresh_args.append(arg.keyword.value)
            elif len(call.arg_sources) < 8:
                if from_user:
                    call.user_args.append(len(call.arg_sources))
                if fresh:
                    call.fresh_args.append(str(len(call.arg_sources)))
                call.arg_sources.append(sources)
            if call.star_at >= 0:
                break  # what follows a `*args` has no fixed position

    def _mark_check_then_act(self, site: WriteSite, frame: _Frame) -> None:
        if site.operation not in ("setitem", "call:setdefault", "call:__setitem__"):
            return
        container = site.target.text()
        for check in frame.checks:
            if check.awaited and not check.locked and check.container == container:
                if check.key == site.key.text:
                    site.after_await_check = True

    def _bind_local(self, name: str) -> None:
        if self.frame.kind == "function" and name not in self.frame.globals:
            self.frame.bound.add(name)

    # ---- calls ---------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        callee_name = ex.last_name(node.func)
        self._note_call_reads(node, callee_name)
        if (
            callee_name in ("getattr", "hasattr", "setattr")
            and node.args
            and type(node.args[0].value) is cst.Name
            and self.frame.function is not None
        ):
            self._note_request_state_read(self.frame, node.args[0].value.value)
        if callee_name == "ContextVar":
            self._contextvar_default(node)
        if callee_name in self.options.legacy_classes or (
            type(node.func) is cst.Name and node.func.value in self._legacy_local
        ):
            if self._is_legacy_reference(node.func):
                self._record_legacy("instantiation", callee_name or "", node.func)
                self._skip_legacy.add(id(node.func))
        if id(node) in self._decorator_calls:
            return
        frame = self._function_frame()
        if frame is None:
            callee = ex.access_of(node.func, self.options.user_keys)
            result_method = ""
            if callee is None:
                callee, result_method = _method_of_call_result(node.func)
            if callee is not None:
                per_session = self._serves_the_session(callee)
                call = CallSite(
                    callee,
                    not per_session,
                    function=self._as_script(node).owner if per_session else None,
                    span=self._placeholder(),
                    args=_argument_accesses(node),
                    keyword_args=_keyword_accesses(node),
                )
                call.result_method = result_method
                call.chained_result = bool(result_method)
                call.deferred = not per_session and (
                    self._main_guard_depth > 0 or self._lambda_depth > 0
                )
                if self.frame.kind == "class":
                    call.in_class_body = self.frame.qualname
                call.positional, call.keywords = _call_shape(node)
                self._span_later(call, "span", node)
                self._add_call(call)
            func = node.func
            if (
                type(func) is cst.Attribute
                and func.attr.value in ex.MUTATING_METHODS
                and self._writes_imported_state_from_a_script(func)
            ):
                self._mutating_call(node, self._as_script(node))
            return
        self._function_call(node, frame)

    def _function_call(self, node: cst.Call, frame: _Frame) -> None:
        function = frame.function
        if function is not None and not function.reads_caller and node.args:
            _note_credential_read(function, node.args[0].value, node.func)  # `.get("Cookie")`
        rebound = self._attribute_set_by_call(node, frame)
        if rebound is not None:
            self._write_target(rebound[0], rebound[1], node, "set")
        self._record_call(node, node, frame)
        if frame.buffers:
            _fill_buffers(node, frame)
        handed = self._handed_callable(node)
        if handed is not None:  # `run_in_threadpool(agent, body)`
            self._record_call(handed, node, frame, by_runner=True)
        func = node.func
        if rebound is not None:
            return
        if type(func) is cst.Attribute and func.attr.value == "add_done_callback":
            self._note_keepalive(node)
        if type(func) is cst.Attribute:
            method = func.attr.value
            if method in _STORE_WRITES or (method in _QUEUE_PUTS and _keyed_call(node)):
                self._store_write(node, func, frame)
            elif method in _QUEUE_PUTS:
                self._queue_put(node, func, frame)
            elif method in self.options.graph_runs:
                self._conversation_turn(node, func, frame)
            elif method in _QUEUE_TAKES and not node.args:
                _note_taken_from(frame, func.value)
        self._mutating_call(node, frame)

    def _handed_callable(self, node: cst.Call) -> cst.Call | None:
        """The call a runner makes of the callable it is handed (the models'
        ``callable-runners``): ``run_in_threadpool(fn, a)``, ``loop.run_in_executor(None,
        fn, a)``, ``background_tasks.add_task(fn, a)``, ``Thread(target=fn, args=(a,))`` and
        ``sync_to_async(fn)(a)`` all run ``fn(a)``, as the request's own call would."""
        func = node.func
        if type(func) is cst.Call:
            wrapped = func.args[0] if func.args else None
            if self._runner_position(func.func) == 0 and wrapped and wrapped.keyword is None:
                return _callable_call(wrapped.value, node.args)
            return None
        position = self._runner_position(func)
        if position is None:
            return None
        positional = [index for index, arg in enumerate(node.args) if arg.keyword is None]
        if any(arg.star for arg in node.args[: position + 1]):
            return None
        if len(positional) > position:
            index = positional[position]
            return _callable_call(node.args[index].value, node.args[index + 1 :])
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword}
        target = keywords.get("target")
        if target is None:
            return None
        passed = keywords.get("args")
        if passed is not None and not isinstance(passed, (cst.Tuple, cst.List)):
            return None
        elements = passed.elements if passed is not None else ()
        if any(isinstance(element, cst.StarredElement) for element in elements):
            return None
        return _callable_call(target, [cst.Arg(element.value) for element in elements])

    def _runner_position(self, func: cst.BaseExpression) -> int | None:
        """Where a runner takes the callable it runs, by the runner's qualified name
        (resolved through the imports) or, for a method, its name (``.submit``)."""
        runners = self._runners
        if type(func) is cst.Attribute:
            last = func.attr.value
        elif type(func) is cst.Name:
            last = func.value
        else:
            return None
        if last not in self._runner_names:
            return None
        dotted = ex.dotted_name(func) or ""
        head, _, rest = dotted.partition(".")
        ref = self.facts.imports.get(head)
        if ref is not None:
            qualified = ".".join(part for part in (ref.module, ref.name, rest) if part)
            if qualified in runners:
                return runners[qualified]
        if type(func) is cst.Attribute:
            return runners.get("." + func.attr.value)
        return None

    def _record_call(
        self, node: cst.Call, at: cst.Call, frame: _Frame, *, by_runner: bool = False
    ) -> None:
        """A call site for ``node`` (positioned at ``at``, the call written in the source;
        ``by_runner``: the call a runner makes of the callable ``at`` hands it)."""
        matcher = self.options.user_keys
        callee = ex.access_of(node.func, matcher) or _method_of_new_instance(node.func)
        result_method = ""
        if callee is None:
            callee, result_method = _method_of_call_result(node.func)
        if callee is not None and self._calls_a_builtin(callee):
            return  # `len(x)`: never leads into the project (`_add_call` would drop it)
        if callee is not None:
            call = CallSite(
                callee,
                at_import_time=False,
                function=frame.owner,
                span=self._placeholder(),
                args=[_kept_by_the_app(frame, arg) for arg in _argument_accesses(node)],
                keyword_args={
                    name: _kept_by_the_app(frame, arg) or arg
                    for name, arg in _keyword_accesses(node).items()
                },
            )
            call.positional, call.keywords = _call_shape(node)
            call.result_method = result_method
            call.chained_result = bool(result_method)
            call.conditional = bool(frame.if_tests)
            call.handed = by_runner
            if frame.self_name is not None and frame.function is not None and callee.attrs:
                handed = _self_attributes(node, frame.self_name)
                if handed:
                    frame.function.hands_own_methods.setdefault(callee.text(), []).extend(handed)
            self._argument_sources(frame, call, node)
            self._span_later(call, "span", at)
            frame.pending.append(_Pending("call", callee, call))

    def _calls_a_builtin(self, callee: Access) -> bool:
        """``len(x)``, with no local of that name in any enclosing scope to stand for it."""
        if callee.attrs or callee.root not in _BUILTINS:
            return False
        return not any(callee.root in frame.bound for frame in self.frames)

    def _writes_imported_state_from_a_script(self, written: cst.BaseExpression) -> bool:
        """A store at the top level of a Streamlit script into what another module holds
        (``HISTORY.append(q)``, ``state.SETTINGS["user"] = name`` with ``HISTORY`` and
        ``state`` imported), or into what one of the script's functions hands out
        (``get_history().append(q)``: judged later by whether the function keeps its result
        for the process, as ``@st.cache_resource`` does). Streamlit runs a script's top
        level for every session, in a fresh namespace each time, so its own globals are the
        session's; the modules it imports are imported once for the process."""
        if not self._streamlit_script or self.frame.kind != "module":
            return False
        if self._main_guard_depth or self._lambda_depth:
            return False
        root, called = written, False
        while type(root) in (cst.Attribute, cst.Subscript, cst.Call):
            called = called or type(root) is cst.Call
            root = root.func if type(root) is cst.Call else root.value  # type: ignore[attr-defined]
        if type(root) is not cst.Name:
            return False
        return root.value in self.facts.imports or (called and root.value in self.facts.functions)

    def _serves_the_session(self, callee: Access) -> bool:
        """A call of one of the script's own functions at the top level of a Streamlit
        script, main guard included (Streamlit runs the script as ``__main__``): ``main()``
        runs for every session, as part of the script function."""
        if not self._streamlit_script or self.frame.kind != "module" or self._lambda_depth:
            return False
        return not callee.attrs and not callee.keys and callee.root in self.facts.functions

    def _as_script(self, node: cst.CSTNode) -> _Frame:
        """The module frame, as the script function its top-level writes belong to
        (``SCRIPT_FUNCTION``, which the program treats as an entry point)."""
        module = self.frames[0]
        if module.owner != SCRIPT_FUNCTION:
            module.owner = SCRIPT_FUNCTION
            script = Function(
                qualname=SCRIPT_FUNCTION,
                name=SCRIPT_FUNCTION,
                owner=SCRIPT_FUNCTION,
                class_name=None,
                is_async=False,
                is_entry=False,
                span=self._placeholder(),
            )
            self._span_later(script, "span", node)
            self.facts.functions[SCRIPT_FUNCTION] = script
        return module

    def _mutating_call(self, node: cst.Call, frame: _Frame) -> None:
        """``x.append(v)``, ``x.update(d)``, ``x.setdefault(k, v)``: a write into ``x``."""
        func = node.func
        if type(func) is not cst.Attribute or func.attr.value not in ex.MUTATING_METHODS:
            return
        matcher = self.options.user_keys
        method = func.attr.value
        self._note_context_value_mutation(frame, func.value)
        target = ex.access_of(func.value, matcher, frame.user_scoped)
        returned_by_call = False
        if target is None and type(func.value) is cst.Call and not func.value.args:
            # `get_history().append(x)`: the object a getter hands out
            target = ex.access_of(func.value.func, _NO_USER_KEYS)
            returned_by_call = target is not None
        if target is None:
            return
        args = [arg.value for arg in node.args]
        if method in _FILLING_METHODS:
            self._flow_into_local(frame, func.value, args)
        if method in ex.KEYED_METHODS and args:
            key = ex.classify_key(args[0], matcher, frame.user_scoped)
        elif method in _SET_ELEMENT_METHODS and args:
            element = ex.classify_key(args[0], matcher, frame.user_scoped)
            key = element if element.kind == "user" else Key("none")
        elif method == "update" and args and type(args[0]) is cst.Dict:
            key = _strongest_key(args[0], matcher, frame.user_scoped)
        else:
            key = Key("none")
        value_index = 1 if method in ("setdefault", "__setitem__", "insert") else 0
        # the data a keyed method stores is its value argument, not the key
        stored_args = args[1:] if method in ex.KEYED_METHODS else args
        if method in _STORING_METHODS and len(args) > value_index:
            stored = args[value_index]
            if type(stored) is cst.Name:
                frame.stored.add(stored.value)  # the object itself, not a copy of its items
        site = WriteSite(
            target=target,
            operation=f"call:{method}",
            key=key,
            span=self._placeholder(),
            function=frame.owner,
            value_from_param=any(frame.sources(arg) for arg in stored_args),
            value_sources=sorted(set().union(*(frame.sources(arg) for arg in stored_args))),
            key_sources=sorted(frame.sources(func.value))
            + sorted(frame.sources(args[0]) if method in ex.KEYED_METHODS and args else ()),
            under_lock=frame.lock_depth > 0,
            memoized=method in ("setdefault", "__setitem__")
            and len(args) == 2
            and _memoizes_key(frame, args[0], args[1]),
        )
        site.returned_by_call = returned_by_call
        if len(args) > value_index:
            self._set_value_call(site, args[value_index])
            self._describe_value(site, args[value_index], frame, "set")
        self._mark_check_then_act(site, frame)
        site.guarded_by_truth = any(target.root in guard for guard in frame.guards)
        if method in _SET_ELEMENT_METHODS and args:
            # `if name not in DONE: ...; DONE.add(name)`: marks work done once per element
            site.fills_absent = (target.text(), ex.expression_text(args[0])) in frame.fills
        self._span_later(site, "span", node)
        frame.pending.append(_Pending("write", target, site))

    def _flow_into_local(
        self, frame: _Frame, container: cst.BaseExpression, stored: Sequence[cst.CSTNode]
    ) -> None:
        """``prefixes.append(f"setting/{namespace}")``, ``extra["ns"] = namespace``: a
        local container now holds what is put into it, and is computed from it too."""
        if type(container) is not cst.Name or container.value not in frame.bound:
            return
        name = container.value
        if name == frame.self_name:
            return
        names: set[str] = set()
        for node in stored:
            names |= ex.names_read(node)
        names.discard(name)
        sources = frame.sources_of(names)
        if sources:
            frame.tainted[name] = frame.tainted.get(name, frozenset()) | sources
        inputs = frame.inputs_of(names)
        if inputs:
            frame.depends[name] = frame.depends.get(name, frozenset()) | inputs

    def _store_write(self, node: cst.Call, func: cst.Attribute, frame: _Frame) -> None:
        """``cache.set(key, value)``, ``redis.setex(key, ttl, value)``: a write into a store
        that may be shared by every process (resolved and judged by the project index)."""
        value_index = _STORE_WRITES.get(func.attr.value, 1)
        args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if len(args) <= value_index:
            if not _keyed_call(node):
                return
            keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword}
            args, value_index = [keywords["key"], keywords["value"]], 1
        receiver = ex.access_of(func.value, _NO_USER_KEYS)
        if receiver is None:
            return
        matcher = self.options.user_keys
        keys = [ex.classify_key(arg, matcher, frame.user_scoped) for arg in args[:value_index]]
        key = next((k for k in keys if k.kind == "user"), None) or next(
            (k for k in keys if k.kind == "dynamic"), keys[0] if keys else Key("none")
        )
        made_by = _key_made_by(frame, args[keys.index(key)]) if key.kind == "dynamic" else None
        value = args[value_index]
        site = WriteSite(
            target=receiver,
            operation=f"store:{func.attr.value}",
            key=key,
            span=self._placeholder(),
            function=frame.owner,
            value_from_param=bool(frame.sources(value)),
            value_sources=sorted(frame.sources(value)),
            key_sources=sorted(set().union(*(frame.sources(a) for a in args[:value_index]))),
            under_lock=frame.lock_depth > 0,
            key_call=made_by,
        )
        self._describe_value(site, value, frame, "set")
        self._span_later(site, "span", node)
        frame.pending.append(_Pending("write", receiver, site))

    def _queue_put(self, node: cst.Call, func: cst.Attribute, frame: _Frame) -> None:
        """``self.ws_messages.put_nowait(note)``: an item handed to whoever takes the next one
        out of the queue (judged by the project index once the receiver is known a queue)."""
        args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if args:
            self._handed_to_receiver(node, func, frame, "queue", args[0])

    def _conversation_turn(self, node: cst.Call, func: cst.Attribute, frame: _Frame) -> None:
        """``app.invoke({"messages": [...]}, config={"configurable": {"thread_id": t}})``: a
        LangGraph run whose checkpointer (when the graph has one) keeps the input under thread
        ``t``, read back as the conversation of that thread's next run."""
        thread = _configured_thread(node, frame.dict_displays)
        args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if thread is not None and args:
            self._handed_to_receiver(node, func, frame, "memory", args[0], thread)

    def _handed_to_receiver(
        self,
        node: cst.Call,
        func: cst.Attribute,
        frame: _Frame,
        kind: str,
        given: cst.BaseExpression,
        key: cst.BaseExpression | None = None,
    ) -> None:
        """A write of what a call hands its receiver (under ``key``, when it names one): an
        item for a queue (``queue:put``), a turn for a graph's conversation (``memory:``)."""
        receiver = ex.access_of(func.value, _NO_USER_KEYS)
        if receiver is None or receiver.keys:
            return
        site = WriteSite(
            target=receiver,
            operation=f"{kind}:{func.attr.value}",
            key=Key("none")
            if key is None
            else ex.classify_key(key, self.options.user_keys, frame.user_scoped),
            span=self._placeholder(),
            function=frame.owner,
            value_from_param=bool(frame.sources(given)),
            value_sources=sorted(frame.sources(given)),
            key_sources=sorted(frame.sources(key)) if key is not None else [],
            under_lock=frame.lock_depth > 0,
        )
        self._describe_value(site, given, frame, "set")
        self._span_later(site, "span", node)
        frame.pending.append(_Pending("write", receiver, site))

    def _note_keepalive(self, node: cst.Call) -> None:
        """``task.add_done_callback(TASKS.discard)``: TASKS keeps running tasks alive until
        they finish (asyncio's documented idiom); adding to it stores no request data."""
        if node.args and type(node.args[0].value) is cst.Attribute:
            callback = node.args[0].value
            if callback.attr.value in ("discard", "remove"):
                container = ex.access_of(callback.value, _NO_USER_KEYS)
                if container is not None:
                    self._keepalive_sets.add(container.text())

    def _contextvar_default(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                kind = ex.container_type(arg.value)
                if kind is not None:
                    name = ""
                    if node.args and type(node.args[0].value) is cst.SimpleString:
                        evaluated = node.args[0].value.evaluated_value
                        name = evaluated if isinstance(evaluated, str) else ""
                    fact = ContextVarDefault(
                        name, kind, self._placeholder(), variable=self._assigning
                    )
                    self._span_later(fact, "span", node)
                    self.facts.contextvar_defaults.append(fact)

    def _note_call_reads(self, node: cst.Call, callee_name: str | None) -> None:
        """A writing method's receiver is not read (``self.errors.append(e)``); a name read by
        ``getattr(self, "_token")`` is; ``vars(self)`` and ``asdict(self)`` read every one."""
        func = node.func
        if (
            type(func) is cst.Attribute
            and func.attr.value in ex.WRITING_METHODS
            and isinstance(func.value, (cst.Attribute, cst.Name))
        ):
            self._not_reads.add(id(func.value))
        elif callee_name in ("getattr", "hasattr") and len(node.args) > 1:
            name = node.args[1].value
            # `getattr(self, field)`: any attribute may be the one read
            literal = name.raw_value if type(name) is cst.SimpleString else "__dict__"
            self._note_attribute_read(literal)
        elif callee_name in ("vars", "asdict", "astuple", "attrgetter") and node.args:
            self._note_attribute_read("__dict__")

    def visit_While(self, node: cst.While) -> None:
        frame = self._function_frame()
        if frame is not None:
            frame.loops.append(_endless(node.test))
            frame.branch_depth += 1

    def leave_While(self, original_node: cst.While) -> None:
        frame = self._function_frame()
        if frame is not None:
            frame.loops.pop()
            frame.branch_depth -= 1

    def visit_Try(self, node: cst.Try) -> None:
        self._enter_branch()

    def leave_Try(self, original_node: cst.Try) -> None:
        self._leave_branch()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._enter_branch()

    def leave_TryStar(self, original_node: cst.TryStar) -> None:
        self._leave_branch()

    def leave_For(self, original_node: cst.For) -> None:
        self._leave_branch()

    def _enter_branch(self) -> None:
        frame = self._function_frame()
        if frame is not None:
            frame.branch_depth += 1

    def _leave_branch(self) -> None:
        frame = self._function_frame()
        if frame is not None:
            frame.branch_depth -= 1

    def visit_Await(self, node: cst.Await) -> None:
        frame = self._function_frame()
        if frame is not None:
            frame.suspensions += 1
            for check in frame.checks:
                check.awaited = True
            if frame.function is not None and any(frame.loops) and _takes_an_item(node):
                frame.function.queue_worker = True

    def visit_With(self, node: cst.With) -> None:
        frame = self._function_frame()
        if frame is not None and _is_lock(node):
            frame.lock_depth += 1
        if frame is not None and node.asynchronous is not None:
            frame.async_blocks += 1  # `__aenter__` may suspend
        for item in node.items:
            if item.asname is not None:
                for target in _flatten_targets(item.asname.name):
                    if type(target) is cst.Name:
                        self._bind_local(target.value)
                        if frame is not None:  # `with open(path) as handle`
                            self._flow_into_local(frame, target, [item.item])

    def leave_With(self, original_node: cst.With) -> None:
        frame = self._function_frame()
        if frame is not None and _is_lock(original_node):
            frame.lock_depth -= 1
        if frame is not None and original_node.asynchronous is not None:
            frame.async_blocks += 1  # and so may `__aexit__`

    def visit_For(self, node: cst.For) -> None:
        self._enter_branch()
        frame = self._function_frame()
        if frame is not None and node.asynchronous is not None:
            frame.async_blocks += 1  # each `__anext__` may suspend
        if frame is not None and type(node.target) is cst.Name:
            iterated = _iterated_container(node.iter, self.options.user_keys)
            if iterated is None:
                iterated = _nested_in_a_copy(frame, node.iter, self.options.user_keys)
            _note_consistent(frame.elements, node.target.value, iterated)
            frame.iterated.add(node.target.value)
        for target in _flatten_targets(node.target):
            if type(target) is cst.Name:
                self._bind_local(target.value)
                sources = frame.sources(node.iter) if frame is not None else frozenset()
                if frame is not None and sources:
                    frame.tainted[target.value] = sources

    def visit_CompFor(self, node: cst.CompFor) -> None:
        for target in _flatten_targets(node.target):
            if type(target) is cst.Name:
                self._bind_local(target.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if type(node.target) is cst.Name:
            self._bind_local(node.target.value)
            frame = self._function_frame()
            if frame is not None:  # `if (name := request.args.get("name")):`
                self._flow_into_local(frame, node.target, [node.value])

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and type(node.name.name) is cst.Name:
            self._bind_local(node.name.name.value)

    def visit_Global(self, node: cst.Global) -> None:
        if self.frame.kind == "function":
            self.frame.globals.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        if self.frame.kind == "function":
            self.frame.bound.update(item.name.value for item in node.names)

    def leave_Return(self, original_node: cst.Return) -> None:
        self._returning -= 1

    def visit_Return(self, node: cst.Return) -> None:
        self._returning += 1  # what a return hands out is read after this function suspends
        frame = self.frame
        if frame.kind != "function" or node.value is None:
            return
        frame.stored.update(_held_names(node.value))  # `return data`, `return (sid, data)`
        if type(node.value) is cst.Name:
            if frame.function is not None and frame.function.qualname == frame.qualname:
                frame.function.returns_names.append(node.value.value)
        state_name = _request_state_name(node.value)
        if state_name and frame.function is not None:
            frame.function.returns_request_state.append(state_name)
        returned = node.value
        if (
            type(returned) is cst.Attribute
            and type(returned.value) is cst.Name
            and returned.value.value == frame.self_name
            and frame.function is not None
        ):
            frame.function.returns_self_attributes.append(returned.attr.value)
        if type(node.value) is cst.Call:
            callee = ex.access_of(node.value.func, self.options.user_keys)
            if callee is not None:
                frame.pending.append(_Pending("return", callee, callee))
        function = frame.function
        if function is not None and function.qualname == frame.qualname:
            sources = frame.sources(node.value)
            function.return_sources = sorted(set(function.return_sources) | sources)
            roots, attributes = ex.read_names(node.value)
            if self._reads_user_key(node.value, roots, attributes, frame) or (
                roots & frame.bound & CREDENTIAL_NAMES
            ):
                # (a key made from the caller's own credential is one per credential)
                function.returns_user_scoped = True
            if _value_kind(node.value, frame.kinds) not in ("number", "bool"):
                module_names = self._module_names_among(frame, roots)
                reads = [*module_names.imported, *module_names.built, *module_names.functions]
                function.return_reads = sorted(set(function.return_reads).union(reads))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        function = self.frame.function
        if function is not None and not function.reads_caller and len(node.slice) == 1:
            index = node.slice[0].slice
            if type(index) is cst.Index:
                _note_credential_read(function, index.value, node.value)  # `headers["Cookie"]`

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) not in self._not_reads:
            self._note_attribute_read(node.attr.value)
        if node.attr.value in self.options.legacy_classes:
            self._skip_legacy.add(id(node.attr))
            if id(node) not in self._skip_legacy and self._is_legacy_reference(node):
                self._record_legacy("reference", node.attr.value, node)
        frame = self.frame
        if type(node.value) is cst.Name and frame.function is not None:
            self._note_request_state_read(frame, node.value.value)
            function = frame.function
            root = node.value.value
            if function.cache_decorator is not None and root in self.facts.imports:
                self._note_cached_import_read(function, node)
                self._attribute_roots.add(id(node.value))
            if (
                node.attr.value in REQUEST_ID_PARAMETERS
                and root in function.params
                and root not in function.identity_params
            ):
                function.identity_params.append(root)
        if (
            node.attr.value in _CALLER_ATTRIBUTES
            and frame.function is not None
            and not frame.function.reads_caller
            and (root_name := _chain_root(node))
            and (root_name in frame.function.params or root_name in self.facts.imports)
            and not (node.attr.value == "session" and self._a_database_handle(frame, root_name))
        ):
            frame.function.reads_caller = True
        if type(node.value) is cst.Name and frame.function is not None:
            # `self._local.user` or `Locals.LOCALS` (a thread local kept on a class), and in
            # async code any `self.x`, which the project index resolves later
            through = self._class_holding_thread_local(frame, node.value.value, node.attr.value)
            if through is None and frame.function.is_async and node.value.value == frame.self_name:
                through = frame.class_name
            if through is not None:
                sync_function = "" if frame.function.is_async else frame.owner
                use = AsyncUse(node.attr.value, self._placeholder(), through, sync_function)
                self._span_later(use, "span", node)
                self.facts.async_uses.append(use)
                return
        if type(node.value) is cst.Name and frame.function is not None and frame.function.is_async:
            use = AsyncUse(node.value.value, self._placeholder())
            self._span_later(use, "span", node)
            frame.pending.append(_Pending("async", Access(use.root), use))
        elif (
            type(node.value) is cst.Name
            and frame.function is not None
            and node.value.value not in frame.bound
            and self._may_be_thread_local(node.value.value)
        ):
            use = AsyncUse(node.value.value, self._placeholder(), sync_function=frame.owner)
            self._span_later(use, "span", node)
            frame.pending.append(_Pending("async", Access(use.root), use))

    def _class_holding_thread_local(self, frame: _Frame, root: str, attribute: str) -> str | None:
        """The class of ``self._local`` or ``Locals.LOCALS`` when that attribute holds a
        thread local (set in the class body, or by a method before this use)."""
        if attribute not in self._thread_local_attributes:
            return None
        class_name = frame.class_name if root == frame.self_name else root
        if class_name is None or (root != frame.self_name and root in frame.bound):
            return None
        class_facts = self.facts.classes.get(class_name)
        if class_facts is None:
            return None
        binding = class_facts.attributes.get(attribute)
        return class_name if binding is not None and binding.kind == "threading_local" else None

    def _may_be_thread_local(self, name: str) -> bool:
        """This module's thread local, or a name imported from another module (which the
        project index resolves): the only names a synchronous use is recorded for."""
        binding = self.facts.bindings.get(name)
        if binding is not None:
            return binding.kind == "threading_local"
        ref = self.facts.imports.get(name)
        if ref is None or ref.name is None:
            return False
        # names a thread local goes by; the index resolves the rest (and a module imported by
        # name, `from django.db import models`, is not worth a fact per function)
        lowered = name.lower()
        return lowered.startswith("_") or any(word in lowered for word in _THREAD_LOCAL_WORDS)

    def _a_database_handle(self, frame: _Frame, root: str) -> bool:
        """``db.session``: the root is an object imported from a module (Flask-SQLAlchemy's
        ``db``; ``import flask; flask.session`` is the visitor's) or a parameter named for
        the database."""
        imported = self.facts.imports.get(root)
        if imported is not None and root not in (frame.function.params if frame.function else ()):
            return imported.name is not None
        return root.lower() in _DATABASE_HANDLE_NAMES

    def _note_request_state_read(self, frame: _Frame, name: str) -> None:
        """A function reading this module's thread local or ContextVar reads request state."""
        if frame.function is None or name in frame.bound:
            return
        binding = self.facts.bindings.get(name)
        if binding is None:
            return
        if binding.kind == "threading_local" or (
            binding.kind == "call"
            and binding.callee is not None
            and (binding.callee.attrs or [binding.callee.root])[-1] == "ContextVar"
        ):
            frame.function.reads_request_state = True

    def visit_Name(self, node: cst.Name) -> None:
        frame = self.frame
        function = frame.function
        if id(node) not in self._not_reads:
            self._loaded_names.add(node.value)
            if frame.nested:
                frame.loads.add(node.value)
        if (
            function is not None
            and node.value in self.facts.imports
            and node.value not in frame.bound
            and node.value not in function.reads_globals
        ):
            function.reads_globals.append(node.value)
        elif (
            function is not None
            and node.value in self.facts.bindings
            and (node.value not in frame.bound or node.value in frame.globals)
            and id(node) not in self._not_reads
        ):
            reads = self._free_reads.get(id(function))
            if reads is None:
                reads = self._free_reads[id(function)] = (function, set())
            reads[1].add(node.value)
            if function.is_async:
                escapes = self._returning or id(node) in self._aliased
                switches = -1 if escapes else frame.suspensions + frame.async_blocks
                frame.global_loads.append((node.value, switches))
        if function is not None and function.cache_decorator is not None:
            self._note_cached_read(frame, function, node)
        if node.value in self._legacy_local and id(node) not in self._skip_legacy:
            if self._is_legacy_reference(node):
                self._record_legacy("reference", node.value, node)

    def _note_cached_read(self, frame: _Frame, function: Function, node: cst.Name) -> None:
        """The first read of each outside name in a cached function (``api_key``), and of
        each import read other than through an attribute (``session["token"]``: the
        attribute reads, ``st.session_state``, are noted with their attribute)."""
        name = node.value
        if name in frame.bound or name in _BUILTINS:
            return
        if name in self.facts.imports and id(node) in self._attribute_roots:
            return
        if any(read.name == name for read in function.cached_reads):
            return
        read = NameRead(name, self._placeholder())
        self._span_later(read, "span", node)
        function.cached_reads.append(read)

    def _note_cached_import_read(self, function: Function, node: cst.Attribute) -> None:
        """``st.session_state`` read in a cached function: an imported object's attribute."""
        name = f"{ex.dotted_name(node.value)}.{node.attr.value}"
        if any(read.name == name for read in function.cached_reads):
            return
        read = NameRead(name, self._placeholder())
        self._span_later(read, "span", node)
        function.cached_reads.append(read)

    # ---- legacy class ----------------------------------------------------------------------

    def _is_legacy_reference(self, node: cst.CSTNode) -> bool:
        return (
            self._annotation_depth == 0
            and self._import_depth == 0
            and self._legacy_class_depth == 0
            and id(node) not in self._skip_legacy
        )

    def _record_legacy(self, context: str, name: str, node: cst.CSTNode) -> None:
        use = LegacyUse(context, name, self._placeholder())
        self._span_later(use, "span", node)
        self.facts.legacy_uses.append(use)

    def visit_Annotation(self, node: cst.Annotation) -> None:
        if self._annotation_depth == 0 and self._legacy_class_depth == 0:
            mentioned = self._legacy_in_annotation(node.annotation)
            if mentioned is not None:
                self._record_legacy("annotation", mentioned, node.annotation)
        self._annotation_depth += 1

    def leave_Annotation(self, original_node: cst.Annotation) -> None:
        self._annotation_depth -= 1

    def _legacy_in_annotation(self, node: cst.BaseExpression) -> str | None:
        if not self._legacy_in_text:
            return None
        legacy = self.options.legacy_classes
        for chain in ex.dotted_chains(node):
            last = chain.rsplit(".", 1)[-1]
            if last in legacy or chain in self._legacy_local:
                return last
        names = (*legacy, *self._legacy_local)
        for string in _strings_in(node):
            if not any(name in string for name in names):
                continue  # a forward reference to another class: no need to parse it
            try:
                forward_reference = cst.parse_expression(string)
            except (cst.ParserSyntaxError, RecursionError, ValueError):
                continue
            mentioned = self._legacy_in_annotation(forward_reference)
            if mentioned is not None:
                return mentioned
        return None

    # ---- functions and classes -----------------------------------------------------------

    def _definition_key(self, kind: str, qualname: str) -> str:
        """``qualname``, or a key of its own when the module defined that name before."""
        self._definitions[(kind, qualname)] += 1
        count = self._definitions[(kind, qualname)]
        return qualname if count == 1 else redefinition_key(qualname, count)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self.frame
        name = node.name.value
        self._not_reads.add(id(node.name))  # defining the name is no reference to it
        qualname = f"{parent.qualname}.{name}" if parent.qualname else name
        qualname = self._definition_key("function", qualname)
        outer = self._function_frame()
        # A function defined inside another that is decorated or takes a request (a route or
        # middleware in an app factory) is a function of its own: it runs when the server
        # calls it, not with the factory. Other nested functions (helpers, closures) are part
        # of the function that defines them.
        # So is a decorator's wrapper: a nested function its definer returns that takes
        # whatever the decorated function is handed (``*args, **kwargs``).
        stands_in = (
            parent.kind == "function"
            and name == parent.returned_name
            and (type(node.params.star_arg) is cst.Param or node.params.star_kwarg is not None)
        )
        own = outer is None or (
            parent.kind == "function"
            and (
                bool(node.decorators)
                or stands_in
                or any(self._is_request_param(p) for p in _all_params(node.params))
            )
        )
        owner = qualname if own or outer is None else outer.owner
        if parent.kind == "function":
            parent.bound.add(name)
        decorator_names = [ex.last_name(d.decorator) or "" for d in node.decorators]
        self._record_decorators(node)
        function = Function(
            qualname=qualname,
            name=name,
            owner=owner,
            class_name=parent.qualname if parent.kind == "class" else None,
            is_async=node.asynchronous is not None,
            is_entry=any(d in self.options.entry_decorators for d in decorator_names),
            span=self._placeholder(),
            decorator_names=decorator_names,
        )
        self._span_later(function, "span", node.name)
        function.decorators = []
        for decorator in node.decorators:
            use = _decorator_use(decorator)
            if use is None:
                continue
            use = _through_alias(parent, use)
            use.span = self._placeholder()
            self._span_later(use, "span", decorator)
            function.decorators.append(use)
        function.admin_only = _admin_only(node)
        function.return_type = _declared_type(node.returns)
        function.stands_in = stands_in
        frame = _Frame("function", qualname, owner=owner, function=function)
        frame.nested = outer is not None
        frame.returned_name = _returned_name(node.body)
        params = _all_params(node.params)
        frame.bound.update(p.name.value for p in params)
        if type(node.params.star_kwarg) is cst.Param:
            function.keywords_param = node.params.star_kwarg.name.value
        if parent.kind == "class" and params and "staticmethod" not in decorator_names:
            frame.self_name = params[0].name.value
            frame.class_name = parent.qualname
            if parent.class_facts is not None:
                parent.class_facts.methods.append(name)
        for param in params:
            param_name = param.name.value
            if param_name != frame.self_name:
                frame.tainted[param_name] = frozenset({param_name})
                function.params.append(param_name)
                declared = _declared_type(param.annotation)
                provider = _dependency_provider(param.default)
                if provider is not None:
                    function.dependency_providers[param_name] = provider
                if declared is not None:
                    function.param_types[param_name] = declared
                elif _annotates_a_class(param.annotation):
                    frame.class_params.add(param_name)
                if _is_measure(param_name, param.annotation, self.options.user_keys):
                    frame.kinds[param_name] = "number"
                elif _is_flag(param.annotation):
                    frame.kinds[param_name] = "bool"
            if self._is_request_param(param):
                function.request_params.append(param_name)
                if _is_scalar_annotation(param.annotation):
                    function.scalar_params.append(param_name)
            if param.default is not None and not _is_none(param.default):
                function.valued_defaults.append(param_name)
            default_kind = ex.container_type(param.default)
            if default_kind is None and type(param.default) is cst.Name:
                binding = self.facts.bindings.get(param.default.value)
                if binding is not None and binding.kind == "container":
                    default_kind = binding.type_name
            if default_kind is not None:
                frame.mutable_defaults[param_name] = default_kind
        for decorator in node.decorators:
            if self._is_cache_decorator(decorator.decorator):
                function.cache_decorator = self._placeholder()
                self._span_later(function, "cache_decorator", decorator)
        if own:
            self.facts.functions[qualname] = function
        self.frames.append(frame)
        self._readers.append(qualname)

    def _is_cache_decorator(self, decorator: cst.BaseExpression) -> bool:
        """``@lru_cache``, ``@st.cache_data``; ``@cached(TTLCache(...))`` when ``cached``
        (or the module it is read from) is imported from a cache library."""
        name = ex.last_name(decorator)
        if name in _CACHE_DECORATORS:
            return True
        if name not in _LIBRARY_CACHE_DECORATORS:
            return False
        callee = decorator.func if type(decorator) is cst.Call else decorator
        access = ex.access_of(callee, _NO_USER_KEYS)
        ref = self.facts.imports.get(access.root) if access is not None else None
        if ref is None or ref.level != 0 or not ref.module.startswith(_CACHE_LIBRARIES):
            return False
        return not (type(decorator) is cst.Call and self._keys_by_user(decorator))

    def _keys_by_user(self, decorator: cst.Call) -> bool:
        """``@cached(key_builder=lambda f, request, user: f"models_{user.id}")``: the key the
        cache is given names the user, so each user has their own entries; so does one made
        of the request's whole headers or cookies (``f"{request.headers=}"``), which carry
        the caller's credentials."""
        matcher = self.options.user_keys
        for arg in decorator.args:
            if arg.keyword is None or arg.keyword.value not in ("key", "key_builder"):
                continue
            for node in walk(arg.value):
                chain = ex.dotted_name(node) if isinstance(node, cst.Attribute | cst.Name) else None
                if chain is not None and matcher.matches(chain):
                    return True
                if type(node) is cst.Attribute and node.attr.value in ex.HEADER_MAPPINGS:
                    return True
        return False

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._readers.pop()
        self._resolve_pending(self.frames.pop(), original_node)

    def _is_request_param(self, param: cst.Param) -> bool:
        if param.name.value in _REQUEST_PARAM_NAMES:
            return True
        if param.annotation is None:
            return False
        wanted = _REQUEST_ANNOTATIONS | self.options.legacy_classes | {self.options.context_class}
        return any(
            (ex.dotted_name(t) or "").rsplit(".", 1)[-1] in wanted
            for t in _annotated_types(param.annotation.annotation)
        )

    def _record_decorators(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        at_import_time = self._at_import_time()
        frame = self._function_frame()
        for decorator in node.decorators:
            expression = decorator.decorator
            if type(expression) is cst.Call:
                self._decorator_calls.add(id(expression))
                expression = expression.func
            callee = ex.access_of(expression, self.options.user_keys)
            if callee is None:
                continue
            if at_import_time:
                self._add_call(CallSite(callee, at_import_time=True))
            elif frame is not None:
                call = CallSite(callee, at_import_time=False, function=frame.owner)
                self.frame.pending.append(_Pending("call", callee, call))

    def _resolve_pending(self, frame: _Frame, node: cst.FunctionDef) -> None:
        """Drop sites rooted in locals, follow aliases, hand the rest to the enclosing scope."""
        outward: list[_Pending] = []
        returns: list[Access] = []
        for pending in frame.pending:
            resolved = self._resolve_in_frame(frame, pending, node)
            if resolved is None:
                continue
            if resolved.kind == "return":
                returns.append(resolved.access)
            else:
                outward.append(resolved)
        if frame.function is not None:
            frame.function.returns_calls = returns
        _mark_read_back_at_once(frame)
        for param, kind in frame.mutable_defaults.items():
            if param in frame.stored and frame.assignments[param] == 0:
                attribute = frame.stored_on_self.get(param, "")
                self._mutable_default(frame, param, f"stores it ({kind})", node, attribute)
        parent = self._enclosing_scope()
        if parent.kind == "module":
            self._commit(outward)
        else:
            parent.pending.extend(outward)
            _hand_loads_outward(frame, parent)

    def _resolve_in_frame(
        self, frame: _Frame, pending: _Pending, node: cst.FunctionDef
    ) -> _Pending | None:
        for _ in range(8):
            root = pending.access.root
            if root in frame.globals or root not in frame.bound:
                return pending
            if pending.kind == "write" and (
                pending.access.is_application_state() or _writes_the_request_app(pending.fact)
            ):
                return pending  # `app.state.x = X()` with `app` a parameter: the app's state
            if (
                pending.kind == "write"
                and isinstance(pending.fact, WriteSite)
                and pending.fact.operation.startswith("store:")
                and root != frame.self_name
                and frame.assignments[root] <= 1
                and root not in frame.aliases
            ):
                return pending  # `client = get_redis(); client.set(k, v)`: judged by its name
            element_of = frame.elements.get(root)
            if (
                pending.kind == "call"
                and isinstance(pending.fact, CallSite)
                and element_of is not None
                and len(pending.access.attrs) == 1
            ):
                # `agent = self.agents[0]; agent.achat(message)`: a method of an object
                # taken out of a container, which the rules judge by the container
                pending.fact.element_of = element_of
                owner = self._class_of_self(frame, element_of.root)
                if owner is not None:
                    pending.fact.element_of = Access("self", element_of.attrs)
                    pending.fact.element_class = owner
                held = (frame.aliases, frame.instances, frame.call_results)
                if not any(root in known for known in held):
                    self._add_call(pending.fact)
                    return None
            copied, own_keys = frame.shallow_copies.get(root, (None, frozenset()))
            if (
                pending.kind == "write"
                and isinstance(pending.fact, WriteSite)
                and copied is not None
                and pending.access.keys
                and not pending.access.attrs
                and _unquoted(pending.access.keys[0].text) not in own_keys
            ):
                # `opts = DEFAULTS.copy(); opts["headers"]["x-user"] = u`: the copy's
                # nested containers are the original's (judged as a write into `DEFAULTS`)
                pending = _rebased(pending, copied)
                continue
            shared_in = _shared_container(frame, element_of)
            if (
                pending.kind == "write"
                and isinstance(pending.fact, WriteSite)
                and shared_in is not None
                and root in frame.iterated
                and _writes_one_entry(pending.fact)
                and not (shared_in.keys and pending.fact.target.attrs)
                and not any(root in known for known in (frame.aliases, frame.instances))
            ):
                # `for item in MENU: item["active"] = ...`, `for extension in
                # self.extensions: extension.context = c`: each entry of a container on
                # self or at module level (judged as a write into `MENU`, or into
                # `self.extensions.context`); one entry taken by its key (`self.sessions
                # .get(session_id)`) is that entity's own, judged where it is stored
                pending = _rebased(pending, shared_in)
                continue
            if root == frame.self_name:
                self._commit_self(frame, pending)
                return None
            if self._captured_by_a_handler(frame, pending, node):
                return None
            if self._written_through_typed_parameter(frame, pending):
                return None
            if root in frame.mutable_defaults and pending.kind == "write":
                fact = pending.fact
                guarded = isinstance(fact, WriteSite) and fact.guarded_by_truth
                if frame.assignments[root] == 0 and not guarded:  # not `items = list(items)`
                    self._mutable_default(frame, root, "mutates it", node)
                return None
            alias = frame.aliases.get(root)
            if pending.kind == "call" and root in frame.instances:
                alias = frame.instances[root]  # `runner = Runner(); runner.run()`
                if isinstance(pending.fact, CallSite) and pending.fact.function != frame.qualname:
                    pending.fact.receiver_scope = frame.qualname  # a handler closing over it
            elif (
                pending.kind == "call"
                and isinstance(pending.fact, CallSite)
                and root in frame.call_results
                and len(pending.access.attrs) == 1
                and frame.assignments[root] == 1
                and not pending.fact.result_method
            ):
                # `provider = get_provider(name); provider.get_token(code)`: a method of
                # what the call returned, resolved through its return type
                returned = frame.call_results[root]
                pending.fact.callee = returned
                pending.fact.result_method = pending.access.attrs[0]
                pending = _Pending("call", returned, pending.fact)
                continue
            if (
                pending.kind == "write"
                and isinstance(pending.fact, WriteSite)
                and root in frame.call_results
                and frame.assignments[root] == 1
                and not pending.access.attrs
                and not pending.fact.returned_by_call
                and not frame.call_results[root].attrs  # a function's, not `x.copy()`
                and frame.call_results[root].root not in frame.bound
            ):
                # `history = get_history(); history.append(x)`: judged against the getter
                pending.fact.returned_by_call = True
                pending = _rebased(pending, frame.call_results[root])
                continue
            if (
                pending.kind == "write"
                and isinstance(pending.fact, WriteSite)
                and root in frame.call_results
                and frame.assignments[root] == 1
                and pending.access.attrs
                and not pending.access.keys
                and not pending.fact.returned_by_call
                and frame.call_results[root].root not in frame.bound
            ):
                # `api = Api.get_instance(app); api.client.headers = h`: an attribute of what
                # a getter hands out, judged against the getter
                pending.fact.returned_by_call = True
                pending.fact.returned_attrs = list(pending.access.attrs)
                returned = frame.call_results[root]
                pending.fact.target = returned
                pending = _Pending(pending.kind, returned, pending.fact)
                return pending
            if (
                pending.kind == "write"
                and isinstance(pending.fact, WriteSite)
                and root in frame.instances
                and len(pending.access.attrs) == 1
            ):
                # `request = Request(); request.headers[k] = v`: judged against the class
                pending.fact.through_new_instance = True
                pending = _rebased(pending, frame.instances[root])
                continue
            if (
                alias is None
                and pending.kind == "call"
                and isinstance(pending.fact, CallSite)
                and frame.function is not None
                and root in frame.function.params
                and frame.assignments[root] == 0
                and len(pending.access.attrs) <= 1
                and not pending.access.keys
            ):
                # `def handle(service: Service): service.run()`, also from a handler the
                # function defines (a closure over it): a method of what the parameter
                # holds, resolved through its type (`service(body)`: its `__call__`)
                if pending.fact.function != frame.qualname:
                    pending.fact.receiver_scope = frame.qualname
                pending.fact.callee = pending.access
                self._add_call(pending.fact)
                return None
            if (
                pending.kind == "call"
                and isinstance(pending.fact, CallSite)
                and pending.access.kept_on_application_state()[0]
            ):
                # `request.app.state.ccat.chat(body)`, `request.app.state.ccat(body)` or
                # `request.app.state.ccat.rabbit_hole.ingest(file)`, directly or through a
                # local: a method of what the application keeps (or of what that keeps),
                # resolved by what is stored there
                pending.fact.callee = pending.access
                self._add_call(pending.fact)
                return None
            if alias is None or frame.assignments[root] != 1:
                return None
            pending = _rebased(pending, alias)
        return None

    def _captured_by_a_handler(
        self, frame: _Frame, pending: _Pending, node: cst.FunctionDef
    ) -> bool:
        """``def create_app(agent): ... @app.post("/chat") def chat(q): agent.history.append(q)``:
        a handler the function defines writes a container or an object the function made or
        was handed. The handler runs for every request the app serves, long after the
        function returned, so that object lives as long as the app: kept as a write of the
        function's ``captured_in`` state, with the other handlers that load it."""
        site = pending.fact
        if pending.kind != "write" or not isinstance(site, WriteSite):
            return False
        if frame.function is None or site.function == frame.owner:
            return False  # the function's own write, or a helper's that runs with it
        root = pending.access.root
        made = frame.made_here.get(root)
        if made is not None and frame.assignments[root] == 1:
            site.captured_as, created_at = made
        elif root in frame.function.params and frame.assignments[root] == 0:
            site.captured_as, created_at = "parameter", node.name
            site.captured_class = frame.function.param_types.get(root)
        else:
            return False
        if site.captured_as == "instance":
            site.captured_class = frame.instances.get(root)
        site.captured_in = frame.qualname
        site.captured_readers = sorted(frame.nested_loads.get(root, set()) - {site.function})
        site.captured_span = self._placeholder()
        self._span_later(site, "captured_span", created_at)
        self.facts.writes.append(site)
        return True

    def _enclosing_scope(self) -> _Frame:
        for candidate in reversed(self.frames):
            if candidate.kind != "class":
                return candidate
        return self.frames[0]

    def _commit(self, items: list[_Pending]) -> None:
        for pending in items:
            if pending.kind == "write" and isinstance(pending.fact, WriteSite):
                self.facts.writes.append(pending.fact)
            elif pending.kind == "call" and isinstance(pending.fact, CallSite):
                self._add_call(pending.fact)
            elif pending.kind == "async" and isinstance(pending.fact, AsyncUse):
                pending.fact.root = pending.access.root
                fact = pending.fact
                if all(
                    use.root != fact.root
                    or use.through_class
                    or use.sync_function != fact.sync_function
                    for use in self.facts.async_uses
                ):
                    self.facts.async_uses.append(fact)

    def _add_call(self, call: CallSite) -> None:
        """Record a call once per calling function; builtins never lead into the project."""
        callee = call.callee
        if not callee.attrs and callee.root in _BUILTINS:
            return
        # constructions that are handed different names (`MessageHandler(f, reply)`,
        # `MessageHandler(f, stop)`) are kept apart: each may register another function;
        # so are import-time calls (`path("a/", views.a)`, `path("b/", views.b)`) and the
        # links of a chain (`button.click(f).then(fn=g).then(fn=h)`)
        named = (callee.attrs or [callee.root])[-1][:1].isupper() or call.at_import_time
        handed: tuple[str, ...] = ()
        if named or call.result_method:
            handed = tuple(arg.text() if arg else "" for arg in call.args)
        if call.result_method:
            handed += tuple(f"{k}={v.text()}" for k, v in call.keyword_args.items() if v)
        key = (
            callee.root,
            tuple(callee.attrs),
            call.at_import_time,
            call.function,
            call.self_class,
            call.result_method,
            handed,
        )
        seen = self._seen_calls.get(key)
        if seen is None:
            self._seen_calls[key] = call
            self.facts.calls.append(call)
        else:  # the same callee again: keep what every one of its calls passes
            seen.positional = min(seen.positional, call.positional)
            seen.keywords = [k for k in seen.keywords if k in call.keywords]
            for index, sources in enumerate(call.arg_sources):
                if index < len(seen.arg_sources):
                    seen.arg_sources[index] = sorted({*seen.arg_sources[index], *sources})
                else:
                    seen.arg_sources.append(sources)
            for keyword, sources in call.keyword_sources.items():
                known = seen.keyword_sources.get(keyword, [])
                seen.keyword_sources[keyword] = sorted({*known, *sources})
            seen.user_args = sorted({*seen.user_args, *call.user_args})
            seen.user_keywords = sorted({*seen.user_keywords, *call.user_keywords})
            # a type only where every one of the calls passes the same
            for made, again in (
                (seen.arg_instances, call.arg_instances),
                (seen.arg_results, call.arg_results),
            ):
                for position in [p for p, access in made.items() if again.get(p) != access]:
                    del made[position]

    def _class_of_self(self, frame: _Frame, name: str) -> str | None:
        """The class whose instance ``name`` is in this frame: its own ``self``, or the
        ``self`` of an enclosing method that a nested function closes over."""
        if name == frame.self_name:
            return frame.class_name
        if name in frame.bound:
            return None
        for outer in reversed(self.frames):
            if outer.kind != "function":
                return None
            if outer.self_name == name:
                return outer.class_name
            if name in outer.bound:
                return None
        return None

    def _commit_self(self, frame: _Frame, pending: _Pending) -> None:
        class_name = frame.class_name
        if class_name is None:
            return
        fact = pending.fact
        if isinstance(fact, WriteSite):
            fact.self_class = class_name
            self.facts.writes.append(fact)
            self._note_self_write(frame, class_name, fact)
        elif isinstance(fact, CallSite):
            fact.self_class = class_name
            self._add_call(fact)

    def _written_through_typed_parameter(self, frame: _Frame, pending: _Pending) -> bool:
        """``svc.user = user`` (or ``svc.history.append(m)``) with ``svc: Service`` a
        parameter the function never rebinds: an attribute of the object the caller handed
        in, or the container it keeps there, kept as a write the rules judge by that class (a
        shared service set up by a request). True when it was kept."""
        fact, function = pending.fact, frame.function
        root = pending.access.root
        if (
            pending.kind != "write"
            or not isinstance(fact, WriteSite)
            or function is None
            or root not in function.params
            or root in (frame.self_name, "cls")
            or frame.assignments[root] != 0
            or len(pending.access.attrs) != 1
            or pending.access.keys
            or not (fact.operation in _THROUGH_PARAMETER or fact.operation.startswith("call:"))
        ):
            return False
        if root in function.param_types:
            fact.receiver_type = function.param_types[root]
        else:
            fact.receiver_param = root  # typed, if at all, by what every caller passes
        self.facts.writes.append(fact)
        return True

    def _note_self_write(self, frame: _Frame, class_name: str, site: WriteSite) -> None:
        facts = self.facts.classes.get(class_name)
        if facts is None or not site.target.attrs:
            return
        method = frame.qualname.rsplit(".", 1)[-1]
        if method == "__new__" and site.operation in ("setattr", "setitem"):
            # `cls._instance = super().__new__(cls)`, `cls._instances[cls] = ...`
            facts.new_keeps_instance = facts.is_singleton = True
            attrs = site.target.attrs
            if len(attrs) == 2 and _SINGLETON_ATTRIBUTE.match(attrs[0]) and site.is_container:
                _note_container_attribute(facts, attrs[1])  # `cls._instance.sessions = {}`
        if site.operation == "setattr" and len(site.target.attrs) == 1 and site.is_container:
            _note_container_attribute(facts, site.target.attrs[0])
        if site.operation == "setattr" and len(site.target.attrs) == 1:
            if method in _INIT_METHODS and site.target.attrs[0] not in facts.init_attributes:
                facts.init_attributes.append(site.target.attrs[0])
            if _SINGLETON_ATTRIBUTE.match(site.target.attrs[0]):
                facts.is_singleton = True

    def _mutable_default(
        self, frame: _Frame, param: str, how: str, node: cst.FunctionDef, stored_as: str = ""
    ) -> None:
        if param in frame.reported_defaults:
            return
        frame.reported_defaults.add(param)
        fact = MutableDefault(
            frame.qualname,
            param,
            how,
            self._placeholder(),
            stored_as=stored_as,
            class_name=frame.class_name or "",
            index=_parameter_index(node, param),
        )
        self._span_later(fact, "span", node.name)
        self.facts.mutable_defaults.append(fact)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._lambda_depth += 1
        for param in _all_params(node.params):
            self._bind_local(param.name.value)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._lambda_depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        parent = self.frame
        name = node.name.value
        self._not_reads.add(id(node.name))  # defining the name is no reference to it
        qualname = f"{parent.qualname}.{name}" if parent.qualname else name
        qualname = self._definition_key("class", qualname)
        if parent.kind == "function":
            parent.bound.add(name)
        self._record_decorators(node)
        bases = [
            access
            for arg in node.bases
            if arg.keyword is None
            # `Base[T]` (a generic base) inherits from Base
            and (access := ex.access_of(_unsubscript(arg.value), self.options.user_keys))
            is not None
        ]
        for arg in node.bases:
            mentioned = ex.last_name(arg.value)
            if mentioned in self.options.legacy_classes or mentioned in self._legacy_local:
                self._record_legacy("subclass", mentioned or "", node.name)
                self._skip_legacy.add(id(arg.value))
                if type(arg.value) is cst.Attribute:
                    self._skip_legacy.add(id(arg.value.attr))
        class_facts: ClassFacts | None = None
        if parent.kind in ("module", "class") and self._function_frame() is None:
            class_facts = ClassFacts(
                name=qualname,
                span=self._placeholder(),
                bases=bases,
                is_dsl=self._is_dsl(name, bases, parent),
                metaclass=next(
                    (
                        ex.access_of(arg.value, self.options.user_keys)
                        for arg in node.keywords
                        if arg.keyword is not None and arg.keyword.value == "metaclass"
                    ),
                    None,
                ),
                decorators=[
                    access
                    for decorator in node.decorators
                    if (access := ex.access_of(_uncalled(decorator.decorator), _NO_USER_KEYS))
                    is not None
                ],
            )
            self._span_later(class_facts, "span", node.name)
            self.facts.classes[qualname] = class_facts
        if name in self.options.legacy_classes:
            self._legacy_class_depth += 1
            self._legacy_local.add(name)
            self._skip_legacy.add(id(node.name))
        frame = _Frame("class", qualname, class_facts=class_facts)
        outer = self._function_frame()
        frame.owner = outer.owner if outer is not None else qualname
        self.frames.append(frame)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.frames.pop()
        if original_node.name.value in self.options.legacy_classes:
            self._legacy_class_depth -= 1

    def _is_dsl(self, name: str, bases: list[Access], parent: _Frame) -> bool:
        if parent.kind == "class" and name in ("Meta", "Config"):
            return True
        for base in bases:
            last = (base.attrs or [base.root])[-1]
            if last in self.options.dsl_bases:
                return True
            inherited = self.facts.classes.get(base.root)
            if inherited is not None and inherited.is_dsl and not base.attrs:
                if not only_a_protocol(inherited, self.options.dsl_bases):
                    return True
        return False

    def leave_Module(self, original_node: cst.Module) -> None:
        reads = self._attribute_reads
        self.facts.attribute_reads = {attribute: sorted(reads[attribute]) for attribute in reads}
        self.facts.loaded_names = sorted(self._loaded_names.difference(reads))
        self._commit(self.frames[0].pending)
        self.frames[0].pending = []
        self._note_shared_global_reads()
        if self._keepalive_sets:
            self.facts.writes = [
                site
                for site in self.facts.writes
                if not (
                    site.operation in ("call:add", "call:discard", "call:remove")
                    and site.target.text() in self._keepalive_sets
                )
            ]

    def _note_shared_global_reads(self) -> None:
        """Which functions read a module-level name that some function rebinds (``global``),
        that holds a container or an object a call made (``app = Flask(...)``): the readers
        of what a request parks there. Storing into the container (``CACHE[k] = v``,
        ``CACHE.append(v)``) is no read of it."""
        bindings = self.facts.bindings
        shared = {site.target.root for site in self.facts.writes if site.operation == "rebind"}
        shared.update(name for name, binding in bindings.items() if binding.kind in _HOLDERS)
        free_reads, self._free_reads = self._free_reads, {}  # not kept once the module is done
        if not shared:
            return
        for function, names in free_reads.values():
            function.reads_globals.extend(sorted((names & shared) - set(function.reads_globals)))

    # ---- finishing ------------------------------------------------------------------------

    def assign_addresses(self, ordered: list[cst.CSTNode]) -> None:
        """Point every fact's span at its node's pre-order number; positions come later."""
        numbers = dict(zip(map(id, ordered), itertools.count()))  # in C: a node per entry
        for fact, attribute, node in self._spans:
            span: Span = getattr(fact, attribute)
            span.node = numbers.get(id(node), -1)


# ---- pure helpers ----------------------------------------------------------------------------


def _binding(
    name: str, value: cst.BaseExpression, final: bool, thread_local: bool
) -> Binding | None:
    placeholder = Span(0, 0, 0, 0)
    if final:
        return Binding(name, "constant", placeholder)
    if thread_local:
        return Binding(name, "threading_local", placeholder, type_name="threading.local")
    kind = ex.container_type(value)
    if kind is not None:
        return Binding(name, "container", placeholder, type_name=kind)
    if type(value) is cst.Call:
        func = value.func
        call_of_call = type(func) is cst.Call
        if type(func) is cst.Call:
            func = func.func
        callee = ex.access_of(ex.unparameterized(func), _NO_USER_KEYS)
        if callee is not None:
            arguments = sorted(set().union(*(ex.names_read(arg.value) for arg in value.args)))
            return Binding(
                name,
                "call",
                placeholder,
                callee=callee,
                call_of_call=call_of_call,
                arguments=arguments,
                passes=ex.passed_arguments(value),
                argument_calls=_argument_calls(value),
                container_keywords=[
                    arg.keyword.value
                    for arg in value.args
                    if arg.keyword is not None and ex.container_type(arg.value) is not None
                ],
            )
        return None
    if type(value) is cst.Subscript and ex.last_name(value.value) == "Annotated":
        # ``DbSession = Annotated[AsyncSession, Depends(get_db)]``: FastAPI's dependency
        # alias names the class its parameters hold
        value = next(iter(_annotated_types(value)), value)
    if isinstance(value, (cst.Name, cst.Attribute)):
        alias = ex.access_of(value, _NO_USER_KEYS)
        if alias is not None:
            return Binding(name, "alias", placeholder, callee=alias)
    return None


_NO_USER_KEYS = ex.UserKeyMatcher(())
# Module-level bindings whose readers are recorded (see ``_note_shared_global_reads``).
_HOLDERS = frozenset({"container", "call", "threading_local"})


def _held_names(value: cst.BaseExpression | None) -> list[str]:
    """The names whose objects themselves a stored or returned value holds: the name, or the
    bare names inside a tuple, list, set or dict display (``(user, data)``)."""
    if type(value) is cst.Name:
        return [value.value]
    if isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        return [e.value.value for e in value.elements if type(e.value) is cst.Name]
    if type(value) is cst.Dict:
        return [
            e.value.value
            for e in value.elements
            if type(e) is cst.DictElement and type(e.value) is cst.Name
        ]
    return []


def _hand_loads_outward(frame: _Frame, parent: _Frame) -> None:
    """What a finished function loads from the enclosing function's scope, by its owner
    (a handler, or the enclosing function itself for a helper that runs with it)."""
    free = frame.loads - frame.bound
    for name in free:
        parent.nested_loads.setdefault(name, set()).add(frame.owner)
    for name, owners in frame.nested_loads.items():
        if name not in frame.bound:
            parent.nested_loads.setdefault(name, set()).update(owners)


def _writes_one_entry(site: WriteSite) -> bool:
    """``item["active"] = x`` or ``item.active = x``: a write into the element itself."""
    target = site.target
    if target.keys:
        return False
    if site.operation in ("setitem", "augitem"):
        return not target.attrs
    return site.operation in ("setattr", "augattr") and len(target.attrs) == 1


def _shared_container(frame: _Frame, container: Access | None) -> Access | None:
    """The container that ``container`` is, directly or through a local holding it
    (``menu = MENU``), when every request shares it: one kept on self
    (``self.extensions``) or one at module level (``MENU``, ``settings.TABS``,
    ``CONFIG["tabs"]``); None otherwise."""
    if container is not None and not container.attrs and not container.keys:
        container = frame.aliases.get(container.root, container)
    if container is None:
        return None
    if container.root == frame.self_name:
        return container if len(container.attrs) == 1 and not container.keys else None
    if container.root in frame.bound and container.root not in frame.globals:
        return None
    return container


def _shallow_copy_of(
    value: cst.BaseExpression, user_keys: ex.UserKeyMatcher
) -> tuple[Access, frozenset[str]] | None:
    """What ``value`` copies one level deep (``X.copy()``, ``copy.copy(X)``, ``dict(X)``,
    ``list(X)``, ``{**X}``, ``X[:]``) and the keys it sets itself (``{**X, "a": {}}``);
    None otherwise."""
    copied: cst.BaseExpression | None = None
    own_keys: frozenset[str] = frozenset()
    if type(value) is cst.Call:
        func = value.func
        if type(func) is cst.Attribute and func.attr.value == "copy" and not value.args:
            copied = func.value
        elif len(value.args) == 1 and not value.args[0].keyword and not value.args[0].star:
            name = ex.dotted_name(func) or ""
            if name in _SHALLOW_COPIERS:
                copied = value.args[0].value
    elif type(value) is cst.Dict:
        spreads = [e for e in value.elements if type(e) is cst.StarredDictElement]
        if len(spreads) == 1:
            copied = spreads[0].value
            own_keys = frozenset(
                _unquoted(e.key.value)
                for e in value.elements
                if type(e) is cst.DictElement and type(e.key) is cst.SimpleString
            )
    elif type(value) is cst.Subscript and len(value.slice) == 1:
        index = value.slice[0].slice
        if type(index) is cst.Slice and index.lower is None and index.upper is None:
            copied = value.value
    if copied is None or not isinstance(copied, (cst.Name, cst.Attribute, cst.Subscript)):
        return None
    found = ex.access_of(copied, user_keys)
    return None if found is None else (found, own_keys)


_SHALLOW_COPIERS = frozenset({"copy.copy", "copy", "dict", "list"})


def _nested_in_a_copy(
    frame: _Frame, iterated: cst.BaseExpression, user_keys: ex.UserKeyMatcher
) -> Access | None:
    """``for tab in config["tabs"]`` with ``config`` a shallow copy of ``CONFIG``: the
    container iterated is the original's (``CONFIG["tabs"]``)."""
    if type(iterated) is not cst.Subscript or type(iterated.value) is not cst.Name:
        return None
    copied, own_keys = frame.shallow_copies.get(iterated.value.value, (None, frozenset()))
    found = ex.access_of(iterated, user_keys)
    if copied is None or found is None or not found.keys:
        return None
    if _unquoted(found.keys[0].text) in own_keys:
        return None
    return Access(copied.root, copied.attrs, [*copied.keys, *found.keys])


def _rebased(pending: _Pending, alias: Access) -> _Pending:
    access = pending.access
    attrs = [*alias.attrs, *(access.attrs if not alias.keys else [])]
    rebased = Access(alias.root, attrs, [*alias.keys, *access.keys])
    fact = pending.fact
    if isinstance(fact, WriteSite):
        fact.target = rebased
    elif isinstance(fact, CallSite):
        fact.callee = rebased
    else:
        fact = rebased
    return _Pending(pending.kind, rebased, fact)


def _flatten_targets(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, (cst.Tuple, cst.List)):
        flat: list[cst.BaseExpression] = []
        for element in node.elements:
            flat.extend(_flatten_targets(element.value))
        return flat
    if type(node) is cst.StarredElement:
        return _flatten_targets(node.value)
    return [node]


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    collected = [*params.posonly_params, *params.params, *params.kwonly_params]
    if type(params.star_arg) is cst.Param:
        collected.append(params.star_arg)
    if params.star_kwarg is not None:
        collected.append(params.star_kwarg)
    return collected


def _unsubscript(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.value if type(node) is cst.Subscript else node


_SCALAR_TYPES = frozenset({"str", "int", "bytes", "UUID", "uuid.UUID"})


def _is_measure(name: str, annotation: cst.Annotation | None, user_keys: ex.UserKeyMatcher) -> bool:
    """``entry_bytes: int``, ``timeout: float``: a parameter holding a number that is not an
    id (``user_id: int`` names a user, and storing it is storing who asked)."""
    if annotation is None or name.endswith(("id", "_pk")):
        return False
    if user_keys.matches(name):
        return False
    types = _annotated_types(annotation.annotation)
    names = {ex.dotted_name(t) for t in types} - {"None"}
    return bool(names) and names <= {"int", "float"}


def _is_flag(annotation: cst.Annotation | None) -> bool:
    """``rerank: Optional[bool]``: a switch, not what a user sent."""
    if annotation is None:
        return False
    names = {ex.dotted_name(t) for t in _annotated_types(annotation.annotation)} - {"None"}
    return names == {"bool"}


def _is_scalar_annotation(annotation: cst.Annotation | None) -> bool:
    """``user: str`` names a user by id, it is not a request object."""
    if annotation is None:
        return False
    types = _annotated_types(annotation.annotation)
    names = {ex.dotted_name(t) for t in types} - {"None"}
    return bool(names) and names <= _SCALAR_TYPES


def _is_sequence_literal(value: cst.BaseExpression) -> bool:
    """``[x]``, ``(x,)``, ``"text"``, an f-string: augmented assignment that concatenates."""
    return isinstance(
        value,
        (
            cst.List,
            cst.Tuple,
            cst.ListComp,
            cst.SimpleString,
            cst.FormattedString,
            cst.ConcatenatedString,
        ),
    )


def _context_get_root(node: cst.BaseExpression) -> str:
    """``var`` for ``var.get()`` or ``var.get(default)``; empty for anything else."""
    if type(node) is cst.Call and type(node.func) is cst.Attribute:
        if node.func.attr.value == "get" and len(node.args) <= 1:
            if type(node.func.value) is cst.Name:
                return node.func.value.value
    return ""


def _parameter_index(node: cst.FunctionDef, name: str) -> int:
    """The position a caller passes ``name`` at (-1 when keyword-only)."""
    positional = [*node.params.posonly_params, *node.params.params]
    for index, param in enumerate(positional):
        if param.name.value == name:
            return index
    return -1


def _runs_when_run(statement: cst.CSTNode) -> bool:
    """A top-level statement that does work when the module runs: a ``__main__`` guard, or a
    call (or an awaited one) as a statement (``agent.start("...")``), also in the blocks of
    an ``if``, loop, ``with`` or ``try`` (not in a function or class)."""
    if type(statement) is cst.SimpleStatementLine:
        return any(_is_call_statement(small) for small in statement.body)
    if type(statement) is cst.If and _is_main_guard(statement.test):
        return True
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return False
    return any(_runs_when_run(block) for block in _blocks_of(statement))


def _blocks_of(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The statements of a compound statement's blocks (``if``/``else``, loops, ``with``,
    ``try`` and its handlers)."""
    for name in ("body", "orelse", "handlers", "finalbody"):
        part = getattr(statement, name, None)
        if part is None:
            continue
        if isinstance(part, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            yield from part.body
        elif isinstance(part, (cst.Else, cst.Finally, cst.If, cst.ExceptHandler)):
            yield part
        elif isinstance(part, Sequence):
            yield from part


def _is_call_statement(small: cst.CSTNode) -> bool:
    if type(small) is not cst.Expr:
        return False
    value = small.value
    if type(value) is cst.Await:
        value = value.expression
    return type(value) is cst.Call


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    if type(test.comparisons[0].operator) is not cst.Equal:
        return False
    names = {ex.dotted_name(side) for side in sides}
    strings = {side.evaluated_value for side in sides if type(side) is cst.SimpleString}
    return "__name__" in names and "__main__" in strings


_T = TypeVar("_T")

_FRESH_ID_NAMES = frozenset(FRESH_ID_CALLS)


_BUFFERS = frozenset({"BytesIO", "StringIO"})


def _names_a_buffer(made: Access) -> bool:
    return (made.attrs or [made.root])[-1] in _BUFFERS


def _fill_buffers(node: cst.Call, frame: _Frame) -> None:
    """``buf = io.BytesIO(); figure.savefig(buf)``: a call handed a buffer made here writes
    into it what its receiver and other arguments are computed from (the plot a request
    picked), so the buffer carries their request data from then on."""
    for index, arg in enumerate(node.args):
        value = arg.value
        if type(value) is not cst.Name:
            continue
        origin = frame.origins.get(value.value)
        if value.value not in frame.buffers or origin is None or not _names_a_buffer(origin[1]):
            continue  # (one buffer, not a local that also held something else)
        others: list[cst.CSTNode] = [other.value for i, other in enumerate(node.args) if i != index]
        if type(node.func) is cst.Attribute:
            others.append(node.func.value)
        name = value.value
        for other in others:
            frame.tainted[name] = frame.tainted.get(name, frozenset()) | frame.sources(other)
            frame.depends[name] = frame.depends.get(name, frozenset()) | frame.inputs(other)
            if not frame.user_dependent.isdisjoint(ex.names_read(other)):
                frame.user_dependent.add(name)


def _returned_by_a_getter(
    target: cst.Subscript | cst.Attribute, user_keys: ex.UserKeyMatcher
) -> tuple[Access, list[str]] | None:
    """``get_client().headers[...]`` or ``Registry.get().current = x``: the getter called in
    place (a function, not a class: ``Bank().x = y`` writes a new object) and the attributes
    the write goes through below its result (``headers``; the last one for an attribute
    assignment). None for any other target, or a subscript right on the result."""
    inner: cst.BaseExpression = target.value
    attrs: list[str] = [target.attr.value] if isinstance(target, cst.Attribute) else []
    while type(inner) is cst.Attribute:
        attrs.insert(0, inner.attr.value)
        inner = inner.value
    if type(inner) is not cst.Call or not attrs:
        return None
    callee = ex.access_of(inner.func, user_keys)
    if callee is None or callee.keys or (callee.attrs or [callee.root])[-1][:1].isupper():
        return None
    return callee, attrs


def _origin_of(frame: _Frame, value: cst.BaseExpression) -> tuple[str, Access] | None:
    """``Bank()`` ("new", ``Bank``), ``load_bank(path)`` ("call", ``load_bank``), or a local
    that only ever holds one of those (a hot path: one ``access_of`` at most)."""
    if type(value) is cst.Name:
        return frame.origins.get(value.value)
    if type(value) is cst.Await:
        value = value.expression
    if type(value) is not cst.Call:
        return None
    callee = ex.access_of(value.func, _NO_USER_KEYS)
    if callee is None or callee.keys:
        return None
    return ("new" if (callee.attrs or [callee.root])[-1][:1].isupper() else "call", callee)


def _note_consistent(table: dict[str, _T | None], name: str, value: _T | None) -> None:
    """Keep what every value assigned to a local has in common (the container it is an
    element of, the call it comes from); None once one has none or two differ."""
    if name not in table:
        table[name] = value
    elif table[name] != value:
        table[name] = None


def _key_call(frame: _Frame, target: cst.Subscript) -> Access | None:
    """The function whose result the subscript's key is: ``d[make_key(x)]``, or
    ``key = self._endpoint_key(flow); d[key]`` with ``key`` assigned once."""
    if len(target.slice) != 1 or type(target.slice[0].slice) is not cst.Index:
        return None
    return _key_made_by(frame, target.slice[0].slice.value)


def _key_made_by(frame: _Frame, index: cst.BaseExpression) -> Access | None:
    """The function whose result a key is (``make_key(x)``, or a local assigned it once)."""
    if type(index) is cst.Call:
        return ex.access_of(index.func, _NO_USER_KEYS)
    if type(index) is cst.Name and frame.assignments[index.value] == 1:
        return frame.call_results.get(index.value)
    return None


def _reads_identity(value: cst.BaseExpression, roots: set[str], attributes: set[str]) -> bool:
    """The value names who is asking (``user``, ``request.user``, ``ctx.actor``), not only a
    class's attribute of that name (a column in a query's filter)."""
    if roots & USER_IDENTITY_NAMES:
        return True
    return bool(attributes & USER_IDENTITY_NAMES) and not _only_class_attributes(value)


def _only_class_attributes(value: cst.BaseExpression) -> bool:
    """Every identity name the value reads is an attribute of a class (``Folder.user_id``
    in a query's filter, ``Role.owner``): a column or a constant, nobody's identity."""
    found = False
    for chain in ex.dotted_chains(value):
        parts = chain.split(".")
        if USER_IDENTITY_NAMES.isdisjoint(parts[1:]):
            continue
        if not parts[0][:1].isupper():
            return False
        found = True
    return found


def _container_of(
    frame: _Frame, value: cst.BaseExpression, user_keys: ex.UserKeyMatcher
) -> Access | None:
    """The container an assigned value is an element of (``self.agents[0]``,
    ``AGENTS.get(name)``, a local holding one), or None."""
    if type(value) is cst.Name:
        return frame.elements.get(value.value)
    if type(value) is cst.Subscript:
        found = ex.access_of(value.value, user_keys)
    elif (
        type(value) is cst.Call
        and type(value.func) is cst.Attribute
        and value.func.attr.value == "get"
    ):
        found = ex.access_of(value.func.value, user_keys)
    else:
        return None
    return found if found is not None and not found.keys else None


def _iterated_container(
    iterated: cst.BaseExpression, user_keys: ex.UserKeyMatcher
) -> Access | None:
    """``for x in AGENTS`` / ``in self.agents.values()``: the container iterated."""
    if (
        type(iterated) is cst.Call
        and type(iterated.func) is cst.Attribute
        and iterated.func.attr.value == "values"
        and not iterated.args
    ):
        iterated = iterated.func.value
    if not isinstance(iterated, (cst.Name, cst.Attribute)):
        return None
    found = ex.access_of(iterated, user_keys)
    return found if found is not None and not found.keys else None


def _through_alias(frame: _Frame, use: DecoratorUse) -> DecoratorUse:
    """``app = self.app`` then ``@app.post("/chat")`` inside a method, or ``app = FastAPI()``
    in an app factory: the decorator is a method of ``self.app`` or of a ``FastAPI``, which
    the analysis can type (a local name it cannot)."""
    if frame.kind != "function":
        return use
    # `app = self.app` (an alias) or `app = FastAPI()` (an instance of that class)
    alias = frame.aliases.get(use.callee.root) or frame.instances.get(use.callee.root)
    if alias is None or alias.keys or use.callee.keys:
        return use
    callee = Access(alias.root, [*alias.attrs, *use.callee.attrs])
    return replace(use, callee=callee)


def _note_credential_read(
    function: Function, key: cst.BaseExpression, container: cst.BaseExpression
) -> None:
    """A credential header, cookie or user id named as a key (``headers.get("Authorization")``,
    ``data["user_id"]``), or a request header named by a variable (``request.META[header]``
    for each header a response varies on, the cookie among them): the function reads, or
    may read, who is asking."""
    if type(key) is cst.SimpleString:
        if len(key.value) < 40:
            lowered = key.value.lower()
            if any(word in lowered for word in _CREDENTIAL_WORDS):
                function.reads_caller = True
        return
    if type(container) is cst.Attribute and container.attr.value == "get":
        container = container.value
    if type(container) is cst.Attribute and container.attr.value in ex.HEADER_MAPPINGS:
        function.reads_caller = True


def _self_attributes(node: cst.Call, self_name: str) -> list[str]:
    """``x.add_url_rule("/login", view_func=self.login)``: the ``self.name`` arguments."""
    return [
        arg.value.attr.value
        for arg in node.args
        if type(arg.value) is cst.Attribute
        and type(arg.value.value) is cst.Name
        and arg.value.value.value == self_name
    ]


def _chain_root(node: cst.Attribute) -> str:
    """``request`` for ``request.state.user``; "" when the chain starts with a call."""
    value: cst.BaseExpression = node.value
    while type(value) is cst.Attribute:
        value = value.value
    return value.value if type(value) is cst.Name else ""


def _is_off(value: cst.BaseExpression) -> bool:
    """``bind=False``, ``key=None``: a keyword given as good as left out."""
    return type(value) is cst.Name and value.value in ("False", "None")


def _decorator_use(decorator: cst.Decorator) -> DecoratorUse | None:
    expression = decorator.decorator
    first = ""
    keywords: list[str] = []
    text_keywords: list[str] = []
    if type(expression) is cst.Call:
        if expression.args and type(expression.args[0].value) is cst.SimpleString:
            evaluated = expression.args[0].value.evaluated_value
            first = evaluated if isinstance(evaluated, str) else ""
        for arg in expression.args:
            if arg.keyword is not None and not _is_off(arg.value):
                keywords.append(arg.keyword.value)
                if type(arg.value) is cst.SimpleString:
                    text_keywords.append(arg.keyword.value)
        expression = expression.func
    callee = ex.access_of(expression, _NO_USER_KEYS)
    if callee is None:
        return None
    return DecoratorUse(callee, first, keywords, text_keywords)


def _declared_type(annotation: cst.Annotation | None) -> Access | None:
    """The one type a parameter is annotated with (``Optional[X]`` and ``X | None`` are X)."""
    if annotation is None:
        return None
    types = [t for t in _annotated_types(annotation.annotation) if ex.dotted_name(t) != "None"]
    if len(types) != 1:
        return None
    declared = types[0]
    if type(declared) is cst.Subscript:
        declared = declared.value  # `Session[...]`, `type[X]` is not an instance, see below
        if ex.last_name(declared) in ("type", "Type"):
            return None
    return ex.access_of(declared, _NO_USER_KEYS)


def _annotates_a_class(annotation: cst.Annotation | None) -> bool:
    """``type[Model]``, ``Type[Model]`` or ``type``: the parameter holds a class."""
    if annotation is None:
        return False
    declared = annotation.annotation
    if type(declared) is cst.Subscript:
        declared = declared.value
    return ex.last_name(declared) in ("type", "Type")


def _empty_names(test: cst.BaseExpression) -> tuple[frozenset[str], frozenset[str]]:
    """The names an ``if`` test leaves None or empty in its body, and in its ``else``:
    ``x is None`` and ``not x`` in the body, ``x is not None`` and ``x`` in the else; both
    sides of an ``and`` in the body, of an ``or`` in the else."""
    if type(test) is cst.Name:
        return frozenset(), frozenset({test.value})
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        body, otherwise = _empty_names(test.expression)
        return otherwise, body
    if type(test) is cst.Comparison and type(test.left) is cst.Name and len(test.comparisons) == 1:
        (comparison,) = test.comparisons
        compared = comparison.comparator
        if type(compared) is cst.Name and compared.value == "None":
            if type(comparison.operator) is cst.Is:
                return frozenset({test.left.value}), frozenset()
            if type(comparison.operator) is cst.IsNot:
                return frozenset(), frozenset({test.left.value})
    if type(test) is cst.BooleanOperation:
        left, right = _empty_names(test.left), _empty_names(test.right)
        if type(test.operator) is cst.And:
            return left[0] | right[0], frozenset()
        if type(test.operator) is cst.Or:
            return frozenset(), left[1] | right[1]
    return frozenset(), frozenset()


def _call_shape(node: cst.Call) -> tuple[int, list[str]]:
    """(positional argument count, keyword names); a ``*args``/``**kwargs`` passes anything."""
    positional = 0
    keywords: list[str] = []
    for arg in node.args:
        if arg.star:
            return 1_000, ["*"]
        if arg.keyword is not None:
            keywords.append(arg.keyword.value)
        else:
            positional += 1
    return positional, keywords


# The top level of a Streamlit script, as a function: Streamlit runs it for every session.
SCRIPT_FUNCTION = "<script>"


def is_streamlit_import(ref: ImportRef) -> bool:
    """An import of Streamlit: the importing module is a script run for every session."""
    return ref.level == 0 and (ref.module == "streamlit" or ref.module.startswith("streamlit."))


def _keyword_accesses(node: cst.Call) -> dict[str, Access]:
    """The keyword arguments of a call that are names or attribute chains (``fn=respond``)."""
    found: dict[str, Access] = {}
    for arg in node.args:
        if arg.keyword is not None and type(arg.value) in (cst.Name, cst.Attribute):
            access = ex.access_of(arg.value, _NO_USER_KEYS)
            if access is not None:
                found[arg.keyword.value] = access
    return found


def _argument_accesses(node: cst.Call) -> list[Access | None]:
    """The first positional arguments of a call, as accesses where they are names."""
    found: list[Access | None] = []
    for arg in node.args[:4]:
        if arg.keyword is not None or arg.star:
            break
        found.append(ex.access_of(arg.value, _NO_USER_KEYS))
    return found


def _endless(test: cst.BaseExpression) -> bool:
    """``while True``, ``while 1``, ``while self.running``, ``while not self._stop.is_set()``:
    a loop that runs until the program (or whoever owns the flag) stops it; not ``while
    queue:``, which drains what is there."""
    if isinstance(test, cst.Name) and test.value == "True":
        return True
    if isinstance(test, cst.Integer):
        return test.value != "0"
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _names_a_flag(test.expression, _STOP_WORDS)
    return _names_a_flag(test, _RUN_WORDS)


def _note_taken_from(frame: _Frame, queue: cst.BaseExpression) -> None:
    """``await ccat.ws_messages.get()``: the function takes items out of that queue."""
    taken_from = ex.access_of(queue, _NO_USER_KEYS)
    function = frame.function
    if function is None or taken_from is None or taken_from.keys:
        return
    if taken_from.text() not in function.takes_from:
        function.takes_from.append(taken_from.text())


def _configured_thread(call: cst.Call, dicts: Mapping[str, cst.Dict]) -> cst.BaseExpression | None:
    """``t`` of ``config={"configurable": {"thread_id": t}}`` (or that dict passed second, or
    a local assigned it once)."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    configs = [arg.value for arg in call.args if arg.keyword and arg.keyword.value == "config"]
    if len(positional) > 1:
        configs.append(positional[1].value)
    for config in configs:
        if type(config) is cst.Name:
            config = dicts.get(config.value, config)
        configurable = _dict_entry(config, "configurable")
        thread = _dict_entry(configurable, "thread_id") if configurable is not None else None
        if thread is not None:
            return thread
    return None


def _table_entry(frame: _Frame, value: cst.BaseExpression) -> frozenset[str]:
    """The module-level constant tables (UPPER_CASE names) a value is an entry of, or of
    entries of (``SCHEMES[name]``, ``scheme["sample"]``, ``scheme.get("short", x)``,
    ``scheme["concatenation"](scheme["sample"])``); empty when it reads anything else."""
    if type(value) is cst.Name:
        return frame.table_entries.get(value.value, frozenset())
    if type(value) is cst.Subscript:
        base = value.value
        if type(base) is cst.Name and base.value not in frame.table_entries:
            constant = _is_constant_name(base.value) and base.value not in frame.bound
            return frozenset({base.value}) if constant else frozenset()
        return _table_entry(frame, base)
    if type(value) is not cst.Call:
        return frozenset()
    func = value.func
    if type(func) is cst.Attribute and func.attr.value == "get":
        tables = _table_entry(frame, func.value)  # `scheme.get("short", default)`
    else:
        tables = _table_entry(frame, func)  # `scheme["concatenation"](...)`
    if not tables:
        return frozenset()
    for arg in value.args:
        if isinstance(arg.value, (cst.SimpleString, cst.Integer, cst.Float)):
            continue
        more = _table_entry(frame, arg.value)
        if not more:
            return frozenset()
        tables |= more
    return tables


def _is_constant_name(name: str) -> bool:
    """``PERSON_NAME_SCHEMES``: a module constant by convention."""
    return name.isupper() and len(name) > 1


def _mark_read_back_at_once(frame: _Frame) -> None:
    """``JSON_DATA["word"] = text; requests.post(url, json=JSON_DATA)`` in an ``async def``:
    a global slot overwritten, then read back by the same function before it next awaits.
    On an event loop no other task runs in between, and every call overwrites the slot
    before it reads it, so the value reaches no other request (in this function)."""
    if not frame.global_writes:
        return
    loads: dict[str, list[tuple[int, int]]] = defaultdict(list)  # name -> (order, switches)
    for order, (name, switches) in enumerate(frame.global_loads):
        loads[name].append((order, switches))
    for site, loaded, suspensions in frame.global_writes:
        name = site.target.root
        if name in frame.bound and name not in frame.globals:
            continue  # a local
        found = loads.get(name, [])
        site.read_back_at_once = (
            bool(found)
            and found[0][0] >= loaded  # nothing read before the write
            and all(switches == suspensions for _, switches in found)
        )


def _display_entry(frame: _Frame, value: cst.BaseExpression) -> cst.BaseExpression | None:
    """``meta["task_id"]`` where the function assigned ``meta`` once a dict display that
    gives the key (``{**metadata, "task_id": str(uuid4())}``): that entry's expression, so
    an argument is computed from what the entry is, not from everything the dict holds."""
    if type(value) is not cst.Subscript or type(value.value) is not cst.Name:
        return None
    if len(value.slice) != 1 or type(value.slice[0].slice) is not cst.Index:
        return None
    key = value.slice[0].slice.value
    display = frame.dict_displays.get(value.value.value)
    if display is None or type(key) is not cst.SimpleString:
        return None
    evaluated = key.evaluated_value
    return _dict_entry(display, evaluated) if isinstance(evaluated, str) else None


def _dict_entry(node: cst.BaseExpression, key: str) -> cst.BaseExpression | None:
    """The value a dict display gives a string key."""
    if type(node) is not cst.Dict:
        return None
    for element in node.elements:
        if (
            type(element) is cst.DictElement
            and type(element.key) is cst.SimpleString
            and element.key.evaluated_value == key
        ):
            return element.value
    return None


def _returned_name(body: cst.BaseSuite) -> str:
    """The name a function body ends by returning (``return wrapper``, a decorator's last
    statement), or "": looked at without walking the body, which every function pays for."""
    statements = body.body if type(body) is cst.IndentedBlock else ()
    last = statements[-1] if statements else None
    if type(last) is not cst.SimpleStatementLine:
        return ""
    returned = last.body[-1] if last.body else None
    if type(returned) is cst.Return and type(returned.value) is cst.Name:
        return returned.value.value
    return ""


def _takes_an_item(node: cst.Await) -> bool:
    """``await queue.get()``, ``await self._queue.get()``: the next item off a queue."""
    awaited = node.expression
    return (
        isinstance(awaited, cst.Call)
        and isinstance(awaited.func, cst.Attribute)
        and awaited.func.attr.value in _QUEUE_TAKES
        and not awaited.args
    )


_RUN_WORDS = ("run", "alive", "active", "serving", "started")
_STOP_WORDS = ("stop", "clos", "shutdown", "shutting", "cancel", "exit", "finish", "is_set")


def _names_a_flag(node: cst.BaseExpression, words: tuple[str, ...]) -> bool:
    if isinstance(node, cst.Call):
        node = node.func
    name = ex.last_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return name is not None and any(word in name.lower() for word in words)


# Calls that start work in the background and return its handle (a task, a future).
_TASK_CALLS = frozenset({"create_task", "ensure_future", "run_coroutine_threadsafe"})
# Synchronisation primitives (asyncio's and threading's): they coordinate work, hold no data.
_SYNC_PRIMITIVES = frozenset(
    {"Lock", "RLock", "Event", "Semaphore", "BoundedSemaphore", "Condition", "Barrier"}
)

_MEASURING_CALLS = frozenset(
    {
        "time",
        "monotonic",
        "perf_counter",
        "perf_counter_ns",
        "time_ns",
        "len",
        "sum",
        "min",
        "max",
        "round",
        "int",
        "float",
        "bool",
        "now",
        "utcnow",
        "isoformat",
        "total_seconds",
        "count",
        "mean",
    }
)


def _writes_the_request_app(fact: object) -> bool:
    """``request.app[key] = value``: an entry of aiohttp's application mapping."""
    return (
        isinstance(fact, WriteSite)
        and fact.target.is_request_app()
        and (fact.operation in ("setitem", "augitem") or fact.operation.startswith("call:"))
    )


def _value_kind(value: cst.BaseExpression, known: Mapping[str, str] | None = None) -> str:
    """``number`` for counts and timings, ``bool`` for flags: measured, never user data;
    ``task`` for the handles of background work and ``sync`` for locks and events (alone or
    in a tuple, ``(task, stop_event)``): the process's own machinery.

    ``known`` gives the kinds of locals already assigned (``elapsed = time() - start``).
    """
    if isinstance(value, (cst.Integer, cst.Float)):
        return "number"
    if type(value) is cst.Name:
        if value.value in ("True", "False"):
            return "bool"
        return known.get(value.value, "") if known else ""
    if type(value) is cst.Tuple and value.elements:
        parts = {_value_kind(element.value, known) for element in value.elements}
        return "task" if parts <= {"task", "sync"} and "task" in parts else ""
    if type(value) is cst.Comparison:
        return "bool"
    if type(value) is cst.UnaryOperation:
        if type(value.operator) is cst.Not:
            return "bool"
        return _value_kind(value.expression, known)
    if type(value) is cst.Call and ex.last_name(value.func) in _MEASURING_CALLS:
        return "number"
    if (
        type(value) is cst.Call
        and ex.last_name(value.func) == "get"
        and len(value.args) == 2
        and _value_kind(value.args[1].value, known) == "number"
    ):
        return "number"  # `conn.get("message_count", 0)`: a stored count, read with its zero
    if type(value) is cst.Call and ex.last_name(value.func) in _TASK_CALLS:
        return "task"  # a handle to cancel or await the work, kept by the process
    if type(value) is cst.Call and ex.last_name(value.func) in _SYNC_PRIMITIVES:
        return "sync"
    if type(value) is cst.Call and (ex.dotted_name(value.func) or "").startswith("logging."):
        return "logging"  # a logger or a level: the process's logging configuration
    if (
        type(value) is cst.BinaryOperation
        and type(value.operator) is cst.Subtract
        and _reads_clock(value.left)
    ):
        return "number"  # `time.time() - started[key]`: how long since, whatever `started` is
    if type(value) is cst.BinaryOperation and isinstance(value.operator, _ARITHMETIC):
        kinds = {_value_kind(value.left, known), _value_kind(value.right, known)}
        return "number" if kinds == {"number"} else ""
    return ""


# Expressions that build a value out of parts (see ``ModulePass._carries_user``).
_DISPLAYS = frozenset(
    {
        cst.Dict,
        cst.List,
        cst.Tuple,
        cst.Set,
        cst.FormattedString,
        cst.ConcatenatedString,
        cst.BinaryOperation,
    }
)


def _display_parts(value: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The expressions a display, an f-string or a concatenation is built from."""
    kind = type(value)
    if kind is cst.Dict:
        for element in value.elements:  # type: ignore[attr-defined]
            if type(element) is cst.DictElement:
                yield element.key
            yield element.value
    elif kind in (cst.List, cst.Tuple, cst.Set):
        for item in value.elements:  # type: ignore[attr-defined]
            yield item.value
    elif kind is cst.FormattedString:
        for part in value.parts:  # type: ignore[attr-defined]
            if type(part) is cst.FormattedStringExpression:
                yield part.expression
    elif kind in (cst.BinaryOperation, cst.ConcatenatedString):
        yield value.left  # type: ignore[attr-defined]
        yield value.right  # type: ignore[attr-defined]


def _defaulted(value: cst.BaseExpression) -> cst.BaseExpression:
    """``self.extra or {}`` is ``self.extra`` whenever that is set: the same object; so is
    ``getattr(request.app.state, "agent", None)`` ``request.app.state.agent``."""
    if (
        type(value) is cst.BooleanOperation
        and type(value.operator) is cst.Or
        and _is_empty_container(value.right)
    ):
        return value.left
    if type(value) is cst.Call and type(value.func) is cst.Name and value.func.value == "getattr":
        return _named_attribute(value) or value
    return value


def _named_attribute(call: cst.Call) -> cst.Attribute | None:
    """``getattr(obj, "name")`` or ``getattr(obj, "name", default)`` as ``obj.name``."""
    if not 2 <= len(call.args) <= 3 or any(arg.keyword or arg.star for arg in call.args):
        return None
    name = call.args[1].value
    if type(name) is not cst.SimpleString or name.prefix:
        return None
    attribute = name.evaluated_value
    if not isinstance(attribute, str) or not attribute.isidentifier():
        return None
    return cst.Attribute(value=call.args[0].value, attr=cst.Name(attribute))


def _is_identifier(value: cst.BaseExpression) -> bool:
    """``run.id``, ``thread_id``, ``obj.pk``, ``run.id if run else None``: an identifier."""
    if type(value) is cst.IfExp:
        parts = (value.body, value.orelse)
        return all(_is_identifier(p) or ex.is_constant(p) for p in parts) and any(
            _is_identifier(p) for p in parts
        )
    if type(value) is cst.Call and ex.last_name(value.func) == "str" and len(value.args) == 1:
        return _is_identifier(value.args[0].value)
    name = ex.last_name(value) if isinstance(value, (cst.Name, cst.Attribute)) else None
    return name is not None and ex.names_an_identifier(name)


# Field declarations that give each instance a value made by a factory: dataclasses' and
# attrs' ``field``, Pydantic's ``Field``, ``attr.ib``.
_FIELD_DECLARATIONS = frozenset({"field", "Field", "ib", "attrib"})


def _field_factory_container(value: cst.BaseExpression) -> bool:
    """``field(default_factory=list)`` (or ``factory=dict``, ``default_factory=lambda:
    {}``): each instance gets its own container, kept on the instance like one its
    ``__init__`` makes."""
    if type(value) is not cst.Call or ex.last_name(value.func) not in _FIELD_DECLARATIONS:
        return False
    for arg in value.args:
        if arg.keyword is None or arg.keyword.value not in ("default_factory", "factory"):
            continue
        made = arg.value.body if type(arg.value) is cst.Lambda else arg.value
        if ex.container_type(made) is not None:
            return True
        name = ex.dotted_name(made)
        return name is not None and name.rsplit(".", 1)[-1] in ex.CONTAINER_CONSTRUCTORS
    return False


def _note_container_attribute(facts: ClassFacts, attribute: str) -> None:
    """The class's instances keep a container in ``attribute`` (recorded once)."""
    if attribute not in facts.container_attributes:
        facts.container_attributes.append(attribute)


def _makes_the_instance(frame: _Frame, value: cst.BaseExpression) -> bool:
    """``super().__new__(cls)`` (or ``object.__new__(cls)``) in a class's ``__new__``."""
    return (
        frame.class_name is not None
        and frame.qualname.endswith(".__new__")
        and type(value) is cst.Call
        and type(value.func) is cst.Attribute
        and value.func.attr.value == "__new__"
    )


def _builds_a_container(value: cst.BaseExpression) -> bool:
    """``{}``, ``defaultdict(list)``, or a model's fields as a new dict (``defaults
    .model_dump()``, ``.dict()``, ``.to_dict()``, ``dataclasses.asdict(defaults)``)."""
    if ex.container_type(value) is not None:
        return True
    if type(value) is not cst.Call:
        return False
    func = value.func
    if type(func) is cst.Attribute and func.attr.value in ("model_dump", "dict", "to_dict"):
        return True
    return ex.last_name(func) == "asdict"


def _dependency_provider(default: cst.BaseExpression | None) -> Access | None:
    """``get_store`` of a parameter's ``Depends(get_store)`` (or ``Security(...)``)."""
    if type(default) is not cst.Call or ex.last_name(default.func) not in ("Depends", "Security"):
        return None
    first = default.args[0] if default.args else None
    if first is None or first.keyword is not None:
        return None
    return ex.access_of(first.value, _NO_USER_KEYS)


def _request_state_name(expression: cst.BaseExpression) -> str:
    """``conda_store`` of ``request.state.conda_store``: a name on a request's state."""
    if type(expression) is not cst.Attribute or type(expression.value) is not cst.Attribute:
        return ""
    state = expression.value
    if state.attr.value != "state" or type(state.value) is not cst.Name:
        return ""
    return expression.attr.value if state.value.value in _STATE_OWNER_NAMES else ""


def _admin_only(node: cst.FunctionDef) -> bool:
    """A route guarded for administrators: a decorator (or its ``dependencies=``) or a
    parameter's ``Depends(...)`` default that names an admin, staff or superuser check."""
    guards: list[cst.BaseExpression] = []
    for decorator in node.decorators:
        expression = decorator.decorator
        if type(expression) is cst.Call:
            guards.extend(arg.value for arg in expression.args if arg.keyword is not None)
            if _names_a_permission(expression.func) and _grants_admin(expression.args):
                return True  # `@require_permission("admin.import")`
            expression = expression.func
        guards.append(expression)
    for param in _all_params(node.params):
        default = param.default
        if type(default) is cst.Call and ex.last_name(default.func) in ("Depends", "Security"):
            guards.extend(arg.value for arg in default.args)
    return any(
        word in chain.lower()
        for guard in guards
        for chain in ex.dotted_chains(guard)
        for word in _ADMIN_WORDS
    )


_ADMIN_WORDS = ("admin", "superuser", "staff_member")


def _names_a_permission(func: cst.BaseExpression) -> bool:
    """``require_permission``, ``permission_required``, ``requires_role``: an access guard."""
    name = (ex.last_name(func) or "").lower()
    return any(word in name for word in ("permission", "role", "require"))


def _grants_admin(args: Sequence[cst.Arg]) -> bool:
    """A guard's literal argument naming an administrator's permission (``"admin.import"``)."""
    for arg in args:
        value = arg.value
        if type(value) is cst.SimpleString:
            text = value.evaluated_value
            if isinstance(text, str) and any(word in text.lower() for word in _ADMIN_WORDS):
                return True
    return False


_THREAD_LOCAL_WORDS = ("local", "state", "ctx", "context", "tls", "thread")
# Methods of a handler built per request that hand back what that request sent (Tornado's
# ``RequestHandler``): called on ``self``, their result is request data.
_OWN_REQUEST_READERS = frozenset(
    {
        "get_argument",
        "get_arguments",
        "get_body_argument",
        "get_body_arguments",
        "get_query_argument",
        "get_query_arguments",
        "get_cookie",
        "get_secure_cookie",
        "get_signed_cookie",
        "current_user",
        "get_current_user",
    }
)
# What a request says about who sent it: read from a parameter (``request.user``,
# ``info.context.user``), or a credential header or cookie named in a string.
_CALLER_ATTRIBUTES = frozenset(
    {"user", "current_user", "session", "cookies", "COOKIES", "auth", "credentials", "principal"}
)
# `db.session` of Flask-SQLAlchemy (an imported extension object, or a parameter named for
# the database) is a database session, not the visitor's: reading it says nothing of who asks
_DATABASE_HANDLE_NAMES = frozenset({"db", "database", "sa", "sqla", "sqlalchemy", "orm"})
_CREDENTIAL_WORDS = (*ex.CREDENTIAL_WORDS, "user_id")
_MOCK = frozenset({"unittest.mock", "mock", "unittest"})


# In-place operators that change a list or a set itself, as the method named.
_IN_PLACE_OPERATORS: dict[type, str] = {cst.AddAssign: "extend", cst.BitOrAssign: "update"}
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Power)


def _new_instance_class(value: cst.BaseExpression) -> Access | None:
    """``Runner`` for ``Runner(...)``: the class of a freshly made instance (by its name)."""
    if type(value) is not cst.Call:
        return None
    cls = ex.access_of(value.func, _NO_USER_KEYS)
    if cls is None or cls.keys or not (cls.attrs or [cls.root])[-1][:1].isupper():
        return None
    return cls


def _method_of_new_instance(func: cst.BaseExpression) -> Access | None:
    """``Runner.run`` for ``Runner(...).run``: a method called on a freshly made instance."""
    if type(func) is not cst.Attribute:
        return None
    cls = _new_instance_class(func.value)
    return None if cls is None else Access(cls.root, [*cls.attrs, func.attr.value])


def _method_of_call_result(func: cst.BaseExpression) -> tuple[Access | None, str]:
    """(``get_manager``, ``send``) for ``get_manager().send``: a method of what a call returns.
    Links of a chain calling that method again are skipped: (``button.click``, ``then``) for
    the last ``then`` of ``button.click(f).then(fn=g).then(fn=h)``."""
    if type(func) is not cst.Attribute or type(func.value) is not cst.Call:
        return None, ""
    method = func.attr.value
    inner_func = func.value.func
    while (
        type(inner_func) is cst.Attribute
        and inner_func.attr.value == method
        and type(inner_func.value) is cst.Call
    ):
        inner_func = inner_func.value.func
    inner = ex.access_of(inner_func, _NO_USER_KEYS)
    if inner is not None and not inner.keys:
        return inner, method
    return None, ""


def _annotated_types(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The types an annotation says a value is: ``Optional[X]``, ``X | None``, ``Union[...]``
    and ``Annotated[X, ...]`` unwrapped; a ``Callable[[X], Y]`` is a function, not an X."""
    if type(node) is cst.SimpleString:
        try:
            node = cst.parse_expression(str(node.evaluated_value))
        except (cst.ParserSyntaxError, RecursionError, ValueError):
            return []
    if type(node) is cst.BinaryOperation and type(node.operator) is cst.BitOr:
        return [*_annotated_types(node.left), *_annotated_types(node.right)]
    if type(node) is cst.Subscript:
        wrapper = ex.last_name(node.value)
        elements = [e.slice.value for e in node.slice if type(e.slice) is cst.Index]
        if wrapper in ("Optional", "Union"):
            return [t for element in elements for t in _annotated_types(element)]
        if wrapper == "Annotated" and elements:
            return _annotated_types(elements[0])
    return [node]


def _checked_choice(node: cst.If, function: Function | None) -> str | None:
    """``if name not in ADAPTERS: raise HTTPException(404)``: past the test, ``name`` is one
    of the options the service itself holds (a module-level set, its own registry), not what
    the user typed; storing it records a choice among them, like a flag. Not when the
    options come from the caller (a parameter) or the test is only part of a condition."""
    test = node.test
    if function is None or node.orelse is not None or type(test) is not cst.Comparison:
        return None
    if len(test.comparisons) != 1 or type(test.comparisons[0].operator) is not cst.NotIn:
        return None
    if type(test.left) is not cst.Name:
        return None
    options = ex.access_of(test.comparisons[0].comparator, _NO_USER_KEYS)
    if options is None or options.root in function.params:
        return None
    body = node.body.body
    last = body[-1] if body else None
    if type(last) is not cst.SimpleStatementLine or not last.body:
        return None
    leaves = type(last.body[-1]) in (cst.Raise, cst.Return) or (
        type(last.body[-1]) is cst.Expr
        and type(last.body[-1].value) is cst.Call
        and ex.last_name(last.body[-1].value.func) == "abort"
    )
    return test.left.value if leaves else None


def _membership_check(test: cst.BaseExpression) -> tuple[str, str] | None:
    """(container, key) for ``k not in C``, ``C.get(k) is None`` and ``not C.get(k)``, also
    as one of the conditions joined by ``and``."""
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:
        return _membership_check(test.left) or _membership_check(test.right)
    if type(test) is cst.Comparison and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if type(comparison.operator) is cst.NotIn:
            container = ex.access_of(comparison.comparator, _NO_USER_KEYS)
            if container is not None:
                return container.text(), ex.expression_text(test.left)
        if type(comparison.operator) is cst.Is and ex.dotted_name(comparison.comparator) == (
            "None"
        ):
            return _get_call(test.left)
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        return _get_call(test.expression)
    return None


def _get_call(node: cst.BaseExpression) -> tuple[str, str] | None:
    if (
        type(node) is cst.Call
        and type(node.func) is cst.Attribute
        and node.func.attr.value == "get"
        and node.args
    ):
        container = ex.access_of(node.func.value, _NO_USER_KEYS)
        if container is not None:
            return container.text(), ex.expression_text(node.args[0].value)
    return None


# The writes through a parameter's attribute kept for the rules: setting the attribute, or
# an item of the container it holds (a mutating method call, ``call:...``, also counts).
_THROUGH_PARAMETER = frozenset({"setattr", "setitem", "augitem"})


def _puts_back_what_it_saved(
    frame: _Frame,
    target: cst.Subscript | cst.Attribute,
    value: cst.BaseExpression | None,
    matcher: ex.UserKeyMatcher,
) -> bool:
    """``obj.x = saved`` after ``saved = obj.x`` with no ``await`` or ``yield`` since, or
    both under the lock held for the whole override: the function puts back the value it
    found before another request can see its own."""
    if type(value) is not cst.Name:
        return False
    saved = frame.aliases.get(value.value)
    suspensions, lock_depth = frame.saved_at.get(value.value, (-1, 0))
    if saved is None or suspensions < 0:
        return False
    if suspensions != frame.suspensions and not (lock_depth and frame.lock_depth >= lock_depth):
        return False
    written = ex.access_of(target, matcher)
    return written is not None and written.text() == saved.text()


def _memoizes(
    frame: _Frame, elements: Sequence[cst.SubscriptElement], value: cst.BaseExpression | None
) -> bool:
    indexes = [e.slice.value for e in elements if type(e.slice) is cst.Index]
    if value is None or len(indexes) != len(elements):
        return False
    key = indexes[0] if len(indexes) == 1 else cst.Tuple([cst.Element(i) for i in indexes])
    return _memoizes_key(frame, key, value)


def _memoizes_key(frame: _Frame, key: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    """A memo-cache write: the value is computed only from what the key is computed from.

    A new object (``Run(run_id)``, ``[]``) stored under a key is a registry entry that
    requests go on to fill, not a memoised result, so it does not count.
    """
    value = _without_clock_readings(value)
    by_class = type(key) is cst.Name and key.value in frame.class_params
    if (_creates_object(value) and not by_class) or not frame.inputs(value) & frame.inputs(key):
        return False  # (an object made for a class, `Policy(model)`, is that class's memo)
    if _reads_request_address(key):
        return False  # a response cached by URL: the request carries more than its address
    if not _request_fields(value) <= _request_fields(key):
        return False  # `DRAFTS[request.form["title"]] = request.form["body"]`: another field
    roots, attributes = ex.read_names(value)
    if _FRESH_VALUES & (frame.inputs(value) | attributes):
        return False  # a fresh id or a timestamp: not a function of the key
    if (roots | attributes) & USER_IDENTITY_NAMES or not frame.user_dependent.isdisjoint(roots):
        return False  # what one user sees: not the same for everyone who sends the key
    return frame.sources(value) <= frame.sources(key)


def _kept_by_the_app(frame: _Frame, argument: Access | None) -> Access | None:
    """An argument that is a local holding what the application keeps (``ccat =
    websocket.app.state.ccat; serve(ws, ccat)``) is passed as that access."""
    if argument is None or argument.attrs or frame.assignments[argument.root] != 1:
        return argument
    alias = frame.aliases.get(argument.root)
    return alias if alias is not None and alias.application_state_name() else argument


def _callable_call(callable_: cst.BaseExpression, args: Sequence[cst.Arg]) -> cst.Call | None:
    """``callable_(*args)``, for a callable named by a name or an attribute chain."""
    if not isinstance(callable_, (cst.Name, cst.Attribute)):
        return None
    return cst.Call(func=callable_, args=args)


_is_none = ex.is_none


def _is_empty(value: cst.BaseExpression) -> bool:
    """``None``, ``{}``, ``[]``, ``set()``, ``defaultdict(list)``: a value that carries
    nothing (not a local assigned one, which may have been filled since)."""
    if _is_none(value):
        return True
    if isinstance(value, (cst.Dict, cst.List, cst.Set, cst.Tuple)):
        return not value.elements
    if type(value) is cst.Call:
        name = ex.last_name(value.func)
        if name in _EMPTY_CONSTRUCTORS:
            return not value.args
        return name == "defaultdict" and len(value.args) <= 1
    return False


_EMPTY_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "OrderedDict", "deque"})


def _without_clock_readings(value: cst.BaseExpression) -> cst.BaseExpression:
    """``(endpoint, time.monotonic())``, ``{"metadata": m, "cached_at": now()}``: a TTL cache
    stamps its memo with when it was made; the stamp is not part of what is memoised."""
    if type(value) is cst.Dict:
        entries = [
            e for e in value.elements if not (type(e) is cst.DictElement and _reads_clock(e.value))
        ]
        if entries and len(entries) < len(value.elements):
            return value.with_changes(elements=entries)
        return value
    if type(value) is not cst.Tuple:
        return value
    kept = [element for element in value.elements if not _reads_clock(element.value)]
    if not kept or len(kept) == len(value.elements):
        return value
    return kept[0].value if len(kept) == 1 else value.with_changes(elements=kept)


def _reads_clock(value: cst.BaseExpression) -> bool:
    """``time.monotonic()``, ``datetime.now(timezone.utc)``: what time it is; also an
    expiry computed from it (``time.time() + ttl``)."""
    if type(value) is cst.BinaryOperation and isinstance(value.operator, (cst.Add, cst.Subtract)):
        return _reads_clock(value.left) or _reads_clock(value.right)
    if type(value) is not cst.Call or len(value.args) > 1:
        return False
    func = value.func
    name = func.attr.value if type(func) is cst.Attribute else getattr(func, "value", "")
    return name in _CLOCK_READINGS


_CLOCK_READINGS = frozenset(
    {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "now", "utcnow", "today"}
)


def _reads_request_address(key: cst.BaseExpression) -> bool:
    """The key is a request's address (``request.url.path``, ``req.query_params``): the
    request also carries who sent it, their cookies and body, so a value computed from the
    request is not a function of its address alone."""
    for chain in ex.dotted_chains(key):
        root, *attributes = chain.split(".")
        if _REQUEST_ADDRESS.intersection(attributes):
            return True
        if root in _REQUEST_OBJECT_NAMES and _REQUEST_PATH.intersection(attributes[:1]):
            return True
    return False


def _request_fields(node: cst.BaseExpression) -> set[str]:
    """The parts of the request an expression reads (``request.form.title`` for
    ``request.form["title"]`` or ``request.form.get("title")``): two expressions that both
    read the request compute from the same input only where they read the same parts."""
    fields: set[str] = set()
    for chain in ex.dotted_chains(node):
        if chain.split(".", 1)[0] in _REQUEST_OBJECT_NAMES and "." in chain:
            fields.add(chain)
    for call in _calls_in(node):
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value != "get" or not call.args:
            continue
        owner = ex.dotted_name(func.value) or ""
        field = call.args[0].value
        if owner.split(".", 1)[0] in _REQUEST_OBJECT_NAMES and type(field) is cst.SimpleString:
            fields.discard(f"{owner}.get")
            fields.add(f"{owner}.{_unquoted(field.value)}")
    return fields


def _unquoted(text: str) -> str:
    """``title`` for the key text ``"title"`` or ``'title'``."""
    return text.strip("\"'")


def _argument_calls(call: cst.Call) -> dict[str, Access]:
    """By position (as a string) or keyword, the callees of the arguments that are calls
    (none after a ``*args``)."""
    calls: dict[str, Access] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            break
        where = arg.keyword.value if arg.keyword is not None else str(position)
        if arg.keyword is None:
            position += 1
        value = arg.value
        if type(value) is cst.Call and not isinstance(value.func, cst.Call):
            made_by = ex.access_of(value.func, _NO_USER_KEYS)
            if made_by is not None:
                calls[where] = made_by
    return calls


def _uncalled(node: cst.BaseExpression) -> cst.BaseExpression:
    """``singleton`` for ``@singleton`` and ``@singleton(...)``: what is called."""
    return node.func if type(node) is cst.Call else node


def _keyed_call(node: cst.Call) -> bool:
    """``store.put(key=k, value=v)``: a key-value store's write by keyword (py-key-value,
    aiocache), told from a queue's ``put(item)`` by its keywords."""
    keywords = {arg.keyword.value for arg in node.args if arg.keyword is not None}
    return {"key", "value"} <= keywords


def _calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Every call inside ``node``, itself included."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Call:
            yield current
        stack.extend(children(current))


# attributes that only a request's address has (Starlette, Flask/Werkzeug, Django, aiohttp)
_REQUEST_ADDRESS = frozenset(
    {"url", "query_params", "query_string", "full_path", "path_info", "raw_path", "GET", "rel_url"}
)
# attributes that name the address only on something that is evidently the request
_REQUEST_PATH = frozenset({"path", "args", "query"})
_REQUEST_OBJECT_NAMES = frozenset({"request", "req"})
# what Starlette gives each request or websocket a ``.state`` of its own on
_STATE_OWNER_NAMES = _REQUEST_OBJECT_NAMES | {"websocket", "ws"}


_FRESH_VALUES = frozenset(
    {
        "uuid",
        "uuid4",
        "uuid1",
        "secrets",
        "token_hex",
        "token_urlsafe",
        "random",
        "randint",
        "time",
        "now",
        "utcnow",
        "datetime",
    }
)


def _creates_object(value: cst.BaseExpression) -> bool:
    """A new, empty container or a class instance: a registry entry to be filled later."""
    if ex.container_type(value) is not None:
        return _is_empty_container(value)
    callee = ex.last_name(value) if type(value) is cst.Call else None
    return callee is not None and callee[:1].isupper()


def _is_empty_container(value: cst.BaseExpression) -> bool:
    if type(value) is cst.Call:
        return not value.args or ex.last_name(value) == "defaultdict"
    if isinstance(value, (cst.List, cst.Set, cst.Dict)):
        return not value.elements
    return False  # a comprehension computes its items


def _strongest_key(node: cst.Dict, matcher: ex.UserKeyMatcher, user_names: set[str]) -> Key:
    keys = [
        ex.classify_key(element.key, matcher, user_names)
        for element in node.elements
        if type(element) is cst.DictElement
    ]
    if not keys:
        return Key("none")
    if all(key.kind == "user" for key in keys):
        return keys[0]
    for key in keys:
        if key.kind == "dynamic":
            return key
    return keys[0]


def _is_lock(node: cst.With) -> bool:
    for item in node.items:
        text = ex.dotted_name(_unsubscript(item.item)) or ""
        if type(item.item) is cst.Call:
            text = ex.dotted_name(item.item.func) or ""
        if "lock" in text.lower() or "semaphore" in text.lower():
            return True
    return False


def _strings_in(node: cst.CSTNode) -> list[str]:
    found: list[str] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.SimpleString:
            value = current.evaluated_value
            if isinstance(value, str):
                found.append(value)
        elif type(current) is cst.Subscript and ex.last_name(current.value) == "Literal":
            continue  # Literal["x"] holds values, not forward references
        else:
            stack.extend(children(current))
    return found


def _comments(text: str) -> list[tuple[int, int, str]]:
    """(line, 0-based column, text) of every comment that mentions isolint; strings and
    docstrings never count."""
    found: list[tuple[int, int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and "isolint:" in token.string:
                found.append((token.start[0], token.start[1], token.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # an unparsable file is reported as ISO900; keep what was read
    return found


def read_suppressions(text: str) -> tuple[list[Suppression], bool]:
    """Inline ``# isolint: ignore[...]`` comments, and whether the file opts out entirely."""
    if "isolint:" not in text:
        return [], False
    found: list[Suppression] = []
    skip_file = False
    for number, column, comment in _comments(text):
        for directive, offset in _directives(comment):
            match = _SUPPRESSION.match(directive)
            if match is None:
                continue
            if match["kind"] == "skip-file":
                skip_file = True
                continue
            codes = [c.strip() for c in (match["codes"] or "").split(",") if c.strip()]
            reason = (match["reason"] or "").strip()
            start = column + offset + 1
            end = start + len(match["directive"].rstrip())
            found.append(Suppression(number, codes, reason, match["kind"], start, end))
    return found, skip_file


def _directives(comment: str) -> list[tuple[str, int]]:
    """Each ``# isolint: ...`` directive of a comment and its offset: one runs to the next."""
    starts = [match.start() for match in _DIRECTIVE_START.finditer(comment)]
    ends = [*starts[1:], len(comment)]
    return [(comment[start:end], start) for start, end in zip(starts, ends, strict=True)]
