import logging

import jsonschema
from aiohttp import web

from ..repositories import DeviceRepository, ReadingStore
from ..schemas import READING_SCHEMA

log = logging.getLogger("telemetry.readings")


class ReadingsView(web.View):
    async def get(self):
        store = ReadingStore(self.request.app["mongo"])
        docs = await store.everything(self.request.match_info["device_id"], self.request.query.get("metric"))  # expect-category: validation
        return web.json_response(docs)

    async def post(self):
        payload = await self.request.json()
        if not isinstance(payload, list) or len(payload) > 1000:
            raise web.HTTPBadRequest(text="expected a list of at most 1000 readings")
        for item in payload:
            jsonschema.validate(item, READING_SCHEMA)
        device_id = self.request.match_info["device_id"]
        self.request.app["buffer"].add(device_id, payload)  # ok-category: validation
        return web.json_response({"accepted": len(payload)}, status=202)


async def latest_readings(request: web.Request) -> web.Response:
    store = ReadingStore(request.app["mongo"])
    try:
        limit = min(int(request.query.get("limit", "100")), 1000)
    except ValueError:
        raise web.HTTPBadRequest(text="limit must be an integer")
    docs = await store.latest(request.match_info["device_id"], limit=limit)
    return web.json_response([{k: v for k, v in d.items() if k != "_id"} for d in docs])


async def export_readings(request: web.Request) -> web.Response:
    repo = DeviceRepository(request.app["pg"])
    try:
        rows = await repo.readings_between(int(request.match_info["device_id"]), request.query["from"], request.query["to"], request.query.get("metric", ""))  # expect-category: validation
    except KeyError:
        raise web.HTTPBadRequest(text="from and to are required")
    except Exception as exc:
        log.exception("export failed")
        return web.json_response({"error": str(exc)}, status=502)  # expect-category: error-handling
    return web.json_response([dict(r) for r in rows], dumps=lambda o: __import__("json").dumps(o, default=str))
