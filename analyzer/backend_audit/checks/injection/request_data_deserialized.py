"""BA806: client input is deserialised with a format that can construct arbitrary objects."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name
from backend_audit.flow.sinks import SAFE_YAML_LOADERS, UNSAFE_LOADERS, YAML_LOADS
from backend_audit.flow.specs import DESERIALIZATION
from backend_audit.flow.tainted_sink import TaintedSinkCheck


def last_name_of(dotted: str | None) -> str | None:
    return dotted.rsplit(".", 1)[-1] if dotted else None


class RequestDataDeserialized(TaintedSinkCheck):
    rule_id = "BA806"
    spec = DESERIALIZATION

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        if qual in YAML_LOADS:
            loader = get_arg(call, "Loader", 1)
            if loader is not None and (
                    last_name(loader.value) in SAFE_YAML_LOADERS or
                    last_name_of(self.ctx.imports.qualname(loader.value)) in SAFE_YAML_LOADERS):
                return []
        elif qual == "numpy.load":
            allow = get_arg(call, "allow_pickle")
            if allow is None or not (isinstance(allow.value, cst.Name) and
                                     allow.value.value == "True"):
                return []
        elif qual not in UNSAFE_LOADERS:
            return []
        arg = get_arg(call, "data", 0) or get_arg(call, "stream", 0) or \
            get_arg(call, "file", 0) or get_arg(call, "string", 0) or get_arg(call, "f", 0)
        return [arg.value] if arg is not None else []
