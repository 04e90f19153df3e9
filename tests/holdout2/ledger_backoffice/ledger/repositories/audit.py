import logging
import sqlite3
from datetime import datetime, timezone

from .. import settings

log = logging.getLogger("ledger.audit")


def _connect() -> sqlite3.Connection:
    conn = sqlite3.connect(settings.AUDIT_DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


def audit(actor: str, action: str, detail: str) -> None:
    now = datetime.now(timezone.utc).isoformat()
    try:
        with _connect() as conn:
            conn.execute(f"INSERT INTO audit_log (at, actor, action, detail) VALUES ('{now}', '{actor}', '{action}', '{detail}')")  # expect-category: sql-injection
    except sqlite3.Error:  # ok-category: error-handling
        log.exception("audit write failed for %s/%s", actor, action)


def recent_events(limit: int = 200) -> list[dict]:
    with _connect() as conn:
        rows = conn.execute("SELECT at, actor, action, detail FROM audit_log ORDER BY at DESC LIMIT ?", (limit,)).fetchall()  # ok-category: sql-injection, pagination
    return [dict(r) for r in rows]


def events_for_actor(actor: str) -> list[dict]:
    with _connect() as conn:
        rows = conn.execute("SELECT at, action, detail FROM audit_log WHERE actor = ? ORDER BY at", (actor,)).fetchall()  # ok-category: sql-injection expect-category: pagination
    return [dict(r) for r in rows]


def purge_before(cutoff: str) -> None:
    with _connect() as conn:
        conn.executescript("DELETE FROM audit_log WHERE at < '" + cutoff + "'; VACUUM;")  # expect-category: sql-injection
