"""Framework models: what a framework says about requests, lifetimes and sessions, as data.

Each ``*.toml`` file beside this module describes one framework family, in the spirit of
Pysa's model files and CodeQL's framework models: which decorators, base classes and
registration calls make a function a request entry point, which hooks run once at startup,
which values carry a request, and which types are database sessions, session factories or
objects safe to share. Analysis, fixes and race tests read this one definition.

Names are fully qualified (``fastapi.APIRouter``) and matched after resolving the code's
imports, never by a bare class name. A project adds or disables models in
``[tool.isolint.models]`` (see ``models_from_table``); no code is needed.

Schema of a model (every key optional):

- ``name``, ``modules``: a description and the top-level packages that signal the framework.
- ``[[entry-decorators]]``: ``functions`` (decorators by qualified name) or ``on`` (classes)
  with ``methods`` (``@router.get(...)`` where ``router`` is an ``on`` instance).
- ``[entry-classes]``: base class -> methods a request runs (globs allowed: ``resolve_*``).
- ``[[entry-registrations]]``: ``on`` + ``methods`` of calls registering a handler, and the
  ``argument`` index of the handler (default 1: ``add_api_route(path, handler)``).
- ``[[startup-decorators]]``, ``[startup-classes]``: the same shapes for run-once hooks.
- ``[[command-decorators]]``, ``[command-classes]``: the same shapes for command-line
  commands, which run for the one person who typed them (``@click.command()``, a Django
  management command's ``handle``): they and the code only they reach serve no request.
- ``long-lived-decorators``: decorators whose function's result lives as long as the process.
- ``[values]``: ``request-types``, ``request-globals``, ``per-request-globals``,
  ``per-request-attributes``, ``session-types``, ``session-factories``, ``shared-safe-types``,
  ``shared-store-types``, ``request-parameter-names``,
  ``request-content-names``, ``user-content-names``, ``lock-types``, ``bookkeeping-classes``,
  ``bookkeeping-attributes``, ``bookkeeping-modules`` (globs), ``shared-store-objects``,
  ``queue-types`` (an item put into one goes to whichever consumer takes the next),
  ``graph-run-methods`` and ``checkpointer-keywords`` (a LangGraph graph's runs, and the
  keywords that give it a checkpointer keeping each thread's conversation),
  ``long-lived-bases`` (classes
  whose one instance the framework keeps and hands every request: a Celery task),
  ``bound-task-keywords`` (a task decorator's keyword that hands the function the worker's
  one task instance as its first parameter: Celery's ``bind=True``),
  ``user-input-calls`` (calls returning what one user typed: Streamlit's input widgets),
  ``model-answer-caches`` (globs naming caches of a language model's answers, whose key
  builders' ``request-content-names`` are what a user asked), ``shared-settings``
  (``requests.Session.headers``, ``jinja2.Environment.globals``, ``flask.Flask.config``,
  ``django.conf.settings.*``, globs allowed: settings of objects every request shares),
  ``process-wide-containers`` (``os.environ``: a package's container for the whole process),
  ``class-level-attributes`` (``django.forms.*.base_fields``: what a framework builds once per
  class, globs allowed), ``response-cache-decorators`` (``cache_page``, Flask-Caching's
  ``Cache.cached``: a view's response cached by its URL) and ``response-varying-decorators``
  (``vary_on_cookie``: the cached response then varies by who asks),
  ``thread-scoped-session-factories`` (``scoped_session``: one session per thread unless
  given a ``scopefunc``), ``event-loop-handler-classes`` (Tornado's ``RequestHandler``:
  classes whose every request runs on the server's one event-loop thread, their synchronous
  methods too), ``handler-registrations`` (``add_url_rule``: calls that register a
  request handler whatever they are called on), ``singleton-accessors`` (``get_instance``:
  class methods that hand out the class's one instance),
  ``per-request-types`` (objects meant to live for one request: a DataLoader, a chat memory),
  ``handler-classes`` (classes whose construction registers a project function passed to
  them as a handler: python-telegram-bot's ``CommandHandler``), ``instantiating-registrations``
  (calls that register a class the framework then builds once and serves every request with:
  Django's ``admin.site.register(Model, ModelAdmin)``), ``request-reader-types`` (classes
  whose instance, built once at import time, reads the current request when used:
  Flask-RESTful's ``RequestParser``), ``request-context-types`` (classes whose module-level
  instance holds a value of the task being served: a ``ContextVar``; what it holds is request
  data, though reading one is no sign of serving a request), ``view-classes`` (views the
  framework builds per request from ``as_view(**initkwargs)``: their class attributes and
  initkwargs are one object for every request), ``conversation-methods`` (methods that add
  what they are given to the conversation an agent keeps: PraisonAI's ``achat``),
  ``conversation-builders`` (methods whose result keeps the conversation it is given, like a
  ``per-request-types`` instance: LlamaIndex's ``index.as_chat_engine()``),
  ``conversation-creators`` (calls, by the end of their dotted name, that open a
  conversation a remote service keeps: OpenAI's ``beta.threads.create``),
  ``context-push-frameworks`` (top-level packages whose ``app.app_context().push()`` makes one
  context current: Flask, Quart), ``context-copying-modules`` (top-level packages whose server
  runs each request, its synchronous code too, in a copy of the context: a ``ContextVar`` a
  request sets is gone when it ends, as on FastAPI but not on a WSGI worker thread),
  ``body-model-bases`` and ``body-validator-decorators`` (Pydantic's ``BaseModel`` and
  ``field_validator``: a handler's parameter of such a class is the request body, built per
  request, and its validators run on what the client sent), ``downstream-handlers``
  (``call_next``, Django's ``get_response``: the next handler a middleware calls, whose
  result is the application's answer to this caller), ``singleton-decorators`` (class
  decorators that make one instance for the process: injector's ``@singleton``) and
  ``singleton-providers`` (dependency-injection providers that build their class once:
  dependency-injector's ``providers.Singleton(Cls)``), ``caller-state-globals`` (framework
  globals holding the asking user's own state: Flask's ``session``; what is read from them
  is that user's), ``value-holders`` (``gradio.State.value``: what ``gr.State(x).value``
  gives back is ``x`` itself) and ``process-wide-signals`` (signals that keep their
  receivers for the process, by name or as ``Class()`` for any instance:
  ``django.db.models.signals.*``, ``django.dispatch.Signal()``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

_MODEL_FOLDER = Path(__file__).parent
# the key under which the merged lookups keep the modelled base classes (not a model key)
_MODELLED_BASES = " modelled-bases"

_VALUE_KEYS = (
    "request-types",
    "request-globals",
    "per-request-globals",
    "per-request-attributes",
    "session-types",
    "session-factories",
    "shared-safe-types",
    "shared-store-types",
    "request-parameter-names",
    "request-content-names",
    "user-content-names",
    "lock-types",
    "bookkeeping-classes",
    "bookkeeping-attributes",
    "bookkeeping-modules",
    "shared-store-objects",
    "queue-types",
    "graph-run-methods",
    "checkpointer-keywords",
    "long-lived-bases",
    "bound-task-keywords",
    "user-input-calls",
    "per-request-types",
    "handler-classes",
    "instantiating-registrations",
    "request-reader-types",
    "request-context-types",
    "view-classes",
    "conversation-methods",
    "conversation-builders",
    "context-push-frameworks",
    "model-answer-caches",
    "shared-settings",
    "process-wide-containers",
    "class-level-attributes",
    "response-cache-decorators",
    "response-varying-decorators",
    "thread-scoped-session-factories",
    "event-loop-handler-classes",
    "handler-registrations",
    "singleton-accessors",
    "callable-runners",
    "context-copying-modules",
    "body-model-bases",
    "body-validator-decorators",
    "downstream-handlers",
    "singleton-decorators",
    "singleton-providers",
    "conversation-creators",
    "caller-state-globals",
    "value-holders",
    "process-wide-signals",
)
_TOP_KEYS = frozenset(
    {
        "name",
        "modules",
        "entry-decorators",
        "entry-classes",
        "entry-registrations",
        "startup-decorators",
        "startup-classes",
        "command-decorators",
        "command-classes",
        "long-lived-decorators",
        "values",
    }
)


class ModelError(ValueError):
    """A model file or ``[tool.isolint.models]`` table that does not follow the schema."""


@dataclass(frozen=True)
class MethodsOn:
    """``methods`` called on an instance of any class in ``on`` (``router.get``)."""

    on: frozenset[str]
    methods: frozenset[str]
    argument: int = 1


@dataclass(frozen=True)
class FrameworkModel:
    """One framework's model, as read from its file or table."""

    key: str
    name: str
    modules: tuple[str, ...] = ()
    entry_functions: frozenset[str] = frozenset()
    entry_methods: tuple[MethodsOn, ...] = ()
    entry_classes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    entry_registrations: tuple[MethodsOn, ...] = ()
    startup_functions: frozenset[str] = frozenset()
    startup_methods: tuple[MethodsOn, ...] = ()
    startup_classes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    command_functions: frozenset[str] = frozenset()
    command_methods: tuple[MethodsOn, ...] = ()
    command_classes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    long_lived_decorators: frozenset[str] = frozenset()
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, repr=False)
class FrameworkModels:
    """Every enabled model merged into the lookups the analysis asks."""

    models: tuple[FrameworkModel, ...] = ()
    _values: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        merged: dict[str, set[str]] = {key: set() for key in _VALUE_KEYS}
        for model in self.models:
            for key, items in model.values:
                merged[key].update(items)
        self._values.update({key: frozenset(items) for key, items in merged.items()})
        self._values[_MODELLED_BASES] = frozenset(
            cls
            for m in self.models
            for cls, _ in (*m.entry_classes, *m.startup_classes, *m.command_classes)
        )

    def __repr__(self) -> str:
        # Stable across processes (set order is not): part of the whole-run cache key.
        return f"FrameworkModels({self.fingerprint()})"

    def fingerprint(self) -> str:
        described = json.dumps([_described(model) for model in self.models], sort_keys=True)
        return hashlib.sha256(described.encode()).hexdigest()[:16]

    def is_bookkeeping(self, class_name: str, attribute: str, module: str = "") -> bool:
        """Metrics, health and monitoring state: measured about requests, not user data. The
        names of the module that defines it count too (``services.telemetry.run_events``)."""
        short = class_name.rsplit(".", 1)[-1]
        modules = self._values["bookkeeping-modules"]
        return (
            method_matches(short, self._values["bookkeeping-classes"])
            or method_matches(attribute.lower(), self._values["bookkeeping-attributes"])
            or any(method_matches(part.lower(), modules) for part in module.split(".") if part)
        )

    def caches_model_answers(self, class_name: str, module: str) -> bool:
        """A cache of a language model's answers: its class or a part of its module is named
        for one (``SemanticCache``, ``services.llm_cache``)."""
        globs = self._values["model-answer-caches"]
        names = [class_name, *module.split(".")]
        return any(method_matches(name.lower(), globs) for name in names if name)

    def values(self, key: str) -> frozenset[str]:
        return self._values[key]

    # ---- entry points and startup hooks -------------------------------------------------

    def is_entry_decorator(self, qualified: str, instance_of: Iterable[str] = ()) -> bool:
        """``qualified`` is the decorator's resolved name; ``instance_of`` the classes of the
        object it is a method of (``fastapi.APIRouter`` for ``router.get``)."""
        return _decorator_matches(qualified, instance_of, *self._hook_decorators["entry"])

    def is_startup_decorator(self, qualified: str, instance_of: Iterable[str] = ()) -> bool:
        return _decorator_matches(qualified, instance_of, *self._hook_decorators["startup"])

    def is_command_decorator(self, qualified: str, instance_of: Iterable[str] = ()) -> bool:
        return _decorator_matches(qualified, instance_of, *self._hook_decorators["command"])

    @cached_property
    def _hook_decorators(self) -> dict[str, tuple[frozenset[str], tuple[MethodsOn, ...]]]:
        """Per kind of hook, every model's decorators by name and by method, merged once
        (they are asked of every decorator of every function)."""
        shapes = {
            "entry": [(m.entry_functions, m.entry_methods) for m in self.models],
            "startup": [(m.startup_functions, m.startup_methods) for m in self.models],
            "command": [(m.command_functions, m.command_methods) for m in self.models],
        }
        return {
            kind: (
                frozenset().union(*(functions for functions, _ in pairs)),
                tuple(method for _, methods in pairs for method in methods),
            )
            for kind, pairs in shapes.items()
        }

    @cached_property
    def registration_methods(self) -> frozenset[str]:
        """Every method name some model registers a handler with (``add_api_route``)."""
        return frozenset(
            method
            for model in self.models
            for registration in model.entry_registrations
            for method in registration.methods
        )

    def registration_argument(self, method: str, instance_of: Iterable[str]) -> int | None:
        """The handler's argument index when ``obj.method(...)`` registers an entry point."""
        classes = set(instance_of)
        for model in self.models:
            for registration in model.entry_registrations:
                if method in registration.methods and classes & registration.on:
                    return registration.argument
        return None

    @cached_property
    def application_classes(self) -> frozenset[str]:
        """Classes whose instances requests are routed by: the apps and routers that entry
        decorators and registrations are called on (``fastapi.FastAPI``, ``flask.Blueprint``)."""
        return frozenset(
            cls
            for model in self.models
            for methods in (*model.entry_methods, *model.entry_registrations)
            for cls in methods.on
        )

    def entry_methods_of(self, base: str) -> tuple[str, ...]:
        """The methods a request runs in a subclass of ``base`` (globs allowed)."""
        return _methods_of(base, (m.entry_classes for m in self.models))

    def startup_methods_of(self, base: str) -> tuple[str, ...]:
        """The methods of a subclass of ``base`` that run once, at startup."""
        return _methods_of(base, (m.startup_classes for m in self.models))

    def command_methods_of(self, base: str) -> tuple[str, ...]:
        """The methods of a subclass of ``base`` that run a command-line command."""
        return _methods_of(base, (m.command_classes for m in self.models))

    @property
    def modelled_bases(self) -> frozenset[str]:
        """Every base class a model names methods of (entry points, startup hooks or
        commands)."""
        return self._values[_MODELLED_BASES]

    def is_long_lived_decorator(self, qualified: str) -> bool:
        return any(qualified in m.long_lived_decorators for m in self.models)

    def framework_of_module(self, top_level: str) -> FrameworkModel | None:
        for model in self.models:
            if top_level in model.modules:
                return model
        return None


def _methods_of(
    base: str, tables: Iterable[tuple[tuple[str, tuple[str, ...]], ...]]
) -> tuple[str, ...]:
    return tuple(
        method for table in tables for cls, methods in table if cls == base for method in methods
    )


def _described(value: Any) -> Any:
    """A JSON-able, order-independent description of a model (sets sorted)."""
    if isinstance(value, (frozenset, set)):
        return sorted(_described(item) for item in value)
    if isinstance(value, (tuple, list)):
        return [_described(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _described(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def method_matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _decorator_matches(
    qualified: str,
    instance_of: Iterable[str],
    functions: frozenset[str],
    methods: tuple[MethodsOn, ...],
) -> bool:
    if qualified in functions:
        return True
    method = qualified.rsplit(".", 1)[-1]
    classes = set(instance_of)
    return any(method in entry.methods and classes & entry.on for entry in methods)


# ---- reading models ------------------------------------------------------------------------


def builtin_model_names() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in _MODEL_FOLDER.glob("*.toml")))


@lru_cache(maxsize=1)
def builtin_models() -> tuple[FrameworkModel, ...]:
    """Every model shipped with isolint, in file-name order."""
    found = []
    for name in builtin_model_names():
        path = _MODEL_FOLDER / f"{name}.toml"
        with path.open("rb") as handle:
            found.append(model_from_table(name, tomllib.load(handle), str(path)))
    return tuple(found)


def default_models() -> FrameworkModels:
    return FrameworkModels(builtin_models())


def models_from_table(table: Mapping[str, Any], source: str) -> FrameworkModels:
    """The models of ``[tool.isolint.models]``: ``disable = ["ui"]`` drops shipped models and
    every sub-table (``[tool.isolint.models.myframework]``) adds one, in the files' schema."""
    disabled = table.get("disable", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise ModelError(f"{source}: [tool.isolint.models] `disable` must be a list of names")
    unknown = sorted(set(disabled) - set(builtin_model_names()))
    if unknown:
        known = ", ".join(builtin_model_names())
        raise ModelError(
            f"{source}: [tool.isolint.models] `disable` names unknown model(s) "
            f"{', '.join(unknown)} (shipped: {known})"
        )
    models = [m for m in builtin_models() if m.key not in disabled]
    for key, value in table.items():
        if key == "disable":
            continue
        if not isinstance(value, dict):
            raise ModelError(
                f"{source}: [tool.isolint.models] `{key}` must be a table describing a framework"
            )
        models.append(model_from_table(key, value, f"{source} [tool.isolint.models.{key}]"))
    return FrameworkModels(tuple(models))


def model_from_table(key: str, table: Mapping[str, Any], source: str) -> FrameworkModel:
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        raise ModelError(f"{source}: unknown key(s) {', '.join(unknown)} in model `{key}`")
    entry_functions, entry_methods = _decorators(table.get("entry-decorators", []), source)
    startup_functions, startup_methods = _decorators(table.get("startup-decorators", []), source)
    command_functions, command_methods = _decorators(table.get("command-decorators", []), source)
    values = table.get("values", {})
    _expect(isinstance(values, dict), source, "`values` must be a table")
    bad_values = sorted(set(values) - set(_VALUE_KEYS))
    _expect(not bad_values, source, f"unknown key(s) in `values`: {', '.join(bad_values)}")
    return FrameworkModel(
        key=key,
        name=_string(table.get("name", key), source, "name"),
        modules=_strings(table.get("modules", []), source, "modules"),
        entry_functions=entry_functions,
        entry_methods=entry_methods,
        entry_classes=_class_methods(table.get("entry-classes", {}), source, "entry-classes"),
        entry_registrations=tuple(
            _methods_on(item, source, "entry-registrations")
            for item in _tables(table.get("entry-registrations", []), source)
        ),
        startup_functions=startup_functions,
        startup_methods=startup_methods,
        startup_classes=_class_methods(table.get("startup-classes", {}), source, "startup-classes"),
        command_functions=command_functions,
        command_methods=command_methods,
        command_classes=_class_methods(table.get("command-classes", {}), source, "command-classes"),
        long_lived_decorators=frozenset(
            _strings(table.get("long-lived-decorators", []), source, "long-lived-decorators")
        ),
        values=tuple(
            (name, _strings(items, source, f"values.{name}")) for name, items in values.items()
        ),
    )


def _decorators(items: Any, source: str) -> tuple[frozenset[str], tuple[MethodsOn, ...]]:
    functions: set[str] = set()
    methods: list[MethodsOn] = []
    for item in _tables(items, source):
        if "functions" in item:
            functions.update(_strings(item["functions"], source, "functions"))
        if "on" in item:
            methods.append(_methods_on(item, source, "decorators"))
    return frozenset(functions), tuple(methods)


def _methods_on(item: Mapping[str, Any], source: str, where: str) -> MethodsOn:
    argument = item.get("argument", 1)
    _expect(isinstance(argument, int), source, f"`{where}.argument` must be an integer")
    return MethodsOn(
        on=frozenset(_strings(item.get("on", []), source, f"{where}.on")),
        methods=frozenset(_strings(item.get("methods", []), source, f"{where}.methods")),
        argument=argument,
    )


def _class_methods(value: Any, source: str, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    _expect(isinstance(value, dict), source, f"`{where}` must be a table of class = [methods]")
    return tuple(
        (cls, _strings(methods, source, f"{where}.{cls}")) for cls, methods in value.items()
    )


# The keys an entry of ``[[entry-decorators]]`` (and its kin) or ``[[entry-registrations]]``
# may hold. A key TOML puts into the last such table by accident (a top-level key written
# below one) is an error, not a silently ignored setting.
_ITEM_KEYS = frozenset({"functions", "on", "methods", "argument"})


def _tables(value: Any, source: str) -> list[Mapping[str, Any]]:
    _expect(
        isinstance(value, list) and all(isinstance(v, dict) for v in value),
        source,
        "expected an array of tables",
    )
    for item in value:
        unknown = sorted(set(item) - _ITEM_KEYS)
        _expect(
            not unknown,
            source,
            f"unknown key(s) {', '.join(unknown)} in an array of tables (a key meant for the "
            "model itself must come before its first `[[...]]` table)",
        )
    return list(value)


def _strings(value: Any, source: str, where: str) -> tuple[str, ...]:
    _expect(
        isinstance(value, list) and all(isinstance(v, str) for v in value),
        source,
        f"`{where}` must be a list of strings, got {value!r}",
    )
    return tuple(value)


def _string(value: Any, source: str, where: str) -> str:
    _expect(isinstance(value, str), source, f"`{where}` must be a string, got {value!r}")
    return str(value)


def _expect(condition: bool, source: str, message: str) -> None:
    if not condition:
        raise ModelError(f"{source}: {message}")
