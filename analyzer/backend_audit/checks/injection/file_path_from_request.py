"""BA805: a file-system path comes from the request (path traversal)."""

from __future__ import annotations

from typing import Any

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name
from backend_audit.appmodel.uploads import mentions_client_filename
from backend_audit.engines.walk import descendants
from backend_audit.flow.budget import Budget
from backend_audit.flow.locals import Flow
from backend_audit.flow.sinks import (
    PATH_BUILDERS,
    PATH_METHODS,
    PATH_PROBE_METHODS,
    PATH_PROBES,
    PATH_SINKS,
)
from backend_audit.flow.specs import PATH
from backend_audit.flow.taint import route_input_params, single_segment_params
from backend_audit.flow.tainted_sink import TaintedSinkCheck


class FilePathFromRequest(TaintedSinkCheck):
    rule_id = "BA805"
    skips_migrations = True  # a migration serves no request
    spec = PATH

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        func = call.func
        if isinstance(func, cst.Name) and func.value == "open" and \
                "open" not in self.ctx.imports.names and "open" not in self.ctx.module_functions:
            arg = get_arg(call, "file", 0)
            return [arg.value] if arg is not None else []
        qual = self.ctx.imports.qualname(func)
        if qual in PATH_SINKS:
            found = (get_arg(call, kw, pos) for kw, pos in PATH_SINKS[qual])
            return [a.value for a in found if a is not None]
        if qual in PATH_PROBES:
            arg = get_arg(call, "path", 0)
            return [arg.value] if arg is not None and not self._used_later(call, arg.value) \
                else []
        if isinstance(func, cst.Attribute) and qual is None and \
                func.attr.value in PATH_METHODS | PATH_PROBE_METHODS and \
                is_path_object(func.value, self.ctx.flow()):
            if func.attr.value in PATH_PROBE_METHODS and self._used_later(call, func.value):
                return []
            return [func.value]
        return []

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        # Probing or listing a client path tells what exists; reading, writing, serving
        # or deleting is the harm (real code: the probes were judged debatable).
        if confidence is None and isinstance(node, cst.Call) and self._is_probe(node):
            confidence = "low"
        super().report(node, message, confidence, **data)

    def _is_probe(self, call: cst.Call) -> bool:
        if self.ctx.imports.qualname(call.func) in PATH_PROBES:
            return True
        return isinstance(call.func, cst.Attribute) and \
            call.func.attr.value in PATH_PROBE_METHODS

    def _used_later(self, probe: cst.Call, path: cst.BaseExpression) -> bool:
        """``if not os.path.exists(path): abort(404)`` before ``send_file(path)``: the
        file is then served, and that is the finding (one per path)."""
        fn = self.ctx.current_function
        if fn is None or not isinstance(path, cst.Name):
            return False
        seen = False
        for call in descendants(fn, cst.Call):
            if not seen:
                seen = call is probe
                continue
            qual = self.ctx.imports.qualname(call.func)
            args: list[cst.BaseExpression] = []
            if qual in PATH_SINKS or (isinstance(call.func, cst.Name) and
                                      call.func.value == "open"):
                args = [a.value for a in call.args]
            elif isinstance(call.func, cst.Attribute) and call.func.attr.value in PATH_METHODS:
                args = [call.func.value]
            if any(isinstance(a, cst.Name) and a.value == path.value for a in args):
                return True
        return False

    def input_params(self, at: cst.CSTNode) -> set[str]:
        params = route_input_params(self.ctx)
        # One URL segment is never ``a/b``: at most ``..``, one level up, to a fixed name.
        # Removing a whole tree one level up is still harmful.
        if not (isinstance(at, cst.Call) and
                self.ctx.imports.qualname(at.func) == "shutil.rmtree"):
            params -= single_segment_params(self.ctx)
        return params

    def sanitising_attribute(self, attr: cst.Attribute, flow: Flow) -> bool:
        """``Path(name).name`` is the last component only."""
        return attr.attr.value in ("name", "stem", "suffix") and is_path_object(attr.value, flow)

    def accept(self, arg: cst.BaseExpression, source: cst.BaseExpression | None) -> bool:
        # Upload filenames written to disk are BA1201's finding; do not report twice.
        return not mentions_client_filename(self.ctx, arg)


def is_path_object(expr: cst.BaseExpression, flow: Flow, budget: Budget | None = None,
                   seen: frozenset[str] = frozenset()) -> bool:
    """``Path(x)``, ``base / x``, ``p.joinpath(x)``, ``p.parent`` or a name holding one."""
    budget = budget or Budget()
    if budget.exhausted:
        return False
    budget = budget.deeper()
    if isinstance(expr, cst.Call):
        return last_name(expr.func) in PATH_BUILDERS
    if isinstance(expr, cst.BinaryOperation):
        return isinstance(expr.operator, cst.Divide)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
        return is_path_object(expr.value, flow, budget, seen)
    if isinstance(expr, cst.Name) and expr.value not in seen:
        return any(is_path_object(v, flow, budget, seen | {expr.value})
                   for v in flow.values_of(expr.value))
    return False
