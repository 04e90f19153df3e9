"""BA802: client input is marked as safe HTML or sent as an HTML page unescaped (XSS)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dataflow import is_dynamic_string
from backend_audit.appmodel.names import get_arg, string_value
from backend_audit.checks.injection_sources import TaintedSinkCheck

# Wrappers that switch autoescaping off for their argument.
MARK_SAFE = frozenset({
    "markupsafe.Markup", "flask.Markup", "jinja2.Markup", "django.utils.safestring.mark_safe",
    "django.utils.safestring.SafeString",
})
# Responses whose body is served as text/html by default.
HTML_RESPONSES = frozenset({
    "django.http.HttpResponse", "fastapi.responses.HTMLResponse",
    "starlette.responses.HTMLResponse",
})


class RequestDataMarkedSafe(TaintedSinkCheck):
    rule_id = "BA802"

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        arg = get_arg(call, "content", 0)
        if arg is None:
            return []
        if qual in MARK_SAFE:
            return [arg.value]
        if qual in HTML_RESPONSES and is_dynamic_string(arg.value) and not self._other_type(call):
            return [arg.value]
        return []

    def _other_type(self, call: cst.Call) -> bool:
        """``HttpResponse(..., content_type="text/plain")`` is not rendered as HTML."""
        ctype = get_arg(call, "content_type") or get_arg(call, "media_type")
        value = string_value(ctype.value) if ctype is not None else None
        return value is not None and "html" not in value
