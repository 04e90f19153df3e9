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


def _findings(tmp_path: Path, config: Config) -> list[tuple[str, int]]:
    app = tmp_path / "billing"
    app.mkdir()
    (app / "routes.py").write_text(ROUTES, encoding="utf-8")
    report = scan([app], config, ScanOptions(select=("BA501",), jobs=1))
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
