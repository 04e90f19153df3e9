import hashlib
import hmac
import os

from aiohttp import web

SIGNING_KEY = os.environ.get("TELEMETRY_SIGNING_KEY", "").encode()


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if request.path.startswith("/api/"):
        provided = request.headers.get("X-Signature", "")
        expected = hmac.new(SIGNING_KEY, request.path.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, provided):  # ok-category: password-storage
            raise web.HTTPUnauthorized()
    return await handler(request)
