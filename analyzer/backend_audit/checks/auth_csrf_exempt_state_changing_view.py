"""BA605: Django ``@csrf_exempt`` on a view that accepts state-changing requests."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import decorator_call, dotted_name
from backend_audit.checks.base import Check

# A view that checks a signature or token itself does not rely on the CSRF cookie.
OWN_VERIFICATION = re.compile(
    r"(compare_digest|verify_signature|construct_event|validate_signature|signature|"
    r"verify_webhook|hmac\.new|HTTP_AUTHORIZATION|Bearer)", re.IGNORECASE)
CSRF_EXEMPT = "django.views.decorators.csrf.csrf_exempt"


class CsrfExemptStateChangingView(Check):
    rule_id = "BA605"
    requires_frameworks = frozenset({"django"})

    def _exempt_decorator(self, decorators: tuple[cst.Decorator, ...]) -> cst.Decorator | None:
        for dec in decorators:
            callee, call = decorator_call(dec)
            if self.ctx.imports.qualname(callee) == CSRF_EXEMPT:
                return dec
            # @method_decorator(csrf_exempt, name="dispatch")
            if call is not None and (dotted_name(callee) or "").endswith("method_decorator") and \
                    any(self.ctx.imports.qualname(a.value) == CSRF_EXEMPT for a in call.args):
                return dec
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        dec = self._exempt_decorator(node.decorators)
        if dec is None:
            return
        route = self.ctx.routes.route_for(node)
        mutating = route.is_mutating if route is not None else True
        if mutating and not OWN_VERIFICATION.search(self.ctx.module.code_for_node(node.body)):
            self.report(dec.decorator)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        dec = self._exempt_decorator(node.decorators)
        if dec is None:
            return
        code = self.ctx.module.code_for_node(node.body)
        handles_writes = re.search(r"def (post|put|patch|delete)\(", code) is not None
        if handles_writes and not OWN_VERIFICATION.search(code):
            self.report(dec.decorator)
