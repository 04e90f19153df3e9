"""Users teach the validation rules their own validators through ``Config.validators``."""

from __future__ import annotations

from pathlib import Path

from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

APP = '''
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from acme.http import guard_payload, payload_contract

app = Flask(__name__)
db = SQLAlchemy(app)


class Invoice(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    amount = db.Column(db.Numeric(10, 2))


@app.post("/invoices")
def create_invoice():
    data = request.get_json()
    guard_payload(data)
    invoice = Invoice(**data)
    db.session.add(invoice)
    db.session.commit()
    return jsonify(id=invoice.id), 201


@app.post("/invoices/draft")
@payload_contract("invoice")
def create_draft():
    invoice = Invoice(**request.get_json())
    db.session.add(invoice)
    db.session.commit()
    return jsonify(id=invoice.id), 201
'''


def _line_of(text: str) -> int:
    return next(n for n, line in enumerate(APP.splitlines(), 1) if text in line)


STORE_CHECKED = _line_of("Invoice(**data)")
STORE_DECORATED = _line_of("Invoice(**request.get_json())")


def _lines(tmp_path: Path, config: Config) -> set[int]:
    path = tmp_path / "invoices.py"
    path.write_text(APP, encoding="utf-8")
    report = scan([path], config, ScanOptions(jobs=1, select=("BA101",)))
    return {f.region.start_line for f in report.findings if f.rule_id == "BA101"}


def test_unknown_helpers_do_not_count_as_validation(tmp_path: Path) -> None:
    assert _lines(tmp_path, Config()) == {STORE_CHECKED, STORE_DECORATED}


def test_a_taught_function_validates(tmp_path: Path) -> None:
    assert _lines(tmp_path, Config(validators=("acme.http.guard_payload",))) == {STORE_DECORATED}


def test_a_taught_decorator_validates_by_bare_name(tmp_path: Path) -> None:
    assert _lines(tmp_path, Config(validators=("payload_contract",))) == {STORE_CHECKED}


QUERY_APP = '''
from flask import Blueprint, jsonify, request
from acme.rules import region_gate

from .repository import sales_for_region

bp = Blueprint("sales", __name__)


@bp.get("/sales")
def sales():
    region = request.args.get("region", "emea")
    region_gate(region)
    return jsonify(sales_for_region(region))
'''

REPOSITORY = '''
from .db import get_conn


def sales_for_region(region):
    return get_conn().execute("SELECT SUM(total) FROM sales WHERE region = ?", (region,)).fetchone()
'''


def _query_lines(tmp_path: Path, config: Config) -> set[tuple[str, int]]:
    app = tmp_path / "shop"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "views.py").write_text(QUERY_APP, encoding="utf-8")
    (app / "repository.py").write_text(REPOSITORY, encoding="utf-8")
    report = scan([app], config, ScanOptions(jobs=1, select=("BA101",)))
    return {(Path(f.path).name, f.region.start_line) for f in report.findings}


def test_a_value_passed_to_a_querying_repository_is_reported(tmp_path: Path) -> None:
    line = next(n for n, text in enumerate(QUERY_APP.splitlines(), 1)
                if "sales_for_region(region)" in text)
    # Handed to a project helper that queries with it: an audit-level finding (calibrated
    # on the real-code corpus), so the floor is lowered to see it.
    assert _query_lines(tmp_path, Config(min_confidence="low")) == {("views.py", line)}
    assert _query_lines(tmp_path / "default", Config()) == set()


def test_a_taught_validator_clears_a_single_value(tmp_path: Path) -> None:
    assert _query_lines(tmp_path, Config(validators=("acme.rules.region_gate",),
                                         min_confidence="low")) == set()
