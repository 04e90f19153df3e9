"""BA603: a state-changing route has no authentication while its siblings do."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.auth import (
    Protection,
    ProtectionFinder,
    dependency_authenticates,
    effectively_mutating,
    is_serializer_or_helper,
)
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
    r"unsubscribe|invitation|accept_invite|feedback)", re.IGNORECASE)
FACT_GUARDED_ROUTER = "auth.guarded-router"
DEFAULT_ALLOW_ANY = ("rest_framework.permissions.AllowAny", "AllowAny")


class MutatingRouteWithoutAuth(Check):
    rule_id = "BA603"
    requires_frameworks = frozenset({"flask", "fastapi", "django", "drf", "starlette", "aiohttp",
                                     "graphene", "strawberry", "ariadne"})

    def leave_Module(self, original_node: cst.Module) -> None:
        finder = ProtectionFinder(self.ctx)
        endpoints: list[tuple[cst.CSTNode, bool, Protection, str]] = []
        covered: set[int] = set()
        for route in self.ctx.routes.routes:
            if route.view_class is not None:
                covered.add(id(route.view_class))
            if is_serializer_or_helper(route.view_class, self.ctx):
                continue
            endpoints.append((route.function.name, effectively_mutating(route, self.ctx),
                              finder.protection(route), _label(route)))
        for view in self.ctx.routes.view_classes:
            if id(view.node) in covered or view.framework != "drf" or \
                    is_serializer_or_helper(view.node, self.ctx):
                continue
            methods = set().union(*(DRF_GENERIC_METHODS.get(b.split(".")[-1], set())
                                    for b in view.bases))
            endpoints.append((view.node.name, bool(methods & MUTATING),
                              finder.class_protection(view.node), view.node.name.value))
        if not any(p is Protection.AUTHENTICATED for _, _, p, _ in endpoints):
            return
        reported: set[int] = set()
        receivers = {id(r.function.name): _receiver(r, self.ctx) for r in self.ctx.routes.routes}
        for node, mutating, protection, label in endpoints:
            if not mutating or id(node) in reported or PUBLIC_BY_NATURE.search(label):
                continue
            if protection in (Protection.NONE, Protection.DRF_DEFAULT):
                reported.add(id(node))
                self.report(node, drf_default=protection is Protection.DRF_DEFAULT,
                            receiver=receivers.get(id(node)))

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


def _same(defined: str, included: str) -> bool:
    return defined == included or defined.endswith("." + included) or \
        included.endswith("." + defined)


def _label(route: Route) -> str:
    """What the endpoint is called: handler, class and URL path."""
    cls = route.view_class.name.value if route.view_class is not None else ""
    return f"{cls} {route.function.name.value} {route.path or ''}"
