import asyncio
import logging
import os

import asyncpg
from aiohttp import web
from motor.motor_asyncio import AsyncIOMotorClient

from .ingest import IngestBuffer, run_rollups
from .middleware import auth_middleware
from .views.devices import DeviceCollectionView, DeviceView
from .views.readings import ReadingsView, export_readings, latest_readings

log = logging.getLogger("telemetry")


async def on_startup(app: web.Application) -> None:
    app["pg"] = await asyncpg.create_pool(os.environ["TELEMETRY_PG_DSN"], min_size=2, max_size=10)
    app["mongo"] = AsyncIOMotorClient(os.environ["TELEMETRY_MONGO_URL"])["telemetry"]
    app["buffer"] = IngestBuffer(app["mongo"])
    app["rollups"] = asyncio.create_task(run_rollups(app["pg"]))  # ok-category: error-handling


async def on_cleanup(app: web.Application) -> None:
    app["rollups"].cancel()
    try:
        await app["rollups"]
    except asyncio.CancelledError:
        log.info("rollup worker stopped")
    await app["pg"].close()


def make_app() -> web.Application:
    app = web.Application(middlewares=[auth_middleware])  # expect-category: error-handling
    app.router.add_view("/api/devices", DeviceCollectionView)
    app.router.add_view("/api/devices/{device_id}", DeviceView)
    app.router.add_view("/api/devices/{device_id}/readings", ReadingsView)
    app.router.add_get("/api/devices/{device_id}/latest", latest_readings)
    app.router.add_get("/api/devices/{device_id}/export", export_readings)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(make_app(), port=int(os.environ.get("PORT", "8080")))
