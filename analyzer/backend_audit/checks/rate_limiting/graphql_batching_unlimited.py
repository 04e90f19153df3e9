"""BA1003: a GraphQL endpoint runs batched operations (``batch=True``) with no cap on how
many one request may carry."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel import graphql_servers as servers
from backend_audit.appmodel.collectors.graphql import FACT_GRAPHQL_VIEW_CLASS
from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check


class GraphqlBatchingUnlimited(Check):
    rule_id = "BA1003"
    skips_migrations = True  # a migration serves no request

    def visit_Call(self, node: cst.Call) -> None:
        if is_dev_only(self.ctx.path):
            return
        server = servers.server_call(node, self.ctx.imports)
        if server is None or server.library not in (None, "graphene"):
            return  # strawberry caps a batch (``max_operations``); ariadne has no batching
        if server.batch:
            self.report(node)
        elif server.library is None:
            self.report(node, view=server.view)  # ``batch = True`` on the project's class?

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        view = candidate.data.get("view")
        if view is None:
            return candidate
        batching = any(f.value["batch"] and f.value["library"] == "graphene" and
                       servers.names_class(f.value["name"], view)
                       for f in project.get(FACT_GRAPHQL_VIEW_CLASS))
        return candidate if batching else None
