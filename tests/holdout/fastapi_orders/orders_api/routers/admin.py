import logging
from typing import Any

from fastapi import APIRouter, Body, Depends
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import get_session
from ..deps import require_admin
from ..models import Order
from ..repositories import OrderRepository
from ..schemas import OrderOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.get("/orders/by-status/{status}", response_model=list[OrderOut])
async def orders_by_status(status: str, session: AsyncSession = Depends(get_session)):
    return await OrderRepository(session).list_by_status(status)


@router.get("/orders/stats")
async def order_stats(days: int = 30, session: AsyncSession = Depends(get_session)):
    repo = OrderRepository(session)
    return {
        "by_status": await repo.count_by_status(),
        "revenue": await repo.daily_revenue(days),  # ok-category: validation
    }


@router.post("/orders/bulk-update")
async def bulk_update(changes: dict[str, Any] = Body(...), session: AsyncSession = Depends(get_session)):
    ids = changes.pop("ids", [])
    await session.execute(update(Order).where(Order.id.in_(ids)).values(**changes))  # expect-category: validation
    await session.commit()
    return {"updated": len(ids)}
