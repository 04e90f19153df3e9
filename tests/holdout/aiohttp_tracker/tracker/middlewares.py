import json
import logging

from aiohttp import web

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except ApiError as exc:
        return web.json_response({"error": exc.message}, status=exc.status)
    except json.JSONDecodeError:
        return web.json_response({"error": "malformed JSON"}, status=400)
    except Exception:  # ok-category: error-handling
        log.exception("unhandled error for %s %s", request.method, request.path)
        return web.json_response({"error": "internal server error"}, status=500)
