import asyncio
import logging
from datetime import datetime

from pydantic import BaseModel, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..database import database
from ..tables import bookings

log = logging.getLogger("fleet.bookings")


class BookingIn(BaseModel):
    vehicle_id: int
    member_id: int
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def check_window(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


async def send_confirmation(booking_id: int) -> None:
    await asyncio.sleep(0)
    log.info("confirmation queued for booking %s", booking_id)


async def create_booking(request: Request):
    try:
        booking = BookingIn.model_validate(await request.json())
    except ValidationError as exc:
        return JSONResponse({"errors": exc.errors(include_url=False)}, status_code=422)
    async with database.transaction():
        booking_id = await database.execute(bookings.insert().values(**booking.model_dump()))  # ok-category: validation
    asyncio.create_task(send_confirmation(booking_id))  # expect-category: error-handling
    return JSONResponse({"id": booking_id}, status_code=201)


async def member_bookings(request: Request):
    member_id = request.path_params["member_id"]
    rows = await database.fetch_all(bookings.select().where(bookings.c.member_id == member_id).order_by(bookings.c.starts_at.desc()))  # expect-category: pagination
    return JSONResponse([{"id": r["id"], "vehicle_id": r["vehicle_id"], "starts_at": r["starts_at"].isoformat()} for r in rows])


async def cancel_booking(request: Request):
    booking_id = request.path_params["booking_id"]
    body = await request.json()
    try:
        await database.execute(bookings.update().where(bookings.c.id == booking_id).values(status="cancelled", cancel_reason=body.get("reason")))  # expect-category: validation
    except Exception:  # expect-category: error-handling
        return JSONResponse({"status": "unknown"})
    return JSONResponse({"status": "cancelled"})


async def utilisation(request: Request):
    day = request.query_params.get("day", "")
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        return JSONResponse({"detail": "day must be YYYY-MM-DD"}, status_code=400)
    sql = "SELECT vehicle_id, COUNT(*) AS n FROM bookings WHERE starts_at::date = '" + day + "' GROUP BY vehicle_id"
    rows = await database.fetch_all(sql)  # expect-category: sql-injection
    return JSONResponse([dict(r._mapping) for r in rows])


routes = [
    Route("/", create_booking, methods=["POST"]),
    Route("/member/{member_id:int}", member_bookings, methods=["GET"]),
    Route("/{booking_id:int}/cancel", cancel_booking, methods=["POST"]),
    Route("/utilisation", utilisation, methods=["GET"]),
]
