"""How a project serves GraphQL: the views and apps that answer it and how they are set.

A *server* is the call that puts a schema on the web: graphene-django's
``GraphQLView.as_view(...)``, strawberry's ``GraphQLView.as_view(schema=...)`` /
``GraphQLRouter(schema)`` / ``GraphQL(schema)``, ariadne's ``GraphQL(schema)`` and
``GraphQLView.as_view(schema=...)``, Flask's and aiohttp's graphene views. For each one this
module reads what a reviewer asks about:

- the in-browser IDE and introspection: graphene's views serve GraphiQL only when
  ``graphiql=True``; strawberry serves GraphiQL unless ``graphql_ide=None`` (or
  ``graphiql=False``); ariadne answers introspection queries (and serves its explorer)
  unless ``introspection=False``;
- query batching (``batch=True``: graphene's views run every operation of a list, with
  no cap on its length);
- a depth or cost limit (strawberry's ``QueryDepthLimiter``/``MaxTokensLimiter``,
  graphene's ``depth_limit_validator``, ariadne's ``cost_validator``, graphql-core's
  ``max_depth``...), wherever the project names one.

A setting given by anything but a literal (``graphiql=settings.DEBUG``) is the
deployment's decision and counts as off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import libcst as cst

from backend_audit.appmodel.auth import (
    AUTH_DECORATOR,
    AUTH_MIXIN,
    dependency_authenticates,
    refuses_caller,
)
from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value

# Server classes and factories, by qualified-name prefix, and their library.
SERVERS = {
    "graphene_django.views.GraphQLView": "graphene",
    "graphene_file_upload.django.FileUploadGraphQLView": "graphene",
    "flask_graphql.GraphQLView": "graphene",
    "graphql_server.flask.GraphQLView": "graphene",
    "graphql_server.aiohttp.GraphQLView": "graphene",
    "graphql_server.sanic.GraphQLView": "graphene",
    "graphql_server.webob.GraphQLView": "graphene",
    "aiohttp_graphql.GraphQLView": "graphene",
    "sanic_graphql.GraphQLView": "graphene",
    "starlette_graphene3.GraphQLApp": "graphene",
    "strawberry.django.views.GraphQLView": "strawberry",
    "strawberry.django.views.AsyncGraphQLView": "strawberry",
    "strawberry.flask.views.GraphQLView": "strawberry",
    "strawberry.flask.views.AsyncGraphQLView": "strawberry",
    "strawberry.aiohttp.views.GraphQLView": "strawberry",
    "strawberry.sanic.views.GraphQLView": "strawberry",
    "strawberry.quart.views.GraphQLView": "strawberry",
    "strawberry.chalice.views.GraphQLView": "strawberry",
    "strawberry.litestar.make_graphql_controller": "strawberry",
    "strawberry.fastapi.GraphQLRouter": "strawberry",
    "strawberry.asgi.GraphQL": "strawberry",
    "ariadne.asgi.GraphQL": "ariadne",
    "ariadne.wsgi.GraphQL": "ariadne",
    "ariadne.wsgi.GraphQLMiddleware": "ariadne",
    "ariadne_django.views.GraphQLView": "ariadne",
    "ariadne.contrib.django.views.GraphQLView": "ariadne",
    "ariadne.contrib.django.views.GraphQLAsyncView": "ariadne",
}
# Keywords that set the IDE/introspection, per library.
IDE_KEYWORDS = {"graphene": ("graphiql",), "strawberry": ("graphql_ide", "graphiql"),
                "ariadne": ("introspection",)}
# Names of depth, token and cost limits (a validation rule, an extension, a keyword).
LIMIT_NAME = re.compile(r"depth_limit|DepthLimit|MaxTokens|max_tokens|max_depth|query_depth|"
                        r"cost_validator|QueryCost|query_cost|max_cost|complexity_limit|"
                        r"query_complexity|QueryComplexity|max_complexity|MaxComplexity|"
                        r"depth_validator|DepthValidator")
# Rules and extensions that turn introspection off.
INTROSPECTION_OFF = re.compile(r"DisableIntrospection|NoSchemaIntrospection|"
                               r"disable_introspection")
# Packages whose import makes a module GraphQL code (where a limit's name means a limit).
GRAPHQL_PACKAGES = frozenset({"graphene", "graphene_django", "strawberry", "strawberry_django",
                              "ariadne", "ariadne_django", "graphql", "graphql_server",
                              "flask_graphql", "aiohttp_graphql", "sanic_graphql"})
SCHEMA_BUILDERS = {"strawberry.Schema": "strawberry", "strawberry.federation.Schema":
                   "strawberry", "graphene.Schema": "graphene",
                   "ariadne.make_executable_schema": "ariadne"}


class Ide(Enum):
    EXPLICIT = "explicit"  # turned on by a literal
    DEFAULT = "default"  # on because the library serves it unless told not to
    OFF = "off"  # off, or left to the deployment (a non-literal value)


# Libraries whose servers answer with the IDE/introspection when not told otherwise.
ON_BY_DEFAULT = frozenset({"strawberry", "ariadne"})


@dataclass(frozen=True)
class Server:
    library: str | None  # None: a project class whose library another module tells
    view: str | None  # the project class's qualified name, when the server is one
    ide: Ide | None  # None: not set here (the class or the library decides)
    batch: bool


def server_library(qual: str | None) -> str | None:
    if not qual:
        return None
    for prefix, library in SERVERS.items():
        if qual == prefix or qual.startswith(prefix + "."):
            return library
    return None


def _ide_value(node: cst.BaseExpression) -> Ide:
    name = dotted_name(node)
    text = string_value(node)
    if name == "True" or text in ("graphiql", "apollo-sandbox", "pathfinder", "playground"):
        return Ide.EXPLICIT
    return Ide.OFF  # False, None, or a value the deployment decides


def ide_setting(call: cst.Call, library: str | None) -> Ide | None:
    keywords = IDE_KEYWORDS.get(library or "", ("graphiql", "graphql_ide", "introspection"))
    for keyword in keywords:
        arg = get_arg(call, keyword)
        if arg is not None:
            return _ide_value(arg.value)
    return None


def batch_setting(call: cst.Call) -> bool:
    arg = get_arg(call, "batch")
    return arg is not None and dotted_name(arg.value) == "True"


def server_call(call: cst.Call, imports: ImportMap) -> Server | None:
    """The server a call creates: ``View.as_view(...)``, ``GraphQL(schema, ...)``,
    ``GraphQLRouter(schema)``, or a project subclass's ``MyGraphQLView.as_view(...)``."""
    func = call.func
    target = func.value if isinstance(func, cst.Attribute) and func.attr.value == "as_view" \
        else func
    qual = imports.qualname(target) or dotted_name(target)
    library = server_library(imports.qualname(target))
    if library is None:
        name = last_name(target) or ""
        if "graphql" not in name.lower() or not (
                target is not func or get_arg(call, "schema") is not None):
            return None
        view = qual
    else:
        view = None
    return Server(library, view, ide_setting(call, library), batch_setting(call))


def server_class(node: cst.ClassDef, imports: ImportMap) -> str | None:
    """The library of a project class deriving from a server view, if it does."""
    for base in node.bases:
        library = server_library(imports.qualname(base.value))
        if library is not None:
            return library
    return None


def class_settings(node: cst.ClassDef, library: str) -> tuple[Ide | None, bool]:
    """(IDE setting, batching) a server subclass sets on itself
    (``graphiql = True``, ``graphql_ide = None``, ``batch = True``)."""
    ide: Ide | None = None
    batch = False
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                continue
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) \
                else [small.target]
            for target in targets:
                name = target.value if isinstance(target, cst.Name) else None
                if name in IDE_KEYWORDS.get(library, ()):
                    ide = _ide_value(small.value)
                elif name == "batch":
                    batch = dotted_name(small.value) == "True"
    return ide, batch


def effective_ide(library: str | None, ide: Ide | None) -> Ide:
    if ide is not None:
        return ide
    return Ide.DEFAULT if library in ON_BY_DEFAULT else Ide.OFF


def names_class(fact_name: str, view: str) -> bool:
    """Does a view-class fact's qualified name match ``view`` as a module imports it
    (``.views.MyView`` from a sibling module, ``pkg.views.MyView``, ``MyView`` locally)?"""
    bare = view.lstrip(".")
    # ``nautobot.core.views.X`` imported absolutely, recorded as ``core.views.X`` when the
    # scan starts inside the package
    return fact_name == bare or fact_name.endswith("." + bare) or bare.endswith("." + fact_name)


# Folders whose code serves operators, not the public (``misago/graphql/admin/``).
ADMIN_DIRS = frozenset({"admin", "backoffice", "staff"})


def admin_path(path: str) -> bool:
    """Code in an admin area: an endpoint only trusted operators reach."""
    return bool(ADMIN_DIRS & set(path.split("/")[:-1]))


# Methods of a server subclass that run before every operation it answers: refusing the
# caller there refuses every query and mutation.
GATE_METHODS = frozenset({"dispatch", "get_context", "get_root_value", "execute_operation",
                          "execute_graphql_request", "get_response", "process_request"})


def _refusing_names(names: list[str]) -> bool:
    short = [n.rsplit(".", 1)[-1] for n in names if n]
    return bool(short) and not all(n == "AllowAny" for n in short)


def class_protected(node: cst.ClassDef, module: cst.Module | None = None) -> bool:
    """A server subclass that only signed-in users reach: an auth mixin
    (``LoginRequiredMixin``), ``@method_decorator(login_required, name="dispatch")``, DRF
    ``permission_classes`` (a graphene view mixed with ``APIView``), or a method run for
    every operation (``dispatch``, strawberry's ``get_context``) refusing anonymous
    callers."""
    if any(AUTH_MIXIN.search((dotted_name(b.value) or "").rsplit(".", 1)[-1])
           for b in node.bases):
        return True
    for dec in node.decorators:
        call = dec.decorator
        parts = [call.func, *(a.value for a in call.args)] if isinstance(call, cst.Call) \
            else [call]
        if any(AUTH_DECORATOR.search(last_name(p) or "") for p in parts):
            return True
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and
                        t.target.value == "permission_classes" for t in small.targets) and \
                        isinstance(small.value, (cst.List, cst.Tuple)) and _refusing_names(
                            [dotted_name(e.value) or "" for e in small.value.elements]):
                    return True
        elif isinstance(stmt, cst.FunctionDef) and stmt.name.value in GATE_METHODS and \
                module is not None and refuses_caller(module.code_for_node(stmt.body)):
            return True
        elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "as_view" and \
                _wraps_with_auth(stmt):
            return True
    return False


def _wraps_with_auth(fn: cst.FunctionDef) -> bool:
    """An ``as_view`` override wrapping the view it builds in a refusing wrapper:
    ``view = permission_classes((IsAuthenticated,))(view)`` (graphene-django's recipe for
    DRF authentication), ``return login_required(view)``."""
    found = False

    class _Find(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            name = last_name(node.func) or ""
            if name == "permission_classes":
                found = found or any(_refusing_names(
                    [dotted_name(e.value) or "" for e in a.value.elements]
                    if isinstance(a.value, (cst.List, cst.Tuple)) else
                    [dotted_name(a.value) or ""]) for a in node.args)
            elif AUTH_DECORATOR.search(name) and "authentication" not in name:
                found = True

    fn.body.visit(_Find())
    return found


def call_protected(call: cst.Call, ctx) -> bool:
    """A server call that refuses anonymous callers itself: FastAPI's
    ``GraphQLRouter(schema, dependencies=[Depends(current_user)])``, or a
    ``context_getter=`` built from an authenticating dependency or refusing the caller."""
    deps = get_arg(call, "dependencies")
    if deps is not None and dependency_authenticates(deps.value, ctx, {}):
        return True
    getter = get_arg(call, "context_getter") or get_arg(call, "get_context")
    if getter is None or not isinstance(getter.value, cst.Name):
        return False
    for stmt in ctx.module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == getter.value.value:
            params = [*stmt.params.params, *stmt.params.kwonly_params]
            return any(p.default is not None and dependency_authenticates(p.default, ctx, {})
                       or p.annotation is not None and dependency_authenticates(
                           p.annotation.annotation, ctx, {}) for p in params) or \
                refuses_caller(ctx.module.code_for_node(stmt.body))
    return False


def error_formatter_param(fn: cst.FunctionDef, owner: cst.ClassDef | None,
                          formatters: frozenset[str], imports: ImportMap) -> str | None:
    """The error parameter of a GraphQL error formatter: a function given as ariadne's
    ``error_formatter=`` (``def format_error(error, debug=False)``) or the
    ``format_error`` override of a graphene view subclass. What it returns is what every
    client sees for every error, unexpected ones included."""
    if owner is not None:
        if fn.name.value != "format_error" or server_class(owner, imports) is None:
            return None
    elif fn.name.value not in formatters:
        return None
    params = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params)]
    params = [p for p in params if p not in ("self", "cls")]
    return params[0] if params else None


def formatter_names(module: cst.Module) -> frozenset[str]:
    """Functions a module hands to a server as ``error_formatter=``."""
    found: set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None and node.keyword.value == "error_formatter" and \
                    isinstance(node.value, cst.Name):
                found.add(node.value.value)

    module.visit(_Find())
    return frozenset(found)
