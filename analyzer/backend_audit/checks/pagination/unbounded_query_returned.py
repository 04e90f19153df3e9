"""BA501: a GET route returns every row of a query, with no limit, slice or page.

A route that reads its rows in the same module is reported at the query. When the rows
come from a function in another module (a repository, a service), the finding belongs
at that function's query too, so two facts link the modules:

- ``route-rows-function`` ``{"via", "route", "path", "doubts", "through"}``: a GET
  route returns what the imported function ``via`` returns;
- ``rows-function`` ``{"name", "class", "via", "doubts", "through"}``: a function
  returns what another imported function returns (a service over a repository).

Every module-level function or method that returns unbounded rows is a candidate at
its query; ``resolve`` keeps it only when a GET route somewhere returns its rows,
directly or through such a chain, and names the route(s) in the message.

A function may instead return an unfinished query that the caller completes
(``crud.subscribers(db).all()``): then the caller's ``.all()`` is the unbounded read and
is reported there, kept only when an ``unbounded-query-function`` fact
``{"name", "class"}`` says the imported function's query has no bound.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.auth import admin_only
from backend_audit.appmodel.model_growth import growth
from backend_audit.appmodel.names import dotted_name, get_arg
from backend_audit.appmodel.project import Fact, ProjectFacts
from backend_audit.appmodel.routes import Route
from backend_audit.flow.budget import MAX_CALLS
from backend_audit.flow.calls import names_match
from backend_audit.sql.bounds import (
    PAGE_TYPES,
    Hit,
    QueryAnalyzer,
    helper_matches,
    is_lookup_model,
    is_paging_name,
)
from backend_audit.visitor import Candidate, Check

_KIND_TEXT = {
    "sqlalchemy": "a SQLAlchemy query", "django": "a Django queryset", "mongo": "a Mongo find()",
    "sql": "a SQL SELECT", "paged": "a query", "tortoise": "a Tortoise ORM query",
}


class UnboundedQueryReturned(Check):
    rule_id = "BA501"
    skips_migrations = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._analyzer: QueryAnalyzer | None = None

    def _hits(self, node: cst.FunctionDef) -> list[Hit]:
        if self._analyzer is None:
            self._analyzer = QueryAnalyzer(self.ctx)
        return [h for h in self._analyzer.hits(node) if not is_lookup_model(h.query.model)]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = self.ctx.routes.route_for(node)
        if route is not None:
            if "GET" in route.methods and not _paginated_route(route):
                self._route(node, route)
        elif self._callable_from_outside() is node:
            self._function(node)

    def _callable_from_outside(self) -> cst.FunctionDef | None:
        """The enclosing function when it is module-level or a method (not nested)."""
        if len(self.ctx.function_stack) != 1 or len(self.ctx.class_stack) > 1:
            return None
        return self.ctx.function_stack[0]

    def _route(self, node: cst.FunctionDef, route: Route) -> None:
        # Admin areas list whole tables on purpose (few, trusted users).
        admin_doubts = 2 * admin_only(route)
        for hit in self._hits(node):
            if hit.query.kind == "via" and not hit.query.applied:
                self.ctx.add_fact("route-rows-function", {
                    "via": hit.query.via, "route": route.name, "path": route.path or "",
                    "doubts": _doubts(hit) + admin_doubts, "admin": bool(admin_doubts),
                    "kind": _kind(route),
                    "through": list(hit.through)})
                continue
            where = f" ({route.path})" if route.path else ""
            message = (f"{_kind(route)} '{route.name}'{where} returns every row of "
                       f"{_what(hit)} "
                       "with no limit, slice or pagination; page it (limit/offset, cursor "
                       "or page size).")
            # rows completed here from another module's query: its body is not in view
            doubts = _doubts(hit) + int(hit.query.kind == "via") + admin_doubts
            self.report(hit.node, message=message, confidence=_confidence(doubts),
                        through=list(hit.through), eq_columns=list(hit.query.eq_columns),
                        model=hit.query.model, via=hit.query.via, doubts=doubts,
                        admin=bool(admin_doubts))

    def _function(self, node: cst.FunctionDef) -> None:
        if not self.ctx.flow(node).returns:
            return
        class_name = self.ctx.class_stack[-1].name.value if self.ctx.class_stack else None
        function = {"name": node.name.value, "class": class_name}
        recorded = False
        for hit in self._hits(node):
            if hit.query.kind == "via" and not hit.query.applied:
                self.ctx.add_fact("rows-function", {
                    **function, "via": hit.query.via, "doubts": _doubts(hit),
                    "through": list(hit.through)})
                continue
            if hit.query.kind != "via" and not recorded:
                recorded = True
                self.ctx.add_fact("unbounded-query-function", function)
            self.report(hit.node, function=function, module=self.ctx.module_name, what=_what(hit),
                        doubts=_doubts(hit) + int(hit.query.kind == "via"),
                        through=list(hit.through),
                        eq_columns=list(hit.query.eq_columns), model=hit.query.model,
                        via=hit.query.via)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        index = _FactIndex.of(project)
        if index.through_pager(data.get("through", [])) or _unique_filter(data, project):
            return None
        via = data.get("via")
        if via is not None and (helper_matches(via, project.config.pagination_helpers) or not any(
                _fact_matches(via, f.module, f.value)
                for f in index.named("unbounded-query-function", via))):
            return None
        function = data.get("function")
        if function is None:
            return _weigh_growth(candidate, data.get("doubts"), project,
                                 admin=data.get("admin", False))
        routes = _routes_returning(data["module"], function, index)
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


class _FactIndex:
    """The facts ``resolve`` reads, indexed once per scan.

    A function fact can only match a ``via`` whose last name is the function's name
    (see ``_fact_matches``), so facts are grouped by that name: resolving each of a large
    project's candidates against every chain and route fact was quadratic (pretix: 2.9
    million matches, 2.8 s).
    """

    KEY = "BA501"

    def __init__(self, project: ProjectFacts) -> None:
        self.project = project
        self._by_name: dict[str, dict[str, list[Fact]]] = {}  # fact key -> name -> facts
        self._pager: dict[tuple[str, ...], bool] = {}

    @classmethod
    def of(cls, project: ProjectFacts) -> _FactIndex:
        index = project.memo.get(cls.KEY)
        if index is None:
            index = project.memo[cls.KEY] = cls(project)
        return index

    def named(self, key: str, qual: str) -> list[Fact]:
        """Facts under ``key`` describing a function whose name ends ``qual``."""
        groups = self._by_name.get(key)
        if groups is None:
            groups = self._by_name[key] = {}
            field_name = "via" if key in _VIA_KEYED else "name"
            for fact in self.project.get(key):
                groups.setdefault(fact.value[field_name].split(".")[-1], []).append(fact)
        return groups.get(qual.split(".")[-1], [])

    def through_pager(self, through: list[str]) -> bool:
        key = tuple(through)
        found = self._pager.get(key)
        if found is None:
            found = self._pager[key] = _through_pager(through, self.project)
        return found


# Facts that name the function they depend on in ``via`` (the others in ``name``).
_VIA_KEYED = frozenset({"rows-function", "route-rows-function"})


def _routes_returning(module: str, function: dict, index: _FactIndex
                      ) -> list[tuple[int, Fact]]:
    """(chain length, route fact) of every GET route whose rows come from ``function``."""
    targets: list[tuple[int, str, dict]] = [(0, module, function)]
    seen = {(module, function.get("class"), function["name"])}
    pos = 0
    while pos < len(targets) and len(targets) < 50:
        depth, mod, value = targets[pos]
        pos += 1
        if depth >= MAX_CALLS:
            continue
        for fact in index.named("rows-function", value["name"]):
            key = (fact.module, fact.value["class"], fact.value["name"])
            if key not in seen and not index.through_pager(fact.value["through"]) and \
                    _fact_matches(fact.value["via"], mod, value):
                seen.add(key)
                targets.append((depth + 1, fact.module, fact.value))
    # The first target (shortest chain) each route fact matches, in the facts' order.
    first: dict[int, int] = {}
    for t, (_depth, mod, value) in enumerate(targets):
        for fact in index.named("route-rows-function", value["name"]):
            if id(fact) not in first and not index.through_pager(fact.value["through"]) and \
                    _fact_matches(fact.value["via"], mod, value):
                first[id(fact)] = t
    return [(targets[first[id(f)]][0], f) for f in index.project.get("route-rows-function")
            if id(f) in first]


def _through_pager(through: list[str], project: ProjectFacts) -> bool:
    """Did the rows pass through one of the project's (or the user's) pagination helpers?"""
    helpers = project.get("pagination-helper")
    return any(helper_matches(qual, project.config.pagination_helpers) or
               any(_fact_matches(qual, f.module, f.value) or _inherited(qual, f.module, f.value)
                   for f in helpers)
               for qual in through)


def _inherited(qual: str, module: str, value: dict) -> bool:
    """``User.page_of(...)``: a paging method a model inherits from a mixin defined beside
    it (``class User(CollectionMixin, db.Model)``): the same method name on a class of the
    module that defines the paging one."""
    owner, _, method = qual.lstrip(".").rpartition(".")
    return bool(value.get("class")) and method == value["name"] and "." in owner and \
        names_match(module, owner.rpartition(".")[0])


def _unique_filter(data: dict, project: ProjectFacts) -> bool:
    """An equality filter on a column a model declares unique selects one row."""
    columns = set(data.get("eq_columns", []))
    if not columns:
        return False
    return any(f.value["column"] in columns and data.get("model") in (None, f.value["model"])
               for f in project.get("unique-column"))


def _fact_matches(qual: str, module: str, value: dict) -> bool:
    """Does ``qual`` (as imported, maybe relative) name the function a fact describes?"""
    parts = [p for p in (module, value.get("class"), value["name"]) if p]
    full = ".".join(parts)
    bare = qual.lstrip(".")
    if "." not in bare:
        return False
    return names_match(full, bare) or (
        # ``from .services import Svc`` seen from a sibling package resolves shorter
        bare.split(".")[-2:] == full.split(".")[-2:])


def _kind(route: Route) -> str:
    """How the message names the endpoint: a GraphQL field is no GET route."""
    return "GraphQL field" if route.graphql is not None else "GET route"


def _what(hit: Hit) -> str:
    if hit.query.kind == "via":
        return f"the query {hit.query.via.lstrip('.')}() builds"
    what = _KIND_TEXT.get(hit.query.kind, "a query")
    return f"{what} on {hit.query.model}" if hit.query.model else what


def _doubts(hit: Hit) -> int:
    """Reasons to doubt the finding: an unknown helper or a template between the query
    and the response; rows scoped by an equality filter on a value of the request (one
    parent's children) count twice: on the judged real-code corpus such sets were bounded
    in practice every time. Rows scoped only by the requesting user (their tasks, their
    orders) count once: they grow with that user's own use."""
    if not hit.query.filtered:
        return len(set(hit.doubts))
    return len(set(hit.doubts)) + (1 if hit.query.owned else 2)


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
