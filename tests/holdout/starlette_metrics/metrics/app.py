import asyncio
import contextlib
import logging
import time

import jsonschema
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import repository as repo
from .config import ADMIN_TOKEN, RETENTION_DAYS
from .database import database
from .security import hash_share_password

log = logging.getLogger("metrics")

BUCKET_FORMATS = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H", "day": "%Y-%m-%d"}

POINTS_SCHEMA = {
    "type": "object",
    "required": ["series", "points"],
    "properties": {
        "series": {"type": "string", "pattern": "^[a-z0-9_.]{1,64}$"},
        "points": {
            "type": "array",
            "maxItems": 5000,
            "items": {
                "type": "object",
                "required": ["ts", "value"],
                "properties": {"ts": {"type": "integer"}, "value": {"type": "number"}},
            },
        },
    },
}


async def ingest(request: Request) -> JSONResponse:
    body = await request.json()
    jsonschema.validate(body, POINTS_SCHEMA)
    await repo.insert_points(body["series"], body["points"])  # ok-category: validation
    return JSONResponse({"accepted": len(body["points"])}, status_code=202)


async def series_data(request: Request) -> JSONResponse:
    series = request.path_params["series"]
    try:
        fmt = BUCKET_FORMATS[request.query_params.get("bucket", "hour")]
        start = int(request.query_params["start"])
        end = int(request.query_params.get("end", time.time()))
    except (KeyError, ValueError):
        raise HTTPException(status_code=400, detail="bad bucket/start/end")
    rows = await repo.query_series(series, start, end, fmt)  # ok-category: validation
    return JSONResponse([dict(r) for r in rows])


async def all_series(request: Request) -> JSONResponse:
    rows = await repo.list_series()
    return JSONResponse([r["series"] for r in rows])


async def dashboards(request: Request) -> JSONResponse:
    owner = request.headers["x-user"]
    limit = min(int(request.query_params.get("limit", 20)), 100)
    offset = int(request.query_params.get("offset", 0))
    rows = await repo.list_dashboards(owner, limit, offset)  # ok-category: pagination
    return JSONResponse([dict(r) for r in rows])


async def create_dashboard(request: Request) -> JSONResponse:
    data = await request.json()
    share_password = data.get("share_password")
    dashboard_id = await repo.save_dashboard(  # expect-category: validation
        request.headers["x-user"],
        data["name"],
        data.get("layout", "{}"),
        hash_share_password(share_password) if share_password else None,
    )
    return JSONResponse({"id": dashboard_id, "share_password": share_password}, status_code=201)  # expect-category: password-storage


async def purge(request: Request) -> JSONResponse:
    if request.headers.get("x-admin-token") != str(ADMIN_TOKEN):
        raise HTTPException(status_code=403)
    cutoff = int(time.time()) - RETENTION_DAYS * 86400
    try:
        await repo.purge_before(request.path_params["table"], cutoff)  # expect-category: validation
    except Exception as exc:
        return JSONResponse({"error": repr(exc)}, status_code=500)  # expect-category: error-handling
    return JSONResponse({"purged_before": cutoff})


async def _retention_loop() -> None:
    while True:
        await asyncio.sleep(3600)
        cutoff = int(time.time()) - RETENTION_DAYS * 86400
        try:
            await repo.purge_before("points", cutoff)
        except Exception:  # ok-category: error-handling
            log.exception("retention purge failed")


@contextlib.asynccontextmanager
async def lifespan(app):
    await database.connect()
    retention = asyncio.create_task(_retention_loop())  # ok-category: error-handling
    try:
        yield
    finally:
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
        await database.disconnect()


routes = [
    Route("/api/ingest", ingest, methods=["POST"]),
    Route("/api/series", all_series),
    Route("/api/series/{series}", series_data),
    Route("/api/dashboards", dashboards),
    Route("/api/dashboards", create_dashboard, methods=["POST"]),
    Route("/admin/purge/{table}", purge, methods=["POST"]),
]

app = Starlette(debug=True, routes=routes, lifespan=lifespan)  # expect-category: error-handling
