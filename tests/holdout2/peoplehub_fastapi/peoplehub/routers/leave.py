import asyncio
import logging

import httpx
from fastapi import APIRouter, Depends

from ..models import LeaveCreate, LeaveRequest
from ..repositories import LeaveRepository, get_leave_repo

router = APIRouter()
log = logging.getLogger("peoplehub.leave")

_background: set[asyncio.Task] = set()


async def notify_manager(leave_id: int) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        await client.post("https://notify.internal/leave", json={"leave_id": leave_id})


async def sync_calendar(leave_id: int) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        await client.post("https://calendar.internal/events", json={"leave_id": leave_id})


def _log_task_failure(task: asyncio.Task) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed", exc_info=task.exception())


@router.get("/pending", response_model=list[LeaveRequest])
def pending_requests(repo: LeaveRepository = Depends(get_leave_repo)):
    return repo.pending()


@router.get("/employee/{employee_id}", response_model=list[LeaveRequest])
def employee_leave(employee_id: int, repo: LeaveRepository = Depends(get_leave_repo)):
    return repo.for_employee(employee_id, limit=100)


@router.post("/", status_code=201)
async def request_leave(body: LeaveCreate, repo: LeaveRepository = Depends(get_leave_repo)):
    leave = repo.create(**body.model_dump())  # ok-category: validation
    asyncio.create_task(notify_manager(leave.id))  # expect-category: error-handling
    task = asyncio.create_task(sync_calendar(leave.id))  # ok-category: error-handling
    _background.add(task)
    task.add_done_callback(_log_task_failure)
    return {"id": leave.id, "status": leave.status}
