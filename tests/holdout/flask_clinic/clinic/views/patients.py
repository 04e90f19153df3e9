import logging

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import login_required
from sqlalchemy import func, select, text

from ..db import Session
from ..forms import PatientForm
from ..models import Patient

log = logging.getLogger(__name__)
bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.get("/")
@login_required
def index():
    page = request.args.get("page", 1, type=int)
    per_page = current_app.config["PATIENTS_PER_PAGE"]
    stmt = select(Patient).order_by(Patient.last_name).limit(per_page).offset((page - 1) * per_page)
    patients = Session.scalars(stmt).all()  # ok-category: pagination
    total = Session.scalar(select(func.count()).select_from(Patient))
    return jsonify(items=[p.to_dict() for p in patients], total=total, page=page)


@bp.get("/ward/<ward>")
@login_required
def by_ward(ward: str):
    patients = Session.query(Patient).filter(Patient.ward == ward).order_by(Patient.last_name).all()  # expect-category: pagination
    return jsonify([p.to_dict() for p in patients])


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        patient = Patient(  # ok-category: validation
            mrn=form.mrn.data,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            birth_date=form.birth_date.data,
            ward=form.ward.data or None,
        )
        Session.add(patient)
        Session.commit()
        return jsonify(patient.to_dict()), 201
    return render_template("patients/new.html", form=form)


@bp.get("/search")
@login_required
def search():
    name = request.args.get("name", "")
    if not name.isalpha() or len(name) > 80:
        abort(400)
    rows = Session.execute(  # ok-category: sql-injection, validation, pagination
        text("SELECT id, mrn, first_name, last_name FROM patients WHERE last_name ILIKE :n LIMIT 25"),
        {"n": name + "%"},
    ).all()
    return jsonify([dict(r._mapping) for r in rows])


@bp.get("/by-birthdate")
@login_required
def by_birthdate():
    born_after = request.args.get("after", "1900-01-01")
    rows = Session.execute(  # expect-category: sql-injection, validation
        text(f"SELECT id, mrn, last_name FROM patients WHERE birth_date > '{born_after}' ORDER BY birth_date LIMIT 100")
    ).all()
    return jsonify([dict(r._mapping) for r in rows])


@bp.post("/<int:patient_id>/transfer")
@login_required
def transfer(patient_id: int):
    patient = Session.get(Patient, patient_id) or abort(404)
    try:
        patient.ward = request.form["ward"]  # expect-category: validation
        Session.commit()
    except:  # expect-category: error-handling
        Session.rollback()
    return jsonify(patient.to_dict())
