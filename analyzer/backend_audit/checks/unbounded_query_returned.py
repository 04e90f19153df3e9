"""BA501: a GET route returns every row of a query, with no limit, slice or page."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import dotted_name, get_arg
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.routes import Route
from backend_audit.checks._query_bounds import (
    PAGE_TYPES,
    Hit,
    QueryAnalyzer,
    helper_matches,
    is_lookup_model,
    is_paging_name,
)
from backend_audit.checks.base import Candidate, Check

_KIND_TEXT = {
    "sqlalchemy": "a SQLAlchemy query", "django": "a Django queryset", "mongo": "a Mongo find()",
    "sql": "a SQL SELECT", "via": "a query helper", "paged": "a query",
    "tortoise": "a Tortoise ORM query",
}


class UnboundedQueryReturned(Check):
    rule_id = "BA501"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._analyzer: QueryAnalyzer | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = self.ctx.routes.route_for(node)
        if route is None or "GET" not in route.methods or _paginated_route(route):
            return
        if self._analyzer is None:
            self._analyzer = QueryAnalyzer(self.ctx)
        class_name = route.view_class.name.value if route.view_class is not None else None
        scope = self._analyzer.scope(node, class_name)
        hits: dict[int, Hit] = {}
        for ret in scope.flow.returns:
            for hit in self._analyzer.reach(ret, scope):
                hits.setdefault(id(hit.node), hit)
        for hit in hits.values():
            if is_lookup_model(hit.query.model):
                continue
            self._report(hit, route)

    def _report(self, hit: Hit, route: Route) -> None:
        q = hit.query
        where = f" {route.path}" if route.path else ""
        what = _KIND_TEXT.get(q.kind, "a query")
        if q.model:
            what += f" on {q.model}"
        if q.kind == "via":
            message = (f"GET route '{route.name}'{where} returns the rows of {q.via}(), which "
                       "loads every matching row with no limit or pagination.")
        else:
            message = (f"GET route '{route.name}'{where} returns every row of {what} with no "
                       "limit, slice or pagination; page it (limit/offset, cursor or page "
                       "size).")
        doubts = len(set(hit.doubts)) + int(q.filtered) + int(q.kind == "via") + int(q.grouped)
        confidence = "high" if doubts == 0 else "medium" if doubts == 1 else "low"
        self.report(hit.node, message=message, confidence=confidence,
                    route=route.name, via=q.via, through=list(hit.through),
                    eq_columns=list(q.eq_columns), model=q.model)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        helpers = [(f.module, f.value) for f in project.get("pagination-helper")]
        for qual in data.get("through", []):
            if helper_matches(qual, project.config.pagination_helpers) or \
                    any(_fact_matches(qual, module, value) for module, value in helpers):
                return None
        via = data.get("via")
        if via is not None:
            if helper_matches(via, project.config.pagination_helpers):
                return None
            if not any(_fact_matches(via, f.module, f.value)
                       for f in project.get("unbounded-query-function")):
                return None
        columns = set(data.get("eq_columns", []))
        if columns:
            for fact in project.get("unique-column"):
                value = fact.value
                if value["column"] in columns and (
                        data.get("model") in (None, value["model"])):
                    return None
        return candidate


def _fact_matches(qual: str, module: str, value: dict) -> bool:
    """Does ``qual`` (as imported, maybe relative) name the function a fact describes?"""
    parts = [p for p in (module, value.get("class"), value["name"]) if p]
    full = ".".join(parts)
    bare = qual.lstrip(".")
    if "." not in bare:
        return False
    return full == bare or full.endswith("." + bare) or (
        # ``from .services import Svc`` seen from a sibling package resolves shorter
        bare.split(".")[-2:] == full.split(".")[-2:])


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
