import logging

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
errors_bp = Blueprint("errors", __name__)


class BillingError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@errors_bp.app_errorhandler(BillingError)
def billing_error(exc: BillingError):
    return jsonify({"error": exc.message}), exc.status


@errors_bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return jsonify({"error": exc.description}), exc.code


@errors_bp.app_errorhandler(Exception)
def unexpected(exc: Exception):
    log.exception("unexpected error")
    return jsonify({"error": "internal error"}), 500
