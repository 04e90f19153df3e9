from flask import Blueprint, abort, jsonify, request

from bookshop.extensions import db
from bookshop.models import User
from bookshop.services.accounts import register_user, verify_login

users_bp = Blueprint("users", __name__)


@users_bp.post("/register")
def register():
    data = request.get_json(silent=True) or {}
    email, password = data.get("email"), data.get("password")
    if not isinstance(email, str) or "@" not in email:
        abort(400, "a valid email is required")
    if not isinstance(password, str) or len(password) < 12:
        abort(400, "password must be at least 12 characters")
    user = register_user(email, password, data.get("display_name"))
    return jsonify(user.to_dict()), 201


@users_bp.post("/login")
def login():
    data = request.get_json(silent=True) or {}
    user = verify_login(str(data.get("email", "")), str(data.get("password", "")))
    if user is None:
        abort(401)
    return jsonify(user.to_dict())


@users_bp.post("/admin/create")
def admin_create_user():
    body = request.form
    user = User(email=body["email"], display_name=body.get("name"), password=body["password"])
    db.session.add(user)
    db.session.commit()
    return jsonify(user.to_dict()), 201
