import hashlib
import logging
import secrets
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, jsonify, request
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User
from ..schemas import LoginSchema, RegistrationSchema

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


@bp.post("/register")
def register():
    form = RegistrationSchema().load(request.get_json(silent=True) or {})
    if User.query.filter_by(email=form["email"]).first():
        abort(409)
    user = User(email=form["email"], password_hash=generate_password_hash(form["password"]))  # ok-category: password-storage, validation
    db.session.add(user)
    db.session.commit()
    return jsonify(id=user.id), 201


@bp.post("/login")
def login():
    creds = LoginSchema().load(request.get_json(silent=True) or {})
    user = User.query.filter_by(email=creds["email"]).first()
    if user is None or not check_password_hash(user.password_hash, creds["password"]):  # ok-category: password-storage
        log.info("failed login for %s", creds["email"])
        abort(401)
    return jsonify(token=issue_token(user))


@bp.post("/password-reset")
def request_password_reset():
    form = LoginSchema(only=("email",)).load(request.get_json(silent=True) or {})
    user = User.query.filter_by(email=form["email"]).first()
    if user is not None:
        raw_token = secrets.token_urlsafe(32)
        user.password_reset_digest = hashlib.sha256(raw_token.encode()).hexdigest()  # ok-category: password-storage
        user.password_reset_expires = datetime.now(timezone.utc) + timedelta(hours=1)
        db.session.commit()
        send_reset_mail(user.email, raw_token)
    return jsonify(status="sent"), 202


@bp.post("/drivers/<int:user_id>/password")
def set_driver_password(user_id: int):
    body = request.get_json()
    user = db.get_or_404(User, user_id)
    user.password_hash = body["new_password"]  # expect-category: password-storage, validation
    db.session.commit()
    return jsonify(status="updated")


def issue_token(user) -> str:
    return secrets.token_urlsafe(24)


def send_reset_mail(email: str, token: str) -> None:
    log.info("password reset mail queued for %s", email)
