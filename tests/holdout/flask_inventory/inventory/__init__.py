"""Inventory service: application factory."""
import logging

from flask import Flask

from .config import get_config
from .errors import register_error_handlers
from .extensions import bcrypt, db, migrate


def create_app(config_name: str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)  # ok-category: error-handling
    app.config.from_object(get_config(config_name))

    logging.basicConfig(level=app.config["LOG_LEVEL"])

    db.init_app(app)
    migrate.init_app(app, db)
    bcrypt.init_app(app)

    from .auth.views import bp as auth_bp
    from .products.views import bp as products_bp
    from .warehouses.views import bp as warehouses_bp

    app.register_blueprint(auth_bp, url_prefix="/api/v1/auth")
    app.register_blueprint(products_bp, url_prefix="/api/v1/products")
    app.register_blueprint(warehouses_bp, url_prefix="/api/v1/warehouses")

    register_error_handlers(app)
    return app
