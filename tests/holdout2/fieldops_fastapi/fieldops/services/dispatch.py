import asyncio
import logging

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Technician, WorkOrder

log = logging.getLogger("fieldops.dispatch")


class DispatchService:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def open_orders(self, region: str, *, limit: int, offset: int) -> list[WorkOrder]:
        stmt = (select(WorkOrder).where(WorkOrder.region == region, WorkOrder.status != "done")
                .order_by(WorkOrder.priority, WorkOrder.created_at).limit(limit).offset(offset))
        return (await self.session.scalars(stmt)).all()  # ok-category: pagination

    async def backlog(self) -> list[WorkOrder]:
        return (await self.session.scalars(select(WorkOrder).where(WorkOrder.status == "new"))).all()  # expect-category: pagination

    async def search(self, filters: dict):
        where = " AND ".join(f"{key} = '{value}'" for key, value in filters.items()) or "TRUE"
        result = await self.session.execute(text("SELECT id, customer, region, status FROM work_orders WHERE " + where + " LIMIT 100"))  # expect-category: sql-injection
        return [dict(r._mapping) for r in result]

    async def by_customer(self, customer: str):
        stmt = text("SELECT id, status, created_at FROM work_orders WHERE customer = :c ORDER BY created_at DESC LIMIT 20").bindparams(c=customer)
        return [dict(r._mapping) for r in await self.session.execute(stmt)]  # ok-category: sql-injection, pagination

    async def assign(self, order_id: int, technician_id: int) -> None:
        try:
            await self.session.execute(update(WorkOrder).where(WorkOrder.id == order_id).values(technician_id=technician_id, status="assigned"))
            await self.session.commit()
        except SQLAlchemyError:  # ok-category: error-handling
            await self.session.rollback()
            log.exception("could not assign order %s", order_id)
            raise

    async def nearest_free_technician(self, region: str) -> Technician | None:
        return await self.session.scalar(select(Technician).where(Technician.region == region).limit(1))

    async def geocode(self, address: str) -> tuple[float, float] | None:
        try:
            async with httpx.AsyncClient(timeout=3) as client:
                resp = await client.get("https://geo.internal/v1/lookup", params={"q": address})
                resp.raise_for_status()
                data = resp.json()
                return data["lat"], data["lon"]
        except (httpx.HTTPError, asyncio.TimeoutError, KeyError):  # ok-category: error-handling
            log.warning("geocoding failed for %r", address)
            return None

    async def warm_route_cache(self, region: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                await client.post("https://routing.internal/v1/warm", json={"region": region})
        except Exception:  # expect-category: error-handling
            return None
