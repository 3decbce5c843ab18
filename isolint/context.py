"""The reference per-request context: what isolint's ISO2xx hints tell code to migrate to.

isolint finds request-time code that shares one user's data with the next through
long-lived state. The cure its hints name is a ``UserExecutionContext``: one immutable
object per request that says whom the request runs for, carries the resources that belong
to that request only, and is passed explicitly to every agent, store and tool. This module
is a small, dependency-free (standard library only) implementation of that pattern, to use
as is or to copy and adapt. Importing it never imports the linter's own dependencies.

Creating a context
------------------
::

    from isolint.context import UserExecutionContext

    ctx = UserExecutionContext(
        user_id=current_user.id,
        thread_id=thread_id,
        db_session=session,  # the request's own session, never a module-level one
        metadata={"client": "web", "ip": request.client.host},
    )
    await pipeline.run(ctx)

``user_id`` and ``thread_id`` are required. ``run_id`` and ``request_id`` are generated
(``uuid4().hex``) when omitted; ``created_at`` defaults to the current time in UTC and must
be timezone-aware.

What is frozen and what is not
------------------------------
The context is a frozen, slotted dataclass: assigning any field raises
``dataclasses.FrozenInstanceError``.

- ``metadata`` is read-only audit data: the constructor copies the mapping it is given into a
  ``MappingProxyType``. Keys are non-empty strings and values are JSON scalars (``str``,
  ``int``, ``float``, ``bool``, ``None``), so nothing reachable from it can be mutated and
  the audit trail always serialises.
- ``agent_context`` is the one mutable part: a dict where the agents of this request leave
  their results. Every context owns its own dict (the constructor takes a shallow copy of
  the one it is given), and it takes no part in equality, hashing or ``repr``.
- ``db_session`` is the request-scoped session. It takes no part in equality, hashing or
  ``repr``, and never appears in the audit trail, so a context can be logged safely.

Validation
----------
Identifiers are checked when the context is built, so a request that lost its user fails
at the boundary instead of writing rows for user ``"None"``. An id is rejected, with an
``InvalidContextError`` (a ``ValueError``) naming the field and the value, when it is:

- not a string, empty, blank, padded with whitespace or holding control characters;
- a missing value rendered as text (``NULL_LIKE_IDS``: ``None``, ``null``, ``nil``,
  ``undefined``, ``nan``), compared case-insensitively;
- a placeholder (``PLACEHOLDER_IDS``): a field name such as ``user_id``, ``userId`` or
  ``id``, or a filler such as ``string`` (the OpenAPI example value), ``test``,
  ``placeholder``, ``changeme``, ``default``, ``example``, ``dummy``, ``xxx``; compared
  case-insensitively and ignoring ``-`` and ``_``;
- an unfilled template or an object's repr: ``<user_id>``, ``{user_id}``, ``{{ user_id }}``,
  ``${USER_ID}``, ``%(user_id)s``, ``:user_id``, ``<User object at 0x...>``.

``validate_id(field, value)`` applies the same check to ids of your own.

Derived contexts
----------------
- ``ctx.with_metadata(**values)`` returns a new context for the same request (same ids,
  session and ``created_at``) with the metadata merged. Its ``agent_context`` is a shallow
  copy: results written later to one context do not appear in the other.
- ``ctx.child(**overrides)`` returns the context of a sub-agent: a new ``request_id``,
  ``parent_request_id`` set to this context's ``request_id``, ``depth`` one more, the same
  user, thread, run and session unless overridden, its own ``created_at``, the metadata
  merged with any given, and an empty ``agent_context`` of its own. A sub-agent never acts
  for another user: passing a different ``user_id`` raises ``InvalidContextError``.
- ``copy.copy``, ``copy.deepcopy`` and ``pickle`` rebuild a context through the
  constructor, so a copy is validated again and owns its ``agent_context``.
- ``ctx.audit_trail()`` returns a plain, JSON-serialisable dict of the ids, ``created_at``
  (ISO 8601), ``parent_request_id``, ``depth`` and the metadata; never the session and
  never the contents of ``agent_context``.

Migrating from a shared state object
------------------------------------
``UserExecutionContext.from_legacy(state)`` converts a legacy state object (by default one
with ``user_id``, ``thread_id`` or ``chat_thread_id``, and ``run_id`` attributes) into a
validated context. Keyword arguments name the attributes to read when they are spelled
differently (``from_legacy(state, thread_id="conversation_id")``); a ``db_session``
attribute becomes the context's session; every other public attribute is copied into
``agent_context``, and top-level lists, dicts, sets and bytearrays are copied so that
writes through the context never reach the legacy object. A missing or ``None`` ``run_id``
or ``request_id`` is generated.

``UserExecutionContext.from_legacy_kwargs(field_map, defaults, **legacy)`` builds a
context from the keyword arguments of a legacy constructor: what ``isolint fix --codemod
migrate-context`` turns ``DeepAgentState(**kwargs)`` into, since the keys of ``kwargs``
are only known at run time. ``field_map`` (legacy name -> context field; the identity
fields ``user_id``, ``thread_id``, ``run_id`` and ``request_id`` always map to
themselves) says which keywords are context fields; every other keyword, and every entry
of ``defaults`` no keyword overrides, goes into ``agent_context``. Two keywords that map to
one field must agree; a missing ``user_id`` or ``thread_id`` raises ``InvalidContextError``.

``DeepAgentState`` is the compatibility adapter for a gradual migration: it keeps the
legacy class's mutable interface (``user_id``, ``chat_thread_id`` and its alias
``thread_id``, ``run_id``, ``messages``, ``results`` and any keyword field), emits a
``DeprecationWarning`` pointing at the code that constructs it, and converts with
``state.to_context(db_session=...)``. Old call sites keep working while the warnings and
isolint's ISO2xx findings list what is left to migrate.
"""

from __future__ import annotations

import math
import re
import sys
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from types import FrameType, MappingProxyType
from typing import Any, Final, TypeAlias, TypeVar

__all__ = [
    "NULL_LIKE_IDS",
    "PLACEHOLDER_IDS",
    "DeepAgentState",
    "InvalidContextError",
    "MetadataValue",
    "UserExecutionContext",
    "validate_id",
]

MetadataValue: TypeAlias = str | int | float | bool | None
"""What a metadata value may be: JSON scalars only, so metadata stays immutable and loggable."""

_Context = TypeVar("_Context", bound="UserExecutionContext")

_METADATA_VALUE_TYPES: Final = (str, int, float, bool, type(None))

NULL_LIKE_IDS: Final = frozenset({"none", "null", "nil", "undefined", "nan"})
"""Missing values rendered as text (``str(None)``, JSON ``null``, JavaScript ``undefined``)."""

PLACEHOLDER_IDS: Final = frozenset(
    {
        # A field's own name, sent where its value belongs.
        "id",
        "user",
        "userid",
        "thread",
        "threadid",
        "run",
        "runid",
        "request",
        "requestid",
        # Fillers left by API explorers, fixtures and copy-pasted examples.
        "string",
        "test",
        "placeholder",
        "changeme",
        "default",
        "example",
        "sample",
        "dummy",
        "fake",
        "todo",
        "tbd",
        "unknown",
        "foo",
        "xxx",
    }
)
"""Placeholder ids, compared after lower-casing and removing ``-`` and ``_``."""

_TEMPLATE_PLACEHOLDER: Final = re.compile(
    r"""
    <[^<>]*>                        # <user_id>, or an object's repr: <User object at 0x...>
    | \{+\s*[A-Za-z_][\w.]*\s*\}+   # {user_id}, {{ user_id }} (a GUID in braces has hyphens)
    | \$\{?[A-Za-z_]\w*\}?          # $USER_ID, ${USER_ID}
    | %\([^()]*\)[sd]               # %(user_id)s
    | :[A-Za-z_]\w*                 # :user_id, a route parameter
    """,
    re.VERBOSE | re.IGNORECASE,
)

_ID_FIELDS: Final = ("user_id", "thread_id", "run_id", "request_id")
_DETACHED_CONTAINERS: Final = (list, dict, set, bytearray)


class InvalidContextError(ValueError):
    """A context field holds a value that cannot identify a request; names field and value."""

    def __init__(self, field_name: str, value: object, reason: str) -> None:
        super().__init__(f"invalid {field_name}: {value!r} {reason}")
        self.field_name = field_name
        self.value = value
        self.reason = reason


def validate_id(field_name: str, value: object) -> str:
    """Return ``value`` if it can identify a user, thread, run or request; raise otherwise.

    Raises ``InvalidContextError`` naming ``field_name`` and the value (see the module
    documentation for the rejected values).
    """
    if value is None:
        raise InvalidContextError(field_name, value, "is missing")
    if not isinstance(value, str):
        raise InvalidContextError(field_name, value, f"has type {type(value).__name__}, not str")
    reason = _id_problem(value)
    if reason is not None:
        raise InvalidContextError(field_name, value, reason)
    return value


def _id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id, or None when it can."""
    if not value:
        return "is empty"
    if value.isspace():
        return "is blank"
    if value != value.strip():
        return "has leading or trailing whitespace"
    if not value.isprintable():
        return "contains a control character"
    if value.lower() in NULL_LIKE_IDS:
        return "is a missing value written as text"
    if _is_placeholder(value):
        return "is a placeholder, not a real id"
    if _TEMPLATE_PLACEHOLDER.fullmatch(value):
        return "is an unfilled template placeholder or an object's repr"
    return None


def _is_placeholder(value: str) -> bool:
    """Whether ``value`` is a placeholder word, whatever its case, dashes or underscores."""
    word = value.lower().replace("-", "").replace("_", "")
    # Any run of x's is a redaction filler ("xxx", "XXXXXXXX"), not only the listed one.
    return word in PLACEHOLDER_IDS or (len(word) >= 3 and word == "x" * len(word))


def _new_id() -> str:
    return uuid.uuid4().hex


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _empty_metadata() -> Mapping[str, MetadataValue]:
    return MappingProxyType({})


def _frozen_metadata(metadata: object) -> Mapping[str, MetadataValue]:
    """A read-only copy of ``metadata``, after checking its keys and values."""
    if not isinstance(metadata, Mapping):
        raise InvalidContextError("metadata", metadata, "is not a mapping")
    copied: dict[str, MetadataValue] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise InvalidContextError("metadata", key, "is not a non-empty str key")
        if not isinstance(value, _METADATA_VALUE_TYPES):
            raise InvalidContextError(
                f"metadata[{key!r}]", value, "is not a str, int, float, bool or None"
            )
        if isinstance(value, float) and not math.isfinite(value):
            # json.dumps would write NaN or Infinity, which no JSON parser accepts.
            raise InvalidContextError(f"metadata[{key!r}]", value, "is not a finite number")
        copied[key] = value
    return MappingProxyType(copied)


@dataclass(frozen=True, slots=True, repr=False)
class UserExecutionContext:
    """Who one request runs for, and the resources that belong to that request only.

    Immutable; created once per request and passed explicitly. ``agent_context`` is the
    request's own mutable result store; ``db_session`` is its own session. Neither takes
    part in equality, hashing or ``repr``.
    """

    user_id: str
    thread_id: str
    run_id: str = field(default_factory=_new_id)
    request_id: str = field(default_factory=_new_id)
    db_session: Any = field(default=None, compare=False)
    # Compared but not hashed: a mapping proxy is unhashable, and the ids identify anyway.
    metadata: Mapping[str, MetadataValue] = field(default_factory=_empty_metadata, hash=False)
    agent_context: dict[str, Any] = field(default_factory=dict, compare=False)
    created_at: datetime = field(default_factory=_utc_now)
    parent_request_id: str | None = None
    depth: int = 0

    def __post_init__(self) -> None:
        for name in _ID_FIELDS:
            validate_id(name, getattr(self, name))
        self._validate_lineage()
        if not isinstance(self.created_at, datetime) or self.created_at.utcoffset() is None:
            raise InvalidContextError(
                "created_at", self.created_at, "is not a timezone-aware datetime"
            )
        if not isinstance(self.agent_context, dict):
            raise InvalidContextError("agent_context", self.agent_context, "is not a dict")
        # Frozen: the normalised values can only be stored through object.__setattr__.
        object.__setattr__(self, "metadata", _frozen_metadata(self.metadata))
        object.__setattr__(self, "agent_context", dict(self.agent_context))

    def _validate_lineage(self) -> None:
        """A root context has no parent; a child has one and a positive depth."""
        depth = self.depth
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise InvalidContextError("depth", depth, "is not a non-negative int")
        if self.parent_request_id is None:
            if depth != 0:
                raise InvalidContextError("depth", depth, "needs a parent_request_id")
            return
        validate_id("parent_request_id", self.parent_request_id)
        if depth == 0:
            raise InvalidContextError("depth", depth, "is 0 but parent_request_id is set")
        if self.parent_request_id == self.request_id:
            raise InvalidContextError(
                "parent_request_id", self.parent_request_id, "is the context's own request_id"
            )

    def __reduce__(self) -> tuple[Any, ...]:
        # A mapping proxy cannot be pickled or deep-copied, so copies are rebuilt through the
        # constructor, which freezes the metadata again and validates every field.
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values["metadata"] = dict(self.metadata)
        return (_rebuild, (type(self), values))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(user_id={self.user_id!r}, thread_id={self.thread_id!r}, "
            f"run_id={self.run_id!r}, request_id={self.request_id!r}, "
            f"parent_request_id={self.parent_request_id!r}, depth={self.depth}, "
            f"metadata={dict(self.metadata)!r}, created_at={self.created_at.isoformat()!r})"
        )

    def with_metadata(self: _Context, **values: MetadataValue) -> _Context:
        """The same request with ``values`` merged into the metadata (they win on a clash).

        The new context shares the ids, session and ``created_at``; its ``agent_context``
        is a shallow copy, so later results stay with the context they were written to.
        """
        return replace(self, metadata={**self.metadata, **values})

    def child(
        self: _Context,
        *,
        user_id: str | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        request_id: str | None = None,
        db_session: Any = None,
        metadata: Mapping[str, MetadataValue] | None = None,
        agent_context: dict[str, Any] | None = None,
    ) -> _Context:
        """The context of a sub-agent working on this request.

        It gets a new ``request_id`` (or the one given), records this context's as
        ``parent_request_id``, is one level deeper, keeps the user, and keeps the thread,
        run and session unless they are given. ``metadata`` is merged into this context's;
        ``agent_context`` starts empty unless given. A ``user_id`` other than this
        context's raises ``InvalidContextError``: a sub-agent never acts for another user.
        """
        if user_id is not None and user_id != self.user_id:
            raise InvalidContextError(
                "user_id",
                user_id,
                f"differs from the parent's {self.user_id!r}; a sub-agent never changes user",
            )
        return replace(
            self,
            thread_id=self.thread_id if thread_id is None else thread_id,
            run_id=self.run_id if run_id is None else run_id,
            request_id=_new_id() if request_id is None else request_id,
            db_session=self.db_session if db_session is None else db_session,
            metadata={**self.metadata, **(metadata or {})},
            agent_context={} if agent_context is None else agent_context,
            created_at=_utc_now(),
            parent_request_id=self.request_id,
            depth=self.depth + 1,
        )

    def audit_trail(self) -> dict[str, Any]:
        """A JSON-serialisable record of this request, without session or agent results."""
        return {
            "user_id": self.user_id,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "request_id": self.request_id,
            "parent_request_id": self.parent_request_id,
            "depth": self.depth,
            "created_at": self.created_at.isoformat(),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_legacy(
        cls: type[_Context],
        state: object,
        *,
        db_session: Any = None,
        metadata: Mapping[str, MetadataValue] | None = None,
        **field_map: str,
    ) -> _Context:
        """A validated context built from a legacy shared-state object.

        ``field_map`` names the attribute to read for ``user_id``, ``thread_id``,
        ``run_id`` or ``request_id`` when it is not spelled like the field
        (``thread_id`` falls back to ``chat_thread_id``). A ``db_session`` attribute is
        used unless ``db_session`` is given. Every other public attribute is copied into
        ``agent_context``, with top-level containers copied.
        """
        unknown = sorted(set(field_map) - set(_ID_FIELDS))
        if unknown:
            raise TypeError(
                f"from_legacy() maps only {', '.join(_ID_FIELDS)}; got {', '.join(unknown)}"
            )
        attributes = _public_attributes(state)
        ids = {name: _legacy_id(_take_id(attributes, name, field_map)) for name in _ID_FIELDS}
        legacy_session = attributes.pop("db_session", None)
        return cls(
            user_id=_required(ids, "user_id"),
            thread_id=_required(ids, "thread_id"),
            run_id=_new_id() if ids["run_id"] is None else ids["run_id"],
            request_id=_new_id() if ids["request_id"] is None else ids["request_id"],
            db_session=legacy_session if db_session is None else db_session,
            metadata=metadata or {},
            agent_context={name: _detached(value) for name, value in attributes.items()},
        )

    @classmethod
    def from_legacy_kwargs(
        cls: type[_Context],
        field_map: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        /,
        **legacy: Any,
    ) -> _Context:
        """A validated context from a legacy constructor's keyword arguments.

        ``field_map`` names the context field of each legacy keyword that is one (the
        identity fields map to themselves); other keywords, and the ``defaults`` of those
        not passed, are copied into ``agent_context``.
        """
        mapping = {name: name for name in _ID_FIELDS} | dict(field_map or {})
        values: dict[str, Any] = {}
        agent_context: dict[str, Any] = dict(defaults or {})
        for name, value in legacy.items():
            target = mapping.get(name)
            if target is None:
                agent_context[name] = value
                continue
            value = _legacy_id(value) if target in _ID_FIELDS else value
            if target in values and values[target] != value:
                raise InvalidContextError(
                    target, value, f"differs from another legacy field mapped to it: {name}"
                )
            values[target] = value
        for name in ("user_id", "thread_id"):
            if values.get(name) is None:
                raise InvalidContextError(name, None, "is missing from the legacy arguments")
        for name in ("run_id", "request_id"):
            if values.get(name) is None:
                values.pop(name, None)
        return cls(**values, agent_context=agent_context)


def _rebuild(cls: type[_Context], values: dict[str, Any]) -> _Context:
    """Unpickle or copy a context (see ``UserExecutionContext.__reduce__``)."""
    return cls(**values)


def _public_attributes(state: object) -> dict[str, Any]:
    """The public attributes of ``state``: a mapping's items, ``__dict__`` or slots."""
    if isinstance(state, Mapping):
        return {str(key): value for key, value in state.items() if not str(key).startswith("_")}
    found: dict[str, Any] = dict(getattr(state, "__dict__", {}))
    for klass in type(state).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if hasattr(state, name):
                found.setdefault(name, getattr(state, name))
    return {name: value for name, value in found.items() if not name.startswith("_")}


def _take_id(attributes: dict[str, Any], name: str, field_map: Mapping[str, str]) -> Any:
    """Remove and return the legacy value of the id field ``name`` (None when absent)."""
    if name in field_map:
        source = field_map[name]
        if source not in attributes:
            raise InvalidContextError(name, None, f"is missing: the state has no {source!r}")
        return attributes.pop(source)
    if name != "thread_id":
        return attributes.pop(name, None)
    thread_id = attributes.pop("thread_id", None)
    chat_thread_id = attributes.pop("chat_thread_id", None)
    if thread_id is not None and chat_thread_id is not None and thread_id != chat_thread_id:
        raise InvalidContextError(
            "thread_id", thread_id, f"differs from chat_thread_id {chat_thread_id!r}"
        )
    return thread_id if thread_id is not None else chat_thread_id


def _legacy_id(value: Any) -> Any:
    """Integer ids as text (legacy states often carried primary keys); others unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _required(ids: Mapping[str, Any], name: str) -> Any:
    """The legacy value of a required id; ``None`` fails here rather than as ``'None'``."""
    if ids[name] is None:
        raise InvalidContextError(name, None, "is missing from the legacy state")
    return ids[name]


def _detached(value: Any) -> Any:
    """``value``, with a top-level builtin container copied so the legacy object is not shared."""
    if type(value) in _DETACHED_CONTAINERS:
        return type(value)(value)
    return value


class DeepAgentState:
    """Deprecated compatibility adapter for the legacy shared run state.

    Mutable like the class it replaces, so old call sites keep working; constructing it
    emits a ``DeprecationWarning`` at the caller, and ``to_context()`` converts it into a
    validated ``UserExecutionContext``.
    """

    def __init__(
        self,
        user_id: str | None = None,
        chat_thread_id: str | None = None,
        run_id: str | None = None,
        messages: list[Any] | None = None,
        *,
        thread_id: str | None = None,
        results: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        warnings.warn(
            f"{type(self).__name__} is deprecated and shares one user's state with the next; "
            "create a UserExecutionContext per request (state.to_context() converts this one)",
            DeprecationWarning,
            stacklevel=_caller_stacklevel(self),
        )
        if chat_thread_id is not None and thread_id is not None and chat_thread_id != thread_id:
            raise InvalidContextError(
                "thread_id", thread_id, f"differs from chat_thread_id {chat_thread_id!r}"
            )
        self.user_id = user_id
        self.chat_thread_id = chat_thread_id if chat_thread_id is not None else thread_id
        self.run_id = run_id
        self.messages: list[Any] = messages if messages is not None else []
        self.results: dict[str, Any] = results if results is not None else {}
        for name, value in fields.items():
            setattr(self, name, value)

    @property
    def thread_id(self) -> str | None:
        """The newer name of ``chat_thread_id``; both read and write the same value."""
        return self.chat_thread_id

    @thread_id.setter
    def thread_id(self, value: str | None) -> None:
        self.chat_thread_id = value

    def to_context(
        self,
        *,
        db_session: Any = None,
        metadata: Mapping[str, MetadataValue] | None = None,
    ) -> UserExecutionContext:
        """This state as a validated context; ``messages``, ``results`` and extras go to
        its ``agent_context``. Invalid ids raise ``InvalidContextError``."""
        return UserExecutionContext.from_legacy(self, db_session=db_session, metadata=metadata)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} user={self.user_id} run={self.run_id}>"


def _caller_stacklevel(instance: object) -> int:
    """The ``stacklevel`` that points past every ``__init__`` running for ``instance``.

    A subclass that calls ``super().__init__()`` would otherwise be blamed for the warning
    instead of the code that constructs the object.
    """
    level = 2
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_name == "__init__":
        if frame.f_locals.get("self") is not instance:
            break
        level += 1
        frame = frame.f_back
    return level
