"""Records what the validation rules need to know about other modules.

Fact ``validation-class``: ``{"name": "app.schemas.UserIn", "kind": "validator" | "model" |
None, "bases": ["pydantic.BaseModel"]}`` for every top-level class, so a handler in
another module can tell a schema (``UserIn(**data)`` validates) from a model
(``User(**data)`` stores).

Fact ``validation-callable``: ``{"name": "app.validation.validate_json", "validates": bool,
"stores": [param names], "lookups": [param names], "dangers": [param names], "rows": [param
names, only when some], "params": [the names a call fills by position, a method's ``self``
aside], "forwards": [[param, callee, position, keyword]]}``
for every top-level function and method of a top-level class: does it validate its
input (decorators such as ``@validate_json(SCHEMA)`` included), which parameters does it
store or splice into SQL, which only select rows with, which of the stored ones it
splices into SQL text or runs ("dangers"), which it writes as a row or a field of one
(a model built from it, a model attribute set to it: "rows"), and which does it hand on to
functions of other modules.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.flow.payload import (
    class_bases,
    local_class_kind,
    summarize,
)
from backend_audit.visitor import Collector

# Fact keys this collector produces (read by the validation checks).
CLASS_FACT = "validation-class"
CALLABLE_FACT = "validation-callable"


class ValidatorFacts(Collector):
    # A fact is recorded for every class and function outside functions, even one that
    # does nothing with its input: a call it settles would otherwise stay unsettled, and
    # one fact fewer changes which name a suffix lookup in ``resolve`` picks. So the only
    # true precondition is a ``def``/``class`` statement: the keyword opening a line,
    # not one in a comment or docstring.
    words = ("def ", "class ")
    skips_migrations = True  # no handler calls a migration's functions or classes
    source_pattern = r"(?:^|\r)\ufeff?[ \t\f]*(?:async(?:\s|\\)+)?(?:def|class)(?:\s|\\)"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        # The engine has already pushed ``node`` on the class stack.
        if self.ctx.function_stack or len(self.ctx.class_stack) > 1:
            return
        self.ctx.add_fact(CLASS_FACT, {
            "name": f"{self.ctx.module_name}.{node.name.value}",
            "kind": local_class_kind(self.ctx, node),
            "bases": class_bases(self.ctx, node),
        })

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # The engine has already pushed ``node`` on the function stack.
        if len(self.ctx.function_stack) > 1 or len(self.ctx.class_stack) > 1:
            return
        if self.ctx.routes.route_for(node) is not None:
            return  # handlers are analysed where they are, not called from elsewhere
        owner = f"{self.ctx.class_stack[0].name.value}." if self.ctx.class_stack else ""
        summary = summarize(self.ctx, node,
                            owner=self.ctx.class_stack[0] if self.ctx.class_stack else None)
        # Recorded even when it neither validates nor stores: a known function that
        # does nothing with its argument settles a call to it.
        fact = {
            "name": f"{self.ctx.module_name}.{owner}{node.name.value}",
            "validates": summary.validates,
            "stores": sorted(summary.stores),
            "lookups": sorted(summary.lookups),
            "dangers": sorted(summary.dangers),
            "params": list(summary.positional),
            "forwards": [list(f) for f in summary.forwards],
        }
        if summary.rows:
            fact["rows"] = sorted(summary.rows)
        self.ctx.add_fact(CALLABLE_FACT, fact)
