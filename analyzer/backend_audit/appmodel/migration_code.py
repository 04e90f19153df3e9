"""Schema-migration helpers that live outside the migration scripts: a function that is
handed Alembic's operations object (``def add_sequence(op, name): op.execute(...)``) or
Django's ``schema_editor`` runs at deploy time, from migrations that pass it names
written in code, and never serves a request. Defines no rule."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.engines.walk import descendants
from backend_audit.flow.calls import param_names

# What a migration does through Alembic's ``op`` (alembic.operations.Operations).
ALEMBIC_OPERATIONS = frozenset({
    "get_bind", "get_context", "execute", "create_table", "drop_table", "rename_table",
    "add_column", "drop_column", "alter_column", "batch_alter_table", "create_index",
    "drop_index", "create_foreign_key", "create_unique_constraint", "create_check_constraint",
    "create_primary_key", "drop_constraint", "bulk_insert", "inline_literal",
})
# What a Django ``RunPython`` function or a custom operation does through ``schema_editor``.
SCHEMA_EDITOR_USES = frozenset({"execute", "connection", "create_model", "delete_model",
                                "add_field", "remove_field", "alter_field"})
_RECEIVERS = {"op": ALEMBIC_OPERATIONS, "schema_editor": SCHEMA_EDITOR_USES}
_MIGRATION_DIRS = frozenset({"migrations", "versions"})
_MIGRATION_TEXT = re.compile(r"^class Migration\(|^def upgrade\(", re.MULTILINE)


def is_migration(rel_path: str, text: str) -> bool:
    """A Django migration or an Alembic revision: a module in ``migrations/`` (or
    Alembic's ``versions/``) that declares ``class Migration(...)`` or ``def upgrade()``."""
    parts = rel_path.split("/")[:-1]
    return any(p in _MIGRATION_DIRS for p in parts) and _MIGRATION_TEXT.search(text) is not None


def migrates_schema(fn: cst.FunctionDef) -> bool:
    """Is ``fn`` handed a migration's operations object and does it use it as one?"""
    receivers = {name: _RECEIVERS[name] for name in param_names(fn) if name in _RECEIVERS}
    if not receivers:
        return False
    return any(isinstance(node.value, cst.Name) and node.value.value in receivers and
               node.attr.value in receivers[node.value.value]
               for node in descendants(fn.body, cst.Attribute))


def migration_confidence(function_stack: list[cst.FunctionDef],
                         confidence: str | None) -> str | None:
    """``low`` for a finding inside such a function (or a function nested in one): the
    audit level, where a reviewer still sees SQL built from a helper's parameters."""
    return "low" if any(migrates_schema(fn) for fn in function_stack) else confidence
