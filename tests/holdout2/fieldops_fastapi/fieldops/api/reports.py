import logging

import pandas as pd
from fastapi import APIRouter, HTTPException, Query

from ..database import engine

router = APIRouter()
log = logging.getLogger("fieldops.reports")


def _sync_read(sql: str, params=None):
    with engine.sync_engine.connect() as conn:
        return pd.read_sql(sql, conn, params=params)


@router.get("/sla")
def sla_report(region: str = Query(...), month: str = Query(..., pattern=r"^\d{4}-\d{2}$")):
    sql = "SELECT technician_id, AVG(EXTRACT(EPOCH FROM closed_at - created_at)) / 3600 AS hours FROM work_orders WHERE region = '{}' AND to_char(created_at, 'YYYY-MM') = '{}' GROUP BY technician_id".format(region, month)
    with engine.sync_engine.connect() as conn:
        df = pd.read_sql(sql, conn)  # expect-category: sql-injection
    return df.to_dict(orient="records")


@router.get("/volume")
def volume_report(region: str = Query(...)):
    df = _sync_read("SELECT status, COUNT(*) AS n FROM work_orders WHERE region = %(region)s GROUP BY status", {"region": region})  # ok-category: sql-injection
    return df.to_dict(orient="records")


@router.post("/rebuild")
def rebuild_materialised_views():
    try:
        with engine.sync_engine.begin() as conn:
            conn.exec_driver_sql("REFRESH MATERIALIZED VIEW CONCURRENTLY work_order_stats")  # ok-category: sql-injection
    except Exception as exc:
        log.exception("refresh failed")
        raise HTTPException(status_code=500, detail=f"refresh failed: {exc}")  # expect-category: error-handling
    return {"status": "refreshed"}


@router.post("/archive/{year}")
def archive_year(year: int):
    with engine.sync_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO work_orders_archive SELECT * FROM work_orders WHERE EXTRACT(YEAR FROM created_at) = %s" % year)  # expect-category: sql-injection
    return {"status": "archived", "year": year}
