"""BA604: a DRF view that creates, changes or deletes data allows anyone (AllowAny)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import decorator_call, dotted_name, last_name
from backend_audit.appmodel.routes import DRF_GENERIC_METHODS, MUTATING, VIEWSET_ACTIONS
from backend_audit.checks.auth.mutating_route_without_auth import PUBLIC_BY_NATURE
from backend_audit.visitor import Check

MUTATING_METHOD_NAMES = frozenset(
    {"post", "put", "patch", "delete"} |
    {name for name, verb in VIEWSET_ACTIONS.items() if verb in MUTATING})


def _allow_any(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The ``AllowAny`` element when ``expr`` is ``[AllowAny]`` / ``(AllowAny,)``."""
    if isinstance(expr, (cst.List, cst.Tuple)) and len(expr.elements) == 1:
        el = expr.elements[0].value
        if (dotted_name(el) or "").split(".")[-1] == "AllowAny":
            return el
    return None


class DrfAllowanyOnMutatingView(Check):
    rule_id = "BA604"
    requires_frameworks = frozenset({"drf"})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if PUBLIC_BY_NATURE.search(node.name.value):
            return
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        allow_any: cst.BaseExpression | None = None
        mutating = any(
            DRF_GENERIC_METHODS.get((dotted_name(b.value) or "").split(".")[-1], set()) & MUTATING
            for b in node.bases)
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in MUTATING_METHOD_NAMES:
                mutating = True
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(
                            isinstance(t.target, cst.Name) and
                            t.target.value == "permission_classes" for t in small.targets):
                        allow_any = _allow_any(small.value)
        if allow_any is not None and mutating:
            self.report(allow_any)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = self.ctx.routes.route_for(node)
        if route is None or route.view_class is not None or not route.is_mutating or \
                PUBLIC_BY_NATURE.search(f"{node.name.value} {route.path or ''}"):
            return
        for dec in node.decorators:
            callee, call = decorator_call(dec)
            if last_name(callee) == "permission_classes" and call is not None and call.args:
                found = _allow_any(call.args[0].value)
                if found is not None:
                    self.report(found)
