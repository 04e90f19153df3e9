import logging
import traceback

from flask import Blueprint, current_app, jsonify, request
from flask_login import login_required, login_user

from ..db import Session
from ..forms import LoginForm, StaffForm
from ..models import Staff

log = logging.getLogger(__name__)
bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.post("/login")
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return jsonify({"errors": form.errors}), 400
    staff = Session.query(Staff).filter_by(username=form.username.data).first()  # ok-category: validation
    if staff is None or not staff.check_password(form.password.data):  # ok-category: password-storage
        return jsonify({"error": "invalid credentials"}), 401
    login_user(staff)
    return jsonify(staff.to_dict())


@bp.post("/kiosk-login")
def kiosk_login():
    form = LoginForm()
    if not form.validate_on_submit():
        return jsonify({"errors": form.errors}), 400
    staff = Session.query(Staff).filter_by(username=form.username.data).first()
    if staff is None or staff.kiosk_password != form.password.data:  # expect-category: password-storage
        return jsonify({"error": "invalid credentials"}), 401
    login_user(staff)
    return jsonify(staff.to_dict())


@bp.post("/")
@login_required
def create_staff():
    form = StaffForm()
    if not form.validate_on_submit():
        return jsonify({"errors": form.errors}), 400
    staff = Staff(username=form.username.data, full_name=form.full_name.data, role=form.role.data)  # ok-category: validation
    staff.set_password(form.password.data)
    Session.add(staff)
    Session.commit()
    return jsonify(staff.to_dict()), 201


@bp.post("/<int:staff_id>/kiosk-password")
@login_required
def set_kiosk_password(staff_id: int):
    staff = Session.get(Staff, staff_id)
    new_password = request.form.get("kiosk_password", "")
    if len(new_password) < 6:
        return jsonify({"error": "too short"}), 400
    staff.kiosk_password = new_password  # expect-category: password-storage
    Session.commit()
    current_app.logger.info("kiosk password for %s set to %s", staff.username, new_password)  # expect-category: password-storage
    return jsonify(staff.to_dict())


@bp.get("/")
@login_required
def list_staff():
    staff = Session.query(Staff).order_by(Staff.username).all()  # expect-category: pagination
    return jsonify([s.to_dict() for s in staff])


@bp.get("/doctors")
@login_required
def list_doctors():
    doctors = Session.query(Staff).filter_by(role="doctor").order_by(Staff.full_name).limit(200).all()  # ok-category: pagination
    return jsonify([d.to_dict() for d in doctors])


@bp.post("/sync-directory")
@login_required
def sync_directory():
    from ..services import directory

    try:
        count = directory.sync_all()
    except Exception:
        log.exception("directory sync failed")
        return jsonify({"error": "sync failed", "trace": traceback.format_exc()}), 502  # expect-category: error-handling
    return jsonify({"synced": count})
