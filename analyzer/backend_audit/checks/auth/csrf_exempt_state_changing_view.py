"""BA605: Django ``@csrf_exempt`` on a view that accepts state-changing requests."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.collectors.graphql import FACT_GRAPHQL_SCHEMA
from backend_audit.appmodel.names import decorator_call, dotted_name, name_words
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import descendants
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

# Words naming a secret the caller proves it holds (``webhook_token``, ``api_key``).
_SECRET_WORDS = frozenset({"token", "secret", "key", "signature", "hmac", "nonce"})
# What the session cookie gives a view: its user, its session, the cookies themselves.
_SESSION_READ = re.compile(r"request\.(?:session|COOKIES)\b")
_USER_READ = re.compile(r"request\.user\b(?!\s*=[^=])")
_USER_SET = re.compile(r"request\.user\s*=[^=]")
# Decorators that let only a signed-in user through (``login_required``,
# ``permission_required``, ``user_passes_test``): the view then does rely on the session.
_SESSION_DECORATOR = re.compile(r"login|permission|group|staff|superuser|user_passes|auth",
                                re.IGNORECASE)


def _names_secret(name: str | None) -> bool:
    return bool(name) and not _SECRET_WORDS.isdisjoint(name_words(name or ""))


def _token_authenticated(node: cst.FunctionDef, code: str) -> bool:
    """A webhook: the view proves who calls it by a secret the caller sends (a URL
    segment, a header), which it matches itself, and takes nothing from the session
    cookie, so a forged cross-site request gains nothing a CSRF token would stop.

    The secret is matched when a parameter naming one is compared
    (``if token != bot.token``) or looked up as a field naming one
    (``get_object_or_404(Bot, webhook_token=token)``). Setting ``request.user`` from
    what the secret found is no reliance on the session."""
    if _SESSION_READ.search(code) or (_USER_READ.search(code) and not _USER_SET.search(code)):
        return False
    if any(_SESSION_DECORATOR.search(dotted_name(decorator_call(d)[0]) or "")
           for d in node.decorators):
        return False
    p = node.params
    secrets = {q.name.value for q in (*p.posonly_params, *p.params, *p.kwonly_params)
               if _names_secret(q.name.value)}
    if not secrets:
        return False
    for call in descendants(node.body, cst.Call):
        for arg in call.args:
            if arg.keyword is not None and _names_secret(arg.keyword.value) and \
                    isinstance(arg.value, cst.Name) and arg.value.value in secrets:
                return True
    for comparison in descendants(node.body, cst.Comparison):
        sides = [comparison.left, *(t.comparator for t in comparison.comparisons)]
        if any(isinstance(side, cst.Name) and side.value in secrets for side in sides):
            return True
    return False


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
        if not mutating or OWN_VERIFICATION.search(code) or _token_authenticated(node, code):
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
