"""BA101: raw client input (body, form, query) is stored, queried with or passed on unvalidated."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel import graphql as gql
from backend_audit.appmodel.auth import admin_only, admin_view_class
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.checks.validation._report import report_unvalidated, resolve_unvalidated
from backend_audit.flow.calls import positional_names
from backend_audit.flow.payload import PayloadFlow
from backend_audit.visitor import Candidate, Check

MESSAGE = ("Client input ({source}) reaches {sink} with no schema or validator on the path; "
           "validate it first (pydantic, marshmallow, a serializer or form .is_valid()).")
# Frameworks whose request object is a module-level global any function can read.
GLOBAL_REQUEST = ("flask.request", "quart.request", "bottle.request")
# Frameworks that hand a handler its input through typed parameters: BA102 covers them.
TYPED_SIGNATURES = frozenset({"fastapi", "ninja", "litestar"})
# Frameworks that hand a handler a request object to read from.
REQUEST_OBJECTS = frozenset({"flask", "django", "drf", "starlette", "aiohttp", "quart", "sanic",
                             "bottle", "falcon", "pyramid", "tornado"})


class RequestDataUnvalidated(Check):
    rule_id = "BA101"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = self.ctx.routes.route_for(node)
        if route is not None and route.framework in TYPED_SIGNATURES:
            return  # BA102 covers FastAPI, Ninja and Litestar handlers
        if route is None and not self._may_read_request(node):
            return
        # A view method the router does not show (a project base view) still sits in a
        # class whose permission classes may admit administrators only.
        admin = admin_only(route) if route is not None else bool(
            self.ctx.class_stack) and admin_view_class(self.ctx.class_stack[-1])
        if route is not None and route.graphql is not None:
            self._resolver(node, route.graphql, admin)
            return
        report_unvalidated(self, PayloadFlow(self.ctx, node, {}), MESSAGE, audit_only=admin)

    def _resolver(self, node: cst.FunctionDef, field: gql.GraphqlField, admin: bool) -> None:
        """A GraphQL resolver: its arguments the schema leaves unchecked (``String``,
        ``JSONString``...) are its payloads. Free structure is held to a whole body's
        standard; free text to a named form field's (medium at most). Free text that only
        selects rows as a bound lookup (``Conference.objects.get(code=code)``) is what the
        schema let through on purpose, a string: nothing is left to validate."""
        pf = PayloadFlow(self.ctx, node, gql.argument_payloads(field))
        pf.sinks = [s for s in pf.sinks if (not s.lookup or gql.free_structure(s.keys))
                    and not gql.fields_of_text_only(s.keys)]
        start = len(self.candidates)
        report_unvalidated(self, pf, MESSAGE, audit_only=admin)
        for i in range(start, len(self.candidates)):
            at, cand = self.candidates[i]
            if cand.confidence == "high" and gql.FREE_STRUCTURE not in (cand.message or ""):
                self.candidates[i] = (at, replace(cand, confidence="medium"))

    def _may_read_request(self, node: cst.FunctionDef) -> bool:
        """Helpers outside routes that read the request: Flask's global or a request param."""
        if self.ctx.routes.frameworks & TYPED_SIGNATURES and \
                not self.ctx.routes.frameworks & REQUEST_OBJECTS:
            return False
        params = positional_names(node)
        if params[:2] and ({"request", "req"} & set(params[:2])):
            return True
        if params[:1] == ["self"] and self.ctx.class_stack and \
                self.ctx.routes.frameworks & {"django", "drf"}:
            return True  # ``get_queryset`` and friends read ``self.request``
        return any(self.ctx.imports.names.get(n) in GLOBAL_REQUEST for n in ("request", "req"))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        return resolve_unvalidated(candidate, project)
