import logging

from django.core.mail import send_mail
from django.db import connection

log = logging.getLogger(__name__)


def notify_assignee(ticket) -> None:
    if ticket.assigned_to and ticket.assigned_to.email:
        send_mail(
            subject=f"[#{ticket.pk}] {ticket.subject}",
            message="A ticket was assigned to you.",
            from_email="helpdesk@example.com",
            recipient_list=[ticket.assigned_to.email],
        )


def ticket_counts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, COUNT(*) FROM tickets_ticket GROUP BY status")  # ok-category: sql-injection
        return dict(cursor.fetchall())


def _date_filter(column: str, since: str | None) -> str:
    if not since:
        return ""
    return f" AND {column} >= '{since}'"


def export_rows(queue_name: str, since: str | None):
    sql = (
        "SELECT t.id, t.subject, t.status, t.created FROM tickets_ticket t "
        "JOIN tickets_queue q ON q.id = t.queue_id WHERE q.name = %s"
    )
    sql += _date_filter("t.created", since)
    with connection.cursor() as cursor:
        cursor.execute(sql, [queue_name])  # expect-category: sql-injection, pagination
        return cursor.fetchall()


def search_tickets(words: list[str], limit: int = 100):
    clauses = " OR ".join(["subject ILIKE %s"] * len(words))
    params = [f"%{w}%" for w in words] + [limit]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, subject FROM tickets_ticket WHERE {clauses} LIMIT %s", params)  # ok-category: sql-injection
        return cursor.fetchall()


def purge_closed(older_than_days: int) -> int:
    with connection.cursor() as cursor:
        try:
            cursor.execute(
                "DELETE FROM tickets_ticket WHERE status = 'closed' AND created < now() - %s * interval '1 day'",
                [older_than_days],
            )
            return cursor.rowcount
        except Exception:  # expect-category: error-handling
            return 0
