"""BA1001: a login / token / password-reset / sign-up route has no rate limit on its path."""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.auth import (
    AUTH_MIXIN,
    ProtectionFinder,
    decorators_authenticate,
    does_credential_work,
    effectively_mutating,
    is_serializer_or_helper,
    refuses_strangers,
    route_dependencies,
)
from backend_audit.appmodel.collectors.graphql import served_to_signed_in_only
from backend_audit.appmodel.graphql import LIBRARIES as GRAPHQL_LIBRARIES
from backend_audit.appmodel.names import decorator_call, dotted_name, get_arg
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.route_tables import FACT_TABLE_ROUTE, served_by_table, table_entry
from backend_audit.appmodel.routes import DRF_GENERIC_METHODS, MUTATING, Route
from backend_audit.engines.walk import descendants, own_returns
from backend_audit.flow.calls import names_match
from backend_audit.visitor import Candidate, Check

AUTH_ENDPOINT = re.compile(
    r"(login|log_in|logon|sign_?in|token|authenticate|password|passwd|forgot|"
    r"register|sign_?up|otp|two_factor|2fa|mfa|verify_code|magic_link)", re.IGNORECASE)
# "reset" names a password reset only beside an account word (``/auth/reset``,
# ``reset_credentials``); alone it resets a DNS plugin, a dashboard or a webhook secret.
RESET = re.compile(r"reset", re.IGNORECASE)
ACCOUNT_WORD = re.compile(r"pass|pwd|forgot|account|auth|credential|login", re.IGNORECASE)
LIMIT_NAME = re.compile(r"(limit|throttl|ratelimit)", re.IGNORECASE)
# A FastAPI dependency named for limiting (``Depends(LoginRateLimiter(...))``): stricter
# than a decorator's name, as a dependency may well be ``page_limit``.
LIMITER_NAME = re.compile(r"(?i)rate_?limit|throttl|limiter")
LIMIT_IN_BODY = re.compile(r"(rate_?limit|limiter\.|throttl|is_ratelimited|TooManyRequests|429)")
# A middleware (or middleware factory) that limits every request: slowapi's, asgi-ratelimit's
# ``RateLimitMiddleware``, ``rate_limit.get_middleware``, an aiohttp ``throttle_middleware``.
LIMITER_MIDDLEWARE = re.compile(r"(?i)rate_?limit|throttl|slowapi|limiter")
# Sign-in proper: what an account lockout after repeated failures protects.
SIGN_IN = re.compile(r"(login|log_in|logon|sign_?in|token|authenticat)", re.IGNORECASE)
# The handler itself stops after repeated failures (or answers the lockout it meets).
LOCKOUT_IN_BODY = re.compile(r"(?i)locked_?out|is_locked|lock_(user|account)|HTTP_423|"
                             r"max_(login_)?attempts|(attem|tries|fail)\w*\s*\+=")
# A counter of failed sign-ins incremented anywhere in the app (``user.login_attempts += 1``,
# ``profile.failed_logins += 1``): the app locks accounts (fact LOCKOUT_FACT).
FAILURE_COUNTER = re.compile(r"(?i)(login|signin|sign_in|password|auth)_?\w*(attem|tries|fail)|"
                             r"fail\w*_(login|attempt|signin|auth)|failed_?attempts")
_TABLE_OR_COUNTER = re.compile(r"\.add_(post|put|patch|delete|route)\(|\.incr(by)?\(|"
                               r"(?i:attem|tries|fail)\w*\s*\+=")
GLOBAL_FACT = "rate-limiting.global"
LOCKOUT_FACT = "rate-limiting.lockout"
# A module-level function or class (its ``__call__``) whose body limits the requests it
# sees (counts them, answers 429): as a FastAPI dependency it is the route's rate limit.
# Value: its qualified name.
LIMITER_DEPENDENCY_FACT = "rate-limiting.limiter-dependency"
# Cheap test of a module's text before its functions are read one by one.
_MAY_LIMIT = re.compile(r"(?i)rate_?limit|throttl|limiter|429|TooMany")
REQUEST_PARAMS = frozenset({"request", "req"})


class AuthRouteWithoutRateLimit(Check):
    rule_id = "BA1001"
    skips_migrations = True  # a migration serves no request
    # Not ``requires_frameworks``: a module of routing tables (``app.router.add_post(...)``)
    # or an account-lockout counter need not import a framework (``applies_to``).
    frameworks_served = frozenset({"flask", "fastapi", "django", "drf", "starlette", "aiohttp"})

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return bool(cls.frameworks_served & ctx.frameworks) or \
            bool(_TABLE_OR_COUNTER.search(ctx.source))

    def visit_Call(self, node: cst.Call) -> None:
        """Record limits that cover every route: default limits, middleware, blueprints."""
        name = (self.ctx.imports.qualname(node.func) or dotted_name(node.func) or "")
        last = name.split(".")[-1]
        if last == "Limiter" and (get_arg(node, "default_limits") or
                                  get_arg(node, "application_limits")):
            self.ctx.add_fact(GLOBAL_FACT, {"kind": "default-limits"})
        elif last in ("add_middleware", "Middleware") and node.args and \
                LIMITER_MIDDLEWARE.search(dotted_name(node.args[0].value) or ""):
            # slowapi's middleware, or the app's own (``RateLimitMiddleware``)
            self.ctx.add_fact(GLOBAL_FACT, {"kind": "middleware"})
        elif last == "Application" and "aiohttp" in self.ctx.frameworks:
            middlewares = get_arg(node, "middlewares")
            if middlewares is not None and any(
                    LIMITER_MIDDLEWARE.search(dotted_name(m) or "") for m in
                    _elements(middlewares.value)):
                self.ctx.add_fact(GLOBAL_FACT, {"kind": "middleware"})
        elif last == "append" and (dotted_name(node.func) or "").endswith("middlewares.append") \
                and node.args and LIMITER_MIDDLEWARE.search(dotted_name(node.args[0].value) or ""):
            self.ctx.add_fact(GLOBAL_FACT, {"kind": "middleware"})
        elif isinstance(node.func, cst.Call) and LIMIT_NAME.search(
                dotted_name(node.func.func) or "") and node.args:
            # limiter.limit("10/minute")(auth_bp): every route of the blueprint.
            target = dotted_name(node.args[0].value)
            if target:
                self.ctx.add_fact(GLOBAL_FACT, {"kind": "blueprint", "name": target})
                self.__dict__.setdefault("_limited_here", set()).add(target)
        entry = table_entry(node, self.ctx)
        if entry is not None and set(entry.methods) & (MUTATING | {"*"}):
            self.ctx.add_fact(FACT_TABLE_ROUTE, {
                "handler": entry.handler, "package": entry.package,
                "methods": list(entry.methods), "path": entry.path, "wrapper": entry.wrapper})
            self.__dict__.setdefault("_table_paths", {}).setdefault(entry.handler, entry.path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """An aiohttp middleware that counts or paces requests limits every route."""
        if any(dotted_name(decorator_call(d)[0]) in ("web.middleware", "middleware")
               for d in node.decorators) and self._limits(node.body):
            self.ctx.add_fact(GLOBAL_FACT, {"kind": "middleware"})

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = dotted_name(node.target) or ""
        if isinstance(node.operator, cst.AddAssign) and \
                FAILURE_COUNTER.search(target.split(".")[-1]):
            self.ctx.add_fact(LOCKOUT_FACT, {"counter": target})

    def leave_Module(self, original_node: cst.Module) -> None:
        self._record_limiter_dependencies()
        covered: set[int] = set()
        finder = ProtectionFinder(self.ctx)
        # ``limiter.limit(...)(bp)`` in this module, on the only blueprint it defines:
        # the class-based views it registers (no ``@bp.route`` receiver) are covered too.
        limited_here = self.__dict__.get("_limited_here", set())
        blueprints = {name for name, value in finder.assignments.items()
                      if isinstance(value, cst.Call) and
                      (dotted_name(value.func) or "").endswith("Blueprint")}
        whole_module = bool(limited_here) and blueprints <= limited_here
        # ``app.router.add_post("/auth/token", issue)`` here: the path the model leaves out
        paths = self.__dict__.get("_table_paths", {})
        for route in self.ctx.routes.routes:
            if route.view_class is not None:
                covered.add(id(route.view_class))
            label = _label(route)
            if route.path is None and route.view_class is None:
                label += " " + (paths.get(f"{self.ctx.module_name}.{route.function.name.value}")
                                or "")
            if not effectively_mutating(route, self.ctx) or \
                    is_serializer_or_helper(route.view_class, self.ctx) or \
                    _acts_on_one_object(route) or not _auth_endpoint(label) or \
                    _secret_in_path(route) or _signed_in_only(route, self.ctx) or \
                    self._nothing_to_guess_in(route.function, label) or \
                    self._answers_once(route.function, label):
                continue
            exempt = any(d.endswith("exempt") and "csrf" not in d for d in route.decorators)
            dependencies = self._dependencies(route, finder)
            if not exempt and (self._limited(route) or whole_module and
                               _receiver(route) in (None, *limited_here) or
                               self._locks_out(route.function, label) or
                               any(LIMITER_NAME.search(d.rsplit(".", 1)[-1])
                                   for d in dependencies)):
                continue
            self.report(route.function.name, framework=route.framework, exempt=exempt,
                        receiver=_receiver(route), signin=bool(SIGN_IN.search(label)),
                        dependencies=dependencies,
                        confidence=self._evidence(route.function, route.view_class))
        self._table_handlers()
        for view in self.ctx.routes.view_classes:
            # DRF generic views (CreateAPIView subclasses) that define no handler method.
            if id(view.node) in covered or view.framework != "drf" or \
                    is_serializer_or_helper(view.node, self.ctx) or \
                    not _auth_endpoint(view.node.name.value):
                continue
            methods = set().union(*(DRF_GENERIC_METHODS.get(b.split(".")[-1], set())
                                    for b in view.bases))
            code = self.ctx.module.code_for_node(view.node.body)
            if methods & MUTATING and not re.search(r"\b(throttle_classes|throttle_scope)\s*=",
                                                    code):
                self.report(view.node.name, framework="drf", exempt=False, receiver=None,
                            confidence=self._evidence(None, view.node))

    def _dependencies(self, route: Route, finder: ProtectionFinder) -> list[str]:
        """What the route's FastAPI dependencies call (``appmodel.auth``)."""
        if "fastapi" not in self.ctx.frameworks:
            return []
        return route_dependencies(route, self.ctx, finder.assignments)

    def _record_limiter_dependencies(self) -> None:
        """Fact ``LIMITER_DEPENDENCY_FACT`` for each module-level function, and each
        module-level class with a ``__call__``, whose body limits requests."""
        if not _MAY_LIMIT.search(self.ctx.source):
            return
        module = self.ctx.module_name
        for stmt in self.ctx.module.body:
            body: cst.BaseSuite | None = None
            if isinstance(stmt, cst.FunctionDef):
                body = stmt.body
            elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                body = next((s.body for s in stmt.body.body if isinstance(s, cst.FunctionDef)
                             and s.name.value == "__call__"), None)
            if body is not None and self._limits(body):
                name = stmt.name.value
                self.ctx.add_fact(LIMITER_DEPENDENCY_FACT,
                                  f"{module}.{name}" if module else name)

    def _table_handlers(self) -> None:
        """aiohttp / Starlette handlers no route of this module serves: a routing table
        in another module (or a ``web.post(...)`` entry here) may; ``resolve`` decides."""
        frameworks = {"aiohttp", "starlette"} & self.ctx.frameworks
        if not frameworks or not _auth_endpoint(self.ctx.source):
            return  # the table's path may name it, but no sign-in handler lives here
        framework = "aiohttp" if "aiohttp" in frameworks else "starlette"
        module = self.ctx.module_name
        for cls, fn in _plain_handlers(self.ctx.module):
            if self.ctx.routes.route_for(fn) is not None:
                continue
            owner = f"{cls.name.value}." if cls is not None else ""
            label = f"{owner}{fn.name.value}"
            if self._limited_function(fn) or self._locks_out(fn, label) or \
                    decorators_authenticate(fn.decorators, self.ctx) or cls is not None and \
                    decorators_authenticate(cls.decorators, self.ctx):
                continue
            code = self._code(fn.body)
            self.report(fn.name, framework=framework, exempt=False, receiver=None,
                        confidence=self._evidence(fn, None),
                        handler=f"{module}.{label}", module=module, label=label,
                        body_token=bool(_BODY_TOKEN.search(code)),
                        guessable=bool(_GUESSABLE.search(code)))

    def _evidence(self, fn: cst.FunctionDef | None, cls: cst.ClassDef | None) -> str:
        """Reported by default when the handler shows credential work (checks or issues
        a credential, creates an account, sends mail); a handler only its name or path
        makes look like one (``add_token_to_container``, a talk's ``signup`` list) stays
        at the audit level."""
        handler = cls if cls is not None else fn
        return "medium" if handler is not None and does_credential_work(
            handler, self.ctx.module.code_for_node) else "low"

    def _code(self, node: cst.CSTNode) -> str:
        """The source of ``node``, generated once (a handler's body is read by several
        of the questions below)."""
        memo = self.__dict__.setdefault("_code_memo", {})
        if id(node) not in memo:
            memo[id(node)] = self.ctx.module.code_for_node(node)
        return memo[id(node)]

    def _limits(self, body: cst.CSTNode) -> bool:
        code = self._code(body)
        if LIMIT_IN_BODY.search(code) or re.search(r"\.incr(by)?\(", code) and \
                re.search(r"\b(429|TooMany|HTTPTooManyRequests)", code):
            return True
        limiters = self.__dict__.get("_limiters")
        if limiters is None:
            # ``login_limiter = AsyncLimiter(5, 60)`` (aiolimiter) and the like
            limiters = self.__dict__["_limiters"] = {
                name for name, value in ProtectionFinder(self.ctx).assignments.items()
                if isinstance(value, cst.Call) and
                re.search(r"(?i)limiter", dotted_name(value.func) or "")}
        return any(re.search(rf"\b{re.escape(n)}\b", code) for n in limiters)

    def _limited_function(self, fn: cst.FunctionDef) -> bool:
        names = [dotted_name(decorator_call(d)[0]) or "" for d in fn.decorators]
        return any(LIMIT_NAME.search(n) for n in names) or self._limits(fn.body)

    def _nothing_to_guess_in(self, fn: cst.FunctionDef, label: str) -> bool:
        code = self._code(fn.body)
        return _nothing_to_guess(label, bool(_BODY_TOKEN.search(code)),
                                 bool(_GUESSABLE.search(code)))

    def _answers_once(self, fn: cst.FunctionDef, label: str) -> bool:
        """A first-run set-up (``InstanceAdminSignUp``): the handler refuses as soon as
        the table it fills holds a row (``if Admin.objects.first(): return ...`` before
        anything else), so it serves one request in the app's life, not a stream of
        sign-ups."""
        if SIGN_IN.search(label) or not isinstance(fn.body, cst.IndentedBlock):
            return False
        for stmt in fn.body.body[:6]:
            if not isinstance(stmt, cst.If) or not own_returns(stmt.body) and \
                    next(descendants(stmt.body, cst.Raise), None) is None:
                continue
            test = self._code(stmt.test)
            if _ANY_ROW.search(test) and "request" not in test:
                return True
        return False

    def _locks_out(self, fn: cst.FunctionDef, label: str) -> bool:
        return bool(SIGN_IN.search(label) and
                    LOCKOUT_IN_BODY.search(self._code(fn.body)))

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
        return self._limits(route.function.body)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if candidate.data.get("handler"):
            candidate = _served(candidate, project)
            if candidate is None:
                return None
        if candidate.data.get("exempt"):
            return candidate
        limiters = list(project.values(LIMITER_DEPENDENCY_FACT))
        if any(names_match(limiter, dep) for dep in candidate.data.get("dependencies", ())
               for limiter in limiters):
            return None  # a dependency of the route counts requests and answers 429
        if candidate.data.get("signin") and project.has(LOCKOUT_FACT):
            return None  # the application locks an account after repeated failures
        framework = candidate.data.get("framework")
        if framework in GRAPHQL_LIBRARIES and served_to_signed_in_only(project):
            return None  # only signed-in callers reach the GraphQL endpoint at all
        for value in project.values(GLOBAL_FACT):
            if value.get("kind") in ("default-limits", "middleware") and \
                    framework in ("flask", "fastapi", "starlette", "aiohttp"):
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


# A Django view's parameters after the request are its URL's parts
# (``def reset(request, uidb64, token)``).
_SECRET_PARAM = re.compile(r"^(token|\w+_token|key|\w+_key|uidb64|signature)$", re.IGNORECASE)
# A reset or activation handler that checks a server-issued token the client brings in
# its body (``payload.token``, ``data["token"]``): a mailed high-entropy secret, not a
# short code, so repeating the request guesses nothing.
_BODY_TOKEN = re.compile(r"\.token\b|\[\s*[\"']token[\"']\s*\]|get\(\s*[\"']token[\"']")


def _secret_in_path(route: Route) -> bool:
    if route.path and _SECRET_SEGMENT.search(route.path):
        return True
    if route.framework not in ("django", "drf") or route.path is not None:
        return False
    params = [p.name.value for p in route.function.params.params]
    return any(_SECRET_PARAM.match(name) for name in params[1:]
               if name not in ("self", "request"))


# What a reset handler could be made to guess: a token, a code, the current password.
_GUESSABLE = re.compile(r"(?i)token|code|otp|old_?pass|current_?pass|secret|signature|"
                        r"verif|check_|confirm|key\b")
# Requests for a reset mail, sign-ups: abused by repetition whatever they check.
_REQUEST_OR_SIGN_UP = re.compile(r"(?i)forgot|request|send|mail|register|sign_?up")


def _nothing_to_guess(label: str, body_token: bool, guessable: bool) -> bool:
    """A password-reset or activation handler (not a sign-in: a password is guessable)
    that reads a mailed token from the request body; or a reset that checks no secret at
    all (``change_password(body["username"], body["password"])``): repeating it guesses
    nothing, whoever may call it (a caller the app lets in sets any password: the
    authorisation question is BA603's)."""
    if SIGN_IN.search(label):
        return False
    return body_token or bool(RESET.search(label)) and \
        not _REQUEST_OR_SIGN_UP.search(label) and not guessable


# ``Admin.objects.first()``, ``User.query.count()``: whether a table holds any row.
_ANY_ROW = re.compile(r"\.(objects|query)(\.all\(\))?\.(first|exists|count)\(\)")


def _signed_in_only(route: Route, ctx) -> bool:
    """Only a signed-in user reaches it (an auth decorator, mixin or permission class, or
    a first statement turning strangers away):
    renaming a token or resetting a dashboard is not a credential check a stranger can
    repeat. Parameter dependencies are not enough evidence here (a sign-in handler takes
    ``Depends(get_user_service)`` too)."""
    if decorators_authenticate(route.function.decorators, ctx) or \
            refuses_strangers(route.function, ctx.module.code_for_node):
        return True
    cls = route.view_class
    # the class's decorators and mixins only: an overridden ``dispatch`` may do anything
    return cls is not None and (decorators_authenticate(cls.decorators, ctx) or any(
        AUTH_MIXIN.search((dotted_name(b.value) or "").split(".")[-1]) for b in cls.bases))


def _label(route: Route) -> str:
    cls = route.view_class.name.value if route.view_class is not None else ""
    return f"{cls} {route.function.name.value} {route.path or ''}"


def _auth_endpoint(label: str) -> bool:
    return bool(AUTH_ENDPOINT.search(label) or RESET.search(label) and
                ACCOUNT_WORD.search(label))


def _served(candidate: Candidate, project: ProjectFacts) -> Candidate | None:
    """A handler routed by a table: kept when a table entry (only those answering a
    state-changing method are recorded) serves it on a sign-in-like path (or under a
    sign-in-like name), with no limiter wrapped around it."""
    entries = served_by_table(candidate.data["handler"], candidate.data["module"], project)
    if not entries or any(e.wrapper and LIMIT_NAME.search(e.wrapper) for e in entries):
        return None
    label = " ".join([candidate.data["label"], *(e.path or "" for e in entries)])
    if not _auth_endpoint(label) or \
            all(e.path and _SECRET_SEGMENT.search(e.path) for e in entries) or \
            _nothing_to_guess(label, candidate.data.get("body_token", False),
                              candidate.data.get("guessable", True)):
        return None
    return replace(candidate, data={**candidate.data, "signin": bool(SIGN_IN.search(label))})


def _elements(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The items of a list/tuple literal, unwrapping ``Middleware(X, ...)``."""
    items = [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) \
        else []
    return [i.args[0].value if isinstance(i, cst.Call) and i.args else i for i in items]


def _plain_handlers(module: cst.Module
                    ) -> list[tuple[cst.ClassDef | None, cst.FunctionDef]]:
    """Module-level functions and methods of module-level classes that take the request
    as their first argument (``async def login(request)``, ``async def auth(self,
    request: web.Request)``)."""
    out: list[tuple[cst.ClassDef | None, cst.FunctionDef]] = []
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            out.append((None, stmt))
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            out.extend((stmt, s) for s in stmt.body.body if isinstance(s, cst.FunctionDef))
    return [(cls, fn) for cls, fn in out if _takes_request(fn, bound=cls is not None)]


def _takes_request(fn: cst.FunctionDef, bound: bool) -> bool:
    params = list(fn.params.params)[1 if bound else 0:]
    if not params:
        return False
    first = params[0]
    annotation = dotted_name(first.annotation.annotation) if first.annotation else ""
    return first.name.value in REQUEST_PARAMS or (annotation or "").endswith("Request")


def _receiver(route: Route) -> str | None:
    """``auth_bp`` for a handler decorated with ``@auth_bp.post(...)``."""
    for dec in route.function.decorators:
        callee, _ = decorator_call(dec)
        if isinstance(callee, cst.Attribute):
            return dotted_name(callee.value)
    return None

