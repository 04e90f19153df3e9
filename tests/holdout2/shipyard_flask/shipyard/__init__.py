"""Shipyard: shipment tracking API for the regional logistics network."""
import logging

from flask import Flask

from .errors import register_error_handlers
from .extensions import db, migrate


def create_app(config_object: str = "shipyard.config.ProductionConfig") -> Flask:
    app = Flask(__name__)  # ok-category: error-handling
    app.config.from_object(config_object)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    db.init_app(app)
    migrate.init_app(app, db)
    register_error_handlers(app)

    from .auth.routes import bp as auth_bp
    from .shipments.views import register_shipment_views
    from .warehouses.routes import bp as warehouses_bp

    app.register_blueprint(auth_bp, url_prefix="/api/v1/auth")
    app.register_blueprint(warehouses_bp, url_prefix="/api/v1/warehouses")
    register_shipment_views(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
