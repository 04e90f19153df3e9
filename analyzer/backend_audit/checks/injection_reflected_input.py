"""Client input an attacker can put into a victim's request: reflected XSS and open redirects.

Defines no rule. Both attacks need the victim's browser to send the attacker's value, so
they count only input a crafted link or an auto-submitted form can carry: the query
string, form fields, the path (route parameters) and, less reliably, the body (a JSON
body needs a script on the attacker's page that CORS stops). Headers and cookies are not
chosen by a link. Used by BA802 (request-data-marked-safe) and BA808
(redirect-target-from-request) over the shared taint of ``injection_sources``.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name
from backend_audit.appmodel.requests import request_input
from backend_audit.checks.injection_sources import Taint

# Request parts a link or a cross-site form cannot set.
UNLINKABLE_KINDS = frozenset({"headers", "cookies", "files"})
# Request parts a link can set only with the help of a script on the attacker's page.
WEAK_KINDS = frozenset({"body"})
# Django route parameters by these names hold primary keys (``<int:pk>``, ``<uuid:id>``).
_KEY_PARAM = re.compile(r"^(pk|id|uuid)$|_(pk|id|uuid)$")
_TEXT_TYPES = frozenset({"Optional", "Union", "Literal", "Any", "AnyStr", "AnyUrl", "HttpUrl",
                         "AnyHttpUrl", "Path", "PurePath", "EmailStr", "SecretStr"})
_MARKUP = frozenset({"Markup", "SafeString", "SafeText"})


def code_key(ctx: ModuleContext, expr: cst.CSTNode) -> str:
    """The source text of ``expr`` without whitespace, to compare two expressions."""
    return re.sub(r"\s+", "", ctx.module.code_for_node(expr))


class ReflectedTaint(Taint):
    """The shared taint, narrowed to input a link or form can carry.

    Also follows ``a or b`` and items appended to a list, and stops at ``cleared``:
    expressions (by ``code_key``) a guard in the function has checked.
    """

    def __init__(self, ctx: ModuleContext, cleared: frozenset[str] = frozenset()) -> None:
        super().__init__(ctx)
        self.cleared = cleared
        self.params = {p for p in self.params if not _KEY_PARAM.search(p)}

    def _walk(self, expr: cst.BaseExpression, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        if depth > 10:
            return None
        if self.cleared and code_key(self.ctx, expr) in self.cleared:
            return None
        if request_input(expr, self.ctx.imports) in UNLINKABLE_KINDS:
            return None
        if isinstance(expr, cst.BooleanOperation):
            return self._walk(expr.left, depth + 1, seen) or \
                self._walk(expr.right, depth + 1, seen)
        if _markup_escaped(expr):
            return None
        if isinstance(expr, cst.Call) and last_name(expr.func) in ("urljoin", "urljoin_rfc"):
            for arg in expr.args:
                found = self._walk(arg.value, depth + 1, seen)
                if found is not None:
                    return found
            return None
        found = super()._walk(expr, depth, seen)
        if found is None and isinstance(expr, cst.Name) and expr.value not in seen:
            for item in self.flow.items_of(expr.value):
                found = self._walk(item, depth + 1, seen | {expr.value})
                if found is not None:
                    return found
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
        """``medium`` for input only a script can send, else None (the rule's own)."""
        return "medium" if self.kind(source) in WEAK_KINDS else None


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
