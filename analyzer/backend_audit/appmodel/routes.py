"""Find the request handlers of a module for every supported framework.

Handlers are found from the module's own syntax plus its resolved imports: a
``@bp.get("/x")`` decorator is a Flask route only when the module imports Flask,
a FastAPI route when it imports FastAPI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from backend_audit.appmodel import graphql as gql
from backend_audit.appmodel import microframeworks as micro
from backend_audit.appmodel.class_handlers import answering_methods
from backend_audit.appmodel.class_tables import ANY_HANDLER
from backend_audit.appmodel.function_results import declares_none, is_none_return
from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import (
    block_assignments,
    decorator_call,
    dotted_name,
    get_arg,
    string_list,
    string_value,
)
from backend_audit.engines.walk import descendants, own_returns, walk

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# DRF ViewSet actions and the HTTP method each answers.
VIEWSET_ACTIONS = {
    "list": "GET", "retrieve": "GET", "create": "POST", "update": "PUT",
    "partial_update": "PATCH", "destroy": "DELETE",
}
DRF_GENERIC_METHODS = {
    "ListAPIView": {"GET"}, "ListCreateAPIView": {"GET", "POST"},
    "RetrieveAPIView": {"GET"}, "CreateAPIView": {"POST"}, "DestroyAPIView": {"DELETE"},
    "UpdateAPIView": {"PUT", "PATCH"}, "RetrieveUpdateAPIView": {"GET", "PUT", "PATCH"},
    "RetrieveDestroyAPIView": {"GET", "DELETE"},
    "RetrieveUpdateDestroyAPIView": {"GET", "PUT", "PATCH", "DELETE"},
    "ModelViewSet": {"GET", "POST", "PUT", "PATCH", "DELETE"},
    "ReadOnlyModelViewSet": {"GET"},
}


@dataclass
class Route:
    """One request handler (a function or a method of a class-based view)."""

    function: cst.FunctionDef
    # flask | fastapi | django | drf | starlette | aiohttp | quart | sanic | bottle | ninja
    # | litestar | pyramid | tornado | falcon | graphene | strawberry | ariadne
    framework: str
    methods: frozenset[str]
    path: str | None = None
    view_class: cst.ClassDef | None = None
    decorators: list[str] = field(default_factory=list)  # qualified or dotted names
    is_list_action: bool = False  # DRF list()/ListAPIView get, or a GET on a collection
    # A GraphQL resolver: the field it answers (``methods`` from ``graphql.methods_for``,
    # ``path`` the field with its numeric arguments, ``view_class`` its schema type).
    graphql: gql.GraphqlField | None = None
    # A method a request-handler class answers in (``_process``), the class routed by a
    # URL table (``appmodel.class_handlers``); its base classes may check access.
    class_handler: bool = False

    @property
    def name(self) -> str:
        if self.view_class is not None:
            return f"{self.view_class.name.value}.{self.function.name.value}"
        return self.function.name.value

    @property
    def is_mutating(self) -> bool:
        return bool(self.methods & MUTATING)


@dataclass
class ViewClass:
    node: cst.ClassDef
    framework: str
    bases: list[str]  # qualified or dotted base names
    attributes: dict[str, cst.BaseExpression]  # class-level assignments


def _frameworks(imports: ImportMap) -> set[str]:
    tops = imports.top_packages
    found = {fw for fw in ("flask", "fastapi", "django", "starlette", "aiohttp", "quart",
                           "bottle", "falcon", "pyramid", "sanic", "litestar", "tornado",
                           "ninja") if fw in tops}
    if "rest_framework" in tops:
        found.add("drf")
    if "ninja_extra" in tops:
        found.add("ninja")
    if "flask_restful" in tops or "flask_smorest" in tops or "flask_restx" in tops:
        found.add("flask")
    found |= gql.libraries(imports)
    return found


def _decorator_names(node: cst.FunctionDef | cst.ClassDef, imports: ImportMap) -> list[str]:
    names = []
    for dec in node.decorators:
        callee, _ = decorator_call(dec)
        names.append(imports.qualname(callee) or dotted_name(callee) or "")
    return names


def _methods_kw(call: cst.Call, default: set[str]) -> frozenset[str]:
    arg = get_arg(call, "methods")
    if arg is not None:
        values = string_list(arg.value)
        if values is not None:
            return frozenset(v.upper() for v in values)
    return frozenset(default)


# Frameworks whose apps/routers/blueprints take ``@x.get("/p")``, most specific first: a
# Ninja module also imports Django, a Sanic or Flask one may import aiohttp's client.
_VERB_DECORATORS = ("fastapi", "ninja", "flask", "quart", "sanic", "bottle", "aiohttp",
                    "starlette")
# ... and ``@x.route("/p", methods=[...])``.
_ROUTE_DECORATORS = ("flask", "quart", "sanic", "bottle", "starlette")


def _route_from_decorator(
    dec: cst.Decorator, imports: ImportMap, frameworks: set[str]
) -> tuple[str, frozenset[str], str | None] | None:
    callee, call = decorator_call(dec)
    qual = imports.qualname(callee)
    if qual in ("rest_framework.decorators.api_view",):
        methods = {"GET"}
        if call is not None:
            arg = get_arg(call, "http_method_names", 0)
            values = string_list(arg.value) if arg else None
            if values:
                methods = {v.upper() for v in values}
        return "drf", frozenset(methods), None
    found = micro.qualified_decorator_route(qual, call)
    if found is not None:
        return found
    if call is None or not isinstance(callee, cst.Attribute):
        return None
    attr = callee.attr.value
    path_arg = get_arg(call, "path", 0) or get_arg(call, "rule", 0) or get_arg(call, "uri", 0)
    path = string_value(path_arg.value) if path_arg else None
    if attr in HTTP_METHODS:
        fw = _pick(frameworks, _VERB_DECORATORS)
        if fw:
            return fw, frozenset({attr.upper()}), micro.normalise_path(fw, path)
        return None
    if attr == "route":
        fw = _pick(frameworks, _ROUTE_DECORATORS)
        if fw:
            return fw, micro.route_methods(fw, call), micro.normalise_path(fw, path)
    if attr == "api_route" and "fastapi" in frameworks:
        return "fastapi", _methods_kw(call, {"GET"}), path
    if attr == "api_operation" and "ninja" in frameworks:
        return ("ninja", *micro.ninja_operation(call))
    return None


def typed_path_params(path: str | None) -> set[str]:
    """The parameters of a route template that only ever hold numbers or UUIDs: Flask's
    ``<int:order_id>``, and the typed segments of Litestar/Falcon/Ninja paths
    (``{order_id:int}``)."""
    found = {name for converter, name in re.findall(r"<(\w+):(\w+)>", path or "")
             if converter in ("int", "float", "uuid")}
    return found | {name for name, converter in re.findall(r"\{(\w+):(\w+)\}", path or "")
                    if converter in ("int", "float", "uuid", "decimal")}


def _pick(frameworks: set[str], order: tuple[str, ...]) -> str | None:
    for fw in order:
        if fw in frameworks:
            return fw
    return None


_DRF_NOT_VIEWS = tuple(f"rest_framework.{m}" for m in (
    "serializers", "permissions", "pagination", "throttling", "filters", "authentication",
    "renderers", "parsers", "routers", "exceptions", "fields", "relations", "validators"))


def _class_bases(node: cst.ClassDef, imports: ImportMap) -> list[str]:
    return [imports.qualname(b.value) or dotted_name(b.value) or "" for b in node.bases]


def _view_framework(bases: list[str], frameworks: set[str]) -> str | None:
    for b in bases:
        if b.startswith(_DRF_NOT_VIEWS):
            continue  # serializers, permissions, paginators... have create()/list() too
        if b.startswith("rest_framework") or b.split(".")[-1] in DRF_GENERIC_METHODS or \
                b.split(".")[-1] in ("APIView", "GenericAPIView", "ViewSet", "GenericViewSet"):
            if "drf" in frameworks:
                return "drf"
        if b.startswith("django.views") or (
            "django" in frameworks and b.split(".")[-1] in
            ("View", "ListView", "DetailView", "TemplateView", "FormView", "CreateView",
             "UpdateView", "DeleteView")
        ):
            return "django"
        if b.startswith("flask.views") or (
            "flask" in frameworks and b.split(".")[-1] in ("MethodView", "Resource")
        ):
            return "flask"
        if b.startswith("starlette.endpoints"):
            return "starlette"
        if b.startswith("aiohttp.web") and b.endswith("View"):
            return "aiohttp"
        if b.startswith("quart.views"):
            return "quart"
        if b.startswith("sanic.views"):
            return "sanic"
        if b in ("litestar.Controller", "litestar.controller.Controller"):
            return "litestar"
    return None


def _plain_view(bases: list[str]) -> bool:
    """A Flask/Quart ``View`` (not a ``MethodView``, which answers in ``get``/``post``)."""
    return any(b in ("flask.views.View", "quart.views.View") for b in bases)


def _class_attributes(node: cst.ClassDef) -> dict[str, cst.BaseExpression]:
    return block_assignments(node.body.body if isinstance(node.body, cst.IndentedBlock) else ())


def _methods_of(node: cst.ClassDef) -> list[cst.FunctionDef]:
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    return [s for s in body if isinstance(s, cst.FunctionDef)]


def _may_answer_nothing(fn: cst.FunctionDef) -> bool:
    """A function declared or written to return ``None`` on some path is not a view:
    Django refuses a view that does not return a response. A helper such as
    ``def moderation_response(request, result) -> HttpResponse | None`` is."""
    return declares_none(fn) or any(map(is_none_return, own_returns(fn.body)))


def _looks_like_django_view(fn: cst.FunctionDef) -> bool:
    params = fn.params.params
    # Django always passes the request; ``def f(request=None)`` is a helper that may
    # be called without one.
    return bool(params) and params[0].name.value in ("request", "req") and \
        params[0].default is None and not _may_answer_nothing(fn)


class RouteFinder:
    """Collects routes and view classes of one module."""

    def __init__(self, module: cst.Module, imports: ImportMap, path: str,
                 declared: dict[str, tuple[frozenset[str], str]] | None = None) -> None:
        self.imports = imports
        self.frameworks = _frameworks(imports)
        self.path = path
        self.routes: list[Route] = []
        self.view_classes: list[ViewClass] = []
        self._by_function: dict[int, Route] = {}
        self._functions: dict[str, cst.FunctionDef] = {}
        # Classes a Tornado or Falcon routing table of this module serves.
        self._served_classes: dict[str, tuple[str, str | None]] = {}
        self._tornado_classes: set[str] = set()  # local RequestHandler subclasses
        if {"tornado", "falcon"} & self.frameworks:
            tables = micro.ClassTables(imports, self.frameworks)
            walk(module, tables)
            self._served_classes = tables.found
        self._walk(module.body, depth=0)
        self._starlette_and_aiohttp_tables(module)
        self._drop_django_helpers(module)
        if declared:
            self._declared(module, declared)
        if gql.libraries(imports):
            self._graphql(module)

    def _graphql(self, module: cst.Module) -> None:
        """GraphQL resolvers (graphene, strawberry, ariadne): each answers one field."""
        for found in gql.find_resolvers(module, self.imports):
            field = found.field
            self._add(Route(found.function, field.library, gql.methods_for(field), field.path,
                            found.owner, _decorator_names(found.function, self.imports),
                            is_list_action=bool(field.returns_list) and not field.paginated,
                            graphql=field))

    def _declared(self, module: cst.Module,
                  declared: dict[str, tuple[frozenset[str], str]]) -> None:
        """Handlers an OpenAPI specification routes to (``operationId``, Connexion): plain
        functions of the module, or methods of its classes (``Users.get``). Connexion
        serves them through Flask (its AsyncApp through Starlette)."""
        framework = "starlette" if "starlette" in self.frameworks and \
            "flask" not in self.frameworks else "flask"
        tops: dict[str, cst.FunctionDef] = {}
        classes: dict[str, cst.ClassDef] = {}
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                tops[stmt.name.value] = stmt
            elif isinstance(stmt, cst.ClassDef):
                classes[stmt.name.value] = stmt
                for fn in _methods_of(stmt):
                    tops[f"{stmt.name.value}.{fn.name.value}"] = fn
        added = False
        for name, (methods, url) in sorted(declared.items()):
            owner, _, last = name.rpartition(".")
            if last == ANY_HANDLER and owner in classes:
                added |= self._class_handler(classes[owner], methods, url or None)
                continue
            fn = tops.get(name)
            if fn is not None and id(fn) not in self._by_function:
                self._add(Route(fn, framework, methods, url,
                                decorators=_decorator_names(fn, self.imports)))
                added = True
        if added:
            self.frameworks.add(framework)

    def _class_handler(self, cls: cst.ClassDef, methods: frozenset[str],
                       url: str | None) -> bool:
        """Routes on the methods a URL table's request-handler class answers in."""
        bases = _class_bases(cls, self.imports)
        answering = answering_methods(cls, methods)
        if answering:
            self.frameworks.add("flask")
            self.view_classes.append(ViewClass(cls, "flask", bases, _class_attributes(cls)))
        decorators = _decorator_names(cls, self.imports)
        for fn, verbs in answering:
            self._add(Route(fn, "flask", verbs, url, cls,
                            decorators + _decorator_names(fn, self.imports),
                            class_handler=True))
        return bool(answering)

    def _drop_django_helpers(self, module: cst.Module) -> None:
        """An undecorated ``def x(request, ...)`` in a views module that the module's
        own code calls is a helper of the views (``item_move(request, item, up=True)``
        shared by ``item_move_up`` and ``item_move_down``), not a view: URLs name views,
        code does not call them."""
        fbvs = [r for r in self.routes if r.framework == "django" and r.view_class is None
                and not r.function.decorators]
        if not fbvs:
            return
        called = {c.func.value for c in descendants(module, cst.Call)
                  if isinstance(c.func, cst.Name)}
        helpers = {id(r.function) for r in fbvs if r.function.name.value in called}
        if helpers:
            self.routes = [r for r in self.routes if id(r.function) not in helpers]
            for key in helpers:
                del self._by_function[key]

    def route_for(self, fn: cst.FunctionDef) -> Route | None:
        return self._by_function.get(id(fn))

    def _add(self, route: Route) -> None:
        if id(route.function) in self._by_function:
            return
        self.routes.append(route)
        self._by_function[id(route.function)] = route

    def _walk(self, body, depth: int) -> None:
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                self._functions.setdefault(stmt.name.value, stmt)
                self._function(stmt)
                if depth < 2 and isinstance(stmt.body, cst.IndentedBlock):
                    self._walk(stmt.body.body, depth + 1)  # app factories, nested routes
            elif isinstance(stmt, cst.ClassDef):
                self._class(stmt)
            elif isinstance(stmt, (cst.If, cst.Try, cst.With)) and \
                    isinstance(stmt.body, cst.IndentedBlock):
                self._walk(stmt.body.body, depth)
                orelse = stmt.orelse if isinstance(stmt, cst.If) else None
                while orelse is not None and depth > 0:
                    # ``if name == "home": class _View: ... else: class _View: ...``
                    # inside a view factory
                    if isinstance(orelse.body, cst.IndentedBlock):
                        self._walk(orelse.body.body, depth)
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None

    def _function(self, fn: cst.FunctionDef) -> None:
        decorators = _decorator_names(fn, self.imports)
        for dec in fn.decorators:
            found = _route_from_decorator(dec, self.imports, self.frameworks)
            if found:
                fw, methods, path = found
                self._add(Route(fn, fw, methods, path, None, decorators))
                return
        if "django" in self.frameworks and _looks_like_django_view(fn) and (
            self.path.endswith("views.py") or "/views/" in self.path
            or any(d.startswith("django.") for d in decorators)
        ):
            methods = frozenset({"GET", "POST"})
            for d in decorators:
                if d.endswith("require_POST"):
                    methods = frozenset({"POST"})
                elif d.endswith(("require_GET", "require_safe")):
                    methods = frozenset({"GET"})
            self._add(Route(fn, "django", methods, None, None, decorators))

    def _class(self, node: cst.ClassDef) -> None:
        bases = _class_bases(node, self.imports)
        fw = _view_framework(bases, self.frameworks)
        if fw == "litestar":
            self._decorated_methods(node, bases)
            return
        if fw is None and self._other_class(node, bases) != "tornado":
            return  # not a view class, or one whose routes ``_other_class`` added
        fw = fw or "tornado"
        attrs = _class_attributes(node)
        self.view_classes.append(ViewClass(node, fw, bases, attrs))
        class_decorators = _decorator_names(node, self.imports)
        for method in _methods_of(node):
            name = method.name.value
            decorators = class_decorators + _decorator_names(method, self.imports)
            if name == "dispatch_request" and fw in ("flask", "quart") and \
                    _plain_view(bases):
                # A Flask ``View`` answers every method it lists in ``dispatch_request``.
                listed = string_list(attrs["methods"]) if "methods" in attrs else None
                self._add(Route(method, fw, frozenset(m.upper() for m in listed or ("GET",)),
                                None, node, decorators))
            elif name in HTTP_METHODS:
                is_list = fw == "drf" and any(b.endswith("ListAPIView") or
                                              b.endswith("ListCreateAPIView") for b in bases)
                path = self._served_classes.get(node.name.value, ("", None))[1] \
                    if fw == "tornado" else None
                self._add(Route(method, fw, frozenset({name.upper()}), path, node, decorators,
                                is_list_action=is_list))
            elif fw == "drf" and name in VIEWSET_ACTIONS:
                self._add(Route(method, fw, frozenset({VIEWSET_ACTIONS[name]}), None, node,
                                decorators, is_list_action=name == "list"))
            elif fw == "drf" and any(d.endswith("action") for d in
                                     _decorator_names(method, self.imports)):
                methods = {"GET"}
                for dec in method.decorators:
                    _, call = decorator_call(dec)
                    if call is not None:
                        arg = get_arg(call, "methods")
                        values = string_list(arg.value) if arg else None
                        if values:
                            methods = {v.upper() for v in values}
                self._add(Route(method, fw, frozenset(methods), None, node, decorators))

    def _other_class(self, node: cst.ClassDef, bases: list[str]) -> str | None:
        """A Tornado handler, a Falcon resource, a Litestar controller or a Pyramid class
        view: adds its routes and returns its framework (None: not a view class)."""
        name = node.name.value
        served = self._served_classes.get(name)
        if served is not None and served[0] == "tornado" or any(
                micro.tornado_base(b, self.imports) or b in self._tornado_classes
                for b in bases):
            self._tornado_classes.add(name)
            return "tornado"
        responders = micro.responder_methods(node)
        if responders:
            path = served[1] if served is not None and served[0] == "falcon" else None
            self.view_classes.append(ViewClass(node, "falcon", bases, _class_attributes(node)))
            decorators = _decorator_names(node, self.imports)
            for method, verb in responders:
                self._add(Route(method, "falcon", frozenset({verb}), path, node,
                                decorators + _decorator_names(method, self.imports)))
            return "falcon"
        if self._decorated_methods(node, bases):
            return self.routes[-1].framework
        return None

    def _decorated_methods(self, node: cst.ClassDef, bases: list[str]) -> bool:
        """Methods routed by their own decorators: a Litestar ``Controller``'s
        ``@get("/{id:int}")``, a Pyramid class view's ``@view_config(...)``."""
        added = False
        class_decorators = _decorator_names(node, self.imports)
        for method in _methods_of(node):
            for dec in method.decorators:
                callee, call = decorator_call(dec)
                found = micro.qualified_decorator_route(self.imports.qualname(callee), call)
                if found is None or found[0] not in ("litestar", "pyramid"):
                    continue
                fw, methods, path = found
                if not added:
                    self.view_classes.append(ViewClass(node, fw, bases,
                                                       _class_attributes(node)))
                self._add(Route(method, fw, methods, path, node,
                                class_decorators + _decorator_names(method, self.imports)))
                added = True
                break
        return added

    def _starlette_and_aiohttp_tables(self, module: cst.Module) -> None:
        """``Route("/x", endpoint, methods=[...])``, ``app.router.add_get("/x", handler)``,
        ``bp.add_url_rule("/x", "x", view)`` (Flask, Quart), Sanic's
        ``app.add_route(handler, "/x")`` and Pyramid's ``config.add_view(view, ...)``. A
        handler named by the call is looked up in the function the call sits in first
        (view factories define one ``_view`` each), then at module level."""
        if not ({"starlette", "aiohttp", "flask", "quart", "sanic", "pyramid"} &
                self.frameworks):
            return
        finder = self

        class _Calls(cst.CSTVisitor):
            def __init__(self) -> None:
                self.scopes: list[cst.FunctionDef] = []

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.scopes.append(node)

            def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
                self.scopes.pop()

            def visit_Call(self, call: cst.Call) -> None:
                found = routing_call(call, finder.imports)
                fw = found.served_in(finder.frameworks) if found is not None else None
                if found is None or fw is None or not isinstance(found.handler, cst.Name):
                    return
                handler = found.handler
                methods = found.methods or frozenset({"GET"})
                path = micro.normalise_path(fw, found.path)
                fn = self._local(handler.value) or finder._functions.get(handler.value)
                if fn is not None:
                    finder._add(Route(fn, fw, methods, path, None,
                                      _decorator_names(fn, finder.imports)))

            def _local(self, name: str) -> cst.FunctionDef | None:
                if not self.scopes or not isinstance(self.scopes[-1].body, cst.IndentedBlock):
                    return None
                for stmt in self.scopes[-1].body.body:
                    if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
                        return stmt
                return None

        walk(module, _Calls())


@dataclass(frozen=True)
class RoutingCall:
    """One call that routes a URL to a handler: ``Route("/x", endpoint, methods=[...])``
    (Starlette), ``app.router.add_post("/x", handler)`` or ``web.post("/x", handler)``
    (aiohttp), ``app.add_route(handler, "/x")`` (Sanic), ``app.add_route("/x", handler,
    methods=[...])`` (Starlette), ``bp.add_url_rule("/x", "x", view)`` (Flask, Quart),
    ``config.add_view(view, ...)`` (Pyramid). ``framework`` is the one its shape names;
    ``methods`` is None where the call names none."""

    framework: str
    handler: cst.BaseExpression
    methods: frozenset[str] | None
    path: str | None
    # ``router.add_get(...)``, ``add_route(...)``: a method any object may have, routing
    # only where the module serves that framework.
    by_method_name: bool = True

    def served_in(self, frameworks: set[str]) -> str | None:
        """The framework the call routes for in a module that imports ``frameworks``."""
        if self.framework == "flask" and "flask" not in frameworks and "quart" in frameworks:
            return "quart"
        if self.framework in frameworks or not self.by_method_name:
            return self.framework
        return None


def routing_call(call: cst.Call, imports: ImportMap) -> RoutingCall | None:
    """The routing call ``call`` makes, or None (see ``RoutingCall``)."""
    qual = imports.qualname(call.func) or ""
    last = (dotted_name(call.func) or qual).split(".")[-1]
    if last == "Route" and "starlette" in qual:
        handler, path = get_arg(call, "endpoint", 1), get_arg(call, "path", 0)
        return _routing("starlette", handler, _listed_methods(call), path, False)
    if last == "add_url_rule":
        return _routing("flask", get_arg(call, "view_func", 2), _listed_methods(call),
                        get_arg(call, "rule", 0))
    if last == "add_view":
        method = get_arg(call, "request_method")
        return _routing("pyramid", get_arg(call, "view", 0),
                        micro.methods_value(method.value, {"GET", "POST"}) if method
                        else frozenset({"GET", "POST"}), None)
    routed_by_web = qual.startswith("aiohttp.web")  # ``web.post("/x", handler)``
    if not routed_by_web and not (isinstance(call.func, cst.Attribute) and
                                  last.startswith("add_")):
        return None
    verb = last[4:] if last.startswith("add_") else last
    if verb in HTTP_METHODS:
        return _routing("aiohttp", get_arg(call, "handler", 1), frozenset({verb.upper()}),
                        get_arg(call, "path", 0), not routed_by_web)
    if verb != "route":
        return None
    first = get_arg(call, "method", 0) or get_arg(call, "path", 0) or \
        get_arg(call, "handler", 0)
    text = string_value(first.value) if first is not None else None
    positional = [a for a in call.args if a.keyword is None]
    if first is not None and first.keyword is None and text is None and len(positional) < 3:
        # Sanic's ``add_route(handler, "/x", methods=[...])``
        return _routing("sanic", first, _listed_methods(call), get_arg(call, "uri", 1))
    if text is not None and text.startswith("/") or get_arg(call, "endpoint") is not None:
        # Starlette's ``app.add_route("/login", login, methods=["POST"])``
        return _routing("starlette", get_arg(call, "endpoint", 1), _listed_methods(call),
                        get_arg(call, "path", 0))
    method = get_arg(call, "method", 0)
    methods = string_value(method.value) if method is not None else None
    return _routing("aiohttp", get_arg(call, "handler", 2),
                    frozenset({methods.upper()}) if methods else None,
                    get_arg(call, "path", 1), not routed_by_web)


def _routing(framework: str, handler: cst.Arg | None, methods: frozenset[str] | None,
             path: cst.Arg | cst.BaseExpression | str | None,
             by_method_name: bool = True) -> RoutingCall | None:
    if handler is None:
        return None
    if isinstance(path, cst.Arg):
        path = string_value(path.value)
    return RoutingCall(framework, handler.value, methods, path if isinstance(path, str)
                       else None, by_method_name)


def _listed_methods(call: cst.Call) -> frozenset[str] | None:
    arg = get_arg(call, "methods")
    values = string_list(arg.value) if arg is not None else None
    return frozenset(v.upper() for v in values) if values is not None else None
