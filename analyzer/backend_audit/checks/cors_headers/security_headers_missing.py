"""BA902: an application sets no security headers anywhere (no Talisman, no
SecurityMiddleware, no after-request hook or middleware adding them).

Django apps are reported whenever no header layer is found (the admin and the auth views
serve pages). Flask, FastAPI, Starlette and aiohttp apps are reported only when the
application renders HTML pages (Jinja2 templates, ``render_template``, ``HTMLResponse``,
aiohttp-jinja2, a view returning an HTML literal): the headers protect what a browser
renders, and a JSON API's clients do not frame or sniff it. An application mounted into
another (``add_subapp``, ``mount``) is the parent's to answer for: reported once, with the
parent (``appmodel/mounted_apps.py``)."""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.mounted_apps import (
    function_name,
    held_values,
    maybe_handed_in,
    mount_receiver,
    mounted_by_call,
    mounted_value,
    record_mount,
)
from backend_audit.appmodel.names import dotted_name, get_arg, string_list, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

SECURITY_HEADERS = frozenset({
    "content-security-policy", "x-frame-options", "strict-transport-security",
    "x-content-type-options", "referrer-policy", "permissions-policy",
})
# Libraries whose only job is setting security headers.
HEADER_LIBRARIES = ("flask_talisman", "talisman", "secure", "flask_seasurf",
                    "starlette_securityheaders", "django_csp")
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
FACT = "cors-headers.header-layer"
# The application renders HTML pages for browsers (fact value: where).
FACT_HTML_PAGES = "cors-headers.html-pages"
ASGI_APPS = frozenset({"flask.Flask", "fastapi.FastAPI", "starlette.applications.Starlette",
                       "aiohttp.web.Application", "aiohttp.web_app.Application"})
# Page renderers of Flask, FastAPI, Starlette and aiohttp.
HTML_RENDERERS = frozenset({
    "flask.render_template", "flask.render_template_string", "flask.stream_template",
    "flask.templating.render_template", "flask.templating.render_template_string",
    "quart.render_template", "quart.render_template_string", "flask_admin.Admin",
    "fastapi.templating.Jinja2Templates", "starlette.templating.Jinja2Templates",
    "fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse",
    "aiohttp_jinja2.template", "aiohttp_jinja2.render_template",
    "aiohttp_jinja2.render_string", "aiohttp_jinja2.setup"})


def _from_config(expr: cst.BaseExpression) -> bool:
    """``app.config.get("X", {})``, ``current_app.config["X"]``, ``settings.X``."""
    if isinstance(expr, cst.Call):
        expr = expr.func
    text = dotted_name(expr) or (dotted_name(expr.value) if isinstance(expr, cst.Subscript)
                                 else None) or ""
    return any(part in ("config", "settings", "conf") for part in text.split("."))


class SecurityHeadersMissing(Check):
    app_level = True
    rule_id = "BA902"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.skip = is_dev_only(ctx.path)
        if _uses_header_library(ctx.imports.top_packages):
            ctx.add_fact(FACT, "library")
        # Application creations (the function returning each, if any, and whether a
        # debug-only handler makes it), reported once the module shows which of them it
        # mounts into another.
        self._apps: list[tuple[cst.Call, str | None, bool]] = []
        self._mounted: set[int] = set()
        self._parents: set[int] = set()  # applications other applications are mounted into

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        if qual in ASGI_APPS and not self.skip:
            self._apps.append((node, self._factory(node), self.ctx.in_debug_only_handler()))
            return
        mounted = mounted_value(node, qual)
        if mounted is not None and not self.skip:
            self._mounted |= record_mount(self.ctx, mounted, self._is_app)
            receiver = mount_receiver(node)
            if receiver is not None:
                self._parents.update(id(v) for v in held_values(self.ctx, receiver))
        if not self.skip and (qual in HTML_RENDERERS or any(
                a.keyword is not None and _html_keyword(a, self.ctx.imports.qualname)
                for a in node.args)):
            self.ctx.add_fact(FACT_HTML_PAGES, self.ctx.path)
        # response.headers.setdefault("X-Frame-Options", "DENY") / headers.update({...})
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in (
                "setdefault", "update", "add", "set") and \
                (dotted_name(node.func.value) or "").endswith("headers"):
            first = get_arg(node, None, 0)
            keys: list[str] = []
            if first is not None:
                key = string_value(first.value)
                if key is not None:
                    keys.append(key)
                elif isinstance(first.value, cst.Dict):
                    keys.extend(string_value(e.key) or "" for e in first.value.elements
                                if isinstance(e, cst.DictElement))
            if any(k.lower() in SECURITY_HEADERS for k in keys):
                self.ctx.add_fact(FACT, "headers")
            elif node.func.attr.value == "update" and first is not None and \
                    self._configured(first.value):
                # ``response.headers.update(app.config.get("CUSTOM_RESPONSE_HEADERS"))``:
                # every response gets the headers whoever deploys the app configures.
                self.ctx.add_fact(FACT, "configured")

    def leave_Module(self, original_node: cst.Module) -> None:
        # A mounted application runs behind its parent's middlewares: the parent's
        # finding covers it (reported once per application, not per mount).
        for node, factory, debug_only in self._apps:
            if id(node) not in self._mounted:
                self.report(node, confidence="low" if debug_only else None, kind="pages",
                            factory=factory, parent=id(node) in self._parents)

    def _is_app(self, expr: cst.BaseExpression | None) -> bool:
        return expr is not None and self.ctx.imports.qualname(expr) in ASGI_APPS

    def _factory(self, node: cst.Call) -> str | None:
        """The function that returns the application ``node`` creates (``def
        make_api(): api = web.Application(); ...; return api``)."""
        if not self.ctx.function_stack:
            return None
        flow = self.ctx.flow()
        for value in flow.returns:
            if value is node or isinstance(value, cst.Name) and any(
                    v is node for v in flow.values_of(value.value)):
                return function_name(self.ctx)
        return None

    def visit_Return(self, node: cst.Return) -> None:
        # ``return f"<h1>{title}</h1>"`` from a Flask view: Flask serves a string as
        # text/html (FastAPI would send it as a JSON string).
        if self.skip or node.value is None or not self.ctx.frameworks & _STRING_AS_HTML:
            return
        route = self.ctx.current_route()
        if route is not None and route.framework in _STRING_AS_HTML and \
                _HTML_TAG.search(_literal_text(node.value)):
            self.ctx.add_fact(FACT_HTML_PAGES, self.ctx.path)

    def _configured(self, expr: cst.BaseExpression) -> bool:
        values = [expr]
        if isinstance(expr, cst.Name):
            # The hook's own body, then the functions around it (a factory that read the
            # config), then the module.
            for scope in (*reversed(self.ctx.function_stack), self.ctx.module):
                values = self.ctx.flow(scope).values_of(expr.value)
                if values:
                    break
        return bool(values) and all(_from_config(v) for v in values)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = string_value(node.slice[0].slice.value)
            if key is not None and key.lower() in SECURITY_HEADERS:
                self.ctx.add_fact(FACT, "headers")

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.function_stack or self.ctx.class_stack:
            return
        for target in node.targets:
            if not isinstance(target.target, cst.Name) or target.target.value != "MIDDLEWARE":
                continue
            values = string_list(node.value)
            if values is None:
                continue
            if SECURITY_MIDDLEWARE in values:
                self.ctx.add_fact(FACT, "django")
            elif not self.skip:
                self.report(node, kind="django")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if SECURITY_MIDDLEWARE in (string_list(node.value) or []):
            self.ctx.add_fact(FACT, "django")

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        layers = set(project.values(FACT))
        if candidate.data.get("kind") == "django":
            return None if "django" in layers or "library" in layers else candidate
        if candidate.data.get("kind") == "pages" and not any(project.values(FACT_HTML_PAGES)):
            return None  # a JSON API: no page for a browser to frame or sniff
        factory = candidate.data.get("factory")
        if factory and mounted_by_call(factory, project):
            return None  # mounted into another app: the parent's finding covers it
        if factory and not candidate.data.get("parent") and not layers and \
                maybe_handed_in(factory, project):
            # Likely the application handed to a mount elsewhere; the hand-over is not
            # followed, so it stays at the audit level.
            return replace(candidate, confidence="low")
        return None if layers else candidate


def _html_keyword(arg: cst.Arg, qualname) -> bool:
    """``response_class=HTMLResponse``, ``content_type="text/html"`` (aiohttp),
    ``media_type="text/html"`` (Starlette), ``mimetype="text/html"`` (Flask)."""
    key = arg.keyword.value if arg.keyword is not None else ""
    if key == "response_class":
        return qualname(arg.value) in HTML_RENDERERS
    if key in ("content_type", "media_type", "mimetype"):
        return (string_value(arg.value) or "").startswith("text/html")
    return False


#: Frameworks that send a view's returned string as an HTML page.
_STRING_AS_HTML = frozenset({"flask", "quart"})
#: The start of a common HTML element: ``<p>``, ``<div class=...``, ``</table``,
#: ``<!DOCTYPE`` (not ``<model name>`` in a prompt or ``<id>`` in a usage text).
_HTML_TAG = re.compile(
    r"<(?:/?(?:html|head|body|title|div|span|p|a|h[1-6]|ul|ol|li|table|tr|td|th|form|"
    r"input|button|script|style|br|hr|img|pre|code|b|i|em|strong|label|select|option)"
    r"[\s>/]|!doctype)", re.IGNORECASE)


def _literal_text(expr: cst.BaseExpression) -> str:
    """The literal characters of a string, f-string or concatenation of them ("" else)."""
    if isinstance(expr, cst.SimpleString):
        return string_value(expr) or ""
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
    if isinstance(expr, cst.ConcatenatedString):
        return _literal_text(expr.left) + _literal_text(expr.right)
    if isinstance(expr, cst.BinaryOperation):
        return _literal_text(expr.left) + _literal_text(expr.right)
    return ""


def _uses_header_library(packages: set[str]) -> bool:
    return any(p in packages for p in HEADER_LIBRARIES)
