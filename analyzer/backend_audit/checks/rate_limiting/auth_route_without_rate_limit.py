"""BA1001: a login / token / password-reset / sign-up route has no rate limit on its path."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.auth import (
    AUTH_MIXIN,
    ProtectionFinder,
    decorators_authenticate,
    effectively_mutating,
    is_serializer_or_helper,
)
from backend_audit.appmodel.collectors.graphql import served_to_signed_in_only
from backend_audit.appmodel.graphql import LIBRARIES as GRAPHQL_LIBRARIES
from backend_audit.appmodel.names import decorator_call, dotted_name, get_arg
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.routes import DRF_GENERIC_METHODS, MUTATING, Route
from backend_audit.visitor import Candidate, Check

AUTH_ENDPOINT = re.compile(
    r"(login|log_in|logon|sign_?in|token|authenticate|password|passwd|reset|forgot|"
    r"register|sign_?up|otp|two_factor|2fa|mfa|verify_code|magic_link)", re.IGNORECASE)
LIMIT_NAME = re.compile(r"(limit|throttl|ratelimit)", re.IGNORECASE)
LIMIT_IN_BODY = re.compile(r"(rate_?limit|limiter\.|throttl|is_ratelimited|TooManyRequests|429)")
GLOBAL_FACT = "rate-limiting.global"


class AuthRouteWithoutRateLimit(Check):
    rule_id = "BA1001"
    requires_frameworks = frozenset({"flask", "fastapi", "django", "drf", "starlette", "aiohttp"})

    def visit_Call(self, node: cst.Call) -> None:
        """Record limits that cover every route: default limits, middleware, blueprints."""
        name = (self.ctx.imports.qualname(node.func) or dotted_name(node.func) or "")
        last = name.split(".")[-1]
        if last == "Limiter" and (get_arg(node, "default_limits") or
                                  get_arg(node, "application_limits")):
            self.ctx.add_fact(GLOBAL_FACT, {"kind": "default-limits"})
        elif last == "add_middleware" and node.args and \
                re.search(r"SlowAPI|RateLimit|Throttl", dotted_name(node.args[0].value) or ""):
            # slowapi's middleware, or the app's own (``RateLimitMiddleware``)
            self.ctx.add_fact(GLOBAL_FACT, {"kind": "middleware"})
        elif isinstance(node.func, cst.Call) and LIMIT_NAME.search(
                dotted_name(node.func.func) or "") and node.args:
            # limiter.limit("10/minute")(auth_bp): every route of the blueprint.
            target = dotted_name(node.args[0].value)
            if target:
                self.ctx.add_fact(GLOBAL_FACT, {"kind": "blueprint", "name": target})
                self.__dict__.setdefault("_limited_here", set()).add(target)

    def leave_Module(self, original_node: cst.Module) -> None:
        covered: set[int] = set()
        finder = ProtectionFinder(self.ctx)
        # ``limiter.limit(...)(bp)`` in this module, on the only blueprint it defines:
        # the class-based views it registers (no ``@bp.route`` receiver) are covered too.
        limited_here = self.__dict__.get("_limited_here", set())
        blueprints = {name for name, value in finder.assignments.items()
                      if isinstance(value, cst.Call) and
                      (dotted_name(value.func) or "").endswith("Blueprint")}
        whole_module = bool(limited_here) and blueprints <= limited_here
        for route in self.ctx.routes.routes:
            if route.view_class is not None:
                covered.add(id(route.view_class))
            if not effectively_mutating(route, self.ctx) or \
                    is_serializer_or_helper(route.view_class, self.ctx) or \
                    _acts_on_one_object(route) or not AUTH_ENDPOINT.search(_label(route)) or \
                    _secret_in_path(route) or _signed_in_only(route, self.ctx):
                continue
            exempt = any(d.endswith("exempt") and "csrf" not in d for d in route.decorators)
            if not exempt and (self._limited(route) or whole_module and
                               _receiver(route) in (None, *limited_here)):
                continue
            self.report(route.function.name, framework=route.framework, exempt=exempt,
                        receiver=_receiver(route))
        for view in self.ctx.routes.view_classes:
            # DRF generic views (CreateAPIView subclasses) that define no handler method.
            if id(view.node) in covered or view.framework != "drf" or \
                    is_serializer_or_helper(view.node, self.ctx) or \
                    not AUTH_ENDPOINT.search(view.node.name.value):
                continue
            methods = set().union(*(DRF_GENERIC_METHODS.get(b.split(".")[-1], set())
                                    for b in view.bases))
            code = self.ctx.module.code_for_node(view.node.body)
            if methods & MUTATING and not re.search(r"\b(throttle_classes|throttle_scope)\s*=",
                                                    code):
                self.report(view.node.name, framework="drf", exempt=False, receiver=None)

    def _limited(self, route: Route) -> bool:
        names = list(route.decorators)
        for dec in route.function.decorators:
            _, call = decorator_call(dec)
            deps = get_arg(call, "dependencies") if call is not None else None
            if deps is not None:
                names.append(self.ctx.module.code_for_node(deps.value))
        if route.view_class is not None:
            for dec in route.view_class.decorators:
                callee, _ = decorator_call(dec)
                names.append(dotted_name(callee) or "")
            code = self.ctx.module.code_for_node(route.view_class.body)
            if re.search(r"\b(throttle_classes|throttle_scope)\s*=", code):
                return True
        if any(LIMIT_NAME.search(n) for n in names):
            return True
        return bool(LIMIT_IN_BODY.search(self.ctx.module.code_for_node(route.function.body)))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if candidate.data.get("exempt"):
            return candidate
        framework = candidate.data.get("framework")
        if framework in GRAPHQL_LIBRARIES and served_to_signed_in_only(project):
            return None  # only signed-in callers reach the GraphQL endpoint at all
        for value in project.values(GLOBAL_FACT):
            if value.get("kind") in ("default-limits", "middleware") and \
                    framework in ("flask", "fastapi", "starlette"):
                return None
            if value.get("kind") == "blueprint" and value.get("name") == candidate.data.get(
                    "receiver"):
                return None
        if framework == "drf":
            for value in project.values("setting"):
                if value.get("name") == "REST_FRAMEWORK" and isinstance(value.get("value"), dict) \
                        and value["value"].get("DEFAULT_THROTTLE_CLASSES"):
                    return None
        return candidate


# Viewset actions on one stored object (``/tokens/<pk>/``): renaming or revoking an API
# token is managing a resource, not a credential check anyone can repeat to guess.
_OBJECT_ACTIONS = frozenset({"update", "partial_update", "destroy"})


def _acts_on_one_object(route: Route) -> bool:
    return route.framework == "drf" and route.view_class is not None and \
        route.function.name.value in _OBJECT_ACTIONS


# ``/reset/<token>``, ``/activate/{key}``: the secret is a high-entropy token in the URL,
# so there is nothing to guess by repeating the request.
_SECRET_SEGMENT = re.compile(r"[<{(][^>})]*\b(token|key|uid|code|signature)\w*[>})]",
                             re.IGNORECASE)


def _secret_in_path(route: Route) -> bool:
    return bool(route.path and _SECRET_SEGMENT.search(route.path))


def _signed_in_only(route: Route, ctx) -> bool:
    """Only a signed-in user reaches it (an auth decorator, mixin or permission class):
    renaming a token or resetting a dashboard is not a credential check a stranger can
    repeat. Parameter dependencies are not enough evidence here (a sign-in handler takes
    ``Depends(get_user_service)`` too)."""
    if decorators_authenticate(route.function.decorators, ctx):
        return True
    cls = route.view_class
    # the class's decorators and mixins only: an overridden ``dispatch`` may do anything
    return cls is not None and (decorators_authenticate(cls.decorators, ctx) or any(
        AUTH_MIXIN.search((dotted_name(b.value) or "").split(".")[-1]) for b in cls.bases))


def _label(route: Route) -> str:
    cls = route.view_class.name.value if route.view_class is not None else ""
    return f"{cls} {route.function.name.value} {route.path or ''}"


def _receiver(route: Route) -> str | None:
    """``auth_bp`` for a handler decorated with ``@auth_bp.post(...)``."""
    for dec in route.function.decorators:
        callee, _ = decorator_call(dec)
        if isinstance(callee, cst.Attribute):
            return dotted_name(callee.value)
    return None

