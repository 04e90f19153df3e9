"""Handlers a routing table names from another module.

aiohttp and Starlette apps often keep their routes in one module and their handlers in
another: ``app.router.add_post("/login", views.login)``, ``web.post("/auth",
api_auth.auth)`` (``api_auth = APIAuth()``), ``router.add_post("/login", h.login)`` (a
handler object of unknown class), ``Route("/token", endpoint=auth.token,
methods=["POST"])``. The module holding the table records one fact per entry; a check
on the module defining the handler asks, once every module is read, whether some table
serves its function and how.

Fact ``route-table.entry``: ``{"handler": "pkg.views.login" | "pkg.api.APIAuth.auth" |
"*.login", "package": "pkg", "methods": ["POST"], "path": "/login" | None,
"wrapper": "limiter.limit" | None}``. ``*.name`` is a method of an object whose class
the table's module cannot see; it is matched within the table's own package.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import block_assignments, dotted_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.routes import routing_call
from backend_audit.flow.calls import names_match

FACT_TABLE_ROUTE = "route-table.entry"


@dataclass(frozen=True)
class TableEntry:
    handler: str
    package: str
    methods: tuple[str, ...]
    path: str | None
    wrapper: str | None  # ``limiter.limit("5/minute")(login)``: the wrapping callable


def _entry_parts(call: cst.Call, ctx: ModuleContext
                 ) -> tuple[cst.BaseExpression, tuple[str, ...], str | None] | None:
    """(handler expression, methods, path) of one Starlette or aiohttp routing-table
    call, or None."""
    found = routing_call(call, ctx.imports)
    if found is None or found.framework not in ("starlette", "aiohttp"):
        return None
    default = ("GET",) if found.framework == "starlette" else ("*",)
    return found.handler, tuple(sorted(found.methods or default)), found.path


def table_entry(call: cst.Call, ctx: ModuleContext) -> TableEntry | None:
    """The routing-table entry ``call`` makes, with its handler named as the handler's
    own module would name it."""
    parts = _entry_parts(call, ctx)
    if parts is None:
        return None
    handler, methods, path = parts
    wrapper = None
    if isinstance(handler, cst.Call) and handler.args:
        # ``limit("5/minute")(login)`` or ``throttle(login)``
        inner = handler.func.func if isinstance(handler.func, cst.Call) else handler.func
        wrapper = dotted_name(inner)
        handler = handler.args[0].value
    name = _handler_name(handler, ctx)
    if name is None:
        return None
    package = ctx.module_name.rpartition(".")[0]
    return TableEntry(name, package, methods, path, wrapper)


def _handler_name(expr: cst.BaseExpression, ctx: ModuleContext) -> str | None:
    imported = ctx.imported_callee(expr)
    if imported:
        return imported
    if isinstance(expr, cst.Name):
        return f"{ctx.module_name}.{expr.value}"
    if not isinstance(expr, cst.Attribute):
        return None
    owner = expr.value
    if isinstance(owner, cst.Name):
        # ``api_auth = APIAuth()`` earlier in the same function (or module)
        scope = ctx.current_function
        body = scope.body.body if scope is not None and \
            isinstance(scope.body, cst.IndentedBlock) else ctx.module.body
        made = block_assignments(body).get(owner.value)
        if isinstance(made, cst.Call):
            cls = ctx.imported_callee(made.func) or (
                f"{ctx.module_name}.{made.func.value}" if isinstance(made.func, cst.Name)
                else None)
            if cls:
                return f"{cls}.{expr.attr.value}"
    return f"*.{expr.attr.value}"


def served_by_table(handler: str, module: str, project: ProjectFacts) -> list[TableEntry]:
    """Table entries, anywhere in the project, that route to the function ``handler``
    (``pkg.views.login``, ``pkg.api.APIAuth.auth``) defined in ``module``."""
    last = handler.rsplit(".", 1)[-1]
    package = module.rpartition(".")[0]
    is_method = "." in handler[len(module) + 1:]
    found = []
    for value in project.by_last_name(FACT_TABLE_ROUTE, "handler").get(last, ()):
        entry = TableEntry(value["handler"], value["package"], tuple(value["methods"]),
                           value["path"], value["wrapper"])
        if entry.handler.startswith("*."):
            if is_method and _same_package(package, entry.package):
                found.append(entry)
        elif names_match(handler, entry.handler):
            found.append(entry)
    return found


def _same_package(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".") or \
        a.endswith("." + b) or b.endswith("." + a)
