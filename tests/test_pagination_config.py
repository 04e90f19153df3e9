"""Users teach BA501 their own pagination helpers through ``pagination-helpers``."""

from __future__ import annotations

from pathlib import Path

from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

ROUTES = '''
from flask import Blueprint, jsonify
from ourkit.db import windowed

from .models import Invoice

bp = Blueprint("billing", __name__)


@bp.get("/invoices")
def list_invoices():
    query = Invoice.query.filter_by(paid=False).order_by(Invoice.due)
    return jsonify(windowed(query))
'''


def _audit(config: Config) -> Config:
    """Pagination findings report at the audit level (calibrated on real code); these
    tests are about which helpers bound a query, so they read that level."""
    return config.with_overrides(min_confidence="low")


def _findings(tmp_path: Path, config: Config) -> list[tuple[str, int]]:
    app = tmp_path / "billing"
    app.mkdir()
    (app / "routes.py").write_text(ROUTES, encoding="utf-8")
    report = scan([app], _audit(config), ScanOptions(select=("BA501",), jobs=1))
    return [(f.rule_id, f.region.start_line) for f in report.findings]


def test_unknown_helper_from_a_library_is_not_trusted(tmp_path: Path) -> None:
    assert _findings(tmp_path, Config()) == [("BA501", 12)]


def test_a_configured_helper_bounds_the_query(tmp_path: Path) -> None:
    assert _findings(tmp_path, Config(pagination_helpers=("windowed",))) == []


def test_a_configured_dotted_helper_bounds_the_query(tmp_path: Path) -> None:
    assert _findings(tmp_path, Config(pagination_helpers=("ourkit.db.windowed",))) == []


def test_a_configured_helper_elsewhere_does_not_hide_the_finding(tmp_path: Path) -> None:
    assert _findings(tmp_path, Config(pagination_helpers=("ourkit.db.paged",))) == \
        [("BA501", 12)]


REPOSITORY = '''
from .models import Invoice


def open_invoices():
    return Invoice.query.filter_by(paid=False).order_by(Invoice.due).all()
'''

API = '''
from flask import Blueprint, jsonify
from ourkit.db import windowed

from .repository import open_invoices

bp = Blueprint("api", __name__)


@bp.get("/invoices/open")
def list_open_invoices():
    return jsonify(windowed(open_invoices()))
'''


def _app_findings(tmp_path: Path, config: Config) -> list[tuple[str, int]]:
    app = tmp_path / "billing"
    app.mkdir()
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "repository.py").write_text(REPOSITORY, encoding="utf-8")
    (app / "api.py").write_text(API, encoding="utf-8")
    report = scan([tmp_path], _audit(config), ScanOptions(select=("BA501",), jobs=1))
    return [(f.path.rsplit("/", 1)[-1], f.region.start_line) for f in report.findings]


def test_rows_from_another_module_are_reported_at_the_query(tmp_path: Path) -> None:
    assert _app_findings(tmp_path, Config()) == [("repository.py", 6)]


def test_a_configured_helper_in_the_route_covers_the_repository_query(tmp_path: Path) -> None:
    assert _app_findings(tmp_path, Config(pagination_helpers=("windowed",))) == []
