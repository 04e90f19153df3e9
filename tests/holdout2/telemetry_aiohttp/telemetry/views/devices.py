import asyncio
import logging

from aiohttp import web
from pydantic import ValidationError

from ..repositories import DeviceRepository
from ..schemas import DeviceIn, DeviceProvision

log = logging.getLogger("telemetry.devices")


class DeviceCollectionView(web.View):
    async def get(self):
        repo = DeviceRepository(self.request.app["pg"])
        site = self.request.query.get("site")
        if site:
            if not site.replace("-", "").isalnum() or len(site) > 64:
                raise web.HTTPBadRequest(text="invalid site code")
            try:
                limit = min(int(self.request.query.get("limit", "50")), 500)
                offset = max(int(self.request.query.get("offset", "0")), 0)
            except ValueError:
                raise web.HTTPBadRequest(text="limit/offset must be integers")
            rows = await repo.list_for_site(site, limit=limit, offset=offset)  # ok-category: validation
        else:
            rows = await repo.all_devices()
        return web.json_response([dict(r) for r in rows])

    async def post(self):
        try:
            device = DeviceIn.model_validate(await self.request.json())
        except ValidationError as exc:
            return web.json_response({"errors": exc.errors(include_url=False)}, status=422)
        repo = DeviceRepository(self.request.app["pg"])
        device_id = await repo.create(device.model_dump())  # ok-category: validation
        return web.json_response({"id": device_id}, status=201)


class DeviceView(web.View):
    async def patch(self):
        device_id = int(self.request.match_info["device_id"])
        changes = await self.request.json()
        await DeviceRepository(self.request.app["pg"]).update_fields(device_id, changes)  # expect-category: validation
        asyncio.create_task(self._push_config(device_id))  # expect-category: error-handling
        return web.json_response({"status": "updated"})

    async def put(self):
        body = DeviceProvision.model_validate(await self.request.json())
        repo = DeviceRepository(self.request.app["pg"])
        await repo.set_admin_password(body.serial, body.admin_password)  # ok-category: password-storage, validation
        return web.json_response({"status": "provisioned"})

    async def post(self):
        """Field technicians reset the service password from the handheld app."""
        body = await self.request.json()
        repo = DeviceRepository(self.request.app["pg"])
        await repo.set_service_password(body["serial"], body["service_password"])  # expect-category: validation
        return web.json_response({"status": "reset"})

    async def _push_config(self, device_id: int) -> None:
        await asyncio.sleep(0)
        log.info("config pushed to device %s", device_id)
