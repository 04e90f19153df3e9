import logging

from django.db import connection

log = logging.getLogger(__name__)


def sla_breaches(filters: dict) -> list[dict]:
    clauses = ["t.status <> 'closed'", "t.due_at < now()"]
    if filters.get("team"):
        clauses.append("t.team = '{}'".format(filters["team"]))
    if filters.get("project"):
        clauses.append("p.key = '{}'".format(filters["project"]))
    sql = (
        "SELECT t.id, t.title, p.key AS project, t.due_at FROM tickets_ticket t "
        "JOIN tickets_project p ON p.id = t.project_id WHERE " + " AND ".join(clauses) + " ORDER BY t.due_at LIMIT 200"
    )
    with connection.cursor() as cur:
        cur.execute(sql)  # expect-category: sql-injection
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]


def overdue_counts(team: str | None) -> list[dict]:
    clauses, params = ["status <> 'closed'", "due_at < now()"], []
    if team:
        clauses.append("team = %s")
        params.append(team)
    sql = "SELECT team, COUNT(*) FROM tickets_ticket WHERE " + " AND ".join(clauses) + " GROUP BY team"
    with connection.cursor() as cur:
        cur.execute(sql, params)  # ok-category: sql-injection
        return [{"team": t, "overdue": n} for t, n in cur.fetchall()]


def notify_watchers(ticket) -> None:
    for user in ticket.project.members.all():
        try:
            user.email_user("Ticket updated", f"{ticket.project.key}-{ticket.id} changed")
        except Exception:  # expect-category: error-handling
            pass
