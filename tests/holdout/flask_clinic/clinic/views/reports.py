import logging
from datetime import datetime

import pandas as pd
from flask import Blueprint, Response, abort, jsonify, request
from flask_login import login_required
from sqlalchemy import bindparam, text

from ..db import Session, engine

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__, url_prefix="/reports")

ALLOWED_WARDS = {"ICU", "ER", "PED", "MAT", "ONC"}


@bp.get("/census.csv")
@login_required
def census_csv():
    ward = request.args.get("ward", "ICU")
    df = pd.read_sql(f"SELECT mrn, last_name, ward FROM patients WHERE ward = '{ward}'", engine)  # expect-category: sql-injection, validation, pagination
    return Response(df.to_csv(index=False), mimetype="text/csv")


@bp.get("/admissions")
@login_required
def admissions():
    year = request.args.get("year", type=int) or 2024
    df = pd.read_sql(  # ok-category: sql-injection, validation, pagination
        text("SELECT date_trunc('month', admitted_at) AS m, COUNT(*) AS n FROM admissions "
             "WHERE extract(year FROM admitted_at) = :y GROUP BY 1 ORDER BY 1"),
        engine,
        params={"y": year},
    )
    return jsonify(df.to_dict(orient="records"))


@bp.get("/occupancy")
@login_required
def occupancy():
    wards = [w for w in request.args.getlist("ward") if w in ALLOWED_WARDS] or sorted(ALLOWED_WARDS)
    stmt = text("SELECT ward, COUNT(*) AS n FROM patients WHERE ward IN :wards GROUP BY ward").bindparams(
        bindparam("wards", expanding=True)
    )
    rows = Session.execute(stmt, {"wards": wards}).all()  # ok-category: sql-injection, validation, pagination
    return jsonify({r.ward: r.n for r in rows})


@bp.get("/doctor-load")
@login_required
def doctor_load():
    order = "DESC" if request.args.get("desc") == "1" else "ASC"
    rows = Session.execute(  # ok-category: sql-injection
        text(
            "SELECT s.full_name, COUNT(p.id) AS patients FROM staff s "
            "LEFT JOIN patients p ON p.doctor_id = s.id WHERE s.role = 'doctor' "
            f"GROUP BY s.full_name ORDER BY patients {order} LIMIT 50"
        )
    ).all()
    return jsonify([dict(r._mapping) for r in rows])


@bp.get("/audit")
@login_required
def audit_log():
    since = request.args.get("since")
    if since is not None:
        try:
            since = datetime.fromisoformat(since)
        except ValueError:
            abort(400)
    where = "WHERE at > %(since)s" if since else ""
    df = pd.read_sql("SELECT at, actor, action FROM audit_log " + where + " ORDER BY at DESC LIMIT 500", engine, params={"since": since})  # ok-category: sql-injection, validation
    return jsonify(df.to_dict(orient="records"))
