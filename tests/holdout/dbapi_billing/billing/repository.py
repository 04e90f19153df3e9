"""Data access for invoices and accounts. All SQL lives here."""
from psycopg2 import sql

from .db import cursor

INVOICE_COLUMNS = ("id", "account_id", "number", "amount_cents", "currency", "status", "issued_at")
SORTABLE = {"issued": "issued_at", "amount": "amount_cents", "number": "number"}


def list_invoices(account_id: int, status: str | None, sort: str, limit: int, offset: int):
    query = sql.SQL("SELECT {cols} FROM invoices WHERE account_id = %s {status} ORDER BY {order} LIMIT %s OFFSET %s").format(
        cols=sql.SQL(", ").join(map(sql.Identifier, INVOICE_COLUMNS)),
        status=sql.SQL("AND status = %s") if status else sql.SQL(""),
        order=sql.Identifier(SORTABLE.get(sort, "issued_at")),
    )
    params = [account_id] + ([status] if status else []) + [limit, offset]
    with cursor() as cur:
        cur.execute(query, params)  # ok-category: sql-injection, pagination
        return cur.fetchall()


def all_accounts():
    with cursor() as cur:
        cur.execute("SELECT id, name, email, plan FROM accounts ORDER BY name")  # expect-category: pagination
        return cur.fetchall()


def get_account(account_id: int):
    with cursor() as cur:
        cur.execute("SELECT id, name, email, plan FROM accounts WHERE id = %s", (account_id,))  # ok-category: sql-injection
        return cur.fetchone()


def find_accounts_by_email_domain(domain: str):
    with cursor() as cur:
        cur.execute(  # expect-category: sql-injection
            "SELECT id, name, email FROM accounts WHERE email LIKE '%%@{}' LIMIT 100".format(domain)
        )
        return cur.fetchall()


def create_invoice(account_id: int, number: str, amount_cents: int, currency: str):
    with cursor(commit=True) as cur:
        cur.execute(  # ok-category: sql-injection
            "INSERT INTO invoices (account_id, number, amount_cents, currency, status) "
            "VALUES (%s, %s, %s, %s, 'draft') RETURNING id",
            (account_id, number, amount_cents, currency),
        )
        return cur.fetchone()["id"]


def mark_paid(invoice_ids: list[int]) -> int:
    placeholders = ", ".join(["%s"] * len(invoice_ids))
    with cursor(commit=True) as cur:
        cur.execute(f"UPDATE invoices SET status = 'paid' WHERE id IN ({placeholders})", invoice_ids)  # ok-category: sql-injection
        return cur.rowcount


def revenue_by(period: str):
    with cursor() as cur:
        cur.execute(  # expect-category: sql-injection
            "SELECT date_trunc('" + period + "', issued_at) AS bucket, SUM(amount_cents) AS total "
            "FROM invoices WHERE status = 'paid' GROUP BY 1 ORDER BY 1 DESC LIMIT 36"
        )
        return cur.fetchall()


def update_account(account_id: int, fields: dict):
    assignments = ", ".join(f"{name} = %s" for name in fields)
    with cursor(commit=True) as cur:
        cur.execute(f"UPDATE accounts SET {assignments} WHERE id = %s", [*fields.values(), account_id])  # expect-category: sql-injection
        return cur.rowcount


def create_user(email: str, password_hash: str):
    with cursor(commit=True) as cur:
        cur.execute(  # ok-category: password-storage
            "INSERT INTO users (email, password_hash) VALUES (%s, %s) RETURNING id", (email, password_hash)
        )
        return cur.fetchone()["id"]


def user_by_email(email: str):
    with cursor() as cur:
        cur.execute("SELECT id, email, password_hash FROM users WHERE email = %s", (email,))
        return cur.fetchone()
