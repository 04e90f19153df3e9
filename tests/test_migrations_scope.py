"""Schema migrations are deploy-time code: request-facing analyses skip them."""

from __future__ import annotations

import pytest
from backend_audit.config import Config
from backend_audit.engines.libcst_engine import analyse_source, is_migration
from backend_audit.pipeline import ScanOptions, _words, enabled_rules

MIGRATION = '''from django.db import connection, migrations


def relabel(apps, schema_editor, table):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET label = upper(label)")


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_label")]
    operations = [migrations.RunPython(relabel)]
'''


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("shop/migrations/0004_relabel.py", MIGRATION, True),
    ("alembic/versions/1f2e_add_index.py",
     'revision = "1f2e"\n\n\ndef upgrade():\n    pass\n', True),
    ("shop/migrations/helpers.py", "def relabel(table):\n    pass\n", False),
    ("shop/jobs.py", MIGRATION, False),
])
def test_migration_modules_are_recognised(path: str, text: str, expected: bool) -> None:
    assert is_migration(path, text) is expected


def test_sql_built_in_a_migration_is_not_a_request_finding() -> None:
    rules = enabled_rules(Config(), ScanOptions(select=("BA301",)))
    ids = frozenset(r.id for r in rules if r.engine == "libcst")
    words = _words(rules)
    elsewhere = analyse_source("shop/jobs.py", MIGRATION, Config(), ids, words)
    migration = analyse_source("shop/migrations/0004_relabel.py", MIGRATION, Config(), ids,
                               words)
    assert [c.rule_id for c in elsewhere.candidates] == ["BA301"]
    assert migration.candidates == []
