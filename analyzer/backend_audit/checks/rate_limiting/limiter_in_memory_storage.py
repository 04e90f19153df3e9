"""BA1002: flask-limiter / slowapi counts requests in process memory."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

LIMITERS = frozenset({"flask_limiter.Limiter", "flask_limiter.extension.Limiter",
                      "slowapi.Limiter", "slowapi.extension.Limiter"})
STORAGE_SETTINGS = frozenset({"RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URL"})
FACT = "rate-limiting.storage-configured"


class LimiterInMemoryStorage(Check):
    rule_id = "BA1002"

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.imports.qualname(node.func) in LIMITERS:
            storage = get_arg(node, "storage_uri")
            if storage is None:
                self.report(node, explicit=False)
            elif (string_value(storage.value) or "").startswith("memory://"):
                self.report(node, explicit=True)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in STORAGE_SETTINGS:
                self.ctx.add_fact(FACT, True)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in STORAGE_SETTINGS:
            self.ctx.add_fact(FACT, True)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if string_value(node) in STORAGE_SETTINGS:
            self.ctx.add_fact(FACT, True)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if candidate.data.get("explicit") or not project.has(FACT):
            return candidate
        return None
