import asyncio
import logging

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import get_settings
from ..db import get_session
from ..deps import current_customer
from ..errors import InvalidTransition, OrderNotFound
from ..models import Customer, Order, OrderItem
from ..repositories import OrderRepository
from ..schemas import OrderCreate, OrderOut, OrderStatusUpdate, Page

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

ALLOWED = {"pending": {"paid", "cancelled"}, "paid": {"shipped", "cancelled"}}


async def notify_warehouse(order_id: int) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        await client.post(get_settings().warehouse_webhook_url, json={"order_id": order_id})


def _log_task_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed", exc_info=task.exception())


@router.get("", response_model=Page)
async def list_my_orders(
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
    customer: Customer = Depends(current_customer),
    session: AsyncSession = Depends(get_session),
):
    rows, total = await OrderRepository(session).list_for_customer(customer.id, limit, offset)  # ok-category: pagination
    return Page(items=rows, total=total, limit=limit, offset=offset)


@router.post("", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
async def create_order(
    payload: OrderCreate,
    customer: Customer = Depends(current_customer),
    session: AsyncSession = Depends(get_session),
):
    order = Order(customer_id=customer.id, note=payload.note, total=0)  # ok-category: validation
    for item in payload.items:
        order.items.append(OrderItem(**item.model_dump()))  # ok-category: validation
        order.total += item.unit_price * item.quantity
    session.add(order)
    await session.commit()
    asyncio.create_task(notify_warehouse(order.id))  # expect-category: error-handling
    return order


@router.get("/search", response_model=list[OrderOut])
async def search_orders(
    q: str = Query(min_length=2, max_length=100),
    limit: int = Query(default=20, ge=1, le=100),
    session: AsyncSession = Depends(get_session),
):
    return await OrderRepository(session).search_notes(q, limit)  # ok-category: validation, pagination


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(order_id: int, session: AsyncSession = Depends(get_session)):
    order = await OrderRepository(session).get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


@router.patch("/{order_id}/status", response_model=OrderOut)
async def update_status(
    order_id: int,
    body: OrderStatusUpdate,
    session: AsyncSession = Depends(get_session),
):
    order = await OrderRepository(session).get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if body.status not in ALLOWED.get(order.status, set()):
        raise InvalidTransition(order.status, body.status)
    order.status = body.status  # ok-category: validation
    try:
        await session.commit()
    except SQLAlchemyError as exc:
        await session.rollback()
        raise HTTPException(status_code=500, detail=f"database error: {exc}")  # expect-category: error-handling
    if order.status == "paid":
        task = asyncio.create_task(notify_warehouse(order.id))  # ok-category: error-handling
        task.add_done_callback(_log_task_failure)
    return order


@router.delete("/{order_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_order(order_id: int, session: AsyncSession = Depends(get_session)):
    order = await OrderRepository(session).get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    try:
        await session.delete(order)
        await session.commit()
    except SQLAlchemyError:  # ok-category: error-handling
        log.exception("failed to delete order %s", order_id)
        await session.rollback()
        raise
