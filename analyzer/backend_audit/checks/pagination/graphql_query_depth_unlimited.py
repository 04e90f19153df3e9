"""BA503: a served GraphQL schema has no query depth, token or cost limit anywhere."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel import graphql_servers as servers
from backend_audit.appmodel.collectors.graphql import FACT_GRAPHQL_LIMIT, FACT_GRAPHQL_SERVER
from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check


class GraphqlQueryDepthUnlimited(Check):
    rule_id = "BA503"
    app_level = True

    def visit_Call(self, node: cst.Call) -> None:
        library = servers.SCHEMA_BUILDERS.get(self.ctx.imports.qualname(node.func) or "")
        if library is None or is_dev_only(self.ctx.path):
            return
        if servers.LIMIT_NAME.search(self.ctx.module.code_for_node(node)):
            return  # ``extensions=[QueryDepthLimiter(max_depth=10)]``
        # An admin area's schema: only trusted operators can send it a query.
        self.report(node, confidence="low" if servers.admin_path(self.ctx.path) else None,
                    library=library)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if project.has(FACT_GRAPHQL_LIMIT) or not project.has(FACT_GRAPHQL_SERVER):
            return None  # a limit named somewhere, or a schema nothing serves
        return candidate
