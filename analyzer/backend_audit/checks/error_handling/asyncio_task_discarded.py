"""BA404: an asyncio task is created and its result thrown away (fire-and-forget)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.error_handling import is_test_path
from backend_audit.appmodel.names import dotted_name
from backend_audit.engines.walk import walk
from backend_audit.visitor import Check

TASK_FUNCTIONS = frozenset({"asyncio.create_task", "asyncio.ensure_future",
                            "asyncio.tasks.create_task", "asyncio.tasks.ensure_future"})
LOOP_FACTORIES = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop",
                            "asyncio.new_event_loop"})


class _NameCount(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1


class AsyncioTaskDiscarded(Check):
    rule_id = "BA404"

    def _is_task_call(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Call):
            return False
        imports = self.ctx.imports
        if imports.qualname(expr.func) in TASK_FUNCTIONS:
            return True
        func = expr.func
        if not isinstance(func, cst.Attribute) or \
                func.attr.value not in ("create_task", "ensure_future"):
            return False
        return self._is_loop(func.value)

    def _is_loop(self, expr: cst.BaseExpression) -> bool:
        """An event loop (not a TaskGroup/nursery, which keep their tasks)."""
        if isinstance(expr, cst.Call):
            return self.ctx.imports.qualname(expr.func) in LOOP_FACTORIES
        name = dotted_name(expr) or ""
        if name.split(".")[-1] in ("loop", "_loop", "event_loop"):
            return True
        if isinstance(expr, cst.Name):
            return any(isinstance(v, cst.Call) and
                       self.ctx.imports.qualname(v.func) in LOOP_FACTORIES
                       for v in self.ctx.flow().values_of(expr.value))
        return False

    def visit_Expr(self, node: cst.Expr) -> None:
        if is_test_path(self.ctx.path):
            return
        value = node.value
        if isinstance(value, cst.Await):
            return
        if self._is_task_call(value):
            self.report(value, confidence="high")

    def visit_Assign(self, node: cst.Assign) -> None:
        fn = self.ctx.current_function
        if fn is None or is_test_path(self.ctx.path) or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if not isinstance(target, cst.Name) or not self._is_task_call(node.value):
            return
        # ``task = asyncio.create_task(...)`` and ``task`` never used again: the only
        # reference dies with the frame, so the task can vanish mid-flight.
        counter = _NameCount(target.value)
        walk(fn.body, counter)
        if counter.count <= 1:
            self.report(node.value, confidence="medium",
                        message="The task is assigned to a name that is never used again: "
                                "nothing keeps it alive, awaits it or sees its exception.")
