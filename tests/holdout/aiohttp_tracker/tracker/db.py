import asyncpg

from .settings import DATABASE_DSN


async def create_pool(app) -> None:
    app["pool"] = await asyncpg.create_pool(DATABASE_DSN, min_size=2, max_size=10)


async def close_pool(app) -> None:
    await app["pool"].close()


async def fetch_issues(pool, project_id: int, limit: int, offset: int):
    return await pool.fetch(  # ok-category: sql-injection, pagination
        "SELECT id, title, state, assignee FROM issues WHERE project_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        project_id,
        limit,
        offset,
    )


async def fetch_projects(pool):
    return await pool.fetch("SELECT id, key, name FROM projects ORDER BY key")  # expect-category: pagination


async def fetch_labels(pool, project_id: int, labels: list[str]):
    label_list = ",".join(f"'{label}'" for label in labels)
    return await pool.fetch(  # expect-category: sql-injection
        f"SELECT issue_id, label FROM issue_labels WHERE project_id = $1 AND label IN ({label_list})",
        project_id,
    )


async def insert_issue(pool, project_id: int, title: str, body: str, reporter: int) -> int:
    return await pool.fetchval(  # ok-category: sql-injection
        "INSERT INTO issues (project_id, title, body, reporter) VALUES ($1, $2, $3, $4) RETURNING id",
        project_id,
        title,
        body,
        reporter,
    )


async def set_issue_field(pool, issue_id: int, field: str, value):
    await pool.execute(f"UPDATE issues SET {field} = $1 WHERE id = $2", value, issue_id)  # expect-category: sql-injection
