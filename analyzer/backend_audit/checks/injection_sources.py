"""Does an expression carry client input? Shared by the injection and upload checks.

Defines no rule (only the id-less base ``TaintedSinkCheck``): a small intra-procedural
taint walk over ``Flow``. An expression is tainted when it is built from a request read
(``request.args["x"]``, ``await request.json()``, ``request.data``...) or from a
parameter of a route handler (FastAPI query/path/body parameters, Flask and Django
URL parameters), following local names, string building, containers, attribute and
item access and calls that pass their argument through. Sanitiser calls stop it.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.dataflow import Flow, string_parts
from backend_audit.appmodel.names import last_name
from backend_audit.appmodel.requests import request_input
from backend_audit.checks.base import Check

MAX_DEPTH = 10

# Calls whose result no longer carries the raw input for the sinks we check.
SANITISERS = frozenset({
    "secure_filename", "safe_join", "escape", "clean", "quote", "int", "float", "bool", "uuid4",
    "uuid1", "basename_safe", "get_valid_filename", "slugify", "len", "hexdigest",
    "conditional_escape", "strip_tags", "urlencode",
})
# Calls that hand (part of) an argument through to their result.
PASSTHROUGH = frozenset({
    "str", "join", "format", "Path", "PurePath", "abspath", "normpath", "realpath",
    "expanduser", "lower", "upper", "strip", "lstrip", "rstrip", "replace", "decode",
    "encode", "b64decode", "urlsafe_b64decode", "unquote", "loads", "get", "getlist",
    "dict", "list", "tuple", "bytes", "split", "read", "resolve", "joinpath",
    "with_suffix", "format_map", "model_dump", "items", "values",
})
# Handler parameters that are framework objects, not client values.
NON_INPUT_PARAMS = frozenset({
    "self", "cls", "request", "req", "db", "session", "background_tasks", "response",
    "current_user", "user", "settings", "config", "args", "kwargs", "pk_url_kwarg",
})


def route_input_params(ctx: ModuleContext) -> set[str]:
    """Parameters of the enclosing route handler that hold client values."""
    fn = ctx.current_function
    route = ctx.current_route()
    if fn is None or route is None or route.function is not fn:
        return set()
    out: set[str] = set()
    params = fn.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        name = param.name.value
        if name in NON_INPUT_PARAMS:
            continue
        if param.default is not None and last_name(_callee(param.default)) in (
                "Depends", "Security"):
            continue
        if param.annotation is not None and _not_free_text(param.annotation.annotation):
            continue
        out.add(name)
    # Flask converters such as ``<int:order_id>`` only ever hold numbers.
    for converter, name in re.findall(r"<(\w+):(\w+)>", route.path or ""):
        if converter in ("int", "float", "uuid"):
            out.discard(name)
    return out


def _callee(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    return expr.func if isinstance(expr, cst.Call) else None


def _not_free_text(expr: cst.BaseExpression) -> bool:
    """Dependencies (``Annotated[Session, Depends(get_db)]``), framework objects and
    typed values (``int``, ``UUID``) that cannot carry an injection payload."""
    if isinstance(expr, cst.Subscript):
        for el in expr.slice:
            if isinstance(el.slice, cst.Index) and isinstance(el.slice.value, cst.Call) and \
                    last_name(el.slice.value.func) in ("Depends", "Security"):
                return True
    name = last_name(expr)
    if isinstance(expr, cst.Subscript) and last_name(expr.value) == "Annotated":
        first = expr.slice[0].slice
        if isinstance(first, cst.Index):
            return _not_free_text(first.value)
    return name in ("Request", "HttpRequest", "Session", "AsyncSession", "BackgroundTasks",
                    "Response", "WebSocket", "int", "float", "bool", "UUID", "datetime",
                    "date", "Decimal", "PositiveInt", "conint")


class Taint:
    """Taint queries for one function (or module) scope."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.flow: Flow = ctx.flow()
        self.params = route_input_params(ctx)

    def source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The client-input expression ``expr`` is built from, or None."""
        return self._walk(expr, 0, frozenset())

    def _walk(self, expr: cst.BaseExpression, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        if depth > MAX_DEPTH:
            return None
        if request_input(expr, self.ctx.imports) is not None:
            return expr
        if isinstance(expr, cst.Name):
            if expr.value in seen:
                return None
            if expr.value in self.params and not self.flow.values_of(expr.value):
                return expr
            for value in self.flow.values_of(expr.value):
                found = self._walk(value, depth + 1, seen | {expr.value})
                if found is not None:
                    return found
            return None
        if isinstance(expr, cst.Await):
            return self._walk(expr.expression, depth + 1, seen)
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            return self._walk(expr.value, depth + 1, seen)
        if isinstance(expr, cst.Call):
            return self._call(expr, depth, seen)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self._walk(expr.left, depth + 1, seen) or \
                self._walk(expr.right, depth + 1, seen)
        for part in string_parts(expr):
            if part is not expr:
                found = self._walk(part, depth + 1, seen)
                if found is not None:
                    return found
        return None

    def _call(self, call: cst.Call, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        name = last_name(call.func)
        if name in SANITISERS:
            return None
        if name in PASSTHROUGH or (isinstance(call.func, cst.Attribute) and
                                   call.func.attr.value == "join"):
            parts = [a.value for a in call.args]
            if isinstance(call.func, cst.Attribute):
                parts.append(call.func.value)
            for part in parts:
                found = self._walk(part, depth + 1, seen)
                if found is not None:
                    return found
        return None


class TaintedSinkCheck(Check):
    """Base for checks of the form "client input reaches this call's argument".

    Subclasses implement ``sink_args``: the arguments of ``call`` that must not carry
    client input (empty when ``call`` is not a sink). Carries no ``rule_id`` itself, so
    check discovery skips it.
    """

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        raise NotImplementedError

    def visit_Call(self, node: cst.Call) -> None:
        args = self.sink_args(node)
        if not args:
            return
        taint = Taint(self.ctx)
        for arg in args:
            source = taint.source(arg)
            if source is not None and self.accept(arg, source):
                self.report(node)
                return

    def accept(self, arg: cst.BaseExpression, source: cst.BaseExpression) -> bool:
        """Last word on a tainted argument (e.g. leave upload filenames to BA1201)."""
        return True
