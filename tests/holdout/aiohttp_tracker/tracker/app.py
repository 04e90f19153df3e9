import logging

from aiohttp import web

from .db import close_pool, create_pool
from .handlers import routes
from .middlewares import error_middleware


def create_app() -> web.Application:
    logging.basicConfig(level=logging.INFO)
    app = web.Application(middlewares=[error_middleware])  # ok-category: error-handling
    app.add_routes(routes)
    app.on_startup.append(create_pool)
    app.on_cleanup.append(close_pool)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), port=8081)
