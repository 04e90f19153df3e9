"""Error types and the JSON error handlers for the whole application."""
import logging

from flask import jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class ShipmentStateError(DomainError):
    status_code = 409


def register_error_handlers(app):
    @app.errorhandler(ValidationError)
    def handle_validation(err):
        return jsonify(error="invalid request", fields=err.messages), 422

    @app.errorhandler(DomainError)
    def handle_domain(err):
        return jsonify(error=err.message), err.status_code

    @app.errorhandler(HTTPException)
    def handle_http(err):
        return jsonify(error=err.name), err.code

    @app.errorhandler(Exception)
    def handle_unexpected(err):
        log.exception("unhandled error while serving request")
        return jsonify(error="internal server error"), 500
