"""Records the project's closed types (``Literal`` aliases and enumerations).

Fact ``closed-type``: ``{"name": "app.models.SortOrder"}`` for every module-level
``X = Literal[...]`` alias and ``class X(Enum)``, so a check in another module can tell
that a parameter annotated ``X`` holds one of a fixed set of values.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.closed_types import FACT_CLOSED_TYPE, WORDS, module_closed_types
from backend_audit.visitor import Collector


class ClosedTypeFacts(Collector):
    words = WORDS
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        module = self.ctx.module_name
        for name in sorted(module_closed_types(node)):
            self.ctx.add_fact(FACT_CLOSED_TYPE, {"name": f"{module}.{name}" if module else name})
