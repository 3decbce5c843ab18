"""Which functions serve requests, and which run once at startup, by the framework models.

An entry point is a function a framework calls per request: a route decorated on an app or
router instance (``@router.post``), a method of a class-based view (a subclass of a modelled
base), a handler registered by a call (``app.add_api_route(path, handler)``, also a method
bound to a module-level instance), a task, a resolver, a tool, a validator of a request
body (a handler's Pydantic parameter). Decorators and bases are resolved through imports
and matched by qualified name. Decorators named in ``entry-decorators`` of
``[tool.isolint]`` (the project's own routers) also count, as they always have.

Startup hooks (``@app.on_event("startup")``, ``AppConfig.ready``, a ``lifespan``, functions
named like ``startup``/``init_app``) and the code only they reach run once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from isolint.analysis.facts import Access, CallSite, DecoratorUse, Function, ModuleFacts
from isolint.analysis.module_pass import SCRIPT_FUNCTION
from isolint.config import DEFAULT_ENTRY_DECORATORS, NOT_SERVED_FOLDERS
from isolint.models import method_matches
from isolint.program.types import TypeIndex, ValueType
from isolint.project import Project, Target

FunctionKey = tuple[str, str]  # (module, function qualname)

_SHUTDOWN_EVENTS = frozenset({"startup", "shutdown"})


@dataclass(frozen=True)
class EntryPoint:
    """A function a framework calls per request, and why isolint thinks so."""

    key: FunctionKey
    reason: str


class EntryPoints:
    """Entry points and startup hooks of one project."""

    def __init__(self, project: Project, types: TypeIndex) -> None:
        self.project = project
        self.types = types
        self.models = project.config.models

    @cached_property
    def entries(self) -> dict[FunctionKey, EntryPoint]:
        found: dict[FunctionKey, EntryPoint] = {}
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                reason = self._decorated_entry(module, function)
                if qualname == SCRIPT_FUNCTION:
                    reason = "the top level of a Streamlit script, which runs for every session"
                if reason is not None:
                    found[(module, qualname)] = EntryPoint((module, qualname), reason)
            for qualname, function in record.facts.functions.items():
                protocol = serves_protocol(function)
                if protocol and (module, qualname) not in found:
                    reason = f"an {protocol} application (`{', '.join(function.params[-3:])}`)"
                    found[(module, qualname)] = EntryPoint((module, qualname), reason)
                elif (
                    is_middleware_hook(function)
                    and (module, qualname) not in found
                    and not self.is_view_class(module, function.class_name or "")
                ):
                    reason = f"`{function.name}` of a Django middleware"
                    found[(module, qualname)] = EntryPoint((module, qualname), reason)
                elif is_middleware_call(record.facts, function) and (module, qualname) not in found:
                    reason = "`__call__` of a Django middleware (built with `get_response`)"
                    found[(module, qualname)] = EntryPoint((module, qualname), reason)
                elif serves_rpc(record.facts, function) and (module, qualname) not in found:
                    reason = f"`{function.name}` of a gRPC servicer (`request, context`)"
                    found[(module, qualname)] = EntryPoint((module, qualname), reason)
            for class_name in record.facts.classes:
                for key, reason in self._class_entries(module, class_name):
                    found.setdefault(key, EntryPoint(key, reason))
        for key, reason in self._registered_entries():
            found.setdefault(key, EntryPoint(key, reason))
        for key, entry in list(found.items()):
            for wrapper, decorator in self._decorator_wrappers(*key):
                reason = f"the wrapper `@{decorator}` puts around `{key[1]}` ({entry.reason})"
                found.setdefault(wrapper, EntryPoint(wrapper, reason))
        for key, reason in self._body_validators(found):
            found.setdefault(key, EntryPoint(key, reason))
        for (module, class_name), registered in self.self_registrations.items():
            overriding = self.types.subclasses.get((module, class_name), [])
            for method, registration in registered:
                reason = f"`{method}`, which `{class_name}` registers with `{registration}()`"
                # the bound method is the instance's: a subclass's override is the handler
                for owner, owner_class in [(module, class_name), *overriding]:
                    key = (owner, f"{owner_class}.{method}")
                    if key[1] in self.project.modules[owner].facts.functions:
                        found.setdefault(key, EntryPoint(key, reason))
        return found

    def _body_validators(
        self, entries: dict[FunctionKey, EntryPoint]
    ) -> list[tuple[FunctionKey, str]]:
        """Validators of a request body: a handler's parameter typed with a project class
        deriving from a body model (the models' ``body-model-bases``: Pydantic's
        ``BaseModel``) is built from what the client sent, for each request, and the
        framework runs its validators (``body-validator-decorators``) on those values."""
        bases = self.models.values("body-model-bases")
        validators = self.models.values("body-validator-decorators")
        if not bases or not validators:
            return []
        found: list[tuple[FunctionKey, str]] = []
        seen: set[FunctionKey] = set()
        for module, qualname in list(entries):
            function = self.project.function(module, qualname)
            for param, declared in function.param_types.items() if function else ():
                target = self.project.resolve(module, declared)
                if target is None or target.kind != "class" or target.rest:
                    continue
                body = (target.module, target.name)
                if body in seen or not bases & self.types.qualified_names(body):
                    continue
                seen.add(body)
                reason = (
                    f"a validator of `{target.name}`, the request body `{param}` of `{qualname}`"
                )
                found.extend((key, reason) for key in self._validators_of(body, validators))
        return found

    def _validators_of(
        self, body: tuple[str, str], validators: frozenset[str]
    ) -> Iterator[FunctionKey]:
        """The methods of a body model and its project bases decorated as validators."""
        for owner, class_facts, _ in self.project._hierarchy(*body):
            for method in class_facts.methods:
                key = (owner, f"{class_facts.name}.{method}")
                function = self.project.function(*key)
                if function is not None and any(
                    self.project.callee_name(owner, decorator.callee) in validators
                    for decorator in function.decorators
                ):
                    yield key

    @cached_property
    def self_registrations(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Classes that register their own methods as request handlers, (method, the
        registering call) each: ``app.server.add_url_rule("/login", view_func=self.login)``
        in ``__init__``. The app keeps the instance for every request those handlers get;
        the receiver is not typed (an app handed in), so the call's name and the bound
        method say it."""
        registering = self.models.values("handler-registrations")
        found: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for module, record in self.project.modules.items():
            for function in record.facts.functions.values():
                owner = function.class_name
                class_facts = record.facts.classes.get(owner) if owner else None
                if owner is None or class_facts is None:
                    continue
                for call, methods in function.hands_own_methods.items():
                    if call.rsplit(".", 1)[-1] not in registering:
                        continue
                    found.setdefault((module, owner), []).extend(
                        (method, call) for method in methods if method in class_facts.methods
                    )
        return found

    def _decorator_wrappers(self, module: str, qualname: str) -> Iterator[tuple[FunctionKey, str]]:
        """The project's own decorators on a request handler (``@cached("projects")`` under
        ``@router.get``): the function each one returns in the handler's place runs for
        every request, handed the request's arguments (``*args, **kwargs``)."""
        function = self.project.function(module, qualname)
        for decorator in function.decorators if function is not None else ():
            target = self.project.resolve(module, decorator.callee)
            if target is None or target.kind != "function" or target.rest:
                continue
            key = (target.module, target.name)
            wrappers = self._wrappers.get(key)
            if wrappers is None:  # (one decorator may wrap hundreds of routes)
                made_by = self.project.function(*key)
                wrappers = _wrappers_made_by(self.project, key[0], made_by) if made_by else []
                self._wrappers[key] = wrappers
            for wrapper in wrappers:
                yield (target.module, wrapper), decorator.callee.text()

    @cached_property
    def _wrappers(self) -> dict[FunctionKey, list[str]]:
        """Decorator -> the wrappers it defines (``_wrappers_made_by``), as asked."""
        return {}

    def _decorated_entry(self, module: str, function: Function) -> str | None:
        for decorator in function.decorators:
            qualified, instance_of = self.decorator_names(module, function, decorator)
            if self.models.is_entry_decorator(qualified, instance_of):
                return f"a request handler (`@{decorator.callee.text()}`)"
        if function.is_entry and (
            self._configured_by_user(function) or not self._decorators_are_foreign(module, function)
        ):
            names = ", ".join(f"`@{d}`" for d in function.decorator_names if d)
            return f"a request handler ({names})"
        return None

    def _configured_by_user(self, function: Function) -> bool:
        """A decorator the project itself named in ``entry-decorators``: always an entry."""
        added = set(self.project.config.entry_decorators) - set(DEFAULT_ENTRY_DECORATORS)
        return not added.isdisjoint(function.decorator_names)

    def _decorators_are_foreign(self, module: str, function: Function) -> bool:
        """Every decorator belongs to a library the models do not describe: a ``.get`` of
        some other package's object is not a route, whatever its name."""
        for decorator in function.decorators:
            callee = decorator.callee
            if callee.attrs and _handed_to_enclosing(self.project, module, function, callee.root):
                return False  # `def _register_routes(self, app): @app.get("/")`: its app
            if callee.attrs:
                receiver_type = self._decorator_receiver(module, function, callee)
                if receiver_type is not None:
                    if receiver_type.project is not None:
                        return False
                    continue
            target = self.project.resolve(module, callee)
            if target is None or target.kind != "external" or not target.module:
                return False
        return bool(function.decorators)

    def decorator_names(
        self, module: str, function: Function, decorator: DecoratorUse
    ) -> tuple[str, frozenset[str]]:
        """The decorator's qualified name, and the classes of the object it is a method of."""
        callee = decorator.callee
        qualified = self.project.callee_name(module, callee)
        if not callee.attrs:
            return qualified, frozenset()
        receiver_type = self._decorator_receiver(module, function, callee)
        return qualified, receiver_type.names if receiver_type else frozenset()

    def _decorator_receiver(
        self, module: str, function: Function, callee: Access
    ) -> ValueType | None:
        """The class of the object a decorator is a method of: a module-level app or router,
        or, for a handler defined inside a method, the app that method's ``self`` keeps
        (``@self.app.post("/chat")``)."""
        receiver = Access(callee.root, callee.attrs[:-1])
        if receiver.root == "self":
            owner = closure_class(self.project, module, function)
            if owner is None:
                return None
            return self.types.receiver_type(module, None, owner, receiver)
        receiver_type = self.types.receiver_type(module, None, None, receiver)
        if receiver_type is None:
            receiver_type = self.types.class_type(module, receiver)
        return receiver_type

    def is_view_class(self, module: str, class_name: str) -> bool:
        """A subclass of a modelled class (a view, a handler), or a class answering HTTP
        methods: its hooks named like a middleware's (Django's
        ``AutocompleteJsonView.process_request``) are its own."""
        names = self.types.qualified_names((module, class_name))
        if names & self.models.modelled_bases:
            return True
        record = self.project.modules.get(module)
        class_facts = record.facts.classes.get(class_name) if record else None
        return class_facts is not None and not _VIEW_METHODS.isdisjoint(class_facts.methods)

    def _class_entries(self, module: str, class_name: str) -> list[tuple[FunctionKey, str]]:
        """The methods a request runs in a subclass of a modelled class, including those it
        inherits from the project's own mixins (``get_context_data`` of a mixin a view
        derives from)."""
        names = self.types.qualified_names((module, class_name))
        modelled = names & self.models.modelled_bases
        if not modelled:
            return []
        found: list[tuple[FunctionKey, str]] = []
        patterns = {base: self.models.entry_methods_of(base) for base in modelled}
        for owner, class_facts, _ in self.project._hierarchy(module, class_name):
            for base in modelled:
                short = base.rsplit(".", 1)[-1]
                for method in class_facts.methods:
                    if method_matches(method, patterns[base]):
                        key = (owner, f"{class_facts.name}.{method}")
                        found.append((key, f"`{method}` of a `{short}` subclass"))
        return found

    def _registered_entries(self) -> list[tuple[FunctionKey, str]]:
        """Handlers passed to a registration call: ``app.add_api_route("/x", handler)``."""
        found: list[tuple[FunctionKey, str]] = []
        handler_classes = self.models.values("handler-classes")
        handler_names = {name.rsplit(".", 1)[-1] for name in handler_classes}
        registering = self.models.registration_methods
        for module, record in self.project.modules.items():
            for call in record.facts.calls:
                callee = call.callee
                if (
                    (call.args or call.keyword_args)
                    and (callee.attrs or [callee.root])[-1] in handler_names
                    and self.project.callee_name(module, callee) in handler_classes
                ):
                    found.extend(self._handlers_passed(module, call))
                    continue
                if not callee.attrs or callee.attrs[-1] not in registering:
                    continue
                if not call.args and not call.keyword_args:
                    continue
                receiver = Access(callee.root, callee.attrs[:-1])
                receiver_names = self._receiver_names(module, receiver)
                if receiver_names is None:
                    continue
                index = self.models.registration_argument(callee.attrs[-1], receiver_names)
                if index is None:
                    continue
                # the handler where the model says, or passed by keyword (``fn=respond``)
                passed = [call.args[index]] if index < len(call.args) else []
                passed = passed or list(call.keyword_args.values())
                for handler in passed:
                    key = self._handler_key(module, handler) if handler else None
                    if key is not None:
                        reason = f"a handler registered with `{callee.text()}()`"
                        found.append((key, reason))
        return found

    def _handler_key(self, module: str, handler: Access) -> FunctionKey | None:
        """The project function a handler argument names: a function, or a method bound to a
        module-level instance of a project class (``manager.set_prompt`` with ``manager =
        Manager()``), which then serves every request with that one instance."""
        target = self.project.resolve(module, handler)
        if target is None:
            return None
        if target.kind == "function" and not target.rest:
            return target.module, target.name
        if target.kind != "binding" or len(target.rest) not in (1, 2):
            return None
        if len(target.rest) == 1:
            made = self.types.binding_type(target.module, target.name)
        else:
            made = self._held_value_type(target)
        if made is None or made.project is None:
            return None
        for owner, class_facts, _ in self.project._hierarchy(*made.project):
            if target.rest[-1] in class_facts.methods:
                return owner, f"{class_facts.name}.{target.rest[-1]}"
        return None

    def _held_value_type(self, target: Target) -> ValueType | None:
        """The class of what a value holder built at module level gives back
        (``current_model.value`` with ``current_model = gr.State(ModelManager(...))``: the
        models' ``value-holders``)."""
        binding = self.project.binding(target)
        if binding is None or binding.callee is None:
            return None
        holder = self.project.callee_name(target.module, binding.callee)
        if f"{holder}.{target.rest[0]}" not in self.models.values("value-holders"):
            return None
        held = binding.argument_calls.get("0") or binding.argument_calls.get("value")
        return self.types.class_type(target.module, held) if held is not None else None

    def _handlers_passed(self, module: str, call: CallSite) -> list[tuple[FunctionKey, str]]:
        """Project functions passed to a handler class: ``MessageHandler(filters, reply)``,
        ``gr.Interface(fn=respond)``."""
        found: list[tuple[FunctionKey, str]] = []
        passed = [(argument, "") for argument in call.args if argument is not None]
        passed += [(argument, f"{name}=") for name, argument in call.keyword_args.items()]
        for argument, keyword in passed:
            key = self._handler_key(module, argument)
            if key is not None:
                shown = f"{keyword}{argument.text()}"
                reason = f"a handler passed to `{call.callee.text()}({shown})`"
                found.append((key, reason))
        return found

    # ---- startup ------------------------------------------------------------------------

    @cached_property
    def startup_hooks(self) -> frozenset[FunctionKey]:
        """Functions that run once, at process start or stop."""
        found: set[FunctionKey] = set()
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                if is_lifecycle_hook(function) or self._startup_decorated(module, function):
                    found.add((module, qualname))
            found.update(self._modelled_methods(module, self.models.startup_methods_of))
        return frozenset(found)

    def _modelled_methods(
        self, module: str, methods_of: Callable[[str], tuple[str, ...]]
    ) -> Iterator[FunctionKey]:
        """The methods a model names (``methods_of`` a base: startup hooks, commands) of
        the module's subclasses of modelled bases (``AppConfig.ready``)."""
        for class_name in self.project.modules[module].facts.classes:
            names = self.types.qualified_names((module, class_name))
            for base in names & self.models.modelled_bases:
                for method in methods_of(base):
                    yield (module, f"{class_name}.{method}")

    def _startup_decorated(self, module: str, function: Function) -> bool:
        for decorator in function.decorators:
            qualified, instance_of = self.decorator_names(module, function, decorator)
            if self.models.is_startup_decorator(qualified, instance_of):
                return decorator.first_arg in _SHUTDOWN_EVENTS or not decorator.first_arg
            if decorator.callee.attrs[-1:] == ["on_event"] and decorator.first_arg:
                return decorator.first_arg in _SHUTDOWN_EVENTS
        return False

    # ---- the command line ------------------------------------------------------------------

    @cached_property
    def commands(self) -> frozenset[FunctionKey]:
        """Functions that serve the one person at a command line, not a request: commands of
        a command-line framework (``@click.command()``, ``@app.command()`` of a Typer app, a
        management command's ``handle``), every function of a command-line module (a ``cli``
        package, ``__main__``) and of a script module (see ``script_modules``)."""
        found: set[FunctionKey] = set()
        scripts = self.script_modules
        for module, record in self.project.modules.items():
            whole_module = module in scripts or is_command_line_module(module)
            for qualname, function in record.facts.functions.items():
                if whole_module or self._command_decorated(module, function):
                    found.add((module, qualname))
            found.update(self._modelled_methods(module, self.models.command_methods_of))
        self._add_sub_commands(found)
        return frozenset(key for key in found if key not in self.entries)

    def _command_decorated(self, module: str, function: Function) -> bool:
        for decorator in function.decorators:
            qualified, instance_of = self.decorator_names(module, function, decorator)
            if self.models.is_command_decorator(qualified, instance_of):
                return True
        return False

    def _add_sub_commands(self, found: set[FunctionKey]) -> None:
        """``@cli.command()`` where ``cli`` is a command group of the project (a function
        under ``@click.group()``): a command too, and a group may hold groups."""
        candidates: list[tuple[FunctionKey, FunctionKey]] = []
        for module, record in self.project.modules.items():
            for qualname, function in record.facts.functions.items():
                for decorator in function.decorators:
                    callee = decorator.callee
                    if callee.attrs[-1:] not in (["command"], ["group"]):
                        continue
                    target = self.project.resolve(module, Access(callee.root, callee.attrs[:-1]))
                    if target is not None and target.kind == "function" and not target.rest:
                        candidates.append(((module, qualname), (target.module, target.name)))
        added = True
        while added:
            added = False
            for command, group in candidates:
                if command not in found and group in found:
                    found.add(command)
                    added = True

    @cached_property
    def script_modules(self) -> frozenset[str]:
        """Modules that are programs of their own, or parts of only such programs.

        A program does work when run (a ``__main__`` guard, calls at its top level) and no
        module of the project imports it, or it lies in a folder of examples or scripts; a
        part is imported by programs alone. Neither shows that it serves requests (see
        ``_may_serve``: a server's main module does). Examples and one-off scripts: what
        they build at module level lives for one run of the program, not for a server's
        requests."""
        importers = self.project.importers
        modules = self.project.modules

        def program(name: str) -> bool:
            facts = modules[name].facts
            run_alone = facts.runs_as_script and not importers.get(name)
            return run_alone or _in_a_folder_not_served(modules[name].display_path)

        found = {
            name
            for name, record in modules.items()
            if not record.is_package and program(name) and not self._may_serve(name, record.facts)
        }
        added = found
        while added:
            added = {
                name
                for name, record in modules.items()
                if name not in found
                and not record.is_package
                and importers.get(name)
                and importers[name] <= found
                and not self._may_serve(name, record.facts)
            }
            found |= added
        return frozenset(found)

    def _registers_for_requests(self, module: str, call: CallSite) -> bool:
        """An import-time call that hands a framework something to serve requests with
        (``admin.site.register(Model, SomeAdmin)``, ``app.add_url_rule(...)``)."""
        if not call.at_import_time or not call.callee.attrs:
            return False
        method = call.callee.attrs[-1]
        if method in self.models.values("handler-registrations"):
            return True
        if method in self.models.registration_methods:
            # `button.click(...)` on a widget, not `json.load(...)`: by the receiver's class
            receiver = Access(call.callee.root, call.callee.attrs[:-1])
            receiver_names = self._receiver_names(module, receiver)
            if receiver_names is not None and (
                self.models.registration_argument(method, receiver_names) is not None
            ):
                return True
        instantiating = self.models.values("instantiating-registrations")
        return self.project.callee_name(module, call.callee) in instantiating

    def _receiver_names(self, module: str, receiver: Access) -> frozenset[str] | None:
        """The qualified names of the receiver's class (a local holding an instance reaches
        the index as its class's path: ``flask.Blueprint`` for ``bp = Blueprint(...)`` in a
        function); for an attribute of an object of a known class that the index cannot
        type (``app.router``, or ``web.Application.router`` for a local ``app =
        web.Application()`` in an app factory), that class's names with
        the attribute (``aiohttp.web.Application.router``), as a model names what a
        framework object hands out."""
        found = self.types.receiver_type(module, None, None, receiver)
        if found is None:
            found = self.types.class_type(module, receiver)  # a local's class path
        if found is not None:
            return found.names
        if not receiver.attrs:
            return None
        holder = Access(receiver.root, receiver.attrs[:-1])
        owner = self.types.receiver_type(module, None, None, holder) or self.types.class_type(
            module, holder
        )
        if owner is None:
            return None
        return frozenset(f"{name}.{receiver.attrs[-1]}" for name in owner.names)

    @cached_property
    def _framework_bases(self) -> frozenset[str]:
        """Base classes whose subclasses a framework builds and calls: views, handlers,
        admin classes, tasks."""
        values = self.models.values
        return self.models.modelled_bases | values("long-lived-bases") | values("view-classes")

    @cached_property
    def _serving_modules(self) -> frozenset[str]:
        return frozenset(module for module, _ in self.entries)

    def _may_serve(self, module: str, facts: ModuleFacts) -> bool:
        """Whether a module shows it serves requests: a request handler of its own, a
        parameter typed as a request, a class of a framework's (a view, a ``ModelAdmin``),
        or an application or router built at module level."""
        if module in self._serving_modules:
            return True
        if any(self.typed_requests(module, function) for function in facts.functions.values()):
            return True
        if any(
            self.types.qualified_names((module, class_name)) & self._framework_bases
            for class_name in facts.classes
        ):
            return True
        if any(self._registers_for_requests(module, call) for call in facts.calls):
            return True
        applications = self.models.application_classes
        for name, binding in facts.bindings.items():
            if binding.kind != "call" or binding.callee is None:
                continue
            made = self.types.binding_type(module, name, follow_getters=False)
            if made is not None and made.names & applications:
                return True
        return False

    def typed_requests(self, module: str, function: Function) -> list[str]:
        """Parameters of a modelled request type (``request: Request``, or what its callers
        pass)."""
        request_types = self.models.values("request-types")
        found = []
        for param in function.params:
            declared = self.types.parameter_type(module, function, param)
            if declared is not None and declared.names & request_types:
                found.append(param)
        return found

    # ---- request data ------------------------------------------------------------------------

    def request_parameters(self, module: str, function: Function) -> list[str]:
        """Parameters carrying a request: by the models' types, then by conventional name."""
        sessions = self.models.values("session-types")
        found = [
            param
            for param in function.request_params
            if not self._is_session_typed(module, function, param, sessions)
        ]
        names = self.models.values("request-parameter-names")
        typed = self.typed_requests(module, function)
        for param in function.params:
            if param in found:
                continue
            if param in typed or (param in names and param not in function.scalar_params):
                found.append(param)
        return found

    def _is_session_typed(
        self, module: str, function: Function, param: str, sessions: frozenset[str]
    ) -> bool:
        """A database session is not request data (sessions are ISO3xx's business)."""
        declared = function.param_types.get(param)
        if declared is None:
            return False
        if (declared.attrs or [declared.root])[-1] in ("Session", "AsyncSession"):
            return True
        resolved = self.types.class_type(module, declared)
        return resolved is not None and bool(resolved.names & sessions)

    def reads_request_globals(self, module: str, function: Function) -> list[str]:
        """Module-level request proxies the function reads (``flask.request``)."""
        return [name for name in function.reads_globals if self.is_request_proxy(module, name)]

    def holds_request_context(self, module: str, name: str) -> bool:
        """Whether a module-level ``name`` is an instance of a ``request-context-types``
        class (a ``ContextVar``), here or in the project module it is imported from."""
        return self._built_by(module, name, self.models.values("request-context-types"))

    def is_request_proxy(self, module: str, name: str) -> bool:
        """Whether a module-level ``name`` reads the current request when used: a framework
        proxy (``flask.request``), an instance of a request reader built at import time
        (``parser = reqparse.RequestParser()``, whose ``parse_args()`` returns the request's
        arguments) or what a widget returned (Streamlit's ``st.text_input()``), here or in the
        project module it is imported from. Asked for every global each function reads:
        answered once per name."""
        known = self._request_proxies.get((module, name))
        if known is None:
            known = self._request_proxies[(module, name)] = self._is_request_proxy(module, name)
        return known

    @cached_property
    def _request_proxies(self) -> dict[tuple[str, str], bool]:
        return {}

    def _is_request_proxy(self, module: str, name: str) -> bool:
        record = self.project.modules.get(module)
        if record is None:
            return False
        binding = record.facts.bindings.get(name)
        if binding is None and name not in record.facts.imports:
            return False  # a function or class of the module, or no module-level name
        if binding is not None and binding.kind not in ("alias", "call"):
            return False
        models = self.models
        if self.project.callee_name(module, Access(name)) in models.values("request-globals"):
            return True
        readers = models.values("request-reader-types") | models.values("user-input-calls")
        return self._built_by(module, name, readers)

    def _built_by(self, module: str, name: str, made_by: frozenset[str]) -> bool:
        """Whether the module-level ``name`` holds what a call of one of ``made_by`` made
        at import time, in this module or the project module it is imported from."""
        target = self.project.resolve(module, Access(name))
        if target is None or target.kind != "binding" or target.rest:
            return False
        record = self.project.modules.get(target.module)
        binding = record.facts.bindings.get(target.name) if record is not None else None
        if binding is None or binding.kind != "call" or binding.callee is None:
            return False
        return self.project.callee_name(target.module, binding.callee) in made_by


# Process start-up and shutdown hooks by name: they run once, not per request.
_LIFECYCLE_PREFIXES = (
    "startup",
    "shutdown",
    "lifespan",
    "on_startup",
    "on_shutdown",
    "boot",
    "teardown",
    "init_app",
    "configure",
    "setup",
)


_WRAPS = frozenset({"wraps", "functools.wraps"})


def _wrappers_made_by(project: Project, module: str, decorator: Function) -> list[str]:
    """The functions a decorator (or a decorator factory, one level deeper) defines in place
    of the decorated one: marked so with ``@functools.wraps(func)``, or returned by the
    function defining them and taking ``*args``/``**kwargs`` (``stands_in``)."""
    prefix = decorator.qualname + "."
    return [
        qualname
        for qualname, function in project.modules[module].facts.functions.items()
        if qualname.startswith(prefix)
        and qualname.count(".") - prefix.count(".") <= 1
        and (function.stands_in or any(use.callee.text() in _WRAPS for use in function.decorators))
    ]


def _in_a_folder_not_served(display_path: str) -> bool:
    """A file below a folder of examples, scripts, documentation or benchmarks, by its
    path as shown (relative to where isolint runs; an absolute one says nothing)."""
    if display_path.startswith("/"):
        return False
    return any(part in NOT_SERVED_FOLDERS for part in display_path.split("/")[:-1])


def is_command_line_module(module: str) -> bool:
    """A module of a program's command line: in a ``cli`` package, named ``cli``, ``*_cli``
    or ``__main__``, or a Django management command (``management/commands/``)."""
    parts = module.split(".")
    if "cli" in parts or parts[-1] == "__main__" or parts[-1].endswith("_cli"):
        return True
    return ".management.commands." in f".{module}."


def is_lifecycle_name(name: str) -> bool:
    return name.lstrip("_").lower().startswith(_LIFECYCLE_PREFIXES)


def is_lifecycle_hook(function: Function) -> bool:
    """Named like a hook that runs once (``setup``, ``on_startup``), and taking nothing that
    names who is asking or carries a request: ``setup_cloud_env(user_id)`` is called for a
    user, for every request that needs their credentials."""
    return (
        is_lifecycle_name(function.name)
        and not function.identity_params
        and not function.request_params
    )


# The server calls an ASGI application as ``app(scope, receive, send)`` and a WSGI one as
# ``app(environ, start_response)``, once per request: these signatures are entry points
# whatever framework (or none) the project uses.
_PROTOCOL_SIGNATURES = {("scope", "receive", "send"): "ASGI", ("environ", "start_response"): "WSGI"}


def serves_protocol(function: Function) -> str:
    """ "ASGI" or "WSGI" when the function takes a server's per-request call, else ""."""
    params = tuple(p for p in function.params if p not in ("self", "cls"))
    for signature, protocol in _PROTOCOL_SIGNATURES.items():
        if params == signature:
            return protocol
    return ""


# Django calls a middleware's hooks with each request, old-style (``MIDDLEWARE_CLASSES``, a
# plain class) or new: the hook's name and the request first identify one, whatever it
# derives from.
# A class answering HTTP methods itself is a view, whatever it derives from.
_VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "dispatch"})
_MIDDLEWARE_HOOKS = {
    "process_request": 1,
    "process_view": 4,
    "process_exception": 2,
    "process_response": 2,
    "process_template_response": 2,
}


def is_middleware_hook(function: Function) -> bool:
    """``def process_exception(self, request, exception)`` in a class: a Django middleware
    hook, run by the one middleware instance for every request."""
    arity = _MIDDLEWARE_HOOKS.get(function.name)
    params = function.params
    return (
        arity is not None
        and "." in function.qualname
        and len(params) == arity
        and params[0] == "request"
    )


def is_middleware_call(facts: ModuleFacts, function: Function) -> bool:
    """``def __call__(self, request)`` of a class whose ``__init__`` takes ``get_response``:
    a Django middleware (new style), whose one instance is called with every request."""
    if function.name != "__call__" or function.params != ["request"] or not function.class_name:
        return False
    init = facts.functions.get(f"{function.class_name}.__init__")
    return init is not None and init.params == ["get_response"]


def serves_rpc(facts: ModuleFacts, function: Function) -> bool:
    """``def Chat(self, request, context)`` in a subclass of a generated ``*Servicer``: grpcio
    calls it, on the one servicer instance the server was given, for every call."""
    if function.class_name is None or function.params != ["request", "context"]:
        return False
    class_facts = facts.classes.get(function.class_name)
    return class_facts is not None and any(
        (base.attrs[-1] if base.attrs else base.root).endswith("Servicer")
        for base in class_facts.bases
    )


def closure_class(project: Project, module: str, function: Function) -> str | None:
    """The class whose ``self`` a function defined inside one of its methods closes over
    (``def _routes(self): @app.post(...) async def chat(): self.agents``), or None."""
    if function.class_name is not None:
        return None
    return next(
        (f.class_name for f in _enclosing_functions(project, module, function) if f.class_name),
        None,
    )


def _handed_to_enclosing(project: Project, module: str, function: Function, name: str) -> bool:
    """Whether ``name`` is a parameter of a function enclosing this one (a route-registering
    helper that is handed the app)."""
    return name != "self" and any(
        name in enclosing.params for enclosing in _enclosing_functions(project, module, function)
    )


def _enclosing_functions(project: Project, module: str, function: Function) -> Iterator[Function]:
    """The functions a nested function is defined in, innermost first."""
    qualname = function.qualname
    while "." in qualname:
        qualname = qualname.rsplit(".", 1)[0]
        enclosing = project.function(module, qualname)
        if enclosing is None:
            return
        yield enclosing
