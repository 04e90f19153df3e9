"""BA801: a template's source text comes from the request (server-side template injection)."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name, get_arg, last_name
from backend_audit.flow.sinks import TEMPLATE_SOURCES
from backend_audit.flow.specs import TEMPLATE
from backend_audit.flow.tainted_sink import TaintedSinkCheck


class TemplateBuiltFromRequest(TaintedSinkCheck):
    rule_id = "BA801"
    skips_migrations = True  # a migration serves no request
    spec = TEMPLATE

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        is_sink = qual in TEMPLATE_SOURCES or (
            # env.from_string(...) / engines["django"].from_string(...)
            qual is None and last_name(call.func) == "from_string"
            and bool({"jinja2", "django"} & self.ctx.imports.top_packages)
            and _template_engine(call.func)
        )
        if not is_sink:
            return []
        arg = get_arg(call, "source", 0) or get_arg(call, "template_string", 0) or \
            get_arg(call, "text", 0)
        return [arg.value] if arg is not None else []


# Receivers of ``from_string`` that are template engines (``Cursor.from_string`` parses
# a pagination cursor, ``Decimal``-like classes parse values).
_ENGINE_WORD = re.compile(r"env|jinja|engine|template|loader", re.IGNORECASE)


def _template_engine(func: cst.BaseExpression) -> bool:
    receiver = func.value if isinstance(func, cst.Attribute) else None
    if isinstance(receiver, cst.Subscript):
        receiver = receiver.value  # engines["django"]
    if isinstance(receiver, cst.Call):
        receiver = receiver.func  # Environment(...).from_string / get_env().from_string
    name = dotted_name(receiver) if receiver is not None else None
    return bool(name) and bool(_ENGINE_WORD.search(name.rsplit(".", 1)[-1]))
