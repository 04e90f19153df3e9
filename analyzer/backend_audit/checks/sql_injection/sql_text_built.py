"""BA303: SQL text built by formatting or concatenation is wrapped in SQLAlchemy
``text()``."""

from __future__ import annotations

from backend_audit.sql.sinks import SQLALCHEMY_TEXT, SqlSinkCheck


class SqlTextBuilt(SqlSinkCheck):
    rule_id = SQLALCHEMY_TEXT
