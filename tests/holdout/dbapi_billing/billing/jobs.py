"""Nightly jobs, run from cron: `python -m billing.jobs`."""
import logging
import sqlite3

from . import repository as repo
from .db import init_pool

log = logging.getLogger("billing.jobs")
LEDGER_PATH = "/var/lib/billing/ledger.sqlite3"


def mirror_accounts_to_ledger() -> None:
    conn = sqlite3.connect(LEDGER_PATH)
    try:
        for account in repo.all_accounts():  # ok-category: pagination
            conn.execute(  # ok-category: sql-injection
                "INSERT OR REPLACE INTO accounts (id, name, plan) VALUES (?, ?, ?)",
                (account["id"], account["name"], account["plan"]),
            )
        conn.commit()
    finally:
        conn.close()


def vacuum_ledger(tables: list[str]) -> None:
    conn = sqlite3.connect(LEDGER_PATH)
    for table in tables:
        try:
            conn.execute(f"DELETE FROM {table} WHERE created_at < date('now', '-7 years')")  # expect-category: sql-injection
        except sqlite3.Error:  # ok-category: error-handling
            log.warning("could not vacuum %s", table, exc_info=True)
    conn.commit()
    conn.close()


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    init_pool()
    mirror_accounts_to_ledger()
    vacuum_ledger(sys.argv[1:])
