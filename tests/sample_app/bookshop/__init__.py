"""Application factory for the bookshop API."""
import logging
import os

from flask import Flask

from bookshop.extensions import db


def create_app(config_object: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config_object or os.environ.get("BOOKSHOP_CONFIG", "bookshop.config.Production"))
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    db.init_app(app)

    from bookshop.api.books import books_bp
    from bookshop.api.orders import orders_bp
    from bookshop.api.users import users_bp

    app.register_blueprint(books_bp, url_prefix="/api/books")
    app.register_blueprint(users_bp, url_prefix="/api/users")
    app.register_blueprint(orders_bp, url_prefix="/api/orders")
    return app
