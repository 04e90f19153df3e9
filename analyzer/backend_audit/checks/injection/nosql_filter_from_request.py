"""BA807: a MongoDB filter is taken from raw request JSON (NoSQL operator injection)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.appmodel.requests import request_input
from backend_audit.flow.sinks import FILTER_METHODS, MONGO_PACKAGES
from backend_audit.flow.specs import NOSQL
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Check

# Wrapping a value in these forces a scalar: ``{"$ne": None}`` can no longer get through.
SCALAR_CASTS = frozenset({"str", "int", "float", "bool", "ObjectId", "escape"})


class NosqlFilterFromRequest(Check):
    rule_id = "BA807"

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute) or node.func.attr.value not in FILTER_METHODS:
            return
        if not (MONGO_PACKAGES & self.ctx.imports.top_packages) and \
                "mongo" not in self.ctx.source.lower():
            return
        arg = get_arg(node, "filter", 0)
        if arg is None:
            return
        if self._raw_json(arg.value):
            self.report(node)

    def _raw_json(self, expr: cst.BaseExpression) -> bool:
        """The filter (or one of its values) is a JSON document straight from the client."""
        taint = Taint(self.ctx, NOSQL)
        flow = self.ctx.flow()
        candidates: list[cst.BaseExpression] = [expr]
        if isinstance(expr, cst.Name):
            candidates = list(flow.values_of(expr.value)) or [expr]
        for cand in candidates:
            values = [cand]
            if isinstance(cand, cst.Dict):
                values = [e.value for e in cand.elements if isinstance(e, cst.DictElement)]
            for value in values:
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and \
                        value.func.value in SCALAR_CASTS:
                    continue
                source = taint.source(value)
                if source is not None and self._json_body(source):
                    return True
        return False

    def _json_body(self, source: cst.BaseExpression) -> bool:
        # Query strings and form fields are always strings; JSON bodies can hold objects.
        if request_input(source, self.ctx.imports) in ("body",):
            return True
        return isinstance(source, cst.Name) and self._is_dict_param(source.value)

    def _is_dict_param(self, name: str) -> bool:
        fn = self.ctx.current_function
        if fn is None:
            return False
        for param in fn.params.params:
            if param.name.value == name and param.annotation is not None:
                ann = param.annotation.annotation
                base = ann.value if isinstance(ann, cst.Subscript) else ann
                return isinstance(base, cst.Name) and base.value in ("dict", "Dict", "Any")
        return False
