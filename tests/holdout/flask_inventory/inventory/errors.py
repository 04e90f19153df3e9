"""Application-wide error handlers, registered by the factory."""
import logging

from flask import jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)


class InventoryError(Exception):
    status_code = 400

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


def register_error_handlers(app):
    @app.errorhandler(ValidationError)
    def handle_validation(err: ValidationError):
        return jsonify({"error": "validation_failed", "fields": err.messages}), 422  # ok-category: error-handling

    @app.errorhandler(InventoryError)
    def handle_domain(err: InventoryError):
        return jsonify({"error": err.message}), err.status_code

    @app.errorhandler(IntegrityError)
    def handle_integrity(err):
        db.session.rollback()
        log.warning("integrity error: %s", err.orig)
        return jsonify({"error": "conflict"}), 409

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        return jsonify({"error": err.name, "description": err.description}), err.code

    app.register_error_handler(Exception, _handle_unexpected)


def _handle_unexpected(err: Exception):
    log.exception("unhandled error")
    return jsonify({"error": "internal_server_error"}), 500
