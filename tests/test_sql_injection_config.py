"""The ``sql-sinks`` teach-key: a project's own query function, imported from a package
the scan does not include, is recognised only once the user names it."""

from __future__ import annotations

from pathlib import Path

from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

SOURCE = '''
from flask import Flask, request
from platform_sdk.storage import lookup

app = Flask(__name__)


@app.get("/tenants/<slug>/users")
def tenant_users(slug):
    role = request.args.get("role", "member")
    return lookup(f"SELECT id, email FROM users WHERE tenant = '{slug}' AND role = '{role}'")


@app.get("/tenants/<slug>/admins")
def tenant_admins(slug):
    return lookup("SELECT id, email FROM users WHERE tenant = %s AND role = 'admin'", [slug])
'''


def _sql_lines(tmp_path: Path, config: Config) -> set[tuple[int, str, str]]:
    target = tmp_path / "tenants.py"
    target.write_text(SOURCE, encoding="utf-8")
    report = scan([target], config, ScanOptions(select=("sql-injection",), jobs=1))
    return {(f.region.start_line, f.rule_id, f.confidence.name.lower()) for f in report.findings}


def test_unknown_helper_is_not_a_sink_by_default(tmp_path: Path) -> None:
    assert _sql_lines(tmp_path, Config()) == set()


def test_sql_sinks_teaches_a_dotted_name(tmp_path: Path) -> None:
    found = _sql_lines(tmp_path, Config(sql_sinks=("platform_sdk.storage.lookup",)))
    assert found == {(11, "BA301", "high")}


def test_sql_sinks_teaches_a_bare_name(tmp_path: Path) -> None:
    found = _sql_lines(tmp_path, Config(sql_sinks=("lookup",)))
    assert {line for line, _, _ in found} == {11}


def test_a_helper_named_for_sql_needs_no_teaching(tmp_path: Path) -> None:
    target = tmp_path / "tenants.py"
    target.write_text(SOURCE.replace("lookup", "run_query"), encoding="utf-8")
    report = scan([target], Config(), ScanOptions(select=("sql-injection",), jobs=1))
    assert {(f.region.start_line, f.confidence.name) for f in report.findings} == {(11, "MEDIUM")}


def test_other_names_do_not_match(tmp_path: Path) -> None:
    assert _sql_lines(tmp_path, Config(sql_sinks=("storage.lookup_all",))) == set()
