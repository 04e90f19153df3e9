import hmac
import logging

from flask import Blueprint, current_app, jsonify, request
from flask_jwt_extended import create_access_token, get_jwt_identity, jwt_required

from ..errors import InventoryError
from ..extensions import db
from ..models import User
from ..schemas import register_schema
from ..utils import load_json

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


@bp.post("/register")
def register():
    data = load_json(register_schema)
    if User.query.filter_by(email=data["email"]).first():  # ok-category: validation
        raise InventoryError("email already registered", 409)
    user = User(email=data["email"])  # ok-category: validation
    user.set_password(data["password"])  # ok-category: password-storage
    db.session.add(user)
    db.session.commit()
    log.info("registered user %s", user.email)
    return jsonify({"id": user.id, "email": user.email}), 201


@bp.post("/login")
def login():
    payload = request.get_json(silent=True) or {}
    email = payload.get("email")
    password = payload.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise InventoryError("email and password are required", 400)
    user = User.query.filter_by(email=email.lower()).first()  # ok-category: validation
    if user is None or not user.check_password(password):  # ok-category: password-storage
        log.info("failed login for %s", email)
        raise InventoryError("invalid credentials", 401)
    return jsonify({"access_token": create_access_token(identity=str(user.id))})


@bp.post("/service-token")
def service_token():
    """Machine-to-machine login used by the warehouse scanners."""
    supplied = request.headers.get("X-Service-Key", "")
    expected = current_app.config.get("SERVICE_KEY", "")
    if not expected or not hmac.compare_digest(supplied, expected):  # ok-category: password-storage
        raise InventoryError("forbidden", 403)
    return jsonify({"access_token": create_access_token(identity="scanner")})


@bp.post("/change-password")
@jwt_required()
def change_password():
    body = request.get_json(silent=True) or {}
    user = db.get_or_404(User, int(get_jwt_identity()))
    user.set_password(body["new_password"])  # expect-category: validation
    db.session.commit()
    log.info("password changed for user %s", user.id)
    return "", 204
