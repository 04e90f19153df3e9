"""Client input an attacker can put into a victim's request: reflected XSS and open redirects.

Defines no rule. Both attacks need the victim's browser to send the attacker's value, so
they count input a crafted link or an auto-submitted form can carry: the query string,
form fields, the path (route parameters) and, less reliably, the body (a JSON body needs
a script on the attacker's page that CORS stops). Headers and cookies, which no link
sets, are reported at low confidence only (``any_source``). Used by BA802
(request-data-marked-safe) and BA808 (redirect-target-from-request): two questions to
the one taint evaluator, with the ``HTML``/``REDIRECT`` specs (flow/specs.py) and their
``*_ANY`` twins that count headers and cookies too.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name
from backend_audit.appmodel.requests import request_input
from backend_audit.flow.specs import HTML, HTML_ANY, Spec, fixes_origin, query_string_read
from backend_audit.flow.taint import Taint, code_key, route_input_params

# Request parts a link or a cross-site form cannot set.
UNLINKABLE_KINDS = frozenset({"headers", "cookies", "files"})
# Request parts a link can set only with the help of a script on the attacker's page.
WEAK_KINDS = frozenset({"body"})
# Django route parameters by these names hold primary keys (``<int:pk>``, ``<uuid:id>``).
_KEY_PARAM = re.compile(r"^(pk|id|uuid)$|_(pk|id|uuid)$")
_TEXT_TYPES = frozenset({"Optional", "Union", "Literal", "Any", "AnyStr", "AnyUrl", "HttpUrl",
                         "AnyHttpUrl", "Path", "PurePath", "EmailStr", "SecretStr"})

__all__ = ["ReflectedTaint", "code_key", "fixes_origin"]


class ReflectedTaint:
    """The taint of input a link or form can carry (``source``), or with
    ``linkable_only`` off also headers and cookies (``any_source`` does both in turn).

    Stops at ``cleared`` (expressions, by ``code_key``, a guard in the function has
    checked) and at what the spec stops (see ``HTML``).
    """

    def __init__(self, ctx: ModuleContext, cleared: frozenset[str] = frozenset(),
                 spec: Spec = HTML, any_spec: Spec = HTML_ANY,
                 at: cst.CSTNode | None = None) -> None:
        self.ctx = ctx
        self.cleared = cleared
        self.params = {p for p in route_input_params(ctx) if not _KEY_PARAM.search(p)}
        self._linkable = Taint(ctx, spec, params=self.params, cleared=cleared, at=at)
        self._any = Taint(ctx, any_spec, params=self.params, cleared=cleared, at=at)
        self.flow = self._linkable.flow
        self.linkable_only = True

    def source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        taint = self._linkable if self.linkable_only else self._any
        return taint.source(expr)

    def any_source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """``source(expr)``, else a header or cookie ``expr`` is built from."""
        return self._linkable.source(expr) or self._any.source(expr)

    def reassigned_clean(self, name: str) -> bool:
        return self._linkable.transformed_here(name)

    def values_at(self, name: str, use: cst.CSTNode) -> list[cst.BaseExpression]:
        """What ``name`` may hold where ``use`` reads it (flow/reaching.py): less values
        assigned later, replaced before it, or in branches that never run."""
        scope = self._linkable.root.scope
        return [d.value for d in scope.reaching_name(name, use)[0]]

    def kind(self, source: cst.BaseExpression) -> str:
        """What part of the request ``source`` (a result of ``source()``) reads."""
        kind = request_input(source, self.ctx.imports)
        if kind is not None:
            return kind
        if isinstance(source, cst.Name):
            return _param_kind(self.ctx.current_function, source.value)
        return "query" if query_string_read(source) else "path"

    def confidence(self, source: cst.BaseExpression) -> str | None:
        """``low`` for a header or cookie (no link sets them), ``medium`` for input only
        a script can send, else None (the rule's own)."""
        kind = self.kind(source)
        if kind in UNLINKABLE_KINDS:
            return "low"
        return "medium" if kind in WEAK_KINDS else None


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
