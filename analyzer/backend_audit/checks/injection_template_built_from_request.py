"""BA801: a template's source text comes from the request (server-side template injection)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name
from backend_audit.checks.injection_sources import TaintedSinkCheck

# Qualified callables whose first argument is template source text.
TEMPLATE_SOURCES = frozenset({
    "flask.render_template_string", "flask.templating.render_template_string",
    "jinja2.Template", "jinja2.environment.Template", "django.template.Template",
    "django.template.base.Template", "mako.template.Template",
})


class TemplateBuiltFromRequest(TaintedSinkCheck):
    rule_id = "BA801"

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        is_sink = qual in TEMPLATE_SOURCES or (
            # env.from_string(...) / engines["django"].from_string(...)
            qual is None and last_name(call.func) == "from_string"
            and bool({"jinja2", "django"} & self.ctx.imports.top_packages)
        )
        if not is_sink:
            return []
        arg = get_arg(call, "source", 0) or get_arg(call, "template_string", 0) or \
            get_arg(call, "text", 0)
        return [arg.value] if arg is not None else []
