"""BA302: SQL text built by formatting or concatenation is given to Django's ``raw()``,
``extra()`` or ``RawSQL``."""

from __future__ import annotations

from typing import Any

import libcst as cst

from backend_audit.appmodel.migration_code import migration_confidence
from backend_audit.sql.sinks import DJANGO_RAW, SqlSinkCheck


class SqlDjangoRawBuilt(SqlSinkCheck):
    rule_id = DJANGO_RAW
    skips_migrations = True  # a migration serves no request

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        super().report(node, message, migration_confidence(self.ctx.function_stack, confidence),
                       **data)
