"""Routes of the frameworks beyond the core five, as ``routes.RouteFinder`` reads them.

- Quart, Sanic and Bottle declare routes with decorators on an application or blueprint
  (``@app.route``, ``@bp.post``), which ``routes._route_from_decorator`` reads; Bottle
  also has module-level ``@route``/``@get`` and Sanic ``app.add_route(handler, uri)``.
- Django Ninja decorates functions on a ``NinjaAPI``/``Router`` (``@api.get("/p")``,
  ``@router.api_operation(["POST"], "/p")``) and types their parameters like FastAPI.
- Litestar uses function decorators (``@get("/p")``, ``@post``, ``@route(http_method=...)``)
  on plain functions and on methods of ``Controller`` classes.
- Pyramid views are functions or methods decorated with ``@view_config`` (or wired with
  ``config.add_view``), taking ``request``.
- Tornado handlers are ``RequestHandler`` subclasses whose ``get``/``post``... methods
  answer, listed in ``Application([(r"/p", Handler)])`` tables.
- Falcon responders are ``on_get``/``on_post``... methods of resource classes that
  ``app.add_route("/p", Resource())`` serves.

Paths are kept in the converter order the rest of the model reads: Flask's
``<int:id>`` and FastAPI's ``{id:int}``, so Sanic's and Bottle's ``<id:int>`` become
``<int:id>`` and Ninja's ``{int:id}`` becomes ``{id:int}``.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import dotted_name, get_arg, string_list, string_value

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")

# Function decorators imported from the framework, by qualified name prefix -> framework.
_LITESTAR_DECORATORS = ("litestar.", "starlite.")
_BOTTLE_DECORATORS = ("bottle.",)
PYRAMID_VIEW = frozenset({"pyramid.view.view_config", "pyramid.view.view_defaults"})

# Tornado classes that answer requests themselves but are not application handlers.
_TORNADO_NOT_HANDLERS = frozenset({"WebSocketHandler", "StaticFileHandler", "RedirectHandler",
                                   "ErrorHandler", "FallbackHandler"})
# Packages whose ``...Handler`` classes are not Tornado request handlers.
_OTHER_HANDLER_PACKAGES = frozenset({"logging", "socketserver", "http", "wsgiref", "xml",
                                     "urllib", "asyncio", "concurrent", "watchdog",
                                     "multiprocessing", "sanic", "aiohttp", "falcon"})
# Falcon responders: ``on_get``, ``on_post``, ``on_get_collection`` (suffixed routes).
_RESPONDER = re.compile(r"^on_(get|post|put|patch|delete|head|options)(?:_\w+)?$")

_NAME_FIRST = re.compile(r"<(\w+):(\w+)(?::[^>]*)?>")  # Sanic/Bottle ``<id:int>``
_NINJA_CONVERTER = re.compile(r"\{(int|str|slug|uuid|path):(\w+)\}")


def normalise_path(framework: str, path: str | None) -> str | None:
    """The route template in Flask's/FastAPI's converter order (see the module doc)."""
    if path is None:
        return None
    if framework in ("sanic", "bottle"):
        return _NAME_FIRST.sub(lambda m: f"<{m.group(2)}:{m.group(1)}>", path)
    if framework == "ninja":
        return _NINJA_CONVERTER.sub(lambda m: f"{{{m.group(2)}:{m.group(1)}}}", path)
    return path


def methods_value(node: cst.BaseExpression | None, default: set[str]) -> frozenset[str]:
    """``"POST"`` or ``["GET", "POST"]`` (``method=``, ``http_method=``, ...)."""
    if node is None:
        return frozenset(default)
    one = string_value(node)
    if one is not None:
        return frozenset({one.upper()})
    values = string_list(node)
    if values:
        return frozenset(v.upper() for v in values)
    if isinstance(node, cst.Attribute) and node.attr.value.lower() in HTTP_VERBS:
        return frozenset({node.attr.value.upper()})  # ``HttpMethod.POST``
    return frozenset(default)


def _first_path(node: cst.BaseExpression | None) -> str | None:
    """``"/p"`` or the first of ``["/p", "/q"]``."""
    one = string_value(node)
    if one is not None:
        return one
    values = string_list(node)
    return values[0] if values else None


def exception_context(call: cst.Call | None) -> bool:
    """``@view_config(context=SomeError)``: Pyramid's exception view for that error."""
    context = get_arg(call, "context") if call is not None else None
    name = (dotted_name(context.value) or "") if context is not None else ""
    return name.endswith(("Error", "Exception", "NotFound", "Forbidden"))


def qualified_decorator_route(qual: str | None, call: cst.Call | None
                              ) -> tuple[str, frozenset[str], str | None] | None:
    """Routes declared by a decorator imported from the framework: Litestar's
    ``@get("/p")``, Bottle's module-level ``@route("/p", method="POST")`` and Pyramid's
    ``@view_config(route_name="p", request_method="POST")``."""
    if not qual:
        return None
    last = qual.rsplit(".", 1)[-1]
    if qual in PYRAMID_VIEW:
        if last == "view_defaults" or exception_context(call):
            return None  # a class decorator; an exception view
        method = get_arg(call, "request_method") if call is not None else None
        # Without ``request_method`` the view answers every method.
        return "pyramid", methods_value(method.value if method else None, {"GET", "POST"}), None
    if call is None:
        return None
    if qual.startswith(_LITESTAR_DECORATORS) and (last in HTTP_VERBS or last == "route"):
        path_arg = get_arg(call, "path", 0)
        path = _first_path(path_arg.value) if path_arg else "/"
        if last == "route":
            method = get_arg(call, "http_method", 1)
            return "litestar", methods_value(method.value if method else None, {"GET"}), path
        return "litestar", frozenset({last.upper()}), path
    if qual.startswith(_BOTTLE_DECORATORS) and (last in HTTP_VERBS or last == "route"):
        path_arg = get_arg(call, "path", 0)
        path = normalise_path("bottle", string_value(path_arg.value) if path_arg else None)
        if last == "route":
            method = get_arg(call, "method", 1)
            return "bottle", methods_value(method.value if method else None, {"GET"}), path
        return "bottle", frozenset({last.upper()}), path
    return None


def route_methods(framework: str, call: cst.Call) -> frozenset[str]:
    """Methods of ``@x.route(...)``: ``methods=[...]`` (Flask, Quart, Sanic, Starlette) or
    Bottle's ``method=`` (a string or a list, also second positional)."""
    if framework == "bottle":
        arg = get_arg(call, "method", 1)
    else:
        arg = get_arg(call, "methods")
    return methods_value(arg.value if arg else None, {"GET"})


def ninja_operation(call: cst.Call) -> tuple[frozenset[str], str | None]:
    """``@api.api_operation(["POST", "PATCH"], "/p")``."""
    methods = get_arg(call, "methods", 0)
    path = get_arg(call, "path", 1)
    return (methods_value(methods.value if methods else None, {"GET"}),
            normalise_path("ninja", string_value(path.value) if path else None))


def tornado_base(base: str, imports: ImportMap) -> bool:
    """A base class that makes its subclass a Tornado request handler:
    ``tornado.web.RequestHandler``, or (in a module importing Tornado) a project base
    named ``...Handler`` (``BaseHandler`` from the app's own module)."""
    last = base.rsplit(".", 1)[-1]
    if base.startswith("tornado."):
        return last == "RequestHandler"
    if "tornado" not in imports.top_packages or not last.endswith("Handler") or \
            last in _TORNADO_NOT_HANDLERS:
        return False
    top = base.split(".", 1)[0]
    return top not in _OTHER_HANDLER_PACKAGES


def responder_methods(node: cst.ClassDef) -> list[tuple[cst.FunctionDef, str]]:
    """Falcon responders of a class: ``on_get(self, req, resp, ...)`` and the like, with
    the HTTP method each answers. The ``(self, req, resp)`` signature is required, so a
    class with an unrelated ``on_delete`` hook is not a resource."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    out = []
    for stmt in body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        m = _RESPONDER.match(stmt.name.value)
        params = [p.name.value for p in stmt.params.params]
        if m and len(params) >= 3 and params[0] == "self" and \
                params[1] in ("req", "request") and params[2] in ("resp", "response", "res"):
            out.append((stmt, m.group(1).upper()))
    return out


class ClassTables(cst.CSTVisitor):
    """Classes a routing table of the module serves, with their path: Tornado's
    ``Application([(r"/p", Handler), url(r"/q", Other)])`` / ``add_handlers`` and
    Falcon's ``app.add_route("/p", Resource())``."""

    def __init__(self, imports: ImportMap, frameworks: set[str]) -> None:
        self.imports = imports
        self.frameworks = frameworks
        self.found: dict[str, tuple[str, str | None]] = {}  # class name -> (framework, path)

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.imports.qualname(node.func) or dotted_name(node.func) or ""
        last = qual.rsplit(".", 1)[-1]
        if "tornado" in self.frameworks and (
                qual in ("tornado.web.Application", "tornado.web.url",
                         "tornado.routing.URLSpec", "tornado.web.URLSpec") or
                last == "add_handlers"):
            self._tornado(node)
        elif "falcon" in self.frameworks and last == "add_route" and len(node.args) >= 2:
            path = string_value(node.args[0].value)
            resource = node.args[1].value
            if isinstance(resource, cst.Call) and isinstance(resource.func, cst.Name):
                self.found.setdefault(resource.func.value, ("falcon", path))

    def _tornado(self, node: cst.Call) -> None:
        last = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
        if last in ("url", "URLSpec"):
            self._spec(node.args)
            return
        table = get_arg(node, "handlers", 1 if last == "add_handlers" else 0)
        if table is not None and isinstance(table.value, (cst.List, cst.Tuple)):
            for el in table.value.elements:
                if isinstance(el.value, cst.Tuple):
                    self._spec([cst.Arg(e.value) for e in el.value.elements])

    def _spec(self, args) -> None:
        if len(args) >= 2 and isinstance(args[1].value, cst.Name):
            self.found.setdefault(args[1].value.value,
                                  ("tornado", string_value(args[0].value)))
