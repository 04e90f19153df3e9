"""Records the project's GraphQL schemas, the servers that answer them, and their limits.

Facts:

- ``graphql-schema``: ``{"library": "strawberry" | "graphene" | "ariadne", "mutation":
  bool}`` for every schema built (``strawberry.Schema(query=..., mutation=...)``,
  ``graphene.Schema(...)``, ariadne's ``make_executable_schema``; ariadne's mutations live
  in SDL text, so its schemas count as mutating). A schema without mutations only reads:
  a cross-site request to it changes nothing.
- ``graphql-server``: ``{"library", "view"}`` for every call that serves a schema (see
  ``appmodel.graphql_servers``), outside tests.
- ``graphql-view-class``: ``{"name", "library", "ide", "batch", "protected"}`` for a
  project class deriving from a library's view (``class MyView(LoginRequiredMixin,
  GraphQLView): graphiql = True``), so a module that serves ``MyView.as_view()`` knows
  what it serves and whether only signed-in users reach it.
- ``graphql-limit``: ``{"name"}`` for a depth, token or cost limit the project names.
- ``graphql-introspection-off``: ``{"name"}`` for a rule or extension that turns
  introspection off.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel import graphql_servers as servers
from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import get_arg
from backend_audit.visitor import Collector

FACT_GRAPHQL_SCHEMA = "graphql-schema"
FACT_GRAPHQL_SERVER = "graphql-server"
FACT_GRAPHQL_VIEW_CLASS = "graphql-view-class"
FACT_GRAPHQL_LIMIT = "graphql-limit"
FACT_GRAPHQL_INTROSPECTION_OFF = "graphql-introspection-off"


class GraphqlFacts(Collector):
    words = ("strawberry", "graphene", "ariadne", "graphql", "GraphQL")

    def visit_Call(self, node: cst.Call) -> None:
        library = servers.SCHEMA_BUILDERS.get(self.ctx.imports.qualname(node.func) or "")
        if library is not None:
            mutation = library == "ariadne" or get_arg(node, "mutation") is not None or \
                get_arg(node, "subscription") is not None
            self.ctx.add_fact(FACT_GRAPHQL_SCHEMA, {"library": library, "mutation": mutation})
            return
        if is_dev_only(self.ctx.path):
            return
        server = servers.server_call(node, self.ctx.imports)
        if server is not None:
            self.ctx.add_fact(FACT_GRAPHQL_SERVER, {"library": server.library,
                                                    "view": server.view})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        library = servers.server_class(node, self.ctx.imports)
        if library is None:
            return
        ide, batch = servers.class_settings(node, library)
        module = self.ctx.module_name
        self.ctx.add_fact(FACT_GRAPHQL_VIEW_CLASS, {
            "name": f"{module}.{node.name.value}" if module else node.name.value,
            "library": library, "ide": ide.value if ide is not None else None,
            "batch": batch, "protected": servers.class_protected(node)})

    def visit_Name(self, node: cst.Name) -> None:
        if self._graphql_module():
            self._limit_or_switch(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and self._graphql_module():
            self._limit_or_switch(node.keyword.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # ``"graphql.validation.rules.NoSchemaIntrospectionCustomRule"`` in settings
        if any(w in node.value for w in ("graphql", "graphene", "strawberry", "ariadne")):
            self._limit_or_switch(node.value)

    def _graphql_module(self) -> bool:
        if "_imports_graphql" not in self.__dict__:
            self.__dict__["_imports_graphql"] = bool(
                self.ctx.imports.top_packages & servers.GRAPHQL_PACKAGES)
        return self.__dict__["_imports_graphql"]

    def _limit_or_switch(self, name: str) -> None:
        if is_dev_only(self.ctx.path):
            return
        if servers.LIMIT_NAME.search(name):
            self.ctx.add_fact(FACT_GRAPHQL_LIMIT, {"name": name})
        elif servers.INTROSPECTION_OFF.search(name):
            self.ctx.add_fact(FACT_GRAPHQL_INTROSPECTION_OFF, {"name": name})

