"""BA603: a state-changing route has no authentication while its siblings do."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.routes import DRF_GENERIC_METHODS, MUTATING, Route
from backend_audit.checks.auth_signals import (
    Protection,
    ProtectionFinder,
    effectively_mutating,
    is_serializer_or_helper,
)
from backend_audit.checks.base import Candidate, Check

# Endpoints that are public by nature: signing in, signing up, recovering an account,
# receiving webhooks (authenticated by signature), health probes.
PUBLIC_BY_NATURE = re.compile(
    r"(login|logout|log_in|sign_?in|sign_?up|register|token|password|reset|forgot|verify|"
    r"confirm|activate|webhook|callback|health|ping|oauth|refresh|subscribe|contact|public|"
    r"unsubscribe|invitation|accept_invite|feedback)", re.IGNORECASE)
DEFAULT_ALLOW_ANY = ("rest_framework.permissions.AllowAny", "AllowAny")


class MutatingRouteWithoutAuth(Check):
    rule_id = "BA603"
    requires_frameworks = frozenset({"flask", "fastapi", "django", "drf", "starlette", "aiohttp"})

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
        for node, mutating, protection, label in endpoints:
            if not mutating or id(node) in reported or PUBLIC_BY_NATURE.search(label):
                continue
            if protection in (Protection.NONE, Protection.DRF_DEFAULT):
                reported.add(id(node))
                self.report(node, drf_default=protection is Protection.DRF_DEFAULT)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
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


def _label(route: Route) -> str:
    """What the endpoint is called: handler, class and URL path."""
    cls = route.view_class.name.value if route.view_class is not None else ""
    return f"{cls} {route.function.name.value} {route.path or ''}"
