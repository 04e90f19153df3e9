"""BA501: a GET route returns every row of a query, with no limit, slice or page.

A route that reads its rows in the same module is reported at the query. When the rows
come from a function in another module (a repository, a service), the finding belongs
at that function's query: every module-level function or method that returns unbounded
rows is a candidate at its query, kept only when a GET route somewhere returns its rows,
directly or through other functions, as the core's row summaries say
(appmodel/collectors/row_summaries.py, settled by sql/row_chains.py); the message
names the route(s).

A function may instead return an unfinished query that the caller completes
(``crud.subscribers(db).all()``): then the caller's ``.all()`` is the unbounded read and
is reported there, kept only when the imported function's query has no bound (its
summary says it returns unbounded rows).
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.auth import admin_only
from backend_audit.appmodel.collectors.row_summaries import (
    callable_from_outside,
    function_key,
    hit_doubts,
    listing_route,
    returns_rows_of,
    route_kind,
)
from backend_audit.appmodel.model_growth import growth
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.routes import Route
from backend_audit.sql.bounds import Hit, helper_matches, query_analyzer
from backend_audit.sql.row_chains import RowChains
from backend_audit.visitor import Candidate, Check

_KIND_TEXT = {
    "sqlalchemy": "a SQLAlchemy query", "django": "a Django queryset", "mongo": "a Mongo find()",
    "sql": "a SQL SELECT", "paged": "a query", "tortoise": "a Tortoise ORM query",
}


class UnboundedQueryReturned(Check):
    rule_id = "BA501"
    skips_migrations = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = self.ctx.routes.route_for(node)
        if route is not None:
            if listing_route(route):
                self._route(node, route)
        elif callable_from_outside(self.ctx) is node and self.ctx.flow(node).returns:
            self._function(node)

    def _route(self, node: cst.FunctionDef, route: Route) -> None:
        # Admin areas list whole tables on purpose (few, trusted users).
        admin_doubts = 2 * admin_only(route)
        for hit in query_analyzer(self.ctx).returned(node):
            if returns_rows_of(hit):
                continue  # the function it calls is reported (row summaries)
            where = f" ({route.path})" if route.path else ""
            message = (f"{route_kind(route)} '{route.name}'{where} returns every row of "
                       f"{_what(hit)} "
                       "with no limit, slice or pagination; page it (limit/offset, cursor "
                       "or page size).")
            # rows completed here from another module's query: its body is not in view
            doubts = hit_doubts(hit) + int(hit.query.kind == "via") + admin_doubts
            self.report(hit.node, message=message, confidence=_confidence(doubts),
                        through=list(hit.through), eq_columns=list(hit.query.eq_columns),
                        model=hit.query.model, via=hit.query.via, doubts=doubts,
                        admin=bool(admin_doubts))

    def _function(self, node: cst.FunctionDef) -> None:
        function = function_key(self.ctx)
        for hit in query_analyzer(self.ctx).returned(node):
            if returns_rows_of(hit):
                continue
            self.report(hit.node, function=function, module=self.ctx.module_name, what=_what(hit),
                        doubts=hit_doubts(hit) + int(hit.query.kind == "via"),
                        through=list(hit.through),
                        eq_columns=list(hit.query.eq_columns), model=hit.query.model,
                        via=hit.query.via)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        chains = RowChains.of(project)
        if chains.through_pager(data.get("through", [])) or _unique_filter(data, project):
            return None
        via = data.get("via")
        if via is not None and (helper_matches(via, project.config.pagination_helpers) or
                                not chains.returns_unbounded(via)):
            return None
        function = data.get("function")
        if function is None:
            return _weigh_growth(candidate, data.get("doubts"), project,
                                 admin=data.get("admin", False))
        routes = chains.routes_returning(data["module"], function)
        if not routes:
            return None
        chain, fact = min(routes, key=lambda r: (r[0] + r[1].value["doubts"], r[1].value["route"]))
        route = fact.value
        names = sorted({f"'{r[1].value['route']}'" for r in routes})
        others = f" (and {len(names) - 1} other route(s))" if len(names) > 1 else ""
        where = f" ({route['path']})" if route["path"] else ""
        qualified = ".".join(p for p in (function.get("class"), function["name"]) if p)
        message = (f"{qualified}() returns every row of {data['what']} with no limit, slice "
                   f"or pagination, and {route.get('kind', 'GET route')} "
                   f"'{route['route']}'{where} in "
                   f"{fact.module}{others} returns them; page the query (limit/offset, "
                   "cursor or page size).")
        doubts = data["doubts"] + route["doubts"] + int(chain > 0)
        return _weigh_growth(replace(candidate, message=message), doubts, project,
                             admin=route.get("admin", False))


def _unique_filter(data: dict, project: ProjectFacts) -> bool:
    """An equality filter on a column a model declares unique selects one row."""
    columns = set(data.get("eq_columns", []))
    if not columns:
        return False
    return any(f.value["column"] in columns and data.get("model") in (None, f.value["model"])
               for f in project.get("unique-column"))


def _what(hit: Hit) -> str:
    if hit.query.kind == "via":
        return f"the query {hit.query.via.lstrip('.')}() builds"
    what = _KIND_TEXT.get(hit.query.kind, "a query")
    return f"{what} on {hit.query.model}" if hit.query.model else what


def _weigh_growth(candidate: Candidate, doubts: int | None,
                  project: ProjectFacts, admin: bool = False) -> Candidate:
    """Whether the table grows with use. On the judged corpus every table whose rows only
    administrators add (challenges, settings groups, plugins) or that no route in view
    adds rows to (fixtures, signals, a serializer's generic save) was bounded in practice:
    two more doubts. A table an ordinary client's route adds rows to (sign-up, posting a
    book) grows: one doubt fewer, never above medium (how fast is not in view)."""
    if doubts is None:
        return candidate
    grows = growth(candidate.data.get("model"), project)
    admin_doubts = 2 if admin else 0  # an admin-only route's doubts stay whatever grows
    if grows == "client":
        doubts = max(doubts - admin_doubts - 1, 1) + admin_doubts
    else:
        doubts += 2
    return replace(candidate, confidence=_confidence(doubts))


def _confidence(doubts: int) -> str:
    return "high" if doubts == 0 else "medium" if doubts == 1 else "low"
