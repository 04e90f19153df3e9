import logging
import traceback

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

log = logging.getLogger("fleet.errors")


async def http_exception(request: Request, exc: HTTPException):
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def server_error(request: Request, exc: Exception):
    log.exception("unhandled error on %s", request.url.path)
    return PlainTextResponse(traceback.format_exc(), status_code=500)  # expect-category: error-handling


exception_handlers = {
    HTTPException: http_exception,
    500: server_error,
}
