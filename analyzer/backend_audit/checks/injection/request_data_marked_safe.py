"""BA802: client input is marked as safe HTML or sent as an HTML page unescaped (XSS)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import walk
from backend_audit.flow.budget import Budget
from backend_audit.flow.locals import is_dynamic_string
from backend_audit.flow.reflected import ReflectedTaint
from backend_audit.flow.sinks import (
    FORMAT_HTML,
    HTML_RESPONSES,
    MARK_SAFE,
    TYPED_RESPONSES,
    UNMARKING_METHODS,
)
from backend_audit.visitor import Check

_TYPE_KEYWORDS = ("content_type", "mimetype", "media_type")
_LINKABLE_SCALARS = frozenset({"query", "form", "path"})
FORMATTED, RAW = "formatted", "raw"
_JSON_DUMPS = frozenset({"json.dumps", "simplejson.dumps", "ujson.dumps", "rapidjson.dumps"})


class RequestDataMarkedSafe(Check):
    rule_id = "BA802"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._typed_functions: dict[int, bool] = {}
        self._unmarked: set[int] = set()  # ``Markup(x)`` calls whose mark is dropped at once

    # ---------------------------------------------------------------- sinks
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in UNMARKING_METHODS and \
                isinstance(func.value, cst.Call):
            self._unmarked.add(id(func.value))  # visited before the ``Markup(x)`` inside
        qual = self.ctx.imports.qualname(node.func)
        if qual in MARK_SAFE and id(node) in self._unmarked:
            return
        if qual in MARK_SAFE or qual in FORMAT_HTML:
            arg = get_arg(node, "format_string" if qual in FORMAT_HTML else "s", 0) or \
                get_arg(node, "content", 0) or get_arg(node, "base", 0)
            if arg is not None:
                self._check(node, arg.value, formatted_only=False)
            return
        if qual is None and isinstance(node.func, cst.Attribute) and \
                node.func.attr.value in ("set_data", "write") and node.args:
            # ``response.set_data(body)`` (Werkzeug), ``response.write(body)`` (Django)
            if self._html_response_object(node.func.value):
                self._check(node, node.args[0].value, formatted_only=True)
            return
        if qual in HTML_RESPONSES:
            if self._declares_other_type(node, default_html=True) or self._retyped():
                return
        elif qual in TYPED_RESPONSES:
            if not self._declares_html(node):
                return
        else:
            return
        arg = get_arg(node, "content", 0) or get_arg(node, "response", 0) or \
            get_arg(node, "text") or get_arg(node, "body")
        if arg is not None:
            self._check(node, arg.value, formatted_only=True)

    def visit_Assign(self, node: cst.Assign) -> None:
        """``response.data = body`` (Werkzeug) / ``response.content = body`` (Django)."""
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value in ("data", "content") and \
                    self._html_response_object(t.value):
                self._check(node, node.value, formatted_only=True)
                return

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None or not self._returns_html():
            return
        body = node.value
        if isinstance(body, cst.Tuple) and body.elements:
            if self._tuple_retyped(body):
                return
            body = body.elements[0].value
        if self._retyped():
            return
        self._check(node, body, formatted_only=True)

    # ---------------------------------------------------------------- taint
    def _check(self, node: cst.CSTNode, body: cst.BaseExpression, formatted_only: bool) -> None:
        """Report when ``body`` carries client input; for a response body, only as text
        built by formatting or as one raw query/form/path value (an echo such as a
        webhook's challenge reply, reported at medium confidence)."""
        taint = ReflectedTaint(self.ctx, at=node)
        shape = self._html_text(body, taint, Budget(), frozenset()) if formatted_only else FORMATTED
        if shape is None:
            return
        source = taint.any_source(body)
        if source is None:
            return
        confidence = taint.confidence(source)
        if shape == RAW and confidence is None:
            confidence = "medium"
        self.report(node, confidence=confidence)

    def _html_text(self, expr: cst.BaseExpression, taint: ReflectedTaint, budget: Budget,
                   seen: frozenset[str]) -> str | None:
        """What kind of string ``expr`` (following local names) is: ``FORMATTED`` text,
        one ``RAW`` value, or None (not text we know of)."""
        if budget.exhausted:
            return None
        budget = budget.deeper()
        if is_dynamic_string(expr) or self._serialised(expr):
            return FORMATTED
        parts: list[cst.BaseExpression] = []
        if isinstance(expr, cst.IfExp):
            parts = [expr.body, expr.orelse]
        elif isinstance(expr, cst.BooleanOperation):
            parts = [expr.left, expr.right]
        elif isinstance(expr, cst.Name):
            if expr.value in seen:
                return None
            parts = taint.flow.values_of(expr.value)
            if not parts:
                return RAW if expr.value in taint.params else None
            seen = seen | {expr.value}
        elif _scalar_read(expr) and request_input(expr, self.ctx.imports) in _LINKABLE_SCALARS:
            return RAW
        shapes = {self._html_text(p, taint, budget, seen) for p in parts}
        return FORMATTED if FORMATTED in shapes else RAW if RAW in shapes else None

    def _serialised(self, expr: cst.BaseExpression) -> bool:
        """``json.dumps(data)``: text built from the value, "<" and all (served as
        text/html unless the response says otherwise)."""
        return isinstance(expr, cst.Call) and \
            self.ctx.imports.qualname(expr.func) in _JSON_DUMPS

    # ---------------------------------------------------------------- content types
    def _declares_other_type(self, call: cst.Call, default_html: bool) -> bool:
        """A content type other than HTML is given (or one we cannot read)."""
        for keyword in _TYPE_KEYWORDS:
            arg = get_arg(call, keyword)
            if arg is not None:
                value = string_value(arg.value)
                return value is None or "html" not in value.lower()
        for arg in call.args:
            if isinstance(arg.value, cst.Dict):
                value = _dict_content_type(arg.value)
                if value is not None:
                    return "html" not in value.lower()
        return not default_html

    def _declares_html(self, call: cst.Call) -> bool:
        for keyword in _TYPE_KEYWORDS:
            arg = get_arg(call, keyword)
            if arg is not None:
                value = string_value(arg.value)
                return value is not None and "html" in value.lower()
        return False

    def _tuple_retyped(self, body: cst.Tuple) -> bool:
        """``return text, 200, {"Content-Type": "text/plain"}`` (or headers we cannot read)."""
        for element in body.elements[1:]:
            value = element.value
            if isinstance(value, cst.Name):
                resolved = [v for v in self.ctx.flow().values_of(value.value)
                            if isinstance(v, cst.Dict)]
                if not resolved:
                    if self.ctx.flow().values_of(value.value) or value.value in \
                            self.ctx.flow().params:
                        return True  # headers built elsewhere: unknown type
                    continue
                value = resolved[0]
            if isinstance(value, cst.Dict):
                ctype = _dict_content_type(value)
                if ctype is not None and "html" not in ctype.lower():
                    return True
            elif isinstance(value, cst.Call):
                return True  # Headers(...) / dict(...): unknown type
        return False

    def _retyped(self) -> bool:
        """The enclosing function sets a response's type (``resp.mimetype = "text/plain"``,
        ``resp.headers["Content-Type"] = ...``, ``response["Content-Type"] = ...``)."""
        fn = self.ctx.current_function
        if fn is None:
            return False
        key = id(fn)
        if key not in self._typed_functions:
            finder = _TypeSetter()
            walk(fn, finder)
            self._typed_functions[key] = finder.found
        return self._typed_functions[key]

    def _html_response_object(self, expr: cst.BaseExpression) -> bool:
        """A local name holding an HTML response built here, whose type stays HTML."""
        if not isinstance(expr, cst.Name) or self._retyped():
            return False
        for value in self.ctx.flow().values_of(expr.value):
            if isinstance(value, cst.Call) and \
                    self.ctx.imports.qualname(value.func) in HTML_RESPONSES and \
                    not self._declares_other_type(value, default_html=True):
                return True
        return False

    # ---------------------------------------------------------------- views
    def _returns_html(self) -> bool:
        """The current function is a view whose returned str is served as text/html: a
        Flask view (not a flask-restful/restx Resource, which serialises to JSON) or a
        FastAPI route declared with ``response_class=HTMLResponse``."""
        fn = self.ctx.current_function
        route = self.ctx.current_route()
        if fn is None or route is None or route.function is not fn:
            return False
        if route.framework == "flask":
            if route.view_class is None:
                return True
            bases = [self.ctx.imports.qualname(b.value) or "" for b in route.view_class.bases]
            return any(b.startswith("flask.views") for b in bases)
        if route.framework == "fastapi":
            for dec in fn.decorators:
                call = dec.decorator
                if isinstance(call, cst.Call):
                    arg = get_arg(call, "response_class")
                    if arg is not None and last_name(arg.value) == "HTMLResponse":
                        return True
        return False


def _scalar_read(expr: cst.BaseExpression) -> bool:
    """``request.args["q"]`` / ``request.GET.get("q")``: one value, not the mapping."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("strip", "lower", "upper", "title"):
        expr = expr.func.value
    if isinstance(expr, cst.Subscript):
        return True
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
        expr.func.attr.value == "get"


def _dict_content_type(node: cst.Dict) -> str | None:
    """The literal Content-Type of a headers dict; "" when set to a non-literal."""
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = string_value(element.key)
            if key is not None and key.lower() == "content-type":
                return string_value(element.value) or ""
    return None


class _TypeSetter(cst.CSTVisitor):
    """Finds a content type set on a response object inside one function."""

    def __init__(self) -> None:
        self.found = False

    def visit_Assign(self, node: cst.Assign) -> None:
        value = string_value(node.value)
        if value is not None and "html" in value.lower():
            return
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value in ("mimetype", "content_type",
                                                                  "media_type"):
                self.found = True
            elif isinstance(t, cst.Subscript) and len(t.slice) == 1 and \
                    isinstance(t.slice[0].slice, cst.Index):
                key = string_value(t.slice[0].slice.value)
                if key is not None and key.lower() == "content-type":
                    self.found = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("set", "add", "setdefault",
                                                                   "add_header"):
            key = string_value(node.args[0].value) if node.args else None
            value = string_value(node.args[1].value) if len(node.args) > 1 else None
            if key is not None and key.lower() == "content-type" and \
                    (value is None or "html" not in value.lower()):
                self.found = True
