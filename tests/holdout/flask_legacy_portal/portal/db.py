import sqlite3

from flask import g

from . import settings


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(settings.DATABASE, detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(_exc=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def query(sql: str, params: tuple = (), one: bool = False):
    cur = get_db().execute(sql, params)  # ok-category: sql-injection
    rows = cur.fetchall()
    cur.close()
    return (rows[0] if rows else None) if one else rows


def where_clause(filters: dict) -> str:
    parts = []
    for column, value in filters.items():
        parts.append(f"{column} = '{value}'")
    return " AND ".join(parts) if parts else "1=1"
