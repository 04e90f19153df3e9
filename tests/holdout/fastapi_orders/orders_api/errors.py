import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)


class OrderNotFound(Exception):
    def __init__(self, order_id: int):
        self.order_id = order_id


class InvalidTransition(Exception):
    def __init__(self, current: str, requested: str):
        self.current = current
        self.requested = requested


async def order_not_found_handler(request: Request, exc: OrderNotFound) -> JSONResponse:
    return JSONResponse({"detail": f"order {exc.order_id} not found"}, status_code=404)


async def invalid_transition_handler(request: Request, exc: InvalidTransition) -> JSONResponse:
    return JSONResponse(
        {"detail": f"cannot move order from {exc.current} to {exc.requested}"},
        status_code=status.HTTP_409_CONFLICT,
    )


async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": exc.errors()}, status_code=422)  # ok-category: error-handling


async def unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def register_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OrderNotFound, order_not_found_handler)
    app.add_exception_handler(InvalidTransition, invalid_transition_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(Exception, unhandled_handler)
