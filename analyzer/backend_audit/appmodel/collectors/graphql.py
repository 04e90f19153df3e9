"""Records the project's GraphQL schemas, the servers that answer them, and their limits.

Facts:

- ``graphql-schema``: ``{"library": "strawberry" | "graphene" | "ariadne", "mutation":
  bool}`` for every schema built (``strawberry.Schema(query=..., mutation=...)``,
  ``graphene.Schema(...)``, ariadne's ``make_executable_schema``; ariadne's mutations live
  in SDL text, so its schemas count as mutating). A schema without mutations only reads:
  a cross-site request to it changes nothing.
- ``graphql-server``: ``{"library", "view", "protected"}`` for every call that serves a
  schema (see ``appmodel.graphql_servers``), outside tests; ``protected`` when only
  signed-in callers reach it (``login_required(GraphQLView.as_view(...))`` in a URLconf or
  a Flask ``view_func=``, ``GraphQLRouter(schema, dependencies=[Depends(auth)])``, a
  ``context_getter`` that authenticates). Read with ``served_to_signed_in_only``.
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
from backend_audit.appmodel.auth import is_auth_name
from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import dotted_name, get_arg
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Collector

FACT_GRAPHQL_SCHEMA = "graphql-schema"
FACT_GRAPHQL_SERVER = "graphql-server"
FACT_GRAPHQL_VIEW_CLASS = "graphql-view-class"
FACT_GRAPHQL_LIMIT = "graphql-limit"
FACT_GRAPHQL_INTROSPECTION_OFF = "graphql-introspection-off"


class GraphqlFacts(Collector):
    words = ("strawberry", "graphene", "ariadne", "graphql", "GraphQL")

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # calls inside an auth wrapper (``login_required(csrf_exempt(View.as_view()))``)
        self._signed_in: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        wrapper = dotted_name(node.func)
        if id(node) in self._signed_in or wrapper and is_auth_name(wrapper, self.ctx):
            self._signed_in.update(id(a.value) for a in node.args)
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
            self.ctx.add_fact(FACT_GRAPHQL_SERVER, {
                "library": server.library, "view": server.view,
                "protected": id(node) in self._signed_in or
                servers.call_protected(node, self.ctx)})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        library = servers.server_class(node, self.ctx.imports)
        if library is None:
            return
        ide, batch = servers.class_settings(node, library)
        module = self.ctx.module_name
        self.ctx.add_fact(FACT_GRAPHQL_VIEW_CLASS, {
            "name": f"{module}.{node.name.value}" if module else node.name.value,
            "library": library, "ide": ide.value if ide is not None else None,
            "batch": batch, "protected": servers.class_protected(node, self.ctx.module)})

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



def served_to_signed_in_only(project: ProjectFacts) -> bool:
    """Does only a signed-in caller reach the application's GraphQL? Every server of it
    is protected, itself or by the project view class it serves; then every resolver
    answers authenticated requests, whatever the resolver checks itself."""
    classes = [f.value for f in project.get(FACT_GRAPHQL_VIEW_CLASS)]
    found = False
    for server in project.values(FACT_GRAPHQL_SERVER):
        found = True
        view = server.get("view")
        if not server.get("protected") and not (view and any(
                c.get("protected") and servers.names_class(c["name"], view) for c in classes)):
            return False
    return found
