"""Applications mounted into another application of the scan: an aiohttp sub-application
(``app.add_subapp("/api", api)``) or a Starlette/FastAPI mount (``app.mount("/api",
api)``, ``Mount("/api", app=api)``). The parent's middlewares run for the mounted app's
routes, so an app-wide question (are security headers set?) is the parent's to answer,
and the mounted app is no second application to report.

A mounted app is found where it is created (its constructor call in the mounting
module: ``record_mount`` answers it) or by the function that returns it, through fact
``FACT_MOUNTED``:

- ``{"result_of": name}``: the mounted value is what function ``name`` returns
  (``app.add_subapp("/api", make_api())``, or a name holding that call);
- ``{"handed_in": name}``: the mounted value is a parameter of function ``name`` (for an
  ``__init__``, its class) annotated as an application (``def __init__(self, api:
  web.Application)``): an application made elsewhere in the project and handed over.

Defines no rule."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.calls import find_param, imported_callee, names_match

FACT_MOUNTED = "mounted-app"
_MOUNT_METHODS = frozenset({"add_subapp", "mount"})
_MOUNT_ROUTES = frozenset({"starlette.routing.Mount", "fastapi.routing.Mount"})


def mounted_value(call: cst.Call, qualname: str | None) -> cst.BaseExpression | None:
    """The application ``call`` mounts, if it mounts one."""
    func = call.func
    if qualname in _MOUNT_ROUTES or \
            isinstance(func, cst.Attribute) and func.attr.value in _MOUNT_METHODS:
        arg = get_arg(call, "app", 1)
        return arg.value if arg is not None else None
    return None


def mount_receiver(call: cst.Call) -> cst.BaseExpression | None:
    """The application ``app.add_subapp(...)`` / ``app.mount(...)`` mounts into."""
    func = call.func
    return func.value if isinstance(func, cst.Attribute) and \
        func.attr.value in _MOUNT_METHODS else None


def _callee_name(expr: cst.BaseExpression, ctx) -> str | None:
    """The qualified name of a callee written as a plain name: imported, or a function
    of this module."""
    if not isinstance(expr, cst.Name):
        return None
    imported = imported_callee(expr, ctx.imports, ctx.path)
    if imported:
        return imported
    if expr.value in ctx.functions.functions:
        return f"{ctx.module_name}.{expr.value}" if ctx.module_name else expr.value
    return None


def function_name(ctx) -> str | None:
    """The name callers reach the innermost enclosing function by: a module-level
    function, or the class of an ``__init__`` (called as ``Server(api)``)."""
    stack = ctx.function_stack
    if len(stack) != 1:
        return None
    prefix = f"{ctx.module_name}." if ctx.module_name else ""
    if not ctx.class_stack:
        return prefix + stack[0].name.value
    if len(ctx.class_stack) == 1 and stack[0].name.value == "__init__":
        return prefix + ctx.class_stack[0].name.value
    return None


def held_values(ctx, expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What ``expr`` holds: a name's values in the function (else the module), or
    the expression itself."""
    key = expr.value if isinstance(expr, cst.Name) else None
    if key is None:
        return [expr]
    return ctx.flow().values_of(key) or ctx.flow(ctx.module).values_of(key)


def record_mount(ctx, value: cst.BaseExpression,
                 is_app: Callable[[cst.BaseExpression | None], bool]) -> set[int]:
    """Record where the mounted ``value`` comes from; answers the ids of the
    application constructor calls of this module it holds."""
    here: set[int] = set()
    values = held_values(ctx, value)
    fn = ctx.function_stack[-1] if ctx.function_stack else None
    if isinstance(value, cst.Name) and not values and fn is not None:
        param = find_param(fn, value.value)
        owner = function_name(ctx)
        if param is not None and owner is not None and param.annotation is not None and \
                is_app(param.annotation.annotation):
            ctx.add_fact(FACT_MOUNTED, {"handed_in": owner})
    for held in values:
        if isinstance(held, cst.Await):
            held = held.expression
        if not isinstance(held, cst.Call):
            continue
        if is_app(held.func):
            here.add(id(held))
            continue
        name = _callee_name(held.func, ctx)
        if name is not None:
            ctx.add_fact(FACT_MOUNTED, {"result_of": name})
    return here


def mounted_by_call(factory: str, project: ProjectFacts) -> bool:
    """Does a mount take what function ``factory`` returns?"""
    return any("result_of" in m and names_match(factory, m["result_of"])
               for m in project.values(FACT_MOUNTED))


def maybe_handed_in(factory: str, project: ProjectFacts) -> bool:
    """Could the application ``factory`` returns be the one a mount elsewhere takes as
    an application-typed parameter? The call handing it over is not followed, so this
    is a likelihood: another factory's application may be the one handed in."""
    return any("handed_in" in m and not names_match(factory, m["handed_in"])
               for m in project.values(FACT_MOUNTED))
