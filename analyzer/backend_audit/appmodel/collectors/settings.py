"""Records configuration values: Django settings modules (module-level UPPER_CASE names)
and Flask ``app.config[...]`` / ``app.config.update(...)`` / ``config.from_mapping``.

Fact ``setting``: ``{"name": "REST_FRAMEWORK", "value": <literal or marker>, "line": n,
"kind": "module" | "flask-config", "settings_module": bool}``.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import jsonable, literal_value, string_value
from backend_audit.visitor import Collector

#: The fact this collector records, one per setting.
FACT_SETTING = "setting"


def _is_settings_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "settings" in path.split("/")[-2:][0] or name in ("settings.py", "config.py",
                                                             "conf.py", "production.py",
                                                             "base.py", "local.py", "dev.py")


class SettingsCollector(Collector):
    words = ("=",)
    # A whole name without ASCII lower-case letters before "=" (str.isupper() module
    # settings, "_X" and non-ASCII names included) or the attribute "config" (Flask): a
    # superset of what visit_Assign and visit_Call record, so skipping other files loses
    # no fact. The look-behind leaves out attributes (obj.X =) and names such as fooX.
    source_pattern = r"(?<![\w.])[^\W\da-z][^\Wa-z]*[\s\\)]*=(?!=)|\bconfig\b"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.settings_module = _is_settings_path(ctx.path) or "settings" in ctx.path

    def _record(self, name: str, value: cst.BaseExpression, node: cst.CSTNode, kind: str) -> None:
        self.ctx.add_fact(FACT_SETTING, {
            "name": name,
            "value": jsonable(literal_value(value)),
            "kind": kind,
            "settings_module": self.settings_module,
        })

    def visit_Assign(self, node: cst.Assign) -> None:
        at_module_level = not self.ctx.function_stack and not self.ctx.class_stack
        for target in node.targets:
            t = target.target
            if at_module_level and isinstance(t, cst.Name) and t.value.isupper():
                self._record(t.value, node.value, node, "module")
            elif isinstance(t, cst.Subscript) and isinstance(t.value, cst.Attribute) and \
                    t.value.attr.value == "config" and len(t.slice) == 1:
                key = t.slice[0].slice
                if isinstance(key, cst.Index):
                    name = string_value(key.value)
                    if name:
                        self._record(name, node.value, node, "flask-config")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("update", "from_mapping") and \
                isinstance(func.value, cst.Attribute) and func.value.attr.value == "config":
            for arg in node.args:
                if arg.keyword is not None:
                    self._record(arg.keyword.value, arg.value, node, "flask-config")
                elif isinstance(arg.value, cst.Dict):
                    for el in arg.value.elements:
                        if isinstance(el, cst.DictElement):
                            name = string_value(el.key)
                            if name:
                                self._record(name, el.value, node, "flask-config")
