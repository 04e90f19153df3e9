"""BA813: client input is run as Python code (``eval``/``exec``/``compile``)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.flow.sinks import CODE_BUILTINS
from backend_audit.flow.specs import CODE
from backend_audit.flow.tainted_sink import TaintedSinkCheck


class CodeEvaluatedFromRequest(TaintedSinkCheck):
    rule_id = "BA813"
    skips_migrations = True  # a migration serves no request
    spec = CODE

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        func = call.func
        if isinstance(func, cst.Name):
            if func.value not in CODE_BUILTINS or func.value in self.ctx.imports.names or \
                    func.value in self.ctx.module_functions:
                return []
        elif self.ctx.imports.qualname(func) not in {f"builtins.{b}" for b in CODE_BUILTINS}:
            return []
        arg = get_arg(call, "source", 0) or get_arg(call, "expression", 0) or \
            get_arg(call, "object", 0)
        return [arg.value] if arg is not None else []
