"""BA603: a state-changing route has no authentication while its siblings do."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.auth import (
    Protection,
    ProtectionFinder,
    dependencies_authenticate,
    dependency_authenticates,
    effectively_mutating,
    is_serializer_or_helper,
    route_dependencies,
)
from backend_audit.appmodel.class_handlers import inherited_check
from backend_audit.appmodel.collectors.apps import FACT_AUTH_MIDDLEWARE
from backend_audit.appmodel.collectors.graphql import served_to_signed_in_only
from backend_audit.appmodel.graphql import LIBRARIES as GRAPHQL_LIBRARIES
from backend_audit.appmodel.names import decorator_call, dotted_name, get_arg, last_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.routes import DRF_GENERIC_METHODS, MUTATING, Route
from backend_audit.sql.sinks import absolute
from backend_audit.visitor import Candidate, Check

# Endpoints that are public by nature: signing in, signing up, recovering an account,
# receiving webhooks (authenticated by signature), health probes.
PUBLIC_BY_NATURE = re.compile(
    r"(login|logout|log_in|sign_?in|sign_?up|register|token|password|reset|forgot|verify|"
    r"confirm|activate|webhook|callback|health|ping|oauth|refresh|subscribe|contact|public|"
    r"unsubscribe|invitation|invite|accept_invite|feedback|saml|sso|oidc|openid|"
    r"/auth/|/setup\b|first_install)", re.IGNORECASE)
# POST endpoints that compute an answer and store nothing: searching, previewing,
# decoding, converting. POST carries their input; nothing changes.
READ_ONLY_BY_NATURE = re.compile(r"(search|preview|decode|conver(t|sion)|lookup|calculate|"
                                 r"estimate|quote\b)", re.IGNORECASE)
FACT_GUARDED_ROUTER = "auth.guarded-router"
DEFAULT_ALLOW_ANY = ("rest_framework.permissions.AllowAny", "AllowAny")


class MutatingRouteWithoutAuth(Check):
    rule_id = "BA603"
    requires_frameworks = frozenset({"flask", "fastapi", "django", "drf", "starlette", "aiohttp",
                                     "graphene", "strawberry", "ariadne"})

    def leave_Module(self, original_node: cst.Module) -> None:
        finder = ProtectionFinder(self.ctx)
        endpoints: list[tuple[cst.CSTNode, bool, Protection, str]] = []
        deps: dict[int, list[str]] = {}
        frameworks: dict[int, str] = {}
        public: dict[int, bool] = {}
        covered: set[int] = set()
        # Request-handler classes whose access check is in a base class of another
        # module: the project's facts say whether one of those bases checks the caller.
        inherits: dict[int, list[str]] = {}
        for route in self.ctx.routes.routes:
            if route.view_class is not None:
                covered.add(id(route.view_class))
            if is_serializer_or_helper(route.view_class, self.ctx):
                continue
            protection = finder.protection(route)
            endpoints.append((route.function.name, effectively_mutating(route, self.ctx),
                              protection, _label(route)))
            if protection is Protection.INHERITED and route.view_class is not None:
                inherits[id(route.function.name)] = finder.inherited_bases(route.view_class)
            deps[id(route.function.name)] = route_dependencies(route, self.ctx, finder.assignments)
            frameworks[id(route.function.name)] = route.framework
            public[id(route.function.name)] = _marked_public(
                (route.function, route.view_class), self.ctx)
        for view in self.ctx.routes.view_classes:
            if id(view.node) in covered or view.framework != "drf" or \
                    is_serializer_or_helper(view.node, self.ctx):
                continue
            methods = set().union(*(DRF_GENERIC_METHODS.get(b.split(".")[-1], set())
                                    for b in view.bases))
            endpoints.append((view.node.name, bool(methods & MUTATING),
                              finder.class_protection(view.node), view.node.name.value))
            frameworks[id(view.node.name)] = view.framework
            public[id(view.node.name)] = _marked_public((view.node,), self.ctx)
        # The rule needs a sibling that authenticates: seen here, or (resolved against
        # the project's facts) through a dependency defined in another module.
        sibling_auth = any(p is Protection.AUTHENTICATED for _, _, p, _ in endpoints)
        if not sibling_auth and not any(deps.values()) and not inherits:
            return
        reported: set[int] = set()
        receivers = {id(r.function.name): _receiver(r, self.ctx) for r in self.ctx.routes.routes}
        for node, mutating, protection, label in endpoints:
            if not mutating or id(node) in reported or PUBLIC_BY_NATURE.search(label) or \
                    READ_ONLY_BY_NATURE.search(label):
                continue
            if protection in (Protection.NONE, Protection.DRF_DEFAULT, Protection.INHERITED):
                reported.add(id(node))
                self.report(node, drf_default=protection is Protection.DRF_DEFAULT,
                            receiver=receivers.get(id(node)), deps=deps.get(id(node), []),
                            framework=frameworks.get(id(node)),
                            login_not_required=public.get(id(node), False),
                            sibling_deps=None if sibling_auth else sorted(
                                {d for key, names in deps.items() if key != id(node)
                                 for d in names}),
                            inherits=inherits.get(id(node)),
                            sibling_inherits=None if sibling_auth else [
                                bases for key, bases in sorted(inherits.items())
                                if key != id(node)])

    def visit_Call(self, node: cst.Call) -> None:
        """``app.include_router(router)`` on an app or router that authenticates, or with
        auth ``dependencies=`` of its own: every route of ``router`` is protected, wherever
        it is defined (a fact for the modules that define routers)."""
        if last_name(node.func) != "include_router" or not node.args or \
                not isinstance(node.func, cst.Attribute):
            return
        finder = self._finder()
        owner = node.func.value
        deps = get_arg(node, "dependencies")
        guarded = isinstance(owner, cst.Name) and owner.value in finder.guarded_receivers or \
            deps is not None and dependency_authenticates(deps.value, self.ctx,
                                                          finder.assignments)
        router = self.ctx.imports.qualname(node.args[0].value) or \
            dotted_name(node.args[0].value)
        if guarded and router:
            self.ctx.add_fact(FACT_GUARDED_ROUTER,
                              absolute(router, self.ctx.path) if router.startswith(".")
                              else router)

    def _finder(self) -> ProtectionFinder:
        if "_protection" not in self.__dict__:
            self.__dict__["_protection"] = ProtectionFinder(self.ctx)
        return self.__dict__["_protection"]

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        receiver = candidate.data.get("receiver")
        if receiver and any(_same(receiver, guarded)
                            for guarded in project.values(FACT_GUARDED_ROUTER)):
            return None  # included by an app or router whose dependencies authenticate
        if dependencies_authenticate(candidate.data.get("deps", []), project):
            return None  # a dependency defined elsewhere, or its sub-dependency, does
        inherits = candidate.data.get("inherits")
        if inherits is not None and inherited_check(inherits, project) is not False:
            return None  # a base class checks the caller, or is not known to the scan
        siblings = candidate.data.get("sibling_deps")
        if siblings is not None and not dependencies_authenticate(siblings, project) and \
                not any(inherited_check(bases, project)
                        for bases in candidate.data.get("sibling_inherits") or ()):
            return None  # no sibling authenticates either: nothing says this one should
        framework = candidate.data.get("framework")
        if framework in GRAPHQL_LIBRARIES and served_to_signed_in_only(project):
            return None  # the GraphQL endpoint itself answers signed-in callers only
        if framework in ("django", "drf"):
            if not candidate.data.get("login_not_required") and _login_required_site(project):
                return None  # Django's LoginRequiredMiddleware (5.1) or a custom one
        elif framework and any(framework in fact.get("frameworks", ())
                               for fact in project.values(FACT_AUTH_MIDDLEWARE)):
            return None  # an app-wide middleware authenticates every request
        if not candidate.data.get("drf_default"):
            return candidate
        # A DRF view without permission_classes gets DEFAULT_PERMISSION_CLASSES.
        for value in project.values("setting"):
            if value.get("name") != "REST_FRAMEWORK" or not isinstance(value.get("value"), dict):
                continue
            defaults = value["value"].get("DEFAULT_PERMISSION_CLASSES")
            if isinstance(defaults, list) and defaults and not all(
                    isinstance(d, str) and d.endswith(DEFAULT_ALLOW_ANY) for d in defaults):
                return None
        return candidate


def _receiver(route: Route, ctx) -> str | None:
    """``pkg.api.orders.router`` for a route declared with ``@router.post(...)``."""
    for dec in route.function.decorators:
        callee, _ = decorator_call(dec)
        if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name):
            name = callee.value.value
            module = ctx.module_name
            return f"{module}.{name}" if module else name
    return None


# Middleware that makes every Django view require a signed-in user unless exempted.
_LOGIN_REQUIRED_MIDDLEWARE = re.compile(r"(LoginRequired|RequireLogin|AuthRequired|"
                                        r"RequireAuth)\w*Middleware$")


def _login_required_site(project: ProjectFacts) -> bool:
    for value in project.values("setting"):
        if value.get("name") == "MIDDLEWARE" and isinstance(value.get("value"), list):
            return any(isinstance(m, str) and _LOGIN_REQUIRED_MIDDLEWARE.search(m)
                       for m in value["value"])
    return False


def _marked_public(holders, ctx) -> bool:
    """``@login_not_required`` on the view, or ``method_decorator(login_not_required)``
    on its class: exempt from LoginRequiredMiddleware."""
    return any("login_not_required" in ctx.module.code_for_node(d)
               for holder in holders if holder is not None for d in holder.decorators)


def _same(defined: str, included: str) -> bool:
    return defined == included or defined.endswith("." + included) or \
        included.endswith("." + defined)


def _label(route: Route) -> str:
    """What the endpoint is called: handler, class and URL path."""
    cls = route.view_class.name.value if route.view_class is not None else ""
    return f"{cls} {route.function.name.value} {route.path or ''}"
