"""BA806: client input is deserialised with a format that can construct arbitrary objects."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name
from backend_audit.checks.injection_sources import TaintedSinkCheck

UNSAFE_LOADERS = frozenset({
    "pickle.loads", "pickle.load", "cPickle.loads", "dill.loads", "dill.load", "marshal.loads",
    "marshal.load", "jsonpickle.decode", "shelve.open", "yaml.unsafe_load", "yaml.unsafe_load_all",
    "pandas.read_pickle", "joblib.load", "torch.load",
})
SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader"})


class RequestDataDeserialized(TaintedSinkCheck):
    rule_id = "BA806"

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        if qual in ("yaml.load", "yaml.load_all"):
            loader = get_arg(call, "Loader", 1)
            if loader is not None and last_name(loader.value) in SAFE_YAML_LOADERS:
                return []
        elif qual not in UNSAFE_LOADERS:
            return []
        arg = get_arg(call, "data", 0) or get_arg(call, "stream", 0) or get_arg(call, "file", 0)
        return [arg.value] if arg is not None else []
