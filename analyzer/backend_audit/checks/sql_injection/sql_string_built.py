"""BA301: SQL text built by formatting or concatenation reaches a database call
(DB-API cursors and connections, SQLAlchemy ``execute`` on a string, pandas, async
drivers, the project's own query helpers and configured ``sql_sinks``)."""

from __future__ import annotations

from typing import Any

import libcst as cst

from backend_audit.appmodel.migration_code import migration_confidence
from backend_audit.sql.sinks import DB_API, SqlSinkCheck


class SqlStringBuilt(SqlSinkCheck):
    rule_id = DB_API
    skips_migrations = True  # deploy-time SQL from constants, no request reaches it
    handles_wrappers = True

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        super().report(node, message, migration_confidence(self.ctx.function_stack, confidence),
                       **data)
