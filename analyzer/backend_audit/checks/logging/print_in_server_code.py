"""BA1101: ``print()`` used for diagnostics in request-serving code."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.logging_scope import is_cli_function, is_main_guard, is_server_module
from backend_audit.visitor import Check


class PrintInServerCode(Check):
    rule_id = "BA1101"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.server = is_server_module(ctx)
        self.main_guards = 0

    def visit_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self.main_guards += 1

    def leave_If(self, original_node: cst.If) -> None:
        if is_main_guard(original_node):
            self.main_guards -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if not self.server or self.main_guards:
            return
        if not (isinstance(node.func, cst.Name) and node.func.value == "print") or \
                "print" in self.ctx.imports.names:
            return
        if any(is_cli_function(fn) for fn in self.ctx.function_stack):
            return
        self.report(node)
