"""Does an expression carry client input? Shared by the injection and upload checks.

Defines no rule (only the id-less base ``TaintedSinkCheck``): a small intra-procedural
taint walk over ``Flow``. An expression is tainted when it is built from a request read
(``request.args["x"]``, ``await request.json()``, ``request.data``...) or from a
parameter of a route handler (FastAPI query/path/body parameters, Flask and Django
URL parameters), following local names (``x = request.form.get("a") or ""``), string
building, containers (``parts.append(x)``, ``opts["k"] = x``), attribute and item
access, calls that pass their argument through (``b64decode``, ``unquote_plus``,
``decode``) and helpers of the same module whose return value is built from their
arguments. Sanitiser calls stop it, and so do guards that vet a name before the sink
(``if ".." in name: abort(400)``, see ``injection_guards``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import descendants
from backend_audit.flow.guards import guarded_names
from backend_audit.flow.locals import Flow, string_parts
from backend_audit.visitor import Check

MAX_DEPTH = 14

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
    # decoding and encoding
    "b64encode", "urlsafe_b64encode", "b32decode", "b32encode", "b16decode", "b16encode",
    "a85decode", "b85decode", "decodestring", "decodebytes", "encodestring", "encodebytes",
    "unquote_plus", "unquote_to_bytes", "unhexlify", "a2b_base64", "fromhex", "bytearray",
    # string and path shaping
    "removeprefix", "removesuffix", "casefold", "title", "capitalize", "zfill", "rsplit",
    "partition", "rpartition", "splitlines", "dirname", "fspath", "fsdecode", "fsencode",
    "absolute", "with_name", "with_stem", "as_posix", "expandvars", "PurePosixPath",
    "PosixPath", "WindowsPath", "PureWindowsPath", "pop", "setdefault", "keys", "copy",
    "to_dict", "getvalue", "ljust", "rjust", "center", "sub", "translate",
})
# Methods whose result comes from their receiver, not from their arguments:
# ``Doc.query.get(doc_id)`` is a row, not the id (``get``/``pop`` also return a default).
RECEIVER_ONLY = frozenset({
    "get", "getlist", "pop", "setdefault", "items", "values", "keys", "copy", "to_dict",
    "read", "split", "rsplit", "partition", "rpartition", "splitlines", "lower", "upper",
    "strip", "lstrip", "rstrip", "decode", "encode", "getvalue", "casefold", "title",
    "capitalize", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center",
    "translate",
})
# Handler parameters that are framework objects, not client values.
NON_INPUT_PARAMS = frozenset({
    "self", "cls", "request", "req", "db", "session", "background_tasks", "response",
    "current_user", "user", "settings", "config", "args", "kwargs", "pk_url_kwarg",
    "resp", "context",  # Falcon's response object; Pyramid's (context, request) views
})
# ``[^A-Za-z0-9_.-]+``: a negated class of word characters, dots and dashes only (no
# ``/``, no ``\s``, no ``$``).
_KEEP_ONLY = re.compile(r"\[\^(?:\\[wd]|[A-Za-z0-9_. -])+\][+*]?")
# Route templates: ``<int:id>``/``<path:p>`` (Flask, Quart, Django) and ``{p}``/``{p:path}``
# (FastAPI, Starlette, aiohttp).
_ANGLE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_CURLY_PARAM = re.compile(r"\{(\w+)(?::([^}]*))?\}")


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
    # Flask converters such as ``<int:order_id>`` only ever hold numbers, as do typed
    # segments of Litestar/Falcon/Ninja paths (``{order_id:int}``).
    for converter, name in re.findall(r"<(\w+):(\w+)>", route.path or ""):
        if converter in ("int", "float", "uuid"):
            out.discard(name)
    for name, converter in re.findall(r"\{(\w+):(\w+)\}", route.path or ""):
        if converter in ("int", "float", "uuid", "decimal"):
            out.discard(name)
    return out


def single_segment_params(ctx: ModuleContext) -> set[str]:
    """Path parameters of the enclosing route that match one URL segment only.

    Routers match the decoded path, so ``<name>`` (Flask, Django ``<str:name>``) and
    ``{name}`` (FastAPI, Starlette, aiohttp) never hold a ``/``; ``<path:name>``,
    ``{name:path}`` and regex parameters may.
    """
    route = ctx.current_route()
    path = route.path if route is not None else None
    if not path:
        return set()
    out = {name for conv, name in _ANGLE_PARAM.findall(path)
           if conv in ("", "string", "str", "slug", "int", "float", "uuid", "any")}
    for name, conv in _CURLY_PARAM.findall(path):
        if conv in ("", "str", "int", "float", "uuid") or (
                conv and "/" not in conv and "." not in conv and "\\S" not in conv and
                "path" not in conv):
            out.add(name)
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


def allow_list_substitution(call: cst.Call, imports: ImportMap) -> bool:
    """``re.sub(r"[^A-Za-z0-9_.-]", "", name)``: every character outside an allow-list
    is dropped (a pattern listing bad characters instead is no sanitiser)."""
    if imports.qualname(call.func) != "re.sub" or len(call.args) < 3:
        return False
    pattern = string_value(call.args[0].value)
    return pattern is not None and _KEEP_ONLY.fullmatch(pattern) is not None and \
        string_value(call.args[1].value) in ("", "_", "-")


def container_stores(scope: cst.CSTNode) -> dict[str, list[cst.BaseExpression]]:
    """What a scope puts into a container by key: ``opts["k"] = x``, ``opts.update(x)``,
    ``opts.setdefault("k", x)`` (``append``/``add`` are in ``Flow.items_of``)."""
    out: dict[str, list[cst.BaseExpression]] = {}
    for node in descendants(scope, cst.Assign, cst.AugAssign):
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else \
            [node.target]
        for target in targets:
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                out.setdefault(target.value.value, []).append(node.value)
    for call in descendants(scope, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.attr.value in ("update", "setdefault") and call.args:
            value = call.args[-1].value
            out.setdefault(func.value.value, []).append(value)
    return out


@dataclass
class _Scope:
    """Where a walk is: the caller (sources are request reads and ``Taint.params``) or a
    helper it calls (sources are the helper's parameters, mapped back to arguments)."""

    flow: Flow
    guarded: frozenset[str]
    stores: dict[str, list[cst.BaseExpression]]
    helper: cst.FunctionDef | None = None
    helpers_seen: frozenset[int] = field(default_factory=frozenset)


class Taint:
    """Taint queries for one function (or module) scope.

    ``Taint(ctx)`` follows the default sanitisers; checks pass their own sets, the
    parameters that count as input, the sink node ``at`` (so guards before it count)
    and a test for attributes that sanitise (``Path(name).name``). Subclasses may
    override ``_walk(expr, depth, seen)`` and ``_call(call, depth, seen)``; while a
    helper's body is walked, ``self.flow`` is the helper's.
    """

    def __init__(self, ctx: ModuleContext, *, sanitisers: frozenset[str] = SANITISERS,
                 sanitiser_qualnames: frozenset[str] = frozenset(),
                 passthrough: frozenset[str] = PASSTHROUGH,
                 params: set[str] | None = None, at: cst.CSTNode | None = None,
                 sanitising_attribute: Callable[[cst.Attribute, Flow], bool] | None = None,
                 ) -> None:
        self.ctx = ctx
        self.flow: Flow = ctx.flow()
        self.params = route_input_params(ctx) if params is None else set(params)
        self.sanitisers = sanitisers
        self.sanitiser_qualnames = sanitiser_qualnames
        self.passthrough = passthrough
        self.sanitising_attribute = sanitising_attribute
        scope_node = ctx.current_function or ctx.module
        guarded = guarded_names(scope_node, at, self.flow, ctx.imports) if at is not None \
            else frozenset()
        self._scope = _Scope(self.flow, guarded, container_stores(scope_node))

    def source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The client-input expression ``expr`` is built from, or None."""
        return self._walk(expr, 0, frozenset())

    def _walk(self, expr: cst.BaseExpression, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call) and self._sanitiser(expr):
            return None  # before request_input, which reads through ``int(...)``
        if request_input(expr, self.ctx.imports) is not None:
            return expr
        if isinstance(expr, cst.Name):
            return self._name(expr, depth, seen)
        if isinstance(expr, cst.Await):
            return self._walk(expr.expression, depth + 1, seen)
        if isinstance(expr, cst.Attribute):
            if self.sanitising_attribute is not None and \
                    self.sanitising_attribute(expr, self.flow):
                return None
            return self._walk(expr.value, depth + 1, seen)
        if isinstance(expr, cst.Subscript):
            return self._walk(expr.value, depth + 1, seen)
        if isinstance(expr, cst.Call):
            return self._call(expr, depth, seen)
        if isinstance(expr, cst.BooleanOperation):
            return self._first([expr.left, expr.right], depth, seen)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self._first([expr.left, expr.right], depth, seen)
        parts = [p for p in string_parts(expr) if p is not expr]
        return self._first(parts, depth, seen)

    def _first(self, parts: list[cst.BaseExpression], depth: int,
               seen: frozenset[str]) -> cst.BaseExpression | None:
        for part in parts:
            found = self._walk(part, depth + 1, seen)
            if found is not None:
                return found
        return None

    def _sources(self) -> set[str]:
        scope = self._scope
        return scope.flow.params if scope.helper is not None else self.params

    def _name(self, expr: cst.Name, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        name, scope = expr.value, self._scope
        if name in scope.guarded:
            return None
        sources = self._sources()
        if name in seen:
            # ``name = name.strip()``: the parameter's own value flows on.
            return expr if name in sources else None
        values = scope.flow.values_of(name)
        if name in sources and not values:
            return expr
        values = [*values, *scope.flow.items_of(name), *scope.stores.get(name, ())]
        return self._first(values, depth, seen | {name})

    def _call(self, call: cst.Call, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        name = last_name(call.func)
        if self._sanitiser(call):
            return None
        method = isinstance(call.func, cst.Attribute)
        if name in self.passthrough or (method and name == "join"):
            args = [a.value for a in call.args]
            if method and name in RECEIVER_ONLY:
                args = args[1:2] if name in ("get", "pop", "setdefault") else []
            parts = [call.func.value, *args] if isinstance(call.func, cst.Attribute) else args
            return self._first(parts, depth, seen)
        return self._helper(call, depth, seen)

    def _sanitiser(self, call: cst.Call) -> bool:
        return last_name(call.func) in self.sanitisers or \
            self.ctx.imports.qualname(call.func) in self.sanitiser_qualnames or \
            allow_list_substitution(call, self.ctx.imports)

    def _helper(self, call: cst.Call, depth: int,
                seen: frozenset[str]) -> cst.BaseExpression | None:
        """A same-module function whose result is built from request data or from the
        arguments of this call (``def build_cmd(host): return "ping " + host``)."""
        outer = self._scope
        fn = self.ctx.local_function(call)
        if fn is None or fn is self.ctx.current_function or id(fn) in outer.helpers_seen:
            return None
        flow = self.ctx.flow(fn)
        stores = container_stores(fn)
        for value in flow.returns:
            inner = _Scope(flow, guarded_names(fn, value, flow, self.ctx.imports), stores, fn,
                           outer.helpers_seen | {id(fn)})
            self._scope, saved_flow, self.flow = inner, self.flow, flow
            try:
                found = self._walk(value, depth + 1, frozenset())
            finally:
                self._scope, self.flow = outer, saved_flow
            if isinstance(found, cst.Name) and found.value in flow.params:
                arg = _argument_for(fn, call, found.value)
                found = self._walk(arg, depth + 1, seen) if arg is not None else None
            if found is not None:
                return found
        return None


def _argument_for(fn: cst.FunctionDef, call: cst.Call, param: str) -> cst.BaseExpression | None:
    """The argument of ``call`` bound to ``fn``'s parameter ``param``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            return arg.value
    positional = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params)]
    if positional and positional[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
        positional = positional[1:]
    values = [a.value for a in call.args if a.keyword is None and not a.star]
    if param in positional and positional.index(param) < len(values):
        return values[positional.index(param)]
    return None


class TaintedSinkCheck(Check):
    """Base for checks of the form "client input reaches this call's argument".

    Subclasses implement ``sink_args``: the arguments of ``call`` that must not carry
    client input (empty when ``call`` is not a sink). They may narrow or widen the
    sanitisers (``sanitisers``, ``sanitiser_qualnames``), the parameters that count as
    input (``input_params``) and the attributes that sanitise (``sanitising_attribute``).
    Carries no ``rule_id`` itself, so check discovery skips it.
    """

    sanitisers: ClassVar[frozenset[str]] = SANITISERS
    sanitiser_qualnames: ClassVar[frozenset[str]] = frozenset()
    passthrough: ClassVar[frozenset[str]] = PASSTHROUGH

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        raise NotImplementedError

    def input_params(self) -> set[str]:
        return route_input_params(self.ctx)

    def sanitising_attribute(self, attr: cst.Attribute, flow: Flow) -> bool:
        return False

    def taint(self, at: cst.CSTNode) -> Taint:
        return Taint(self.ctx, sanitisers=self.sanitisers,
                     sanitiser_qualnames=self.sanitiser_qualnames,
                     passthrough=self.passthrough, params=self.input_params(), at=at,
                     sanitising_attribute=self.sanitising_attribute)

    def visit_Call(self, node: cst.Call) -> None:
        args = self.sink_args(node)
        if not args:
            return
        taint = self.taint(node)
        for arg in args:
            source = taint.source(arg)
            if source is not None and self.accept(arg, source):
                self.report(node)
                return

    def accept(self, arg: cst.BaseExpression, source: cst.BaseExpression) -> bool:
        """Last word on a tainted argument (e.g. leave upload filenames to BA1201)."""
        return True
