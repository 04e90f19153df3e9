"""BA808: a redirect's target comes from the request (open redirect)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.checks.injection._redirect_guards import (
    NO_GUARDS,
    RedirectGuards,
    guards_in,
    pinned_names,
)
from backend_audit.flow.branches import constant_truth
from backend_audit.flow.budget import Budget
from backend_audit.flow.reflected import ReflectedTaint, code_key, fixes_origin
from backend_audit.flow.sinks import DJANGO_REDIRECT_METHODS, REDIRECTS
from backend_audit.flow.specs import REDIRECT, REDIRECT_ANY
from backend_audit.visitor import Check

_HEADER_METHODS = frozenset({"set", "add", "setdefault", "add_header", "__setitem__"})
_WEAK_MESSAGE = ("A redirect's target comes from the request and is only checked to start "
                 "with '/', which '//evil.example' passes (open redirect).")


_BACKSLASH_MESSAGE = ("A redirect's target comes from the request and is only checked to "
                      "name no host; '/\\evil.example' passes and browsers read it as "
                      "'//evil.example' (open redirect).")


class RedirectTargetFromRequest(Check):
    rule_id = "BA808"
    skips_migrations = True  # a migration serves no request

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._guards: dict[int, RedirectGuards] = {}

    def _guards_here(self) -> RedirectGuards:
        fn = self.ctx.current_function
        if fn is None:
            return NO_GUARDS
        if id(fn) not in self._guards:
            self._guards[id(fn)] = guards_in(self.ctx, fn)
        return self._guards[id(fn)]

    # ---------------------------------------------------------------- sinks
    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        if qual in REDIRECTS:
            arg = get_arg(node, REDIRECTS[qual], 0)
            if arg is not None:
                self._check(node, arg.value)
            return
        if not self.ctx.frameworks:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _HEADER_METHODS and \
                len(node.args) > 1 and _is_location(node.args[0].value):
            self._check(node, node.args[1].value)
            return
        headers = get_arg(node, "headers")
        if headers is not None and isinstance(headers.value, cst.Dict):
            target = _location_value(headers.value)
            if target is not None:
                self._check(node, target)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.ctx.frameworks or self.ctx.current_function is None:
            return
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Subscript) and len(t.slice) == 1 and \
                    isinstance(t.slice[0].slice, cst.Index) and \
                    _is_location(t.slice[0].slice.value):
                self._check(node, node.value)
                return
            if isinstance(t, cst.Attribute) and t.attr.value == "location" and \
                    "resp" in (last_name(t.value) or "").lower():
                self._check(node, node.value)
                return

    def visit_Return(self, node: cst.Return) -> None:
        """Flask's ``return "", 302, {"Location": url}`` and what a Django view's
        ``get_success_url()`` returns (the view redirects there unchecked)."""
        fn = self.ctx.current_function
        if node.value is not None and fn is not None and self.ctx.class_stack and \
                fn.name.value in DJANGO_REDIRECT_METHODS and "django" in self.ctx.frameworks:
            self._check(node, node.value)
            return
        if not isinstance(node.value, cst.Tuple) or "flask" not in self.ctx.frameworks:
            return
        for element in node.value.elements[1:]:
            if isinstance(element.value, cst.Dict):
                target = _location_value(element.value)
                if target is not None:
                    self._check(node, target)
                    return

    # ---------------------------------------------------------------- taint
    def _check(self, node: cst.CSTNode, target: cst.BaseExpression) -> None:
        guards = self._guards_here()
        fn = self.ctx.current_function
        checked = guards.checked | pinned_names(self.ctx, fn, node) if fn is not None \
            else guards.checked
        taint = ReflectedTaint(self.ctx, checked, REDIRECT, REDIRECT_ANY)
        source = self._origin_any(target, taint)
        if source is None:
            return
        confidence = taint.confidence(source)
        if guards.weakly_checked and self._origin_any(target, ReflectedTaint(
                self.ctx, checked | guards.weakly_checked, REDIRECT,
                REDIRECT_ANY)) is None:
            self.report(node, message=_WEAK_MESSAGE, confidence=confidence or "medium")
            return
        if guards.backslash_open and self._origin_any(target, ReflectedTaint(
                self.ctx, checked | guards.backslash_open, REDIRECT,
                REDIRECT_ANY)) is None:
            # Werkzeug, Django and Starlette percent-encode a backslash in Location (not
            # Werkzeug 2.3's ASCII shortcut, pallets/werkzeug#2828): audit level.
            self.report(node, message=_BACKSLASH_MESSAGE, confidence="low")
            return
        self.report(node, confidence=confidence)

    def _origin_any(self, target: cst.BaseExpression,
                    taint: ReflectedTaint) -> cst.BaseExpression | None:
        """``_origin`` of link-borne input, else of a header or cookie."""
        found = self._origin(target, taint, Budget())
        if found is None:
            taint.linkable_only = False
            try:
                found = self._origin(target, taint, Budget())
            finally:
                taint.linkable_only = True
        return found

    def _origin(self, expr: cst.BaseExpression, taint: ReflectedTaint, budget: Budget,
                seen: frozenset[str] = frozenset()) -> cst.BaseExpression | None:
        """The client input that decides where ``expr`` points: its scheme and host, or
        the whole URL. Input after a fixed path (``f"/orders/{x}"``) or host
        (``"https://example.com/" + x``) cannot send the browser elsewhere."""
        if budget.exhausted or code_key(self.ctx, expr) in taint.cleared:
            return None
        budget = budget.deeper()
        if isinstance(expr, cst.Name):
            if taint.reassigned_clean(expr.value):
                return None
            if expr.value in seen:
                return None
            values = taint.values_at(expr.value, expr)
            if not values:
                return taint.source(expr)  # a parameter or a global
            values = _without_appended(values, taint.flow.values_of("__aug__" + expr.value))
            for value in values:
                found = self._origin(value, taint, budget, seen | {expr.value})
                if found is not None:
                    return found
            return None
        if isinstance(expr, cst.IfExp):
            truth = constant_truth(expr.test, taint.flow)
            if truth is not None:
                return self._origin(expr.body if truth else expr.orelse, taint, budget, seen)
            return self._origin(expr.body, taint, budget, seen) or \
                self._origin(expr.orelse, taint, budget, seen)
        if isinstance(expr, cst.BooleanOperation):
            return self._origin(expr.left, taint, budget, seen) or \
                self._origin(expr.right, taint, budget, seen)
        if isinstance(expr, cst.Call) and last_name(expr.func) == "urljoin" and expr.args:
            # an absolute second argument replaces the base altogether
            return (self._origin(expr.args[1].value, taint, budget, seen)
                    if len(expr.args) > 1 else None) or \
                self._origin(expr.args[0].value, taint, budget, seen)
        parts = _sequence(expr)
        if parts is None:
            return taint.source(expr)
        prefix = ""
        for part in parts:
            if isinstance(part, str):
                prefix += part
                continue
            if fixes_origin(prefix):
                return None
            return self._origin(part, taint, budget, seen)
        return None


def _without_appended(values: list[cst.BaseExpression],
                      appended: list[cst.BaseExpression]) -> list[cst.BaseExpression]:
    """``url = "https://example.com/"; url += path``: what ``+=`` adds comes after a
    start that fixes the host, so only the starts decide where the URL points."""
    added = {id(v) for v in appended}
    starts = [v for v in values if id(v) not in added]
    if not added or not starts or len(starts) == len(values):
        return values
    for start in starts:
        parts = _sequence(start)
        if not parts or not isinstance(parts[0], str) or not fixes_origin(parts[0]):
            return values
    return starts


def _sequence(expr: cst.BaseExpression) -> list[str | cst.BaseExpression] | None:
    """A string expression as its literal texts and inserted values, in order."""
    if isinstance(expr, cst.FormattedString):
        out: list[str | cst.BaseExpression] = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                out.append(part.expression)
        return out
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = string_value(expr)
        if value is not None:
            return [value]
        if isinstance(expr, cst.ConcatenatedString):
            return (_sequence(expr.left) or [expr.left]) + (_sequence(expr.right) or [expr.right])
        return None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return (_sequence(expr.left) or [expr.left]) + (_sequence(expr.right) or [expr.right])
    template: str | None = None
    values: list[cst.BaseExpression] = []
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        template, values, mark = string_value(expr.left), [expr.right], "%"
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value == "format":
        template, values, mark = string_value(expr.func.value), [a.value for a in expr.args], "{"
    if template is None:
        return None
    cut = template.find(mark)
    if cut < 0:
        return [template]
    # which value fills the first placeholder is not worth working out: try them all
    return [template[:cut], cst.Tuple([cst.Element(v) for v in values])] if values else \
        [template]


def _is_location(expr: cst.BaseExpression) -> bool:
    value = string_value(expr)
    return value is not None and value.lower() == "location"


def _location_value(node: cst.Dict) -> cst.BaseExpression | None:
    for element in node.elements:
        if isinstance(element, cst.DictElement) and _is_location(element.key):
            return element.value
    return None
