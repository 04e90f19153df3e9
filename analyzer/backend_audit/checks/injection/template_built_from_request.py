"""BA801: a template's source text comes from the request (server-side template injection)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, last_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.template_sandbox import imported_sandboxes, sandboxed_receiver
from backend_audit.flow.sinks import TEMPLATE_SOURCES
from backend_audit.flow.specs import TEMPLATE
from backend_audit.flow.tainted_sink import TaintedSinkCheck
from backend_audit.visitor import Candidate

# Candidate data: environments imported from other modules that, if all are sandboxed
# (``appmodel.template_sandbox``), make the call safe.
_SANDBOXES = "sandboxes"


class TemplateBuiltFromRequest(TaintedSinkCheck):
    rule_id = "BA801"
    skips_migrations = True  # a migration serves no request
    spec = TEMPLATE

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self._sandboxes: dict[int, list[str]] = {}

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        if id(node) in self._sandboxes:
            data[_SANDBOXES] = self._sandboxes[id(node)]
        super().report(node, message, confidence, **data)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        sandboxes = candidate.data.get(_SANDBOXES)
        if sandboxes is not None:
            if imported_sandboxes(sandboxes, project):
                return None
            candidate = replace(candidate, data={k: v for k, v in candidate.data.items()
                                                 if k != _SANDBOXES})
        return super().resolve(candidate, project)

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
        if qual is None and isinstance(call.func, cst.Attribute):
            # A sandboxed environment's template cannot reach Python, whoever wrote it.
            sandboxes = sandboxed_receiver(call.func.value, self.ctx)
            if sandboxes == []:
                return []
            if sandboxes:
                self._sandboxes[id(call)] = sandboxes
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
