"""Client input an attacker can put into a victim's request: reflected XSS and open redirects.

Defines no rule. Both attacks need the victim's browser to send the attacker's value, so
they count input a crafted link or an auto-submitted form can carry: the query string,
form fields, the path (route parameters) and, less reliably, the body (a JSON body needs
a script on the attacker's page that CORS stops). Headers and cookies, which no link
sets, are reported at low confidence only (``any_source``). Used by BA802
(request-data-marked-safe) and BA808 (redirect-target-from-request) over the shared taint
of ``injection_sources``.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import descendants
from backend_audit.flow.branches import constant_truth, dead_values
from backend_audit.flow.taint import MAX_DEPTH, PASSTHROUGH, SANITISERS, Taint

# Request parts a link or a cross-site form cannot set.
UNLINKABLE_KINDS = frozenset({"headers", "cookies", "files"})
# Request parts a link can set only with the help of a script on the attacker's page.
WEAK_KINDS = frozenset({"body"})
# Django route parameters by these names hold primary keys (``<int:pk>``, ``<uuid:id>``).
_KEY_PARAM = re.compile(r"^(pk|id|uuid)$|_(pk|id|uuid)$")
# A URL scheme still being written: ``"http" + x`` becomes ``https://...``.
_SCHEME_SO_FAR = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HOST_ENDED = re.compile(r"[/\\]{2}[^/\\?#@]+[/\\?#]")
_TEXT_TYPES = frozenset({"Optional", "Union", "Literal", "Any", "AnyStr", "AnyUrl", "HttpUrl",
                         "AnyHttpUrl", "Path", "PurePath", "EmailStr", "SecretStr"})
# Calls that reshape a value but keep what it says (``x = x.strip()``, ``"".join(x)``).
_SHAPING = frozenset({"join", "format", "strip", "lower", "upper", "replace", "str",
                      "unquote", "unquote_plus", "decode", "encode", "urljoin"})
_MARKUP = frozenset({"Markup", "SafeString", "SafeText"})


def code_key(ctx: ModuleContext, expr: cst.CSTNode) -> str:
    """The source text of ``expr`` without whitespace, to compare two expressions."""
    return re.sub(r"\s+", "", ctx.module.code_for_node(expr))


class ReflectedTaint(Taint):
    """The shared taint, narrowed to input a link or form can carry (``any_source`` widens
    it to headers and cookies).

    Stops at ``cleared`` (expressions, by ``code_key``, a guard in the function has
    checked), at values replaced by a transforming call of themselves
    (``name = escape(name)``), at ``Markup``'s escaping operators and at branches that
    never run; follows ``urljoin`` (an absolute second argument wins).
    """

    def __init__(self, ctx: ModuleContext, cleared: frozenset[str] = frozenset(),
                 sanitisers: frozenset[str] = SANITISERS,
                 passthrough: frozenset[str] = PASSTHROUGH, ignore_referer: bool = False) -> None:
        super().__init__(ctx, sanitisers=sanitisers, passthrough=passthrough)
        self.ignore_referer = ignore_referer
        self.cleared = cleared
        self.linkable_only = True
        self._dead_values: dict[int, frozenset[int]] = {}
        self.params = {p for p in self.params if not _KEY_PARAM.search(p)}

    def _walk(self, expr: cst.BaseExpression, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        if depth > MAX_DEPTH:
            return None
        if self.cleared and code_key(self.ctx, expr) in self.cleared:
            return None
        kind = request_input(expr, self.ctx.imports)
        if kind in UNLINKABLE_KINDS and (self.linkable_only or (
                self.ignore_referer and _names_referer(expr))):
            return None
        if isinstance(expr, cst.IfExp):
            truth = constant_truth(expr.test, self.flow)
            if truth is not None:
                return self._walk(expr.body if truth else expr.orelse, depth + 1, seen)
        if isinstance(expr, cst.Name):
            if self.reassigned_clean(expr.value):
                return None
            values = self.flow.values_of(expr.value)
            live = self.live_values(expr.value)
            if len(live) < len(values) and expr.value not in seen:
                for value in live:
                    found = self._walk(value, depth + 1, seen | {expr.value})
                    if found is not None:
                        return found
                return None
        if _url_query_read(expr):
            return expr
        if _markup_escaped(expr):
            return None
        if isinstance(expr, cst.Call) and last_name(expr.func) in ("urljoin", "urljoin_rfc"):
            for arg in expr.args:
                found = self._walk(arg.value, depth + 1, seen)
                if found is not None:
                    return found
            return None
        return super()._walk(expr, depth, seen)

    def live_values(self, name: str) -> list[cst.BaseExpression]:
        """What ``name`` may hold, less values assigned in branches that never run."""
        key = id(self.flow.scope)
        if key not in self._dead_values:
            self._dead_values[key] = dead_values(self.flow.scope, self.flow)
        dead = self._dead_values[key]
        return [v for v in self.flow.values_of(name) if id(v) not in dead]

    def reassigned_clean(self, name: str) -> bool:
        """``name = escape(name)`` / ``next = safe_url(next)``: a value replaced by what a
        transforming call makes of it. Flow-insensitive, like the rest of the taint: the
        replacement is taken to happen before the sink."""
        for value in self.flow.values_of(name):
            if isinstance(value, cst.Await):
                value = value.expression
            if not isinstance(value, cst.Call) or last_name(value.func) in self.passthrough or \
                    last_name(value.func) in _SHAPING:
                continue
            if any(isinstance(n, cst.Name) and n.value == name
                   for a in value.args for n in descendants(a.value, cst.Name)):
                return True
        return False

    def any_source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """``source(expr)``, else a header or cookie ``expr`` is built from."""
        found = self.source(expr)
        if found is None:
            self.linkable_only = False
            try:
                found = self.source(expr)
            finally:
                self.linkable_only = True
        return found

    def kind(self, source: cst.BaseExpression) -> str:
        """What part of the request ``source`` (a result of ``source()``) reads."""
        kind = request_input(source, self.ctx.imports)
        if kind is not None:
            return kind
        if isinstance(source, cst.Name):
            return _param_kind(self.ctx.current_function, source.value)
        return "path"

    def confidence(self, source: cst.BaseExpression) -> str | None:
        """``low`` for a header or cookie (no link sets them), ``medium`` for input only
        a script can send, else None (the rule's own)."""
        kind = self.kind(source)
        if kind in UNLINKABLE_KINDS:
            return "low"
        return "medium" if kind in WEAK_KINDS else None


def fixes_origin(prefix: str) -> bool:
    """Does a URL starting with this literal text stay on a host chosen by the code?"""
    if not prefix:
        return False
    if prefix[0] in "/\\":
        return len(prefix) >= 2 and prefix[1] not in "/\\"  # a path, not ``//host``
    if prefix[0] in "?#":
        return True
    if _SCHEME_SO_FAR.fullmatch(prefix):
        return False  # ``"http" + x``: x may finish the scheme
    scheme = _SCHEME.match(prefix)
    if scheme is None:
        return True  # a relative path (``orders/``, ``page?x=``)
    rest = prefix[scheme.end():]
    if rest[:1] in ("/", "\\"):
        return bool(_HOST_ENDED.match(rest))  # ``https://example.com/`` but not ``https://``
    return bool(rest)  # ``mailto:x`` ...; a bare ``https:`` takes ``//host`` next


def _names_referer(expr: cst.BaseExpression) -> bool:
    """``request.headers.get("Referer")`` / ``request.META["HTTP_REFERER"]``."""
    return any("referer" in (string_value(node) or "").lower()
               for node in descendants(expr, cst.SimpleString))


def _url_query_read(expr: cst.BaseExpression) -> bool:
    """``request.rel_url.query.get("x")`` / ``request.url.query`` (aiohttp, Starlette) and
    ``request.query_string`` (Flask, raw bytes): query-string reads the shared sources
    do not list."""
    while isinstance(expr, (cst.Subscript, cst.Call)):
        if isinstance(expr, cst.Call):
            if not (isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
                    "get", "getone", "getall", "getlist", "decode")):
                return False
            expr = expr.func.value
        else:
            expr = expr.value
    if not (isinstance(expr, cst.Attribute) and expr.attr.value in ("query", "query_string")):
        return False
    owner = expr.value
    if isinstance(owner, cst.Attribute) and owner.attr.value in ("rel_url", "url"):
        owner = owner.value
    elif expr.attr.value != "query_string":
        return False  # ``request.query`` is already a source (aiohttp)
    return isinstance(owner, cst.Name) and owner.value in ("request", "req")


def _param_kind(fn: cst.FunctionDef | None, name: str) -> str:
    """``body`` for a FastAPI parameter read from a JSON body (a model, or ``Body()``),
    else ``query`` (query string, path, form)."""
    if fn is None:
        return "query"
    for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
        if param.name.value != name:
            continue
        if isinstance(param.default, cst.Call) and last_name(param.default.func) == "Body":
            return "body"
        annotation = param.annotation.annotation if param.annotation is not None else None
        while isinstance(annotation, cst.Subscript) and \
                last_name(annotation.value) in ("Annotated", "Optional"):
            first = annotation.slice[0].slice
            annotation = first.value if isinstance(first, cst.Index) else None
        if isinstance(annotation, cst.BinaryOperation):  # ``Model | None``
            annotation = annotation.left
        type_name = last_name(annotation) if annotation is not None else None
        if type_name and type_name[0].isupper() and type_name not in _TEXT_TYPES:
            return "body"
    return "query"


def _markup_escaped(expr: cst.BaseExpression) -> bool:
    """``Markup("<b>{}</b>").format(x)``, ``Markup("<b>%s</b>") % x`` and
    ``Markup("<b>") + x`` escape ``x``: Markup's operators escape their operands."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("format", "format_map", "join"):
        return _is_markup(expr.func.value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return _is_markup(expr.left)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _is_markup(expr.left) or _is_markup(expr.right)
    return False


def _is_markup(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Call) and last_name(expr.func) in _MARKUP
