"""BA605: Django ``@csrf_exempt`` on a view that accepts state-changing requests."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.collectors.graphql import FACT_GRAPHQL_SCHEMA
from backend_audit.appmodel.names import decorator_call, dotted_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

# A view that checks a signature or token itself does not rely on the CSRF cookie.
OWN_VERIFICATION = re.compile(
    r"(compare_digest|verify_signature|construct_event|validate_signature|signature|"
    r"verify_webhook|hmac\.new|HTTP_AUTHORIZATION|Bearer)", re.IGNORECASE)
CSRF_EXEMPT = "django.views.decorators.csrf.csrf_exempt"
# What a view that changes state reads or does: a request body, the method, a write.
_WRITES = re.compile(
    r"request\.(?:POST|body|data|FILES|method|stream|read\b)|json\.loads?\(|"
    r"\.(?:save|create|delete|update|bulk_\w+|get_or_create|update_or_create|execute|"
    r"executemany|send|send_mail|add|remove|set|clear|write|commit)\(|"
    r"\b(?:send_mail|call_command|subprocess|os\.(?:remove|unlink|system))\b")


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
        code = self.ctx.module.code_for_node(node.body)
        if not mutating or OWN_VERIFICATION.search(code):
            return
        if self._graphql_dispatch(node):
            # A GraphQL endpoint changes state only through mutations: decided once the
            # project's schemas are known.
            self.report(dec.decorator, graphql=True)
        elif _WRITES.search(code) or node.name.value == "dispatch" and self.ctx.class_stack:
            # A view that reads only its query string and writes nothing (renders a page
            # from ``request.GET``) changes no state a forged request could abuse; a
            # class's ``dispatch`` serves every method handler of it and its subclasses.
            self.report(dec.decorator)

    def _graphql_dispatch(self, node: cst.FunctionDef) -> bool:
        if node.name.value != "dispatch" or not self.ctx.class_stack:
            return False
        cls = self.ctx.class_stack[-1]
        return any((self.ctx.imports.qualname(b.value) or dotted_name(b.value) or "")
                   .endswith("GraphQLView") for b in cls.bases)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if candidate.data.get("graphql"):
            schemas = list(project.values(FACT_GRAPHQL_SCHEMA))
            if schemas and not any(s.get("mutation") for s in schemas):
                return None
        return candidate

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        dec = self._exempt_decorator(node.decorators)
        if dec is None:
            return
        code = self.ctx.module.code_for_node(node.body)
        handles_writes = re.search(r"def (post|put|patch|delete)\(", code) is not None
        if handles_writes and not OWN_VERIFICATION.search(code):
            self.report(dec.decorator)
