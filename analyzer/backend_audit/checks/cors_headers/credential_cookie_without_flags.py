"""BA904: a cookie that carries a session, a JWT, an auth token or an API key is set
without ``secure`` or ``httponly`` (the frameworks' ``set_cookie`` sets neither)."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.specs import CREDENTIAL
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Candidate, Check

# Frameworks whose ``set_cookie`` leaves Secure and HttpOnly off unless asked (Werkzeug
# and so Flask/Quart, Django, Starlette and so FastAPI, aiohttp). Falcon and Sanic turn
# them on by default; Tornado and Bottle are not modelled.
INSECURE_DEFAULTS = frozenset({"flask", "quart", "django", "drf", "starlette", "fastapi",
                               "aiohttp"})
SECURE_DEFAULTS = frozenset({"falcon", "sanic", "tornado", "bottle", "litestar"})
FLAGS = ("secure", "httponly")
# A cookie named for a credential (BA903's words); one that names what it describes
# (a login method, a hint, a redirect target, a UI preference) is not one.
_CREDENTIAL_COOKIE = re.compile(
    r"(?i)session|token|auth|jwt|remember|refresh|(?:^|[_-])(?:sid|login)(?:$|[_-])")
_NOT_CREDENTIAL = re.compile(
    r"(?i)csrf|xsrf|method|hint|redirect|next|url|lang|locale|theme|pref|consent|banner|"
    r"sidebar|timezone|\btz\b|currency|expir|last_|seen|count")


_ANTI_FORGERY = re.compile(r"(?i)csrf|xsrf")


class CredentialCookieWithoutFlags(Check):
    rule_id = "BA904"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in (
                "set_cookie", "set_signed_cookie"):
            return
        if self.ctx.frameworks & SECURE_DEFAULTS and \
                not self.ctx.frameworks & INSECURE_DEFAULTS:
            return
        if any(arg.star for arg in node.args):
            return  # ``**cookie_options``: the flags may be among them
        missing = []
        for flag in FLAGS:
            arg = get_arg(node, flag)
            if arg is None:
                missing.append(flag)
            elif isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"):
                return  # switched off on purpose: BA903's finding
        if not missing:
            return
        key = get_arg(node, "key", 0)
        name = self._cookie_name(key.value) if key is not None else None
        fn = self.ctx.current_function
        if key is not None and _ANTI_FORGERY.search(self.ctx.module.code_for_node(key.value)) \
                or fn is not None and _ANTI_FORGERY.search(fn.name.value):
            return  # ``CSRF_COOKIE_NAME``, a CSRF middleware: pages read it on purpose
        value = get_arg(node, "value", 1)
        if value is None or _constant(value.value):
            return  # a constant, or deleting the cookie (``set_cookie("sid", "")``)
        if name is not None and _NOT_CREDENTIAL.search(name):
            return
        named = name is not None and bool(_CREDENTIAL_COOKIE.search(name))
        source = Taint(self.ctx, CREDENTIAL, params=()).source(value.value)
        carried = source is not None and not _ANTI_FORGERY.search(
            self.ctx.module.code_for_node(source))
        if not named and not carried:
            return
        what = f"`{name}`" if name else "A"
        message = (f"{what} cookie carries a credential but is set without "
                   f"{' and '.join(missing)}: it " + (
                       "is sent over plain HTTP" if "secure" in missing else "") + (
                       " and " if len(missing) == 2 else "") + (
                       "can be read by any script on the page" if "httponly" in missing
                       else "") + ".")
        confidence = None if named and carried else "medium"
        data = {} if self.ctx.frameworks & INSECURE_DEFAULTS else {"needs_framework": True}
        self.report(node, message=message, confidence=confidence, **data)

    def _cookie_name(self, expr: cst.BaseExpression) -> str | None:
        """The cookie's name: a literal, or a constant of the function or module."""
        text = string_value(expr)
        if text is not None or not isinstance(expr, cst.Name):
            return text
        for flow in (self.ctx.flow(), self.ctx.flow(self.ctx.module)):
            values = flow.values_of(expr.value)
            if len(values) == 1:
                return string_value(values[0])
        return None

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if candidate.data.get("needs_framework") and \
                not project.frameworks & INSECURE_DEFAULTS:
            return None  # a helper module of an app on none of those frameworks
        return candidate


def _constant(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.FormattedString):
        return not any(isinstance(p, cst.FormattedStringExpression) for p in expr.parts)
    return string_value(expr) is not None or isinstance(expr, (cst.Integer, cst.Float))
