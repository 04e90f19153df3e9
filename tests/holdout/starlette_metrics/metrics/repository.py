from .database import database


async def insert_points(series: str, points: list[dict]) -> None:
    await database.execute_many(  # ok-category: sql-injection
        query="INSERT INTO points (series, ts, value) VALUES (:series, :ts, :value)",
        values=[{"series": series, "ts": p["ts"], "value": p["value"]} for p in points],
    )


async def query_series(series: str, start: int, end: int, bucket: str):
    sql = (
        f"SELECT strftime('{bucket}', ts, 'unixepoch') AS b, AVG(value) AS v FROM points "
        "WHERE series = :series AND ts BETWEEN :start AND :end GROUP BY b ORDER BY b LIMIT 1000"
    )
    return await database.fetch_all(query=sql, values={"series": series, "start": start, "end": end})  # ok-category: sql-injection


async def list_series():
    return await database.fetch_all(query="SELECT DISTINCT series FROM points ORDER BY series")  # expect-category: pagination


async def list_dashboards(owner: str, limit: int, offset: int):
    return await database.fetch_all(  # ok-category: sql-injection, pagination
        query="SELECT id, name FROM dashboards WHERE owner = :owner ORDER BY name LIMIT :limit OFFSET :offset",
        values={"owner": owner, "limit": limit, "offset": offset},
    )


async def save_dashboard(owner: str, name: str, layout: str, share_password: str | None):
    return await database.execute(  # ok-category: sql-injection
        query="INSERT INTO dashboards (owner, name, layout, share_password) VALUES (:o, :n, :l, :p)",
        values={"o": owner, "n": name, "l": layout, "p": share_password},
    )


async def purge_before(table: str, cutoff: int) -> None:
    await database.execute(query=f"DELETE FROM {table} WHERE ts < :cutoff", values={"cutoff": cutoff})  # expect-category: sql-injection
