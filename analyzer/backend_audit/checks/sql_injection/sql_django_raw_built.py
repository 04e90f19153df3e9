"""BA302: SQL text built by formatting or concatenation is given to Django's ``raw()``,
``extra()`` or ``RawSQL``."""

from __future__ import annotations

from backend_audit.sql.sinks import DJANGO_RAW, SqlSinkCheck


class SqlDjangoRawBuilt(SqlSinkCheck):
    rule_id = DJANGO_RAW
    skips_migrations = True  # a migration serves no request
