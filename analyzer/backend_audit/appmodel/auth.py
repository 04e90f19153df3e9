"""How a handler is protected: decorators, dependencies, mixins, permission classes.

Defines no rule; shared by the auth and rate-limiting checks. Names are matched on
what teams actually call these things (``login_required``, ``jwt_required``,
``Depends(get_current_user)``, ``LoginRequiredMixin``, ``IsAuthenticated``) plus the
user's ``auth_decorators`` configuration.
"""

from __future__ import annotations

import re
from enum import Enum

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.dev_scope import ends_request
from backend_audit.appmodel.names import (
    block_assignments,
    decorator_call,
    dotted_name,
    get_arg,
    last_name,
    string_value,
)
from backend_audit.appmodel.routes import Route
from backend_audit.engines.walk import descendants
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import imported_callee, names_match

AUTH_DECORATOR = re.compile(
    r"(login_required|auth|jwt_required|token_required|permission|roles?_(required|accepted)|"
    r"admins?_(only|required)|(users?|authed|logged_in|members?)_only|staff|superuser|user_passes_test|requires|protected|"
    r"authenticated|signed_in|scope_required|api_key_required)", re.IGNORECASE)
AUTH_DEPENDENCY = re.compile(
    r"(user|auth|token|login|permission|admin|scope|api_?key|oauth|jwt|principal|verify|"
    r"guard|require|staff|role|credential|bearer)", re.IGNORECASE)
AUTH_MIXIN = re.compile(r"(LoginRequired|PermissionRequired|UserPassesTest|AccessMixin|"
                        r"Auth\w*Mixin|Staff\w*Mixin|Admin\w*Mixin|Permission\w*Mixin)")
# Methods of a view or request-handler class that check the caller before it answers:
# DRF's ``get_permissions``/``check_permissions``, Django's ``dispatch``/``test_func``, a
# request-handler class's ``_check_access``/``_check_auth``/``check_permission``.
ACCESS_HOOK = re.compile(r"get_permissions|_?check_(access|auth\w*|permissions?|protection)|"
                         r"dispatch|test_func")
# Calls/names in a handler body that show it authenticates the caller itself.
MANUAL_AUTH = re.compile(
    r"(current_user|is_authenticated|verify_jwt_in_request|get_jwt_identity|get_jwt\(|"
    r"g\.user|request\.user\.(id|pk|has_perm)|has_perm|PermissionDenied|check_permission|"
    r"authenticate\(|require_user|verify_token|decode_token|request\.auth\b|check_authorized|"
    r"authorized_userid)")
NOT_AUTH = frozenset({"csrf_exempt", "csrf_protect", "require_http_methods", "require_POST",
                      "require_GET", "require_safe", "transaction", "atomic"})


class Protection(Enum):
    AUTHENTICATED = "authenticated"
    PUBLIC_BY_CHOICE = "public-by-choice"  # DRF AllowAny and the like: a decision, not a miss
    DRF_DEFAULT = "drf-default"  # no permission_classes: DEFAULT_PERMISSION_CLASSES decides
    # A request-handler class whose access check, if any, is in a base class of another
    # module: not seen, so neither protected nor a miss.
    INHERITED = "inherited"
    NONE = "none"


def _names_in(expr: cst.BaseExpression) -> list[str]:
    """Dotted names of ``expr`` and of the Name/Attribute/Call arguments inside it."""
    out: list[str] = []
    name = dotted_name(expr)
    if name:
        out.append(name)
    if isinstance(expr, cst.Call):
        out.extend(_names_in(expr.func))
        for arg in expr.args:
            out.extend(_names_in(arg.value))
    elif isinstance(expr, (cst.List, cst.Tuple)):
        for el in expr.elements:
            out.extend(_names_in(el.value))
    return out


def is_auth_name(name: str, ctx: ModuleContext) -> bool:
    short = name.split(".")[-1]
    if short in NOT_AUTH or "exempt" in short or "csrf" in short.lower():
        return False
    taught = ctx.config.auth_decorators
    if name in taught or short in taught or any(t.split(".")[-1] == short for t in taught):
        return True
    return bool(AUTH_DECORATOR.search(short))


def decorators_authenticate(decorators: tuple[cst.Decorator, ...], ctx: ModuleContext) -> bool:
    for dec in decorators:
        callee, call = decorator_call(dec)
        names = _names_in(call if call is not None else callee)
        if any(is_auth_name(n, ctx) for n in names if n):
            return True
    return False


def dependency_authenticates(expr: cst.BaseExpression, ctx: ModuleContext,
                             aliases: dict[str, cst.BaseExpression]) -> bool:
    """``Depends(get_current_user)``, ``Security(scheme)``, ``[Depends(auth), ...]``,
    ``Annotated[User, Depends(...)]`` or a module-level alias of one."""
    if isinstance(expr, (cst.List, cst.Tuple)):
        return any(dependency_authenticates(e.value, ctx, aliases) for e in expr.elements)
    if isinstance(expr, cst.Call) and last_name(expr.func) in ("Depends", "Security"):
        if last_name(expr.func) == "Security":
            return True
        target = get_arg(expr, "dependency", 0)
        if target is None:
            return False
        name = dotted_name(target.value) or dotted_name(getattr(target.value, "func", None))
        return bool(name and AUTH_DEPENDENCY.search(name.split(".")[-1]))
    if isinstance(expr, cst.Subscript):
        return any(isinstance(el.slice, cst.Index) and
                   dependency_authenticates(el.slice.value, ctx, aliases) for el in expr.slice)
    if isinstance(expr, cst.Name) and expr.value in aliases:
        return dependency_authenticates(aliases[expr.value], ctx, {})
    return False


def module_assignments(module: cst.Module) -> dict[str, cst.BaseExpression]:
    """Top-level ``name = value`` assignments (routers, Annotated aliases)."""
    return block_assignments(module.body)


class ProtectionFinder:
    """Decides how each route of one module is protected."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.assignments = module_assignments(ctx.module)
        self.guarded_receivers = self._guarded_receivers()
        self._classes: dict[str, cst.ClassDef] | None = None

    def _guarded_receivers(self) -> set[str]:
        """Routers/apps created with auth dependencies, and blueprints with an auth
        ``before_request`` hook: every route on them is protected."""
        out: set[str] = set()
        for name, value in self.assignments.items():
            if isinstance(value, cst.Call) and last_name(value.func) in (
                    "APIRouter", "FastAPI"):
                deps = get_arg(value, "dependencies")
                if deps is not None and dependency_authenticates(deps.value, self.ctx, {}):
                    out.add(name)
        for stmt in self.ctx.module.body:
            if isinstance(stmt, cst.FunctionDef):
                for dec in stmt.decorators:
                    callee, _ = decorator_call(dec)
                    if last_name(callee) in ("before_request", "before_app_request") and \
                            isinstance(callee, cst.Attribute) and \
                            isinstance(callee.value, cst.Name):
                        out.add(callee.value.value)
        return out

    def protection(self, route: Route) -> Protection:
        fn = route.function
        drf_permissions = _decorator_permission_classes(fn)
        if drf_permissions is not None:
            return drf_permissions
        if decorators_authenticate(fn.decorators, self.ctx):
            return Protection.AUTHENTICATED
        if route.view_class is not None:
            found = self.class_protection(route.view_class)
            if found is Protection.NONE and route.class_handler:
                found = self._handler_class_protection(route.view_class)
            if found is not Protection.NONE:
                return found
        if route.framework == "drf" and route.view_class is None:
            return Protection.DRF_DEFAULT
        for dec in fn.decorators:
            callee, call = decorator_call(dec)
            if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name) and \
                    callee.value.value in self.guarded_receivers:
                return Protection.AUTHENTICATED
            if call is not None:
                deps = get_arg(call, "dependencies")
                if deps is not None and dependency_authenticates(deps.value, self.ctx,
                                                                 self.assignments):
                    return Protection.AUTHENTICATED
        if self._params_authenticate(fn) or self._body_authenticates(fn):
            return Protection.AUTHENTICATED
        return Protection.NONE

    def class_protection(self, cls: cst.ClassDef) -> Protection:
        if decorators_authenticate(cls.decorators, self.ctx):
            return Protection.AUTHENTICATED
        for base in cls.bases:
            name = dotted_name(base.value) or ""
            if AUTH_MIXIN.search(name.split(".")[-1]):
                return Protection.AUTHENTICATED
        attrs = _class_attributes(cls)
        perms = attrs.get("permission_classes")
        if perms is not None:
            return _permission_level(_names_in(perms))
        # Flask-RESTful ``method_decorators``; Flask ``View``/``MethodView`` ``decorators``
        # (applied to the view function ``as_view`` builds: every method).
        if any(key in attrs and any(is_auth_name(n, self.ctx) for n in _names_in(attrs[key]))
               for key in ("method_decorators", "decorators")):
            return Protection.AUTHENTICATED
        if own_access_check(cls):
            return Protection.AUTHENTICATED
        bases = [dotted_name(b.value) or "" for b in cls.bases]
        if any("rest_framework" in (self.ctx.imports.qualname(b.value) or "") or
               n.split(".")[-1].endswith(("APIView", "ViewSet")) for b, n in zip(cls.bases, bases,
                                                                                  strict=True)):
            return Protection.DRF_DEFAULT
        return Protection.NONE

    def _handler_class_protection(self, cls: cst.ClassDef, depth: int = 0) -> Protection:
        """A request-handler class inherits its access check: from a base class of this
        module (followed), or from one imported from another module (``INHERITED``:
        ``inherited_bases`` names them, for the project's facts to answer)."""
        local = self._local_classes()
        for base in cls.bases:
            name = dotted_name(base.value) or ""
            if name in local and depth < 8:
                found = self.class_protection(local[name])
                if found is Protection.NONE:
                    found = self._handler_class_protection(local[name], depth + 1)
                if found is not Protection.NONE:
                    return found
        return Protection.INHERITED if self.inherited_bases(cls) else Protection.NONE

    def inherited_bases(self, cls: cst.ClassDef, depth: int = 0) -> list[str]:
        """The base classes, imported from other modules, that ``cls`` inherits from
        directly or through base classes of this module (absolute names)."""
        local = self._local_classes()
        out: list[str] = []
        for base in cls.bases:
            name = dotted_name(base.value) or ""
            if name in local:
                if depth < 8:
                    out.extend(self.inherited_bases(local[name], depth + 1))
            elif name and name != "object":
                qual = imported_callee(base.value, self.ctx.imports, self.ctx.path)
                if qual and qual.split(".")[0] not in ("flask", "quart", "werkzeug", "typing",
                                                       "abc"):
                    out.append(qual)
        return sorted(set(out))

    def _local_classes(self) -> dict[str, cst.ClassDef]:
        if self._classes is None:
            self._classes = {s.name.value: s for s in self.ctx.module.body
                             if isinstance(s, cst.ClassDef)}
        return self._classes

    def _params_authenticate(self, fn: cst.FunctionDef) -> bool:
        params = fn.params
        for param in (*params.params, *params.kwonly_params):
            if param.default is not None and dependency_authenticates(
                    param.default, self.ctx, self.assignments):
                return True
            if param.annotation is not None and dependency_authenticates(
                    param.annotation.annotation, self.ctx, self.assignments):
                return True
        return False

    def _body_authenticates(self, fn: cst.FunctionDef) -> bool:
        return bool(MANUAL_AUTH.search(self.ctx.module.code_for_node(fn.body)))


# What a guard tests about the caller: signed in, a permission, staff or superuser.
_CALLER = r"\b(request\.user|current_user|g\.user)"
_CALLER_TEST = re.compile(_CALLER + r"\.(is_authenticated|has_perms?|is_staff|is_superuser)\b")
_ANONYMOUS_TEST = re.compile(_CALLER + r"\.is_anonymous\b")


def refuses_strangers(fn: cst.FunctionDef, code) -> bool:
    """The handler's first statements turn away whoever is not signed in or lacks a
    permission: ``if not request.user.is_authenticated: return HttpResponseForbidden()``,
    ``if not request.user.has_perm("gym.manage"): raise PermissionDenied``. A test of the
    other polarity (``if request.user.is_authenticated: return redirect("home")``, what
    a sign-in page does) does not count. ``code`` renders a node's source."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.If):
            continue  # a docstring, an object fetched by its id...
        if not ends_request(stmt.body):
            return False
        if _turns_away(stmt.test, code):
            return True
    return False


def _turns_away(test: cst.BaseExpression, code) -> bool:
    """True only for a caller who may not proceed: ``not user.is_authenticated``,
    ``user.is_anonymous``, ``not user.has_perm(...)``. Whoever passes ``if a or b:``
    passes both tests, so one refusing side is enough; whoever passes ``if a and b:``
    passes one of them, so both must refuse."""
    if isinstance(test, cst.BooleanOperation):
        sides = (_turns_away(test.left, code), _turns_away(test.right, code))
        return any(sides) if isinstance(test.operator, cst.Or) else all(sides)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return bool(_CALLER_TEST.search(code(test.expression)))
    return bool(_ANONYMOUS_TEST.search(code(test)))


def own_access_check(cls: cst.ClassDef) -> bool:
    """Does the class's own body check the caller: an access hook (``ACCESS_HOOK``) that
    is decorated or does something? ``def _check_access(self): pass`` in a base class,
    or an override that only calls ``super()``, checks nothing of its own."""
    return any(isinstance(s, cst.FunctionDef) and ACCESS_HOOK.fullmatch(s.name.value) and
               (s.decorators or not all(_does_nothing(b) for b in _statements(s)))
               for s in _class_body(cls))


def _statements(fn: cst.FunctionDef) -> list[cst.BaseSmallStatement | cst.BaseStatement]:
    if not isinstance(fn.body, cst.IndentedBlock):
        return list(fn.body.body)
    out: list[cst.BaseSmallStatement | cst.BaseStatement] = []
    for stmt in fn.body.body:
        out.extend(stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt])
    return out


def _does_nothing(stmt: cst.BaseSmallStatement | cst.BaseStatement) -> bool:
    """``pass``, ``...``, a docstring, ``return``/``return None``/``return True``, or a
    call to the overridden method (``return super()._check_access()``)."""
    if isinstance(stmt, cst.Pass):
        return True
    value = stmt.value if isinstance(stmt, (cst.Expr, cst.Return)) else False
    if value is False:
        return False
    if value is None or isinstance(value, (cst.SimpleString, cst.Ellipsis)) or \
            isinstance(value, cst.Name) and value.value in ("None", "True"):
        return True
    if isinstance(value, cst.Await):
        value = value.expression
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
        isinstance(value.func.value, cst.Call) and dotted_name(value.func.value.func) == "super"


def _permission_level(names: list[str]) -> Protection:
    short = [n.split(".")[-1] for n in names]
    if not short or all(n == "AllowAny" for n in short):  # ``= []``: no check at all
        return Protection.PUBLIC_BY_CHOICE
    return Protection.AUTHENTICATED


def _decorator_permission_classes(fn: cst.FunctionDef) -> Protection | None:
    """DRF ``@permission_classes([...])`` on a function view."""
    for dec in fn.decorators:
        callee, call = decorator_call(dec)
        if last_name(callee) == "permission_classes" and call is not None and call.args:
            return _permission_level(_names_in(call.args[0].value))
    return None


def _class_body(cls: cst.ClassDef) -> list[cst.BaseStatement]:
    return list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []


def _class_attributes(cls: cst.ClassDef) -> dict[str, cst.BaseExpression]:
    out: dict[str, cst.BaseExpression] = {}
    for stmt in _class_body(cls):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name):
                            out[t.target.value] = small.value
    return out


# What a Django function view without @require_POST/@require_GET does with writes.
DJANGO_WRITES = re.compile(r"request\.(POST|method|body|FILES|data)|\.(save|delete|create|"
                           r"update|update_or_create|get_or_create|bulk_create)\(")


def effectively_mutating(route: Route, ctx: ModuleContext) -> bool:
    """Whether a route changes state. A Django function view is assumed to answer both
    GET and POST unless decorated; count it as mutating only when its body reads a
    form/body or writes to the database."""
    if not route.is_mutating:
        return False
    if route.framework == "django" and route.view_class is None and \
            route.methods == frozenset({"GET", "POST"}):
        return bool(DJANGO_WRITES.search(ctx.module.code_for_node(route.function.body)))
    return True


def is_serializer_or_helper(cls: cst.ClassDef | None, ctx: ModuleContext) -> bool:
    """DRF serializers, permissions and the like are not views even though their
    bases come from ``rest_framework``."""
    if cls is None:
        return False
    for base in cls.bases:
        name = ctx.imports.qualname(base.value) or dotted_name(base.value) or ""
        if any(part in name for part in ("serializers", "permissions", "pagination",
                                         "throttling", "Serializer", "filters")):
            return True
    return False


# Admin areas: decorators (``admins_only``, ``staff_member_required``,
# ``superuser_required``), DRF ``IsAdminUser``/instance-admin permission classes and URL
# segments (``/admin/...``) that say only trusted operators reach a handler.
_ADMIN_WORD = re.compile(r"admin|staff|superuser", re.IGNORECASE)


def admin_only(route: Route) -> bool:
    """Does only an administrator reach this handler?"""
    if any(_ADMIN_WORD.search(d.split(".")[-1]) for d in route.decorators):
        return True
    if admin_dependency(route.function):
        return True
    if route.view_class is not None and admin_view_class(route.view_class):
        return True
    return bool(route.path) and any(_ADMIN_WORD.fullmatch(seg.strip("<>"))
                                    for seg in route.path.split("/") if seg)


# ``check_permission(session, user, space_id, Permission.ROLES_CREATE)``,
# ``request.user.has_perm("board.add_column")``, ``require_role(member, "owner")``.
_PERMISSION_CHECK = re.compile(r"_*(check|require|ensure|assert|verify|has)_?(\w+_)?"
                               r"(permission|perm|role)s?")


def checks_permission(fn: cst.FunctionDef) -> bool:
    """Does the handler's body check a named permission or role of the caller before its
    work? Only members granted it (a workspace's admins) get through: finer than a
    route for administrators, the same for what the route creates."""
    return any(isinstance(call.func, (cst.Name, cst.Attribute)) and
               _PERMISSION_CHECK.fullmatch(last_name(call.func) or "")
               for call in descendants(fn.body, cst.Call))


def admin_dependency(fn: cst.FunctionDef) -> bool:
    """A route whose own checks admit administrators only: FastAPI ``dependencies=[
    Depends(get_current_active_superuser)]`` on its decorator, ``Depends(require_role([
    "admin"]))``, a parameter ``user = Depends(get_admin_user)``, or a DRF function
    view's ``@permission_classes([IsAdminUser])``."""
    found: list[cst.BaseExpression] = []
    for dec in fn.decorators:
        callee, call = decorator_call(dec)
        if last_name(callee) == "permission_classes" and call is not None and call.args:
            names = [n.split(".")[-1] for n in _names_in(call.args[0].value)]
            if names and all(_ADMIN_WORD.search(n) for n in names):
                return True
        deps = get_arg(call, "dependencies") if call is not None else None
        if deps is not None and isinstance(deps.value, (cst.List, cst.Tuple)):
            found.extend(el.value for el in deps.value.elements)
    params = fn.params
    found.extend(p.default for p in (*params.params, *params.kwonly_params)
                 if p.default is not None)
    return any(isinstance(dep, cst.Call) and last_name(dep.func) in ("Depends", "Security")
               and dep.args and _admits_admins(dep.args[0].value) for dep in found)


def _admits_admins(expr: cst.BaseExpression) -> bool:
    """``get_current_active_superuser``, ``require_admin``, ``require_role(["admin"])``."""
    if any(_ADMIN_WORD.search(n.split(".")[-1]) for n in _names_in(expr)):
        return True
    if not isinstance(expr, cst.Call):
        return False
    values = [el.value for a in expr.args for el in (
        a.value.elements if isinstance(a.value, (cst.List, cst.Tuple, cst.Set)) else (a,))]
    roles = [string_value(v) for v in values]
    return bool(roles) and all(r is not None and _ADMIN_WORD.fullmatch(r) for r in roles)


# Django admin classes (``ModelAdmin``, ``AdminSite``, inlines and the mixins and
# subclasses named after them): ``admin_site.admin_view`` serves their views, to staff.
_ADMIN_CLASS = re.compile(r"Admin(Site|Mixin)?$|^Admin|^(Tabular|Stacked)Inline$")


def admin_view_class(node: cst.ClassDef) -> bool:
    """A class-based view whose ``permission_classes`` admit administrators only, or a
    Django admin class whose custom views (``get_urls``) the admin site serves."""
    if any(_ADMIN_CLASS.search(n.split(".")[-1]) for base in node.bases
           for n in _names_in(base.value)):
        return True
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    perms = block_assignments(body).get("permission_classes")
    elements = [e.value for e in perms.elements] \
        if isinstance(perms, (cst.List, cst.Tuple)) else [perms] if perms else []
    return any(_ADMIN_WORD.search(n.split(".")[-1])
               for element in elements for n in _names_in(element))


# ------------------------------------------------------------------ dependencies followed
# A FastAPI dependency authenticates when its name says so (``get_current_user``), or when
# what it does says so wherever it is defined: it takes an authenticating dependency
# itself (``def check_account(user=Depends(check_user_exists))``), or its body refuses the
# caller (``raise HTTPException(status_code=401)``) or reads credentials. Fact
# ``auth.dependency`` records each module-level function and ``Annotated`` alias that
# could be a dependency: ``{"name": qualified name, "direct": bool, "deps": [names]}``.
FACT_AUTH_DEPENDENCY = "auth.dependency"
_REFUSES = re.compile(r"HTTP_40[13]_|status_code\s*=\s*40[13]\b|HTTPException\(\s*40[13]\b|"
                      r"HTTPUnauthorized|HTTPForbidden|NotAuthenticated|Unauthorized\(|"
                      r"Forbidden\(|headers\.get\(\s*[\"'](authorization|x-api-key)|"
                      r"(OAuth2PasswordBearer|HTTPBearer|APIKeyHeader|APIKeyCookie|HTTPBasic)\(",
                      re.IGNORECASE)


def refuses_caller(code: str) -> bool:
    """Does this code turn an unauthenticated caller away (answers 401/403, raises
    ``PermissionDenied``/``NotAuthenticated``, or raises after reading who is signed in)?"""
    return bool(_REFUSES.search(code) or
                re.search(r"\braise\b", code) and MANUAL_AUTH.search(code))


def dependency_targets(expr: cst.BaseExpression | None, ctx: ModuleContext,
                       aliases: dict[str, cst.BaseExpression]) -> list[str]:
    """Qualified names of what ``Depends(...)``/``Annotated[..., Depends(...)]`` in
    ``expr`` (or a name for such an alias) calls: the callables to follow."""
    if expr is None:
        return []
    if isinstance(expr, (cst.List, cst.Tuple)):
        return [n for e in expr.elements for n in dependency_targets(e.value, ctx, aliases)]
    if isinstance(expr, cst.Call) and last_name(expr.func) in ("Depends", "Security"):
        target = get_arg(expr, "dependency", 0)
        if target is None:
            return []
        value = target.value.func if isinstance(target.value, cst.Call) else target.value
        name = _qualified(value, ctx)
        return [name] if name else []
    if isinstance(expr, cst.Subscript):
        return [n for el in expr.slice if isinstance(el.slice, cst.Index)
                for n in dependency_targets(el.slice.value, ctx, aliases)]
    if isinstance(expr, (cst.Name, cst.Attribute)):
        if isinstance(expr, cst.Name) and expr.value in aliases:
            return dependency_targets(aliases[expr.value], ctx, {})
        name = _qualified(expr, ctx)
        return [name] if name else []  # an imported Annotated alias, followed by facts
    return []


def _qualified(node: cst.BaseExpression, ctx: ModuleContext) -> str | None:
    imported = ctx.imports.qualname(node)
    if imported:
        return imported
    name = dotted_name(node)
    if not name:
        return None
    module = ctx.module_name
    return f"{module}.{name}" if module else name


def parameter_dependencies(fn: cst.FunctionDef, ctx: ModuleContext,
                           aliases: dict[str, cst.BaseExpression]) -> list[str]:
    params = fn.params
    out: list[str] = []
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        out.extend(dependency_targets(param.default, ctx, aliases))
        if param.annotation is not None:
            out.extend(dependency_targets(param.annotation.annotation, ctx, aliases))
    return sorted(set(out))


def route_dependencies(route: Route, ctx: ModuleContext,
                       aliases: dict[str, cst.BaseExpression]) -> list[str]:
    """Qualified names of what a FastAPI route's dependencies call: its parameters'
    ``Depends(...)`` (``Annotated`` ones included) and its decorator's
    ``dependencies=[...]`` (``Depends(SignInThrottle(per_hour=5))`` names the class)."""
    out = parameter_dependencies(route.function, ctx, aliases)
    for dec in route.function.decorators:
        _, call = decorator_call(dec)
        deps = get_arg(call, "dependencies") if call is not None else None
        if deps is not None:
            out.extend(dependency_targets(deps.value, ctx, aliases))
    return sorted(set(out))


def dependency_facts(ctx: ModuleContext) -> list[dict]:
    """One ``auth.dependency`` fact per module-level function and ``Annotated`` alias."""
    module = ctx.module_name
    aliases = module_assignments(ctx.module)
    out: list[dict] = []
    for stmt in ctx.module.body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        params = stmt.params
        direct = any(
            dependency_authenticates(p.default, ctx, aliases) if p.default is not None
            else False for p in (*params.params, *params.kwonly_params)) or any(
            p.annotation is not None and dependency_authenticates(
                p.annotation.annotation, ctx, aliases)
            for p in (*params.params, *params.kwonly_params))
        body = ctx.module.code_for_node(stmt.body)
        direct = direct or bool(_REFUSES.search(body) or MANUAL_AUTH.search(body))
        deps = parameter_dependencies(stmt, ctx, aliases)
        # A function that neither authenticates nor takes a dependency is no evidence
        # (its plain annotations, ``request: Request``, are no dependencies).
        takes = re.search(r"\b(Depends|Security)\(|Annotated\[",
                          ctx.module.code_for_node(stmt.params))
        if direct or deps and (takes or any(n.rsplit(".", 1)[-1] in aliases for n in deps)):
            out.append({"name": f"{module}.{stmt.name.value}" if module else stmt.name.value,
                        "direct": direct, "deps": deps})
    for name, value in aliases.items():
        if isinstance(value, cst.Subscript) and last_name(value.value) == "Annotated":
            deps = dependency_targets(value, ctx, {})
            if deps:
                out.append({"name": f"{module}.{name}" if module else name,
                            "direct": dependency_authenticates(value, ctx, {}),
                            "deps": sorted(set(deps))})
    return out


def dependencies_authenticate(names: list[str], project) -> bool:
    """Whether any of ``names`` (qualified) is, or transitively takes, a dependency that
    authenticates, judged from the ``auth.dependency`` facts of the whole project."""
    index = project.by_last_name(FACT_AUTH_DEPENDENCY)
    seen: set[str] = set()
    todo, budget = list(names), Budget()
    while todo and not budget.exhausted:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        budget.spend()
        if AUTH_DEPENDENCY.search(name.rsplit(".", 1)[-1]):
            return True
        for fact in index.get(name.rsplit(".", 1)[-1], []):
            if not names_match(fact["name"], name):
                continue
            if fact["direct"]:
                return True
            todo.extend(fact["deps"])
    return False


# What a handler does when it checks or hands out a credential, creates an account or
# mails a reset, read in its body (never in its own name or its class's: those are the
# words that made it look like a sign-in endpoint): the work a stranger repeats to guess
# a password or to abuse the mail. ``user.login`` (an attribute) is not a sign-in call.
CREDENTIAL_WORK = re.compile(
    r"(?i)password|passwd|passphrase|\bpin\b|\botp|totp|hotp|passcode|"
    r"authenticat\w*\(|authenticationform|basicauth|\blog_?in\(|login_?user|login_?view|"
    r"login_?form|\bsign_?(in|up)\(|check_?pw|send_\w*(mail|email|sms)|create_user|"
    r"create_superuser|for_user\(|create_(access|refresh)_token|jwt\.encode|encode_jwt|"
    r"issue_token|obtain\w*view|provision")
# Creating an account: ``User(...)`` (the class, not a ``get_user(...)`` call).
_NEW_USER = re.compile(r"\bUser\(")


def _body_code(node: cst.FunctionDef | cst.ClassDef, code) -> list[str]:
    """The code of a function's statements, or of a class's bases, attributes and
    methods' statements: docstrings and the ``def``/``class`` names left out."""
    out: list[str] = []
    if isinstance(node, cst.ClassDef):
        out += [code(base.value) for base in node.bases]
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else (node.body,)
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            out += _body_code(stmt, code)
        elif not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and
                  isinstance(stmt.body[0], cst.Expr) and
                  isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))):
            out.append(code(stmt))
    return out


def does_credential_work(handler: cst.FunctionDef | cst.ClassDef, code) -> bool:
    """Whether a handler function, or the view class it belongs to (whose bases, forms,
    serializers and other methods do the work of a class-based sign-in view), checks or
    issues a credential, creates an account or sends mail: a sign-in, sign-up or reset
    endpoint a stranger can repeat. Handlers named so that only manage a token, a device
    or a sign-up list of signed-in users show none of this."""
    text = "\n".join(_body_code(handler, code))
    return bool(CREDENTIAL_WORK.search(text) or _NEW_USER.search(text))
