import logging

from fastapi import APIRouter, BackgroundTasks, Body, Depends, HTTPException, Query, Request
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import get_session
from ..models import WorkOrder
from ..schemas import WorkOrderCreate, WorkOrderOut
from ..services.dispatch import DispatchService

router = APIRouter()
log = logging.getLogger("fieldops.api")


@router.get("/", response_model=list[WorkOrderOut])
async def list_open(region: str = Query(..., pattern=r"^[a-z]{2}-[a-z0-9]{2,6}$"), limit: int = Query(50, le=200), offset: int = 0, session: AsyncSession = Depends(get_session)):
    return await DispatchService(session).open_orders(region, limit=limit, offset=offset)


@router.get("/backlog", response_model=list[WorkOrderOut])
async def backlog(session: AsyncSession = Depends(get_session)):
    return await DispatchService(session).backlog()


@router.post("/search")
async def search(filters: dict = Body(...), session: AsyncSession = Depends(get_session)):
    return await DispatchService(session).search(filters)  # expect-category: validation


@router.get("/by-customer")
async def by_customer(customer: str = Query(..., max_length=120), session: AsyncSession = Depends(get_session)):
    return await DispatchService(session).by_customer(customer)


@router.post("/", response_model=WorkOrderOut, status_code=201)
async def create(body: WorkOrderCreate, background: BackgroundTasks, session: AsyncSession = Depends(get_session)):
    order = WorkOrder(**body.model_dump())  # ok-category: validation
    session.add(order)
    await session.commit()
    background.add_task(DispatchService(session).warm_route_cache, order.region)  # ok-category: error-handling
    return order


@router.post("/import", status_code=201)
async def import_orders(payload: list[dict] = Body(...), session: AsyncSession = Depends(get_session)):
    orders = [WorkOrder(**item) for item in payload]  # expect-category: validation
    session.add_all(orders)
    await session.commit()
    return {"imported": len(orders)}


@router.patch("/{order_id}")
async def patch_order(order_id: int, request: Request, session: AsyncSession = Depends(get_session)):
    data = await request.json()
    await session.execute(update(WorkOrder).where(WorkOrder.id == order_id).values(**data))  # expect-category: validation
    await session.commit()
    return {"status": "updated"}


@router.post("/{order_id}/assign/{technician_id}")
async def assign(order_id: int, technician_id: int, session: AsyncSession = Depends(get_session)):
    try:
        await DispatchService(session).assign(order_id, technician_id)
    except Exception as exc:  # ok-category: error-handling
        log.exception("assignment failed")
        raise HTTPException(status_code=503, detail="assignment temporarily unavailable") from exc
    return {"status": "assigned"}


@router.get("/regions/{region}/all", response_model=list[WorkOrderOut])
async def region_orders(region: str, session: AsyncSession = Depends(get_session)):
    from sqlalchemy import select

    return [WorkOrderOut.model_validate(w) for w in (await session.execute(select(WorkOrder).where(WorkOrder.region == region))).scalars()]  # expect-category: pagination
