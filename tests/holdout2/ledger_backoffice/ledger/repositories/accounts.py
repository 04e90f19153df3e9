import logging

import psycopg2
from psycopg2 import sql

from ..db import cursor
from ..errors import AccountNotFound, InsufficientFunds, LedgerError

log = logging.getLogger("ledger.accounts")

ACCOUNT_COLUMNS = "id, iban, holder, currency, balance_cents, opened_at"
SORTABLE = {"opened_at", "holder", "balance"}


class DuplicateAccount(LedgerError):
    code = 409


class AccountRepository:
    def page(self, page: int, per_page: int, sort: str):
        column = sort if sort in SORTABLE else "opened_at"
        query = sql.SQL("SELECT {cols} FROM accounts ORDER BY {order} LIMIT %s OFFSET %s").format(
            cols=sql.SQL(ACCOUNT_COLUMNS), order=sql.Identifier(column if column != "balance" else "balance_cents"))
        with cursor() as cur:
            cur.execute(query, (per_page, (page - 1) * per_page))  # ok-category: sql-injection
            return cur.fetchall()  # ok-category: pagination

    def by_iban(self, iban: str):
        with cursor() as cur:
            cur.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE iban = %s", (iban,))  # ok-category: sql-injection
            row = cur.fetchone()
        if row is None:
            raise AccountNotFound(iban)
        return row

    def find_by_iban(self, iban: str):
        try:
            return self.by_iban(iban)
        except Exception:  # expect-category: error-handling
            return None

    def search_holder(self, holder: str):
        with cursor() as cur:
            cur.execute("SELECT iban, holder FROM accounts WHERE holder ILIKE '%%%s%%' LIMIT 50" % holder)  # expect-category: sql-injection
            return cur.fetchall()

    def statement(self, iban: str):
        account = self.by_iban(iban)
        with cursor() as cur:
            cur.execute("SELECT booked_at, amount_cents, reference FROM postings WHERE account_id = %s ORDER BY booked_at DESC", (account["id"],))  # ok-category: sql-injection
            return cur.fetchall()  # expect-category: pagination

    def create(self, data: dict) -> int:
        try:
            with cursor() as cur:
                cur.execute("INSERT INTO accounts (iban, holder, currency) VALUES (%(iban)s, %(holder)s, %(currency)s) RETURNING id", data)  # ok-category: sql-injection
                return cur.fetchone()["id"]
        except psycopg2.IntegrityError:  # ok-category: error-handling
            raise DuplicateAccount(data["iban"]) from None

    def update_holder(self, iban: str, holder: str, note: str | None):
        stmt = "UPDATE accounts SET holder = '{}'".format(holder)
        if note:
            stmt += ", note = '{}'".format(note)
        stmt += " WHERE iban = %s"
        with cursor() as cur:
            cur.execute(stmt, (iban,))  # expect-category: sql-injection

    def transfer(self, from_iban: str, to_iban: str, amount_cents: int, reference: str) -> None:
        with cursor() as cur:
            cur.execute("SELECT id, balance_cents FROM accounts WHERE iban IN (%s, %s) FOR UPDATE", (from_iban, to_iban))
            rows = {r["id"]: r for r in cur.fetchall()}
            source = self.by_iban(from_iban)
            if source["balance_cents"] < amount_cents:
                raise InsufficientFunds(from_iban)
            cur.execute("UPDATE accounts SET balance_cents = balance_cents - %s WHERE iban = %s", (amount_cents, from_iban))
            cur.execute("UPDATE accounts SET balance_cents = balance_cents + %s WHERE iban = %s", (amount_cents, to_iban))
            cur.execute("INSERT INTO postings (account_id, amount_cents, reference) SELECT id, %s, %s FROM accounts WHERE iban = %s", (-amount_cents, reference, from_iban))
            log.info("transfer of %s cents booked across %d accounts", amount_cents, len(rows))

    def freeze_many(self, ibans: list[str]) -> int:
        placeholders = ", ".join(["%s"] * len(ibans))
        with cursor() as cur:
            cur.execute(f"UPDATE accounts SET frozen = TRUE WHERE iban IN ({placeholders})", ibans)  # ok-category: sql-injection
            return cur.rowcount
