import logging

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from . import settings
from .database import database
from .endpoints import bookings, members, vehicles
from .errors import exception_handlers

logging.basicConfig(level=logging.INFO)


async def health(request):
    return JSONResponse({"status": "ok"})


routes = [
    Route("/health", health),
    Mount("/api/v1", routes=[
        Mount("/vehicles", routes=vehicles.routes),
        Mount("/bookings", routes=bookings.routes),
        Mount("/members", routes=members.routes),
    ]),
]

app = Starlette(debug=settings.DEBUG, routes=routes, exception_handlers=exception_handlers, on_startup=[database.connect], on_shutdown=[database.disconnect])  # ok-category: error-handling
