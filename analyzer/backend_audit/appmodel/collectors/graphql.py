"""Records the project's GraphQL schemas and whether any of them can change state.

Fact ``graphql-schema``: ``{"library": "strawberry" | "graphene" | "ariadne",
"mutation": bool}`` for every schema built (``strawberry.Schema(query=..., mutation=...)``,
``graphene.Schema(...)``, ariadne's ``make_executable_schema``; ariadne's mutations live in
SDL text, so its schemas count as mutating). A schema without mutations only reads: a
cross-site request to it changes nothing.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.visitor import Collector

FACT_GRAPHQL_SCHEMA = "graphql-schema"
_SCHEMAS = {"strawberry.Schema": "strawberry", "strawberry.federation.Schema": "strawberry",
            "graphene.Schema": "graphene", "ariadne.make_executable_schema": "ariadne"}


class GraphqlFacts(Collector):
    words = ("strawberry", "graphene", "ariadne")

    def visit_Call(self, node: cst.Call) -> None:
        library = _SCHEMAS.get(self.ctx.imports.qualname(node.func) or "")
        if library is None:
            return
        mutation = library == "ariadne" or get_arg(node, "mutation") is not None or \
            get_arg(node, "subscription") is not None
        self.ctx.add_fact(FACT_GRAPHQL_SCHEMA, {"library": library, "mutation": mutation})
