"""Records which functions return unbounded rows: the row summaries of the project's
functions, read across modules (settled by sql/row_chains.py).

A function summary says what a function returns, so a caller in another module need
not read its body (issue 11: "returns unbounded rows"). Facts (values are dicts):

- ``UNBOUNDED_ROWS_FACT`` ``{"name", "class", "model", "kind"}``: a module-level
  function or method returns every row of a query of its own, with no limit, slice or
  page (model M, or the kind of query Q: a Django queryset, SQL text...).
- ``ROWS_OF_FACT`` ``{"name", "class", "via", "doubts", "through"}``: a function
  returns what the imported function ``via`` returns (a service over a repository).
- ``ROUTE_ROWS_OF_FACT`` ``{"via", "route", "path", "doubts", "admin", "kind",
  "through"}``: a GET route (or GraphQL field) that pages nothing returns what the
  imported function ``via`` returns.

``doubts`` counts what makes the rows less certain to be a whole table (an unknown
helper or a template between the query and the response, a filter on a request value,
an admin-only route); ``through`` names the imported functions the rows passed through
(a project pager among them bounds them). Lookup tables (``sql.bounds.is_lookup_model``)
are no unbounded rows.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.auth import admin_only
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg
from backend_audit.appmodel.routes import Route
from backend_audit.sql.bounds import PAGE_TYPES, Hit, is_paging_name, query_analyzer
from backend_audit.visitor import Collector

# Fact keys this collector produces (read by sql/row_chains.py).
UNBOUNDED_ROWS_FACT = "returns-unbounded-rows"
ROWS_OF_FACT = "returns-rows-of"
ROUTE_ROWS_OF_FACT = "route-returns-rows-of"


class RowSummaries(Collector):
    words = ("return",)
    skips_migrations = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        ctx = self.ctx
        route = ctx.routes.route_for(node)
        if route is not None:
            if listing_route(route):
                self._route(node, route)
        elif callable_from_outside(ctx) is node and ctx.flow(node).returns:
            self._function(node)

    def _route(self, node: cst.FunctionDef, route: Route) -> None:
        admin = 2 * admin_only(route)
        for hit in query_analyzer(self.ctx).returned(node):
            if returns_rows_of(hit):
                self.ctx.add_fact(ROUTE_ROWS_OF_FACT, {
                    "via": hit.query.via, "route": route.name, "path": route.path or "",
                    "doubts": hit_doubts(hit) + admin, "admin": bool(admin),
                    "kind": route_kind(route), "through": list(hit.through)})

    def _function(self, node: cst.FunctionDef) -> None:
        ctx = self.ctx
        function = function_key(ctx)
        own = None
        for hit in query_analyzer(ctx).returned(node):
            if returns_rows_of(hit):
                ctx.add_fact(ROWS_OF_FACT, {**function, "via": hit.query.via,
                                            "doubts": hit_doubts(hit),
                                            "through": list(hit.through)})
            elif hit.query.kind != "via" and own is None:
                own = hit
        if own is not None:
            ctx.add_fact(UNBOUNDED_ROWS_FACT, {**function, "model": own.query.model,
                                               "kind": own.query.kind})


def returns_rows_of(hit: Hit) -> bool:
    """The rows are what an imported function returns, not completed here (an
    ``.all()`` applied to its query makes them this function's own read)."""
    return hit.query.kind == "via" and not hit.query.applied


def callable_from_outside(ctx: ModuleContext) -> cst.FunctionDef | None:
    """The enclosing function when it is module-level or a method (not nested)."""
    if len(ctx.function_stack) != 1 or len(ctx.class_stack) > 1:
        return None
    return ctx.function_stack[0]


def function_key(ctx: ModuleContext) -> dict:
    """``{"name", "class"}`` of the enclosing function, as the facts name it."""
    fn = ctx.function_stack[-1]
    return {"name": fn.name.value,
            "class": ctx.class_stack[-1].name.value if ctx.class_stack else None}


def hit_doubts(hit: Hit) -> int:
    """Reasons to doubt the rows are a whole table: an unknown helper or a template
    between the query and the response; rows scoped by an equality filter on a value of
    the request (one parent's children) count twice: on the judged real-code corpus such
    sets were bounded in practice every time. Rows scoped only by the requesting user
    (their tasks, their orders) count once: they grow with that user's own use."""
    if not hit.query.filtered:
        return len(set(hit.doubts))
    return len(set(hit.doubts)) + (1 if hit.query.owned else 2)


def route_kind(route: Route) -> str:
    """How a message names the endpoint: a GraphQL field is no GET route."""
    return "GraphQL field" if route.graphql is not None else "GET route"


def listing_route(route: Route) -> bool:
    """A GET route whose response nothing pages: what it returns is what a client gets."""
    return "GET" in route.methods and not _paginated_route(route)


def _paginated_route(route: Route) -> bool:
    """A pagination decorator or a page-typed response model pages whatever is returned."""
    if any(is_paging_name(d.split(".")[-1]) for d in route.decorators):
        return True
    for dec in route.function.decorators:
        if isinstance(dec.decorator, cst.Call):
            model = get_arg(dec.decorator, "response_model")
            if model is not None and _page_type(model.value):
                return True
    returns = route.function.returns
    return returns is not None and _page_type(returns.annotation)


def _page_type(node: cst.BaseExpression) -> bool:
    base = node.value if isinstance(node, cst.Subscript) else node
    name = dotted_name(base)
    return name is not None and name.split(".")[-1] in PAGE_TYPES
