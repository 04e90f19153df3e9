"""BA401: a served application with no app-level error handler anywhere in the project.

Candidates are application creations (and, for Django, the URLconf module that holds
``urlpatterns``); ``resolve`` drops them once the facts of the whole scan show a
handler of the same framework family (see ``appmodel/collectors/apps.py``).
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.error_handling import (
    FAMILIES,
    app_framework,
    is_script_path,
    is_test_path,
)
from backend_audit.appmodel.names import dotted_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import walk
from backend_audit.flow.calls import names_match
from backend_audit.visitor import Candidate, Check

# Attributes used on an application object that is wired up to serve requests.
SERVE_ATTRS = frozenset({
    "route", "get", "post", "put", "patch", "delete", "api_route", "websocket",
    "include_router", "register_blueprint", "add_url_rule", "mount", "add_route",
    "add_api_route", "add_routes", "router", "run", "middleware", "add_middleware",
    "before_request", "after_request", "on_event", "lifespan", "wsgi_app", "cleanup_ctx",
    "on_startup", "on_shutdown",
    # Sanic blueprints, Ninja's URLs and routers, Tornado's server
    "blueprint", "urls", "add_router", "listen", "add_handlers",
})
# Passing the application to one of these serves it.
SERVERS = frozenset({"run", "run_app", "serve", "make_server", "run_simple", "WSGIMiddleware",
                     "DispatcherMiddleware", "Mangum", "ProxyFix"})
# An application only used for these is a tool's context, not a served app.
TOOL_ATTRS = frozenset({"app_context", "test_client", "test_request_context"})

HOW_TO_FIX = {
    "flask": "register one with @app.errorhandler(Exception) or app.register_error_handler",
    "asgi": "register one with @app.exception_handler(Exception) or exception_handlers=",
    "aiohttp": "add an error middleware to web.Application(middlewares=[...])",
    "django": "set handler500 in the root URLconf, add a middleware with process_exception "
              "or set REST_FRAMEWORK['EXCEPTION_HANDLER']",
    "bottle": "register one with @app.error(500)",
    "falcon": "register one with app.add_error_handler(Exception, handler)",
    "pyramid": "add an exception view (config.add_exception_view or "
               "@exception_view_config(Exception))",
    "sanic": "register one with @app.exception(Exception) or a custom ErrorHandler",
    "ninja": "register one with @api.exception_handler(Exception), or set handler500 in "
             "the root URLconf",
    "litestar": "pass exception_handlers={Exception: handler} to Litestar(...)",
    "tornado": "override write_error in the project's base RequestHandler",
}
LABELS = {"flask": "Flask", "fastapi": "FastAPI", "starlette": "Starlette",
          "aiohttp": "aiohttp", "quart": "Quart", "bottle": "Bottle", "falcon": "Falcon",
          "pyramid": "Pyramid", "sanic": "Sanic", "ninja": "Django Ninja",
          "litestar": "Litestar", "tornado": "Tornado"}


class _AppUses(cst.CSTVisitor):
    """How each module-level or factory-local name is used: served or tool-only."""

    def __init__(self) -> None:
        self.served: set[str] = set()
        self.tool: set[str] = set()
        # aiohttp sub-applications (``app.add_subapp("/v2", v2)``): the parent's
        # middlewares, error handling included, run for their routes.
        self.subapps: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name):
            if node.attr.value in SERVE_ATTRS:
                self.served.add(node.value.value)
            elif node.attr.value in TOOL_ATTRS:
                self.tool.add(node.value.value)

    def visit_Return(self, node: cst.Return) -> None:
        if isinstance(node.value, cst.Name):
            self.served.add(node.value.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else ""
        if last in SERVERS:
            for arg in node.args:
                if isinstance(arg.value, cst.Name):
                    self.served.add(arg.value.value)
        elif last in ("add_subapp", "add_domain") and len(node.args) >= 2:
            self.subapps.add(dotted_name(node.args[1].value) or "")


class AppWithoutErrorHandler(Check):
    app_level = True
    rule_id = "BA401"
    requires_frameworks = frozenset({"flask", "fastapi", "starlette", "aiohttp", "django",
                                     "quart", "bottle", "falcon", "pyramid", "sanic", "ninja",
                                     "litestar", "tornado"})

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._uses: _AppUses | None = None
        self._pending_name: dict[int, str] = {}
        self._subapp_calls: set[int] = set()

    @property
    def uses(self) -> _AppUses:
        if self._uses is None:
            self._uses = _AppUses()
            walk(self.ctx.module, self._uses)
        return self._uses

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.value, cst.Call) and \
                dotted_name(node.targets[0].target) in self.uses.subapps:
            self._subapp_calls.add(id(node.value))
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            name = node.targets[0].target.value
            if isinstance(node.value, cst.Call):
                self._pending_name[id(node.value)] = name
            elif name == "urlpatterns" and not self.ctx.function_stack and \
                    not self.ctx.class_stack and "django" in self.ctx.frameworks and \
                    not is_test_path(self.ctx.path):
                self.report(node, message=self._message("Django", "django"),
                            confidence="medium", family="django",
                            module=self.ctx.module_name, framework="django")

    def visit_Call(self, node: cst.Call) -> None:
        framework = app_framework(node, self.ctx.imports)
        if framework is None or is_test_path(self.ctx.path) or id(node) in self._subapp_calls:
            return
        name = self._pending_name.get(id(node))
        served = name is None or name in self.uses.served
        if not served and (is_script_path(self.ctx.path) or name in self.uses.tool):
            return
        family = FAMILIES[framework]
        self.report(node, message=self._message(LABELS[framework], family),
                    confidence="high" if served else "medium", family=family,
                    framework=framework)

    @staticmethod
    def _message(label: str, family: str) -> str:
        return (f"This {label} application has no app-level error handler anywhere in the "
                f"scanned code, so unexpected errors reach clients as the framework's "
                f"default pages; {HOW_TO_FIX[family]}.")

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        family = candidate.data.get("family")
        handlers = [h for h in project.values("error_handler")
                    if h.get("family") in (family, "any")]
        if family == "ninja":
            # Without a handler of its own, Ninja re-raises (DEBUG off) for Django to
            # answer: Django's handlers count, and its generic 500 page is a safe default.
            if handlers or _django_handles(project):
                return None
            return _with_confidence(candidate, "low")
        if family == "django":
            if not _is_root_urlconf(candidate.data.get("module", ""), project):
                return None
            if _drf_exception_handler(project):
                return None
            middleware = _setting(project, "MIDDLEWARE")
            # A Django middleware class only handles errors once MIDDLEWARE lists it.
            handlers = [h for h in handlers if h.get("kind") not in ("process_exception",
                                                                     "middleware") or
                        _installed(h.get("class"), middleware)]
            # Without a handler Django still renders a generic 500 page and logs the
            # error through django.request (DEBUG off): a safe default, so an absent
            # handler500 is reported at the audit level only.
            candidate = _with_confidence(candidate, "low")
        return None if handlers else candidate


def _django_handles(project: ProjectFacts) -> bool:
    """A Django-level error handler: ``handler500``, an installed ``process_exception`` or
    error middleware, ``got_request_exception``."""
    middleware = _setting(project, "MIDDLEWARE")
    return any(h.get("family") == "django" and (
        h.get("kind") not in ("process_exception", "middleware") or
        _installed(h.get("class"), middleware)) for h in project.values("error_handler"))


def _with_confidence(candidate: Candidate, confidence: str) -> Candidate:
    return replace(candidate, confidence=confidence)


def _setting(project: ProjectFacts, name: str):
    for value in project.values("setting"):
        if value.get("name") == name:
            return value.get("value")
    return None


def _is_root_urlconf(module: str, project: ProjectFacts) -> bool:
    root = _setting(project, "ROOT_URLCONF")
    if isinstance(root, str) and not root.startswith("<"):
        return names_match(module, root)
    # Without settings, the root URLconf is the one no other URLconf includes.
    return not any(names_match(module, inc.get("target", ""))
                   for inc in project.values("url_include"))


def _drf_exception_handler(project: ProjectFacts) -> bool:
    # Any settings module of the project may carry it (base.py, production.py ...).
    return any(v.get("name") == "REST_FRAMEWORK" and isinstance(v.get("value"), dict) and
               bool(v["value"].get("EXCEPTION_HANDLER")) for v in project.values("setting"))


def _installed(cls_name: str | None, middleware) -> bool:
    if not isinstance(middleware, list) or not cls_name:
        return True  # MIDDLEWARE not visible: trust that the class is used
    return any(isinstance(m, str) and m.split(".")[-1] == cls_name for m in middleware)
