import logging

from flask import Flask

from .api import api
from .db import init_pool
from .errors import register_api_errors


def create_app() -> Flask:
    app = Flask("ledger")  # ok-category: error-handling
    app.config["RESTX_MASK_SWAGGER"] = False
    app.config["ERROR_404_HELP"] = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    init_pool()
    api.init_app(app)
    register_api_errors(api)
    return app
