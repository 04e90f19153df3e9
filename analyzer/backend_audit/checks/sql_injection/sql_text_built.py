"""BA303: SQL text built by formatting or concatenation is wrapped in SQLAlchemy
``text()``."""

from __future__ import annotations

from typing import Any

import libcst as cst

from backend_audit.appmodel.migration_code import migration_confidence
from backend_audit.sql.sinks import SQLALCHEMY_TEXT, SqlSinkCheck


class SqlTextBuilt(SqlSinkCheck):
    rule_id = SQLALCHEMY_TEXT

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        super().report(node, message, migration_confidence(self.ctx.function_stack, confidence),
                       **data)
