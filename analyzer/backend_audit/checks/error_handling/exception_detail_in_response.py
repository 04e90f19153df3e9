"""BA403: exception text or a traceback is put into what the client receives."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel import graphql_servers
from backend_audit.appmodel.auth import admin_only
from backend_audit.appmodel.collectors.http_errors import (
    FACT_HTTP_DETAIL_HIDDEN,
    covers,
    hides_status,
    is_http_exception,
    status_code,
)
from backend_audit.appmodel.dev_scope import debug_branch_holds
from backend_audit.appmodel.error_handling import (
    exposure,
    handler_key_exposure,
    is_test_path,
    module_family,
    registrations_by_call,
    type_names,
)
from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import dotted_name, get_arg, last_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import walk
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    argument_slots,
    bind_arguments,
    names_match,
    param_names,
    positional_names,
    recorded_param,
)
from backend_audit.flow.locals import Flow
from backend_audit.flow.reaching import Scope
from backend_audit.flow.taint import module_indexes
from backend_audit.visitor import Candidate, Check

# Constructors and helpers whose arguments become the response body.
RESPONSE_CALLS = frozenset({
    "jsonify", "make_response", "Response", "JSONResponse", "ORJSONResponse",
    "UJSONResponse", "PlainTextResponse", "HTMLResponse", "HttpResponse", "JsonResponse",
    "HttpResponseServerError", "HttpResponseBadRequest", "HttpResponseNotFound",
    "json_response", "TemplateResponse", "render_template", "render_template_string",
    "HTTPException",
})
# Names that are response sinks only when imported from a web framework.
QUALIFIED_SINKS = ("flask.abort", "werkzeug.exceptions.abort", "flask_restful.abort",
                   "flask_smorest.abort", "django.shortcuts.render", "aiohttp.web.HTTP",
                   "rest_framework.exceptions.", "werkzeug.exceptions.", "fastapi.HTTPException",
                   "starlette.exceptions.HTTPException", "flask.flash",
                   "django.contrib.messages.",
                   # the other frameworks' responses and client-facing errors
                   "quart.abort", "quart.flash", "sanic.response.", "sanic.exceptions.",
                   "falcon.HTTP", "falcon.errors.", "pyramid.httpexceptions.",
                   "pyramid.response.", "bottle.abort", "bottle.HTTPError",
                   "bottle.HTTPResponse", "ninja.errors.HttpError", "litestar.exceptions.",
                   "litestar.response.",
                   # a GraphQL error's message is what the client receives
                   "graphql.GraphQLError", "graphql.error.GraphQLError",
                   "graphql.error.graphql_error.GraphQLError")
# Tornado ``RequestHandler`` methods that send to the client.
TORNADO_SENDS = frozenset({"write", "finish", "render"})
# Attributes of a Falcon response that become its body (``resp.media = {...}``).
FALCON_BODIES = frozenset({"media", "text", "body", "data"})
# Methods of a websocket that send to the client.
WEBSOCKET_SENDS = frozenset({"send_json", "send_text", "send_str", "send"})
# Arguments that never carry the body.
NON_BODY_ARGS = frozenset({"status", "status_code", "headers", "media_type", "mimetype",
                           "content_type", "code", "background", "template_name"})
# Attributes of an exception that carry its raw text.
LEAKY_ATTRS = frozenset({"args", "message", "msg", "orig", "pgerror", "pgcode", "strerror",
                         "original_exception", "stderr", "output", "__traceback__",
                         "__cause__", "__context__", "diag", "statement", "params",
                         "original_error"})
TRACE = "trace"
TRACEBACK_CALLS = frozenset({"format_exc", "format_exception", "format_tb", "format_stack",
                             "extract_tb", "format_exception_only", "exc_info"})
# Of those, the ones whose text is the stack itself (``exc_info()`` hands back the
# exception, whose text is reported as any exception's is).
STACK_CALLS = frozenset({"format_exc", "format_exception", "format_tb", "format_stack",
                         "extract_tb"})
# Calls that pass their arguments' text straight through.
TRANSPARENT_CALLS = frozenset({"dumps", "dict", "jsonable_encoder", "escape", "Markup", "getattr"})
ERROR_HANDLER_DECORATORS = frozenset({"errorhandler", "app_errorhandler", "exception_handler"})
ERROR_HANDLER_REGISTRARS = frozenset({"register_error_handler", "add_exception_handler"})
# How much a value reveals: an I/O or database error's text ("medium"), any exception's
# text ("high"), a formatted traceback or ``exc_info`` ("trace": file paths, code lines
# and the call stack, whatever was raised).
RANK = {"medium": 1, "high": 2, TRACE: 3}


# Status codes of a server error: ``500``, ``status.HTTP_503_SERVICE_UNAVAILABLE``,
# ``HTTPStatus.INTERNAL_SERVER_ERROR``.
SERVER_ERROR_NAMES = ("HTTP_5", "INTERNAL_SERVER_ERROR", "BAD_GATEWAY", "SERVICE_UNAVAILABLE",
                      "GATEWAY_TIMEOUT")
STATUS_KEYWORDS = frozenset({"status", "status_code", "code"})
# Calls whose first positional argument is the status: ``abort(500, str(e))``,
# ``HTTPException(500, str(e))``; and ``make_response(body, 500)``'s second.
STATUS_FIRST = frozenset({"abort", "HTTPException", "HTTPError"})


def confidence_of(level: str, admin: bool, server_error: bool = False) -> str:
    """The finding's confidence: a traceback sent to any client is what a reviewer acts
    on, and so is the text of an unexpected exception answered as a server error (``except
    Exception as e: return jsonify(error=str(e)), 500``): a 5xx says the failure was
    internal, so its text is the database's, the file system's or the code's. Other
    exception text is reported at the audit level: on the judged real-code corpus it was
    mostly a message written for the client (a failed lookup, a parse of the client's
    own input, a 4xx answer), or went to administrators only."""
    if admin:
        return "low"
    return "medium" if level == TRACE or (server_error and level in RANK) else "low"


def is_server_error_status(node: cst.BaseExpression) -> bool:
    """``500``..``599``, or a named 5xx constant."""
    if isinstance(node, cst.Integer):
        return 500 <= int(node.evaluated_value) <= 599
    name = dotted_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return bool(name) and any(word in name.rsplit(".", 1)[-1] for word in SERVER_ERROR_NAMES)


def answers_server_error(call: cst.Call) -> bool:
    """A response or client error built with a 5xx status (by keyword, by position, or
    by its name: ``HttpResponseServerError``)."""
    name = last_name(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else ""
    if name == "HttpResponseServerError":
        return True
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if any(a.keyword is not None and a.keyword.value in STATUS_KEYWORDS and
           is_server_error_status(a.value) for a in call.args):
        return True
    if name in STATUS_FIRST and positional:
        return is_server_error_status(positional[0])
    return name == "make_response" and len(positional) >= 2 and \
        is_server_error_status(positional[1])


def server_error_body(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The body of a ``(body, 500)`` answer (a route's returned tuple), else None."""
    if isinstance(value, cst.Tuple) and len(value.elements) >= 2 and \
            is_server_error_status(value.elements[1].value):
        return value.elements[0].value
    return None


def _stronger(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if RANK[a] >= RANK[b] else b


def handler_exposure(node: cst.ExceptHandler, imports: ImportMap) -> str | None:
    return exposure(type_names(node.type, imports), bare=node.type is None)


class _ExceptNames(cst.CSTVisitor):
    """``except T as name`` bindings of one function (nested functions excluded)."""

    def __init__(self, root: cst.FunctionDef, imports: ImportMap) -> None:
        self.root = root
        self.imports = imports
        self.names: dict[str, str | None] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # small statements hold no except clauses: skip most of the tree

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            level = handler_exposure(node, self.imports)
            name = node.name.name.value
            self.names[name] = _stronger(self.names.get(name), level)


class _Sinks(cst.CSTVisitor):
    """Response calls and returns of a helper function."""

    def __init__(self, root: cst.FunctionDef, is_sink) -> None:
        self.root = root
        self.is_sink = is_sink
        self.exprs: list[cst.BaseExpression] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_Call(self, node: cst.Call) -> None:
        if self.is_sink(node):
            self.exprs.extend(a.value for a in node.args if _is_body_arg(a))


def _is_body_arg(arg: cst.Arg) -> bool:
    return arg.keyword is None or arg.keyword.value not in NON_BODY_ARGS


class ExceptionDetailInResponse(Check):
    rule_id = "BA403"
    skips_migrations = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.family = module_family(ctx.frameworks)
        self._except_names: dict[int, dict[str, str | None]] = {}
        self._registered: dict[str, cst.BaseExpression] | None = None
        self._handlers: list[cst.ExceptHandler] = []  # enclosing except clauses
        self._returned_calls: set[int] = set()  # calls a route or error handler returns
        self._stores: dict[int, dict[str, list[cst.BaseExpression]]] = {}
        self._sinks: dict[int, list[cst.BaseExpression]] = {}
        # calls returned in a ``(body, 500)`` tuple
        self._server_error_calls: set[int] = set()
        # Without an exception name in scope, only a traceback call can put exception
        # text into a value; where the file names none, taint is skipped (most functions).
        self._traceback_named = any(name in ctx.source for name in TRACEBACK_CALLS)

    # -- where exceptions are -------------------------------------------------------
    def _tainted_names(self, fn: cst.FunctionDef) -> dict[str, str | None]:
        key = id(fn)
        if key not in self._except_names:
            finder = _ExceptNames(fn, self.ctx.imports)
            walk(fn, finder)
            names = dict(finder.names)
            param, level = self._error_handler_param(fn)
            if param is not None:
                names[param] = _stronger(names.get(param), level)
            self._except_names[key] = names
        names = self._except_names[key]
        # Inside ``except T as e`` the name holds exactly a T, whatever other clauses
        # of the function bind to the same name.
        inner = {h.name.name.value: handler_exposure(h, self.ctx.imports)
                 for h in self._handlers
                 if h.name is not None and isinstance(h.name.name, cst.Name)}
        return {**names, **inner} if inner else names

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append(node)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    @property
    def registered(self) -> dict[str, cst.BaseExpression]:
        """Functions registered as error handlers by call: name -> exception key."""
        if self._registered is None:
            found: dict[str, cst.BaseExpression] = {}
            if any(w in self.ctx.source for w in (*ERROR_HANDLER_REGISTRARS,
                                                  "exception_handlers")):
                # a later registration of the same function wins
                found = dict(registrations_by_call(self.ctx.module, ERROR_HANDLER_REGISTRARS))
            self._registered = found
        return self._registered

    def _error_handler_param(self, fn: cst.FunctionDef) -> tuple[str | None, str | None]:
        """The exception parameter of an error handler and what its text may reveal."""
        params = positional_names(fn)
        if not params:
            return None, None
        key: cst.BaseExpression | None = None
        for dec in fn.decorators:
            d = dec.decorator
            if isinstance(d, cst.Call) and isinstance(d.func, cst.Attribute) and \
                    d.func.attr.value in ERROR_HANDLER_DECORATORS and d.args:
                key = d.args[0].value
        if key is None:
            key = self.registered.get(fn.name.value)
        if key is None:
            graphql = self._graphql_formatter_param(fn)
            if graphql is not None:
                # The formatted error's message is what every GraphQL server sends anyway;
                # its original exception and traceback are what a formatter adds.
                return graphql, None
        if key is None:
            # DRF: ``def custom_exception_handler(exc, context)`` gets every exception.
            if params[:2] == ["exc", "context"]:
                return "exc", "high"
            return None, None
        asgi = self.family == "asgi" or (len(params) >= 2 and params[0] in ("request", "req"))
        param = params[1] if asgi and len(params) >= 2 else params[0]
        level = handler_key_exposure(key, "asgi" if asgi else self.family, self.ctx.imports)
        return param, level

    def _graphql_formatter_param(self, fn: cst.FunctionDef) -> str | None:
        if "format_error" not in self.ctx.source and "error_formatter" not in self.ctx.source:
            return None
        if "_graphql_formatters" not in self.__dict__:
            self.__dict__["_graphql_formatters"] = graphql_servers.formatter_names(
                self.ctx.module)
        owner = self.ctx.class_stack[-1] if self.ctx.class_stack else None
        return graphql_servers.error_formatter_param(
            fn, owner, self.__dict__["_graphql_formatters"], self.ctx.imports)

    # -- sinks ---------------------------------------------------------------------
    def _is_sink(self, call: cst.Call) -> bool:
        func = call.func
        qual = self.ctx.imports.qualname(func) or ""
        if any(qual == q or qual.startswith(q) for q in QUALIFIED_SINKS):
            return True
        last = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else ""
        if not self.ctx.frameworks:
            return False
        if last == "abort" and "flask" in self.ctx.frameworks:
            return True  # flask_restx / flask_restful ``api.abort(500, message)``
        if last in TORNADO_SENDS and isinstance(func, cst.Attribute) and \
                isinstance(func.value, cst.Name) and func.value.value == "self":
            route = self.ctx.current_route()
            return route is not None and route.framework == "tornado"
        if isinstance(func, cst.Attribute) and last in WEBSOCKET_SENDS:
            receiver = (dotted_name(func.value) or "").split(".")[-1].lower()
            return receiver in ("ws", "websocket", "socket", "conn") or "websocket" in receiver
        return last in RESPONSE_CALLS or last.startswith("HttpResponse")

    def _in_handler(self) -> bool:
        fn = self.ctx.current_function
        if fn is None:
            return False
        if self.ctx.current_route() is not None:
            return True
        return self._error_handler_param(fn)[0] is not None

    def visit_Call(self, node: cst.Call) -> None:
        fn = self.ctx.current_function
        if fn is None or is_test_path(self.ctx.path):
            return
        tainted = self._tainted_names(fn)
        if not tainted and not self._traceback_named:
            return
        flow = self.ctx.flow()
        if self._is_sink(node):
            if answers_server_error(node):  # ``make_response(jsonify(...), 500)``
                self._server_error_calls.update(
                    id(arg.value) for arg in node.args if isinstance(arg.value, cst.Call))
            level = None
            for arg in node.args:
                if _is_body_arg(arg):
                    level = _stronger(level, self._taint(arg.value, flow, tainted, Budget()))
            if level:
                self._report(node, level)
            return
        helper = self.ctx.local_function(node)
        if helper is not None and helper is not fn:
            level = self._helper_taint(node, helper, flow, tainted, sinks_only=True,
                                       budget=Budget())
            if level:
                self._report(node, level)
            return
        callee = self._imported_callee(node)
        if callee is not None and tainted:
            options = self._pending_options(node, flow, tainted)
            if options:
                # Decided in ``resolve`` once the helper's module has been read.
                self.report(node, pending={"callee": callee, "options": options},
                            admin=self._admin_route(), server_error=self._server_error(node),
                            returned=id(node) in self._returned_calls)

    def visit_Assign(self, node: cst.Assign) -> None:
        """A Falcon responder's ``resp.media = {"error": str(exc)}``."""
        fn = self.ctx.current_function
        if fn is None or is_test_path(self.ctx.path) or not any(
                isinstance(t.target, cst.Attribute) and t.target.attr.value in FALCON_BODIES
                for t in node.targets):
            return
        route = self.ctx.current_route()
        if route is None or route.framework != "falcon":
            return
        params = positional_names(route.function)
        resp = params[2] if len(params) >= 3 else "resp"
        if not any(isinstance(t.target, cst.Attribute) and
                   isinstance(t.target.value, cst.Name) and t.target.value.value == resp
                   for t in node.targets):
            return
        tainted = self._tainted_names(fn)
        if not tainted and not self._traceback_named:
            return
        level = self._taint(node.value, self.ctx.flow(), tainted, Budget())
        if level:
            self._report(node, level)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.ctx.current_function
        if node.value is None or fn is None or is_test_path(self.ctx.path) or \
                not self._in_handler():
            return
        flow = self.ctx.flow()
        self._returned_calls.update(id(leaf) for leaf in flow.leaves(node.value)
                                    if isinstance(leaf, cst.Call))
        body = server_error_body(node.value)
        if body is not None:
            self._server_error_calls.update(
                id(leaf) for leaf in flow.leaves(body) if isinstance(leaf, cst.Call))
        tainted = self._tainted_names(fn)
        if not tainted and not self._traceback_named:
            return
        level = self._taint(node.value, flow, tainted, Budget(), follow_helpers=True)
        if level:
            self._report(node, level)

    def _report(self, node: cst.CSTNode, level: str) -> None:
        fn = self.ctx.current_function
        if fn is not None and debug_branch_holds(fn, node):
            # ``if config.DEBUG: return jsonify(message=str(e), stacktrace=...)``: details
            # for the developer; debug mode in production is a finding of its own
            self.report(node, confidence="low")
            return
        raised = self._http_exception(node)
        self.report(node, confidence=confidence_of(level, self._admin_route(),
                                                   self._server_error(node)),
                    **({"http_exception": raised} if raised else {}))

    def _http_exception(self, node: cst.CSTNode) -> dict | None:
        """``HTTPException(500, detail=...)`` of FastAPI or Starlette: the class and the
        status, which an application's own handler for the class may answer without the
        detail (fact ``http-detail-hidden``)."""
        if not isinstance(node, cst.Call) or not isinstance(node.func, (cst.Name, cst.Attribute)):
            return None
        qual = self.ctx.imports.qualname(node.func)
        if not is_http_exception(qual):
            return None
        status = get_arg(node, "status_code", 0)
        return {"class": qual,
                "status": status_code(status.value) if status is not None else None}

    def _server_error(self, node: cst.CSTNode) -> bool:
        """Whether what ``node`` sends is answered with a 5xx status."""
        if isinstance(node, cst.Call):
            return id(node) in self._server_error_calls or answers_server_error(node)
        return isinstance(node, cst.Return) and server_error_body(node.value) is not None

    def _admin_route(self) -> bool:
        route = self.ctx.current_route()
        return route is not None and admin_only(route)

    # -- taint ---------------------------------------------------------------------
    def _taint(self, expr: cst.BaseExpression, flow: Flow, tainted: dict[str, str | None],
               budget: Budget, follow_helpers: bool = False) -> str | None:
        """How much exception text the value of ``expr`` may carry (None: none)."""
        if budget.exhausted:
            return None
        level: str | None = None
        for leaf in self._with_stored_items(expr, flow, budget):
            level = _stronger(level, self._leaf_taint(leaf, flow, tainted, budget,
                                                      follow_helpers))
            if level == TRACE:
                break
        return level

    def _with_stored_items(self, expr: cst.BaseExpression, flow: Flow,
                           budget: Budget) -> list[cst.BaseExpression]:
        """The leaves of ``expr``, plus what was stored into the containers it is built
        from (``body["detail"] = msg``, ``body.update(detail=msg)``)."""
        stored = self._stored_items(flow)
        leaves = list(flow.leaves(expr, budget))
        if not stored:
            return leaves
        names: set[str] = set()
        todo = [expr]
        while todo and not budget.exhausted:
            node = todo.pop()
            if isinstance(node, cst.Name):
                if node.value not in names:
                    names.add(node.value)
                    budget.spend()
                    todo.extend(flow.values_of(node.value))
            elif isinstance(node, cst.BaseExpression):
                todo.extend(c for c in node.children if isinstance(c, cst.BaseExpression))
                todo.extend(c.value for c in node.children
                            if isinstance(c, (cst.Arg, cst.Element, cst.DictElement)))
        scope = self._scope(flow)
        for name in names & stored.keys():
            # Only what is stored before the response can be in it (a loop brings a
            # later store back round): ``data["errors"] = [str(e)]`` further down does not
            # reach an earlier ``return render(..., data)``.
            known = {id(d.value) for d in scope.definitions(name)} if scope else set()
            reaching = {id(d.value) for d in scope.reaching_name(name, expr)[0]} \
                if scope else set()
            for value in stored[name]:
                if id(value) in known and id(value) not in reaching:
                    continue
                leaves.extend(flow.leaves(value, budget))
        return leaves

    def _scope(self, flow: Flow) -> Scope | None:
        node = flow.scope
        if not isinstance(node, (cst.FunctionDef, cst.Module)):
            return None
        return module_indexes(self.ctx).scope(node, flow)

    def _stored_items(self, flow: Flow) -> dict[str, list[cst.BaseExpression]]:
        key = id(flow.scope)
        if key not in self._stores:
            found: dict[str, list[cst.BaseExpression]] = {}
            root = flow.scope

            class _Stores(cst.CSTVisitor):
                def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                    return node is root

                def visit_Assign(self, node: cst.Assign) -> None:
                    for t in node.targets:
                        if isinstance(t.target, cst.Subscript) and \
                                isinstance(t.target.value, cst.Name):
                            found.setdefault(t.target.value.value, []).append(node.value)

                def visit_Call(self, node: cst.Call) -> None:
                    func = node.func
                    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                            and func.attr.value in ("update", "setdefault"):
                        found.setdefault(func.value.value, []).extend(
                            a.value for a in node.args)

            walk(root, _Stores())
            self._stores[key] = found
        return self._stores[key]

    def _leaf_taint(self, leaf: cst.BaseExpression, flow: Flow,
                    tainted: dict[str, str | None], budget: Budget,
                    follow_helpers: bool) -> str | None:
        if isinstance(leaf, cst.Name):
            return tainted.get(leaf.value)
        if isinstance(leaf, cst.Attribute):
            base = leaf.value
            if isinstance(base, cst.Name) and base.value in tainted and \
                    leaf.attr.value in LEAKY_ATTRS:
                if leaf.attr.value in ("original_exception", "original_error"):
                    return "high"
                return tainted[base.value]
            if isinstance(base, cst.Attribute):
                return self._leaf_taint(base, flow, tainted, budget, follow_helpers)
            return None
        if isinstance(leaf, cst.Subscript):
            return self._taint(leaf.value, flow, tainted, budget.deeper(), follow_helpers)
        if isinstance(leaf, cst.Call):
            func = leaf.func
            last = func.attr.value if isinstance(func, cst.Attribute) else \
                func.value if isinstance(func, cst.Name) else ""
            qual = self.ctx.imports.qualname(func) or ""
            if last in TRACEBACK_CALLS and (qual.startswith(("traceback.", "sys.")) or
                                            (isinstance(func, cst.Attribute) and
                                             isinstance(func.value, cst.Name) and
                                             func.value.value in ("traceback", "sys"))):
                return TRACE if last in STACK_CALLS else "high"
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.value.value in tainted and last in ("__str__", "__repr__"):
                return tainted[func.value.value]
            if last in TRANSPARENT_CALLS or last in ("str", "repr", "format"):
                level = None
                for arg in leaf.args:
                    level = _stronger(level, self._taint(arg.value, flow, tainted,
                                                         budget.deeper(), follow_helpers))
                return level
            if follow_helpers:
                helper = self.ctx.local_function(leaf)
                if helper is not None and helper is not self.ctx.current_function:
                    return self._helper_taint(leaf, helper, flow, tainted, sinks_only=False,
                                              budget=budget)
        return None

    def _helper_taint(self, call: cst.Call, helper: cst.FunctionDef, flow: Flow,
                      tainted: dict[str, str | None], sinks_only: bool,
                      budget: Budget) -> str | None:
        """Exception text passed into a same-module helper that puts it in a response
        (``sinks_only``) or returns it."""
        if not budget.may_call:
            return None
        binding = bind_arguments(helper, call)
        helper_taint: dict[str, str | None] = {}
        for name in (*param_names(helper), binding.star_name, binding.double_star_name):
            for arg in binding.sources(name) if name is not None else ():
                level = self._taint(arg, flow, tainted, budget.deeper())
                if level:
                    helper_taint[name] = _stronger(helper_taint.get(name), level)
        if not helper_taint:
            return None
        return self._reach(helper, helper_taint, sinks_only, budget.call())

    def _reach(self, helper: cst.FunctionDef, helper_taint: dict[str, str | None],
               sinks_only: bool, budget: Budget) -> str | None:
        """How much of ``helper_taint`` (param -> level) reaches the helper's response
        calls (``sinks_only``) or its return values."""
        helper_flow = self.ctx.flow(helper)
        exprs = self._sink_exprs(helper) if sinks_only else list(helper_flow.returns)
        level = None
        for expr in exprs:
            level = _stronger(level, self._taint(expr, helper_flow, helper_taint,
                                                 budget.deeper(),
                                                 follow_helpers=not sinks_only))
        return level

    def _sink_exprs(self, fn: cst.FunctionDef) -> list[cst.BaseExpression]:
        key = id(fn)
        if key not in self._sinks:
            sinks = _Sinks(fn, self._is_sink)
            walk(fn, sinks)
            self._sinks[key] = sinks.exprs
        return self._sinks[key]

    # -- helpers in other modules --------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Record which parameters of a module-level function reach a response."""
        if self.ctx.class_stack or len(self.ctx.function_stack) != 1 or \
                is_test_path(self.ctx.path):
            return
        params = positional_names(node)
        sink_params, return_params = [], []
        if not self._sink_exprs(node) and not self.ctx.flow(node).returns:
            return
        for name in params:
            if self._reach(node, {name: "high"}, sinks_only=True, budget=Budget().call()):
                sink_params.append(name)
            if self._reach(node, {name: "high"}, sinks_only=False, budget=Budget().call()):
                return_params.append(name)
        if sink_params or return_params:
            self.ctx.add_fact("response_helper", {
                "function": node.name.value, "params": params,
                "sink_params": sink_params, "return_params": return_params})

    def _imported_callee(self, call: cst.Call) -> str | None:
        """The dotted name of a function imported from another module of the project."""
        if not isinstance(call.func, (cst.Name, cst.Attribute)):
            return None
        qual = self.ctx.imported_callee(call.func)
        if not qual or self._is_sink(call) or self.ctx.local_function(call) is not None:
            return None
        return qual

    def _pending_options(self, call: cst.Call, flow: Flow,
                         tainted: dict[str, str | None], nested: bool = False) -> list[dict]:
        """Arguments of a call to an imported helper that carry exception text, directly
        or through another imported helper's return value (one level deep)."""
        options: list[dict] = []
        for arg, where in argument_slots(call):
            if where is None:
                continue
            level = self._taint(arg.value, flow, tainted, Budget())
            if level:
                options.append({"arg": where, "level": level})
                continue
            if nested:
                continue
            for leaf in flow.leaves(arg.value):
                if isinstance(leaf, cst.Call) and leaf is not call:
                    inner = self._imported_callee(leaf)
                    if inner is None:
                        continue
                    for opt in self._pending_options(leaf, flow, tainted, nested=True):
                        options.append({"arg": where, "level": opt["level"],
                                        "via": inner, "via_arg": opt["arg"]})
        return options

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        raised = candidate.data.get("http_exception")
        if raised and any(covers(fact["exception"], raised["class"]) and
                          hides_status(fact["statuses"], raised["status"])
                          for fact in project.values(FACT_HTTP_DETAIL_HIDDEN)):
            return None  # the application's handler for the class answers without it
        pending = candidate.data.get("pending")
        if not pending:
            return candidate
        helpers = {f"{fact.module}.{fact.value['function']}": fact.value
                   for fact in project.get("response_helper")}
        accept = ("sink_params", "return_params") if candidate.data.get("returned") else \
            ("sink_params",)
        level = None
        callee = _find_helper(helpers, pending["callee"])
        if callee is None:
            return None
        for opt in pending["options"]:
            if not _reaches(callee, opt["arg"], accept):
                continue
            if "via" in opt:
                via = _find_helper(helpers, opt["via"])
                if via is None or not _reaches(via, opt["via_arg"], ("return_params",)):
                    continue
            level = _stronger(level, opt["level"])
        return replace(candidate, confidence=confidence_of(
            level, candidate.data.get("admin", False),
            candidate.data.get("server_error", False))) if level else None


def _find_helper(helpers: dict[str, dict], dotted: str) -> dict | None:
    for name, value in helpers.items():
        if names_match(name, dotted):
            return value
    return None


def _reaches(helper: dict, where: int | str, kinds: tuple[str, ...]) -> bool:
    """The argument at ``where`` (position or keyword) fills a parameter the fact
    ``response_helper`` says reaches a response (``sink_params``) or the return value."""
    param = recorded_param(helper.get("params", []), where)
    return any(param in helper.get(kind, []) for kind in kinds)
