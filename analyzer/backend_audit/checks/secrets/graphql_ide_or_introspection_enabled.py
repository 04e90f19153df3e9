"""BA704: a GraphQL endpoint serves its in-browser IDE (and the schema through
introspection) outside development settings."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel import graphql_servers as servers
from backend_audit.appmodel.auth import is_auth_name
from backend_audit.appmodel.collectors.graphql import (
    FACT_GRAPHQL_INTROSPECTION_OFF,
    FACT_GRAPHQL_VIEW_CLASS,
)
from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import dotted_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

WHAT = {"graphene": "GraphiQL", "strawberry": "the GraphQL IDE (GraphiQL by default)",
        "ariadne": "introspection and the GraphQL explorer"}
MESSAGE = ("This {library} endpoint serves {what}{how} outside development settings: anyone "
           "who reaches it can read the whole schema, including fields no client uses; "
           "tie it to DEBUG or turn it off in production.")


def _message(library: str, ide: servers.Ide) -> str:
    how = " by default" if ide is servers.Ide.DEFAULT else ""
    return MESSAGE.format(library=library, what=WHAT.get(library, "GraphiQL"), how=how)


def _confidence(ide: servers.Ide, path: str, signed_in: bool) -> str:
    """medium when turned on by a literal; low when on by default (many such APIs are
    public on purpose), served from an admin area or only to signed-in users (an IDE for
    an internal tool's users, NetBox- or Nautobot-style, is often a feature)."""
    if ide is servers.Ide.EXPLICIT and not servers.admin_path(path) and not signed_in:
        return "medium"
    return "low"


class GraphqlIdeOrIntrospectionEnabled(Check):
    rule_id = "BA704"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._debug_blocks: list[bool] = []  # enclosing ``if`` statements: about DEBUG?
        self._signed_in: set[int] = set()  # calls wrapped in ``login_required(...)``

    def visit_If(self, node: cst.If) -> None:
        test = self.ctx.module.code_for_node(node.test)
        self._debug_blocks.append("DEBUG" in test or "debug" in test)

    def leave_If(self, original_node: cst.If) -> None:
        self._debug_blocks.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if is_dev_only(self.ctx.path) or any(self._debug_blocks):
            return
        wrapper = dotted_name(node.func)
        if wrapper and is_auth_name(wrapper, self.ctx):
            self._signed_in.update(id(a.value) for a in node.args)
        server = servers.server_call(node, self.ctx.imports)
        if server is None:
            return
        signed_in = id(node) in self._signed_in
        if server.library is None:
            # A project subclass: the module declaring it says which library it serves.
            self.report(node, view=server.view, signed_in=signed_in,
                        ide=server.ide.value if server.ide is not None else None)
            return
        ide = servers.effective_ide(server.library, server.ide)
        if ide is not servers.Ide.OFF:
            self.report(node, message=_message(server.library, ide),
                        confidence=_confidence(ide, self.ctx.path, signed_in),
                        default=ide is servers.Ide.DEFAULT)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        view = data.get("view")
        if view is not None:
            found = [f.value for f in project.get(FACT_GRAPHQL_VIEW_CLASS)
                     if servers.names_class(f.value["name"], view)]
            if not found:
                return None
            library = found[0]["library"]
            set_here = data.get("ide")
            ide = servers.effective_ide(
                library, servers.Ide(set_here) if set_here else
                servers.Ide(found[0]["ide"]) if found[0]["ide"] else None)
            if ide is servers.Ide.OFF:
                return None
            signed_in = data.get("signed_in") or found[0].get("protected", False)
            candidate = replace(candidate, message=_message(library, ide),
                                confidence=_confidence(ide, candidate.path, signed_in),
                                data={**data, "default": ide is servers.Ide.DEFAULT})
        if candidate.data.get("default") and project.has(FACT_GRAPHQL_INTROSPECTION_OFF):
            return None  # introspection is turned off: the IDE has no schema to show
        return candidate
