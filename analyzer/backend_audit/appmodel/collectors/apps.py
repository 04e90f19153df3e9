"""Records web application creations and app-level error handler registrations, so
checks can decide project-wide whether an application handles its errors.

Fact keys and value shapes (read them with ``project.get(key)``):

``web_app``
    ``{"framework": "flask" | "fastapi" | "starlette" | "aiohttp", "family": str,
    "name": "app" | None, "factory": "create_app" | None, "test": bool, "script": bool}``
    for every application constructor call (``Flask(__name__)``, ``FastAPI()``,
    ``Starlette()``, ``web.Application()``). ``name`` is the variable it is assigned to,
    ``factory`` the enclosing function, ``test``/``script`` tell test and CLI code apart.

``error_handler``
    ``{"family": "flask" | "asgi" | "django" | "aiohttp" | "any", "kind": str,
    "class": str | None}`` for every app-level error handler: ``kind`` is one of
    ``errorhandler`` (Flask ``@x.errorhandler`` / ``@bp.app_errorhandler`` /
    ``x.register_error_handler``), ``exception_handler`` (FastAPI/Starlette
    ``@app.exception_handler`` / ``add_exception_handler`` / ``exception_handlers=``),
    ``middleware`` (a try/except around the downstream call of a middleware, or an
    error middleware added by name), ``rest-api`` (Flask-RESTX / Flask-Smorest /
    Flask-RESTful ``Api``, which register handlers), ``handle_exception`` (an
    overridden ``Flask.handle_exception``), ``django-handler`` (``handler500 = ...`` in
    a URLconf), ``django-signal`` (``got_request_exception.connect``),
    ``process_exception`` (a Django middleware class), ``handler_decorator`` (a
    decorator whose wrapper calls the view inside a try and answers each error with a
    response: ``@api_process`` on every handler) and ``taught`` (a call to a function
    named in the user's ``error_handlers`` setting).
    ``family`` is "any" when the module imports no web framework; ``class`` names the
    class a ``middleware`` or ``process_exception`` handler is defined in.

``url_include``
    ``{"target": "blog.urls"}`` for each Django ``include("blog.urls")``.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.error_handling import (
    FAMILIES,
    app_framework,
    is_script_path,
    is_test_path,
    module_family,
)
from backend_audit.appmodel.microframeworks import exception_context
from backend_audit.appmodel.names import dotted_name, get_arg, string_value
from backend_audit.appmodel.names import last_name as last_name_of
from backend_audit.config import Config
from backend_audit.engines.walk import walk
from backend_audit.visitor import Collector

# Fact: an app-wide middleware authenticates every request ({"frameworks": [...]}).
FACT_AUTH_MIDDLEWARE = "auth_middleware"
_AUTH_MIDDLEWARE = re.compile(r"auth|login|jwt|token|api_?key|require_user|permission",
                              re.IGNORECASE)
# Starlette's AuthenticationMiddleware only sets request.user; it refuses nobody.
_NOT_ENFORCING = frozenset({"AuthenticationMiddleware", "SessionMiddleware"})

FLASK_HANDLER_ATTRS = frozenset({"errorhandler", "app_errorhandler", "register_error_handler"})
ASGI_HANDLER_ATTRS = frozenset({"exception_handler", "add_exception_handler"})
REST_APIS = frozenset({"flask_restx.Api", "flask_smorest.Api", "flask_restful.Api",
                       "flask_restplus.Api"})
DJANGO_HANDLERS = frozenset({"handler400", "handler403", "handler404", "handler500"})
# Names a middleware calls to pass the request on; "handler"/"app" only next to a
# request-ish parameter, since plain code calls functions with those names too.
DOWNSTREAM = frozenset({"call_next", "get_response"})
DOWNSTREAM_WITH_REQUEST = frozenset({"handler", "app", "application", "wsgi_app"})
REQUEST_PARAMS = frozenset({"request", "req", "scope", "environ"})
SELF_DOWNSTREAM = frozenset({"app", "get_response", "wsgi_app", "application", "_app",
                             "_get_response"})


def taught_error_handlers(config) -> tuple[str, ...]:
    """Names the user taught as registering error handlers (``error_handlers``)."""
    own = getattr(config, "error_handlers", None)
    if own:
        return tuple(own)
    return tuple(dict(getattr(config, "extra", ()) or ()).get("error_handlers", ()))


def _param_names(fn: cst.FunctionDef) -> set[str]:
    p = fn.params
    return {param.name.value for param in (*p.posonly_params, *p.params, *p.kwonly_params)}


def _error_named(expr: cst.BaseExpression) -> bool:
    name = (dotted_name(expr) or "").split(".")[-1].lower()
    return "error" in name or "exception" in name


class _DownstreamCalls(cst.CSTVisitor):
    """Finds, in a try body, a call that passes the request on to the application."""

    def __init__(self, params: set[str], request_like: bool, in_class: bool) -> None:
        self.params = params
        self.request_like = request_like
        self.in_class = in_class
        self.found = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in self.params and (
                func.value in DOWNSTREAM or
                (func.value in DOWNSTREAM_WITH_REQUEST and self.request_like)):
            self.found = True
        elif self.in_class and isinstance(func, cst.Attribute) and \
                isinstance(func.value, cst.Name) and func.value.value == "self" and \
                func.attr.value in SELF_DOWNSTREAM:
            self.found = True


# What an error-answering ``except`` returns: an error response of the app's own making.
_ERROR_ANSWER = re.compile(r"(?i)response|error|json|abort|fail|problem|reply")


class _WrappedCall(cst.CSTVisitor):
    """Finds, in a try body, ``view(*args, **kwargs)``: a decorator's wrapper forwarding
    its arguments to the function it decorates."""

    def __init__(self, wrapped: set[str]) -> None:
        self.wrapped = wrapped
        self.found = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in self.wrapped and \
                any(arg.star for arg in node.args):
            self.found = True


def _answers_errors(handler: cst.ExceptHandler) -> bool:
    """``except X: return error_response(...)`` (not a retry, a log-and-raise or a pass)."""
    for stmt in handler.body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Return) and isinstance(small.value, cst.Call) and \
                    _ERROR_ANSWER.search(dotted_name(small.value.func) or ""):
                return True
    return False


def _non_empty(value: cst.BaseExpression | None) -> bool:
    """Something other than ``None`` or an empty ``{}``/``[]``."""
    if value is None or (isinstance(value, cst.Name) and value.value == "None"):
        return False
    return not (isinstance(value, (cst.Dict, cst.List)) and not value.elements)


def _sanic_exception(dec: cst.Decorator) -> bool:
    """``@app.exception(Exception)`` / ``@bp.exception(NotFound, ServerError)``: Sanic's
    error handler decorator (a decorator, unlike ``logger.exception(...)``)."""
    call = dec.decorator
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and \
        call.func.attr.value == "exception" and bool(call.args)


class AppsCollector(Collector):
    words = ("Flask", "FastAPI", "Starlette", "Application", "errorhandler", "exception",
             "Quart", "Bottle", "falcon", "Configurator", "add_error_handler", ".error(",
             "connexion", "Sanic", "NinjaAPI", "NinjaExtraAPI", "Litestar", "write_error",
             "view_config",
             "handler", "urlpatterns", "include(", "except", "middleware", "Api(")
    # What every fact above needs in the text: an application class, a handler
    # registration, a REST Api, a Django handler/include/signal/process_exception, a
    # handle_exception override, a try around a call passing the request on (an
    # error-named middleware's name holds "rror" or "xception"), or a decorator's wrapper
    # forwarding ``*args`` (a handler decorator's "except" is among the words).
    source_pattern = (
        r"Flask|FastAPI|Starlette|Application|errorhandler|error_handler|exception_handler|"
        r"Quart|Bottle|falcon|Configurator|exception_view|\.error\(|connexion|"
        r"Sanic|NinjaAPI|NinjaExtraAPI|Litestar|write_error|view_config|\.exception\(|"
        r"add_middleware|Middleware|Api|got_request_exception|include|handler[45]|"
        r"process_exception|handle_exception|handle_user_exception|"
        r"\b(?:call_next|get_response|_get_response|handler|app|_app|application|wsgi_app)"
        r"[\s\\]*\(|\(\s*\*\w+"
    )

    @staticmethod
    def config_words(config: Config) -> tuple[str, ...]:
        """Functions the user named as registering error handlers: any call may count."""
        return tuple(name.split(".")[-1] for name in taught_error_handlers(config))

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.family = module_family(ctx.frameworks)
        self.families = {FAMILIES[fw] for fw in ctx.frameworks if fw in FAMILIES}
        self.taught = taught_error_handlers(ctx.config)
        self._assigned: dict[int, str] = {}  # id(call) -> the name it is assigned to

    def _handler(self, kind: str, family: str | None = None, cls: str | None = None) -> None:
        # Without a known family (a middleware in a module importing several
        # frameworks), the handler counts for each framework the module imports.
        for fam in [family] if family else sorted(self.families) or ["any"]:
            self.ctx.add_fact("error_handler", {"family": fam, "kind": kind, "class": cls})

    # -- applications -------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.value, cst.Call):
            name = dotted_name(node.targets[0].target)
            if name:
                self._assigned[id(node.value)] = name
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value == "error_handler" and \
                    "sanic" in self.ctx.frameworks:
                self._handler("errorhandler", "sanic")  # ``app.error_handler = Custom()``
            elif isinstance(t, cst.Name) and t.value == "exception_handlers" and \
                    self.ctx.class_stack and not self.ctx.function_stack and \
                    "litestar" in self.ctx.frameworks and _non_empty(node.value):
                self._handler("exception_handler", "litestar")  # a Controller's handlers
        at_module_level = not self.ctx.function_stack and not self.ctx.class_stack
        if at_module_level:
            for target in node.targets:
                if isinstance(target.target, cst.Name) and \
                        target.target.value in DJANGO_HANDLERS:
                    self._handler("django-handler", "django")

    def visit_Call(self, node: cst.Call) -> None:
        framework = app_framework(node, self.ctx.imports)
        if framework is not None:
            self._app(node, framework)
            return
        func = node.func
        qual = self.ctx.imports.qualname(func) or dotted_name(func) or ""
        attr = func.attr.value if isinstance(func, cst.Attribute) else None
        # Decorators are calls too: ``@app.errorhandler(404)`` and the call form
        # ``app.exception_handler(Exception)(handle)`` both land here.
        if attr in FLASK_HANDLER_ATTRS:
            self._handler("errorhandler", self._family_for("flask"))
        elif attr in ASGI_HANDLER_ATTRS:
            self._handler("exception_handler", self._family_for("asgi"))
        elif attr == "add_error_handler":
            # Falcon's ``app.add_error_handler``; Connexion's wraps Flask's (or Starlette's)
            self._handler("errorhandler", "falcon" if "falcon" in self.ctx.frameworks
                          else self._family_for("flask"))
        elif attr == "add_exception_view" or qual.endswith("exception_view_config") or (
                qual == "pyramid.view.view_config" and exception_context(node)):
            self._handler("exception-view", "pyramid")
        elif attr == "add" and "sanic" in self.ctx.frameworks and \
                (dotted_name(func.value) or "").endswith("error_handler"):
            self._handler("errorhandler", "sanic")  # ``app.error_handler.add(Exc, fn)``
        elif "litestar" in self.ctx.frameworks and \
                _non_empty(getattr(get_arg(node, "exception_handlers"), "value", None)):
            # a Router's, a route decorator's exception handlers
            self._handler("exception_handler", "litestar")
        elif attr == "error" and "bottle" in self.ctx.frameworks:
            self._handler("errorhandler", "bottle")  # ``@app.error(500)``
        elif attr == "add_middleware" and node.args and _error_named(node.args[0].value):
            self._handler("middleware")
        elif qual.split(".")[-1] == "Middleware" and "starlette" in qual and node.args and \
                _error_named(node.args[0].value):
            self._handler("middleware", "asgi")
        elif qual in REST_APIS:
            self._handler("rest-api", "flask")
        elif attr == "connect" and (dotted_name(func.value) or "").endswith(
                "got_request_exception"):
            self._handler("django-signal", "django")
        elif qual.split(".")[-1] == "include" and "django" in self.ctx.frameworks:
            self._include(node)
        if attr == "add_middleware" and node.args or \
                attr in ("append", "insert") and node.args and \
                (dotted_name(func.value) or "").endswith("middlewares"):
            self._auth_middleware(node.args[-1].value if attr == "insert" else
                                  node.args[0].value)
        if self.taught and (qual in self.taught or qual.split(".")[-1] in self.taught or
                            (dotted_name(func) or "") in self.taught):
            self._handler("taught", "any")

    def _family_for(self, default: str) -> str:
        """``default`` unless the module imports only another framework's family."""
        return default if default in self.families or not self.families else self.family

    def _app(self, node: cst.Call, framework: str) -> None:
        family = FAMILIES[framework]
        handlers = get_arg(node, "exception_handlers") or get_arg(node, "error_handler")
        if handlers is not None and _non_empty(handlers.value):
            self._handler("exception_handler", family)
        middlewares = get_arg(node, "middlewares") or get_arg(node, "middleware")
        if middlewares is not None and isinstance(middlewares.value, (cst.List, cst.Tuple)):
            for el in middlewares.value.elements:
                value = el.value
                if isinstance(value, cst.Call) and value.args:
                    value = value.args[0].value  # Middleware(ErrorMiddleware, ...)
                if _error_named(value):
                    self._handler("middleware", family)
                self._auth_middleware(value)
        factory = self.ctx.function_stack[-1].name.value if self.ctx.function_stack else None
        self.ctx.add_fact("web_app", {
            "framework": framework, "family": family, "name": self._assigned.get(id(node)),
            "factory": factory, "test": is_test_path(self.ctx.path),
            "script": is_script_path(self.ctx.path),
        })

    def _auth_middleware(self, value: cst.BaseExpression) -> None:
        """A middleware that authenticates every request of the app (``auth_middleware``,
        ``app.add_middleware(JWTAuthMiddleware)``): fact ``auth_middleware``."""
        if isinstance(value, cst.Call) and value.args and \
                last_name_of(value.func) == "Middleware":
            value = value.args[0].value  # Starlette's Middleware(AuthMiddleware, ...)
        name = last_name_of(value.func if isinstance(value, cst.Call) else value) or ""
        if _AUTH_MIDDLEWARE.search(name) and name not in _NOT_ENFORCING:
            self.ctx.add_fact(FACT_AUTH_MIDDLEWARE, {"frameworks": sorted(
                self.ctx.frameworks & {"aiohttp", "starlette", "fastapi", "quart", "sanic",
                                       "litestar"})})

    def _include(self, node: cst.Call) -> None:
        if not node.args:
            return
        target = node.args[0].value
        if isinstance(target, cst.Tuple) and target.elements:
            target = target.elements[0].value
        value = string_value(target)
        if value:
            self.ctx.add_fact("url_include", {"target": value})

    # -- overrides, middleware -----------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if "sanic" in self.ctx.frameworks and any(_sanic_exception(d) for d in node.decorators):
            self._handler("errorhandler", "sanic")  # ``@app.exception(Exception)``
        if self.ctx.class_stack and self.ctx.function_stack and \
                self.ctx.function_stack[-1] is node:
            cls = self.ctx.class_stack[-1]
            if node.name.value == "process_exception":
                self._handler("process_exception", "django", cls.name.value)
            elif node.name.value in ("handle_exception", "handle_user_exception") and \
                    "flask" in self.families:
                self._handler("handle_exception")
            elif node.name.value == "write_error" and (
                    "tornado" in self.ctx.frameworks or
                    [p.name.value for p in node.params.params][1:2] == ["status_code"]):
                # Tornado renders every error a handler raises through ``write_error``.
                self._handler("write_error", "tornado", cls.name.value)

    def visit_Try(self, node: cst.Try) -> None:
        if not node.handlers or not self.ctx.function_stack:
            return
        params: set[str] = set()
        for fn in self.ctx.function_stack:
            params |= _param_names(fn)
        finder = _DownstreamCalls(params, bool(params & REQUEST_PARAMS),
                                  in_class=bool(self.ctx.class_stack))
        walk(node.body, finder)
        if finder.found:
            cls = self.ctx.class_stack[-1].name.value if self.ctx.class_stack else None
            self._handler("middleware", cls=cls)
        elif len(self.ctx.function_stack) >= 2 and not self.ctx.class_stack:
            # A module-level decorator: ``def api_process(method): async def wrap(*a, **kw):
            # try: answer = await method(*a, **kw) except APIError as e: return error(e)``.
            wrapped = set().union(*(_param_names(fn) for fn in self.ctx.function_stack[:-1]))
            forward = _WrappedCall(wrapped)
            walk(node.body, forward)
            if forward.found and any(_answers_errors(h) for h in node.handlers):
                self._handler("handler_decorator")
