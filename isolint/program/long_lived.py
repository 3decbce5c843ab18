"""Which objects outlive a request, by where they are allocated.

An instance of a project class is long-lived when it is created

- at import time (``manager = Manager()``), or is a module-level handle taken from a getter
  that returns one (``manager = get_manager()``);
- as a singleton (``cls._instance``), a lazily created global (``global _x; _x = X()``) or by
  a cached factory (``@lru_cache def get_x(): return X()``);
- in a startup hook or code only startup reaches, or stored on the application
  (``app.state.x = X()``);
- and kept on a long-lived object (``self.registry = Registry()`` in such an object's method),
  which makes whatever it holds long-lived too.

Each class maps to the places (``Creation``) that make it long-lived: the witness a finding
names as "the shared object is created here".
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from isolint.analysis.facts import Access, WriteSite
from isolint.program.entry_points import (
    closure_class,
    is_middleware_hook,
    serves_protocol,
    serves_rpc,
)
from isolint.program.reach import Reach
from isolint.program.sessions import is_construction_helper
from isolint.program.types import ClassKey, TypeIndex
from isolint.project import Creation, Project, Target


class LongLivedObjects:
    """Long-lived classes of one project and where their instances are created."""

    def __init__(self, project: Project, types: TypeIndex, reach: Reach) -> None:
        self.project = project
        self.types = types
        self.reach = reach

    @cached_property
    def creations(self) -> dict[ClassKey, list[Creation]]:
        found: dict[ClassKey, list[Creation]] = defaultdict(list)
        scripts = self.reach.entry_points.script_modules
        for key, creations in self.project.long_lived.items():
            # a script's objects live for its one run, whoever's class they are
            kept = [creation for creation in creations if creation.module not in scripts]
            if kept:
                found[key].extend(kept)
        self._kept_by_the_framework(found)
        self._singleton_metaclasses(found)
        self._singleton_decorators(found)
        self._singleton_providers(found)
        self._singleton_bases(found)
        self._modelled_factories(found)
        self._module_handles(found)
        self._startup_constructions(found)
        self._application_state(found)
        self._import_time_constructions(found)
        self._registered_for_the_framework(found)
        self._redefined_classes(found)
        self._shared_by_design(found)
        self._serving_through_closures(found)
        self._captured_by_handlers(found)
        # last: what any long-lived object keeps on `self`, however it was found long-lived
        self._held_by_long_lived(found)
        return {key: _unique(creations) for key, creations in found.items() if creations}

    @cached_property
    def constructions(self) -> dict[ClassKey, list[tuple[str, str | None]]]:
        """Project class -> (module, function) constructing it (None: at import time)."""
        return construction_sites(self.project, self.types)

    def inherited_by(self, key: ClassKey) -> list[Creation]:
        """Where instances of the class, or of a subclass inheriting its methods, live long."""
        found = list(self.creations.get(key, ()))
        for subclass in self.types.subclasses.get(key, ()):
            found.extend(self.creations.get(subclass, ()))
        return found

    # ---- allocation sites ----------------------------------------------------------------------

    def _redefined_classes(self, found: dict[ClassKey, list[Creation]]) -> None:
        """A class defined again in its module (a fallback under `try` or `if`): an
        instance made by its name may be of either definition."""
        for key in list(found):
            for other in self.project.definitions(key)[1:]:
                found[other].extend(found[key])

    def _modelled_factories(self, found: dict[ClassKey, list[Creation]]) -> None:
        """Functions under a decorator the models say keeps its result for the process
        (``@functools.lru_cache``, ``@alru_cache``) that return a project class's instance."""
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                made = self.types.function_returns.get((module, qualname))
                if made is None or made.project is None:
                    continue
                cache = self.project.process_cache(module, function)
                if cache is not None:
                    how = f"cached factory `@{cache.callee.text()}`"
                    found[made.project].append(Creation(module, function.span, how))

    def _module_handles(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``manager = get_manager()`` at module level, where the getter returns one instance."""
        scripts = self.reach.entry_points.script_modules
        for module, record in self.project.modules.items():
            if module in scripts:
                continue
            for name, binding in record.facts.bindings.items():
                if binding.kind != "call" or binding.callee is None or binding.call_of_call:
                    continue
                if binding.in_main_guard:
                    continue  # a script's handle, taken when the module runs as `__main__`
                made = self.types.returned_type(module, binding.callee)
                if made is not None and made.project is not None:
                    how = f"module-level handle `{name}` from `{binding.callee.text()}()`"
                    found[made.project].append(Creation(module, binding.span, how))

    def _startup_constructions(self, found: dict[ClassKey, list[Creation]]) -> None:
        """Instances constructed in startup hooks or code only startup reaches."""
        startup = self.reach.startup_only
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if call.at_import_time or (module, call.function or "") not in startup:
                    continue
                made = self.types.class_type(module, call.callee)
                if made is None or made.project is None or call.span is None:
                    continue
                if self._is_safe(made.project) or self._constructed_per_request(made.project):
                    # a service that request handlers build for themselves too: the one
                    # startup made is its own local, unless it is kept (app.state, a global)
                    continue
                how = f"created at startup in `{call.function}`"
                found[made.project].append(Creation(module, call.span, how))

    def _application_state(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``app.state.x = X()`` (or a local holding an ``X``) anywhere."""
        for module, record in self.project.modules.items():
            for site in record.facts.writes:
                if site.operation != "setattr" or not site.target.is_application_state():
                    continue
                if names_a_module(self.project, module, site.target):
                    continue
                made = self._stored_class(module, site)
                if made is not None:
                    how = f"stored on `{site.target.text()}`"
                    found[made].append(Creation(module, site.span, how))

    def _held_by_long_lived(self, found: dict[ClassKey, list[Creation]]) -> None:
        """What a long-lived object keeps on ``self`` lives as long (to a fixed point)."""
        held: dict[ClassKey, list[tuple[str, WriteSite, ClassKey]]] = defaultdict(list)
        for module, record in self.project.modules.items():
            for site in record.facts.writes:
                if site.self_class is None or site.operation != "setattr":
                    continue
                if len(site.target.attrs) != 1:
                    continue
                if site.value_class is None and not is_construction_helper(site.function):
                    continue  # an object a request handed in is that request's, not ours
                made = self._stored_class(module, site)
                if made is not None:
                    held[(module, site.self_class)].append((module, site, made))
        changed = True
        while changed:
            changed = False
            for owner in [key for key, creations in found.items() if creations]:
                for owner_key in self.class_and_bases(owner):
                    for module, site, made in held.get(owner_key, ()):
                        if found.get(made) or self._is_safe(made):
                            continue
                        attribute = site.target.attrs[0]
                        how = f"kept on `{owner[1]}.{attribute}`, itself long-lived"
                        found[made].append(Creation(module, site.span, how, holder=owner))
                        changed = True

    def _shared_by_design(self, found: dict[ClassKey, list[Creation]]) -> None:
        """A class that keeps a lock or semaphore on ``self`` to bound its concurrent callers
        is built to be shared by them, when the project constructs it, and not per request."""
        locks = self.project.config.models.values("lock-types")
        for module, record in self.project.modules.items():
            for site in record.facts.writes:
                if site.self_class is None or site.value_class is None:
                    continue
                key = (module, site.self_class)
                if found.get(key) or site.operation != "setattr":
                    continue
                made = self.types.class_type(module, site.value_class)
                if made is None or not made.names & locks:
                    continue
                if not self.constructions.get(key) or self._constructed_per_request(key):
                    # (built only through a registry of classes or a factory the index
                    # cannot follow, it may well be made per session: no evidence either way)
                    continue
                lock = sorted(made.names & locks)[0]
                how = f"guards itself with `{lock}` (`{site.target.text()}`): built to be shared"
                found[key].append(Creation(module, site.span, how, inferred=True))

    def _captured_by_handlers(self, found: dict[ClassKey, list[Creation]]) -> None:
        """An object an app factory builds or is handed, used by a request handler defined
        inside it (``def create_app(bank): @app.post(...) def chat(): bank.use(...)``):
        the handler closes over that one object, so every request it serves shares it."""
        entries = self.reach.entry_points.entries
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if not call.receiver_scope or (module, call.function or "") not in entries:
                    continue
                callee = self.reach.resolve_call(module, call)
                if callee is None or "." not in callee[1]:
                    continue
                owner = (callee[0], callee[1].rsplit(".", 1)[0])
                if self.project.class_hierarchy(*owner) is None or self._is_safe(owner):
                    continue
                scope = self.project.function(module, call.receiver_scope)
                if scope is None:
                    continue
                handler = (call.function or "").rsplit(".", 1)[-1]
                how = (
                    f"kept by `{call.receiver_scope}`, whose request handler `{handler}` "
                    "uses it for every request"
                )
                found[owner].append(Creation(module, scope.span, how))

    def _serving_through_closures(self, found: dict[ClassKey, list[Creation]]) -> None:
        """A class whose method defines request handlers (``@self.app.post`` or
        ``@app.post`` inside ``def _routes(self)``): each handler closes over ``self``, so
        that one instance serves every request the handler gets."""
        for module, qualname in self.reach.entry_points.entries:
            function = self.project.function(module, qualname)
            if function is None:
                continue
            owner = closure_class(self.project, module, function)
            if owner is None:
                continue
            how = f"its request handler `{function.name}` is defined in a method and runs on it"
            found[(module, owner)].append(Creation(module, function.span, how))

    def _kept_by_the_framework(self, found: dict[ClassKey, list[Creation]]) -> None:
        """Classes whose one instance serves every request: an ASGI or WSGI application
        (its ``__call__`` is the server's per-request call), a Django middleware (built with
        ``get_response``, called with each request), and subclasses of the models'
        ``long-lived-bases`` (a Celery task, a Django ``ModelAdmin`` or template ``Node``)."""
        for module, record in self.project.modules.items():
            for class_name, class_facts in record.facts.classes.items():
                key = (module, class_name)
                call = record.facts.functions.get(f"{class_name}.__call__")
                protocol = serves_protocol(call) if call is not None else ""
                if protocol and self._built_by_request_code(key):
                    continue  # a responder built for each request (an ASGI middleware's)
                if protocol:
                    how = f"an {protocol} application: one instance serves every request"
                    found[key].append(Creation(module, class_facts.span, how))
                    continue
                init = record.facts.functions.get(f"{class_name}.__init__")
                if call is not None and init is not None and init.params == ["get_response"]:
                    how = "a Django middleware (built once with `get_response`): one instance "
                    found[key].append(
                        Creation(module, class_facts.span, how + "serves every request")
                    )
                    continue
                registered = self.reach.entry_points.self_registrations.get(key)
                if registered:
                    method, registration = registered[0]
                    how = (
                        f"it registers its own `{method}` with `{registration}()`: one "
                        "instance serves every request"
                    )
                    found[key].append(Creation(module, class_facts.span, how))
                    continue
                kept = self.kept_bases(key)
                if kept:
                    short = kept[0].rsplit(".", 1)[-1]
                    how = f"a `{short}` subclass: one instance serves every request"
                    found[key].append(Creation(module, class_facts.span, how))
                    continue
                hooks = [
                    name
                    for name in class_facts.methods
                    if (hook := record.facts.functions.get(f"{class_name}.{name}")) is not None
                    and is_middleware_hook(hook)
                ]
                if hooks and not self.reach.entry_points.is_view_class(module, class_name):
                    how = f"a Django middleware (`{hooks[0]}`): one instance serves every request"
                    found[key].append(Creation(module, class_facts.span, how))
                    continue
                if any(
                    (function := record.facts.functions.get(f"{class_name}.{name}")) is not None
                    and serves_rpc(record.facts, function)
                    for name in class_facts.methods
                ):
                    how = "a gRPC servicer: the server calls one instance for every request"
                    found[key].append(Creation(module, class_facts.span, how))

    def kept_bases(self, key: ClassKey) -> list[str]:
        """The models' ``long-lived-bases`` the class derives from (a Celery ``Task``, a
        ``ModelAdmin``): the framework keeps one instance of it for every request."""
        bases = self.project.config.models.values("long-lived-bases")
        return sorted(self.types.qualified_names(key) & bases)

    def _import_time_constructions(self, found: dict[ClassKey, list[Creation]]) -> None:
        """Instances built at import time inside another call (``API(throttle=[Limit()])``,
        ``register(Handler())``): whatever keeps them keeps them for the process."""
        scripts = self.reach.entry_points.script_modules
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if not call.at_import_time or call.deferred or call.span is None:
                    continue
                if not self.project.modules[module].is_target or module in scripts:
                    continue  # a test or script module building one for itself
                if call.in_class_body and (
                    self.project.class_hierarchy(module, call.in_class_body) is None
                ):
                    continue  # a field declared on a form or schema: copied per instance
                made = self.types.class_type(module, call.callee)
                if made is None or made.project is None or self._is_safe(made.project):
                    continue
                if found.get(made.project):
                    continue
                if self._constructed_per_request(made.project):
                    # templates registered at import time whose copies serve the requests
                    # (`register(Conversation(...))`, `conv = template.copy()`): which one a
                    # method writes is not known, and the request-time ones are per request
                    continue
                how = f"created at import time (`{call.callee.text()}(...)`)"
                found[made.project].append(Creation(module, call.span, how))

    def _registered_for_the_framework(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``admin.site.register(Errata, ErrataAdmin)``: the framework builds one instance of
        the registered class and serves every request with it (the models'
        ``instantiating-registrations``)."""
        wanted = self.project.config.models.values("instantiating-registrations")
        if not wanted:
            return
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if not call.at_import_time or call.span is None:
                    continue
                if self.project.callee_name(module, call.callee) not in wanted:
                    continue
                # `register(Model, SomeAdmin)`: the first is what is registered (a model,
                # which a request loads rows of), the class after it is instantiated
                for argument in call.args[1:]:
                    target = self.project.resolve(module, argument) if argument else None
                    if target is None or target.kind != "class" or target.rest:
                        continue
                    if self.project.class_hierarchy(target.module, target.name) is None:
                        continue  # a declarative class
                    how = (
                        f"registered with `{call.callee.text()}`: one instance serves every request"
                    )
                    found[(target.module, target.name)].append(Creation(module, call.span, how))

    def _singleton_metaclasses(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``class Session(metaclass=Singleton)`` where the metaclass's ``__call__`` keeps
        the instance it makes in a container: one instance per class, for the process."""
        for module, record in self.project.modules.items():
            for class_name, class_facts in record.facts.classes.items():
                if class_facts.metaclass is None:
                    continue
                meta = self.types.class_type(module, class_facts.metaclass)
                if meta is None or meta.project is None:
                    continue
                meta_module, meta_name = meta.project
                keeps = any(
                    site.function == f"{meta_name}.__call__"
                    and (site.operation == "setitem" or site.operation == "call:setdefault")
                    for site in self.project.modules[meta_module].facts.writes
                )
                if keeps:
                    how = f"its metaclass `{meta_name}` keeps one instance of it"
                    found[(module, class_name)].append(Creation(module, class_facts.span, how))

    def _singleton_decorators(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``@singleton class Tracker:`` where the decorator keeps the instance it makes in
        a container (a project function whose wrapper stores ``instances[cls] = cls(...)``)
        or is one the models name (the ``singleton-decorators``: injector's ``@singleton``):
        every construction hands out the one instance."""
        modelled = self.project.config.models.values("singleton-decorators")
        for module, record in self.project.modules.items():
            for class_name, class_facts in record.facts.classes.items():
                for decorator in class_facts.decorators:
                    name = self.project.callee_name(module, decorator)
                    if name in modelled or self._keeps_what_it_makes(module, decorator):
                        how = f"its decorator `@{decorator.text()}` keeps one instance of it"
                        found[(module, class_name)].append(Creation(module, class_facts.span, how))
                        break

    def _keeps_what_it_makes(self, module: str, decorator: Access) -> bool:
        """A project function whose nested wrapper stores into a container it closes over
        (``instances[cls] = cls(*args)``)."""
        target = self.project.resolve(module, decorator)
        if target is None or target.kind != "function" or target.rest:
            return False
        facts = self.project.modules[target.module].facts
        nested = target.name + "."
        return any(
            site.function.startswith(nested)
            and site.operation in ("setitem", "call:setdefault")
            and not site.target.attrs
            for site in facts.writes
        )

    def _singleton_providers(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``profiles = providers.Singleton(Profiles)`` (the models' ``singleton-providers``,
        dependency-injector's): the container builds the class once and hands every caller,
        every request, that one instance."""
        providers = self.project.config.models.values("singleton-providers")
        if not providers:
            return
        short = {name.rsplit(".", 1)[-1] for name in providers}
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                if (call.callee.attrs or [call.callee.root])[-1] not in short:
                    continue
                if not call.args or call.args[0] is None or call.span is None:
                    continue
                if self.project.callee_name(module, call.callee) not in providers:
                    continue
                made = self.types.class_type(module, call.args[0])
                if made is not None and made.project is not None:
                    how = f"a `{call.callee.text()}` provider builds one instance of it"
                    found[made.project].append(Creation(module, call.span, how))

    def _singleton_bases(self, found: dict[ClassKey, list[Creation]]) -> None:
        """``class Session(Singleton)`` where the base's ``__new__`` keeps the instance it
        makes on the class (``cls._instances[cls.__name__] = ...``): one per subclass."""
        for module, record in self.project.modules.items():
            for class_name, class_facts in record.facts.classes.items():
                if not class_facts.new_keeps_instance:
                    continue
                for sub_module, sub_name in self.types.subclasses.get((module, class_name), ()):
                    sub_facts = self.project.modules[sub_module].facts.classes.get(sub_name)
                    if sub_facts is None:
                        continue
                    how = f"`{class_name}.__new__` keeps one instance of it"
                    found[(sub_module, sub_name)].append(Creation(sub_module, sub_facts.span, how))

    def _built_by_request_code(self, key: ClassKey) -> bool:
        """Code that runs at request time builds the class (an ASGI middleware's responder,
        made in its ``__call__``). A function nothing calls does not count, as it does for
        ``_constructed_per_request``: a library's ``SessionMiddlewareStack(inner)`` wraps the
        application once, when the service composes it."""
        request_time = self.reach.request_paths
        return any(
            function is not None
            and (module, function) in request_time
            and not self.project.builds_once(module, function)
            for module, function in self.constructions.get(key, [])
        )

    def constructed_per_request(self, key: ClassKey) -> bool:
        """Some request-time code builds the class, so an instance handed to a function may
        be one request's own."""
        return self._constructed_per_request(key)

    def _constructed_per_request(self, key: ClassKey, depth: int = 0) -> bool:
        """Some request-time code builds the class: directly, or in the ``__init__`` of an
        owner that is itself built per request, or whose subclass is (a conductor each
        researcher makes for itself lives as long as that researcher, one request)."""
        outside = self.reach.outside_requests
        for module, function in self.constructions.get(key, []):
            if function is None or (module, function) in outside:
                continue
            if self.project.builds_once(module, function):
                continue  # `@lru_cache def get_settings(): return Settings()`, as a dependency
            if not is_construction_helper(function):
                return True
            owner = function.rsplit(".", 1)[0] if "." in function else ""
            if (
                not owner
                or depth >= _MAX_OWNER_DEPTH
                or (module, owner) == key
                or owner not in self.project.modules[module].facts.classes
            ):
                continue
            owners = [(module, owner), *self.types.subclasses.get((module, owner), ())]
            if any(self._constructed_per_request(built, depth + 1) for built in owners):
                return True
        return False

    def class_and_bases(self, key: ClassKey) -> list[ClassKey]:
        """The class and its project base classes (whose ``__init__`` may set attributes)."""
        return [(m, c.name) for m, c, _ in self.project._hierarchy(*key)]

    def _is_safe(self, key: ClassKey) -> bool:
        """Locks, loggers, clients and declarative classes are shared on purpose."""
        safe = self.project.config.models.values("shared-safe-types")
        if self.types.qualified_names(key) & safe:
            return True
        return self.project.is_shared_safe(Target("class", key[0], key[1]))

    def _stored_class(self, module: str, site: WriteSite) -> ClassKey | None:
        made = self.types._stored_type(module, site.function, site.value_class, site.value_name)
        return made.project if made is not None else None


# How many owners' constructors to follow up (a part built in its owner's ``__init__``).
_MAX_OWNER_DEPTH = 3


def names_a_module(project: Project, module: str, access: Access) -> bool:
    """``app.state.X`` where ``app.state`` is a module of the project, not an app's state."""
    parts = access.attrs
    index = parts.index("state") if "state" in parts else len(parts)
    target = project.resolve(module, Access(access.root, parts[: index + 1]))
    return target is not None and target.kind == "module"


def _unique(creations: list[Creation]) -> list[Creation]:
    seen: set[tuple[str, int, str]] = set()
    kept: list[Creation] = []
    for creation in creations:
        key = (creation.module, creation.span.node, creation.how)
        if key not in seen:
            seen.add(key)
            kept.append(creation)
    return kept


def construction_sites(
    project: Project, types: TypeIndex
) -> dict[ClassKey, list[tuple[str, str | None]]]:
    """Project class -> (module, function) constructing it (function None: at import time)."""
    found: dict[ClassKey, list[tuple[str, str | None]]] = defaultdict(list)
    for module, record in project.modules.items():
        for call in record.facts.calls:
            if call.self_class is not None:
                continue
            made = types.class_type(module, call.callee)
            if made is not None and made.project is not None:
                function = None if call.at_import_time else call.function
                found[made.project].append((module, function))
    return dict(found)
