"""BA1102: a password, token or secret is written to the logs."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name
from backend_audit.flow.specs import SECRET
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Check

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                         "log", "msg"})
LOGGER_NAME = re.compile(r"(^|\.)_?(log|logger|logging|structlog|\w+_log|\w+_logger)$",
                         re.IGNORECASE)


class SecretWrittenToLog(Check):
    rule_id = "BA1102"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
            return
        receiver = dotted_name(func.value) or ""
        if not LOGGER_NAME.search(receiver):
            return
        taint = Taint(self.ctx, SECRET, params=())
        for arg in node.args:
            if taint.source(arg.value) is not None:
                self.report(node)
                return
