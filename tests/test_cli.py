"""The command line as a user runs it (in-process through click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backend_audit import __version__
from backend_audit.catalogue import load_catalogue
from backend_audit.cli import main
from click.testing import CliRunner

SQL_FLAW = '''
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.get("/users")
def users():
    name = request.args["name"]
    cur = sqlite3.connect("app.db").cursor()
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return {"rows": cur.fetchall()}
'''


def _app(tmp_path: Path, body: str = SQL_FLAW) -> Path:
    (tmp_path / "app.py").write_text(body, encoding="utf-8")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_missing_path_is_a_one_line_usage_error() -> None:
    result = run("does/not/exist")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "backend-audit: error: path does not exist: does/not/exist"]


def test_findings_exit_1_and_text_names_rule_and_category(tmp_path: Path) -> None:
    result = run(str(_app(tmp_path)), "--select", "sql-injection", "-j", "1")
    assert result.exit_code == 1
    assert "app.py:" in result.output and " BA301 [sql-injection] " in result.output
    assert "sql-string-built" in result.output


def test_clean_code_exits_0(tmp_path: Path) -> None:
    result = run(str(_app(tmp_path, "def add(a, b):\n    return a + b\n")), "-j", "1")
    assert result.exit_code == 0, result.output
    assert "0 findings" in result.output


def test_fail_on_threshold(tmp_path: Path) -> None:
    result = run(str(_app(tmp_path)), "--select", "BA301", "--fail-on", "critical", "-j", "1")
    assert result.exit_code == 0


def test_select_unknown_rule_exits_2(tmp_path: Path) -> None:
    result = run(str(_app(tmp_path)), "--select", "BA999x")
    assert result.exit_code == 2
    assert "unknown rule" in result.output


def test_ignore_by_category(tmp_path: Path) -> None:
    result = run(str(_app(tmp_path)), "--ignore", "sql-injection", "--select", "BA3", "-j", "1")
    assert result.exit_code == 0


def test_json_output_is_stable_schema(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(str(_app(tmp_path)), "--select", "BA301", "-f", "json", "-o", str(out), "-j", "1")
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1
    finding = data["findings"][0]
    assert finding["rule_id"] == "BA301" and finding["category"] == "sql-injection"
    assert finding["path"] == "app.py" and finding["start_line"] == 13
    assert finding["fingerprint"]


def test_several_reports_from_one_scan(tmp_path: Path) -> None:
    sarif, js = tmp_path / "o.sarif", tmp_path / "o.json"
    result = run(str(_app(tmp_path)), "--select", "BA301", "-f", f"sarif:{sarif}",
                 "-f", f"json:{js}", "-f", "text", "-j", "1")
    assert result.exit_code == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert json.loads(js.read_text())["findings"]
    assert "BA301" in result.output


def test_suppression_with_reason_is_kept_and_marked(tmp_path: Path) -> None:
    body = SQL_FLAW.replace(
        "    cur.execute(f\"SELECT",
        "    # backend-audit: ignore[sql-string-built] -- name is checked by the gateway\n"
        "    cur.execute(f\"SELECT")
    out = tmp_path / "r.json"
    result = run(str(_app(tmp_path, body)), "--select", "BA301", "-f", "json", "-o", str(out),
                 "-j", "1")
    assert result.exit_code == 0
    finding = json.loads(out.read_text())["findings"][0]
    assert finding["suppressed"] and finding["suppression_reason"] == \
        "name is checked by the gateway"


def test_blanket_ignore_is_refused(tmp_path: Path) -> None:
    body = SQL_FLAW.replace("'{name}'\")", "'{name}'\")  # backend-audit: ignore")
    result = run(str(_app(tmp_path, body)), "--select", "BA301", "-j", "1")
    assert result.exit_code == 1
    assert "without rule ids is refused" in result.output


def test_unparsable_file_is_a_notification_and_others_still_scanned(tmp_path: Path) -> None:
    _app(tmp_path)
    (tmp_path / "broken.py").write_text("def broken(:\n    pass\n")
    result = run(str(tmp_path), "--select", "BA301", "-j", "1")
    assert result.exit_code == 1
    assert "broken.py" in result.output and "does not parse" in result.output
    assert "BA301" in result.output


def test_config_in_pyproject_is_honoured(tmp_path: Path) -> None:
    _app(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.backend-audit]\nignore = ["BA301"]\n')
    result = run(str(tmp_path), "--select", "BA3", "-j", "1")
    assert result.exit_code == 0


def test_bad_config_exits_2(tmp_path: Path) -> None:
    _app(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.backend-audit]\nunknown-key = 1\n')
    result = run(str(tmp_path))
    assert result.exit_code == 2 and "unknown key" in result.output


def test_rules_lists_every_rule() -> None:
    result = run("rules")
    assert result.exit_code == 0
    for rule in load_catalogue():
        assert rule.id in result.output and rule.name in result.output


def test_explain_shows_docs() -> None:
    result = run("explain", "BA301")
    assert result.exit_code == 0
    for heading in ("Why is this bad?", "Example:", "Use instead:", "References:"):
        assert heading in result.output
    assert run("explain", "sql-string-built").exit_code == 0
    assert run("explain", "nope").exit_code == 2


def test_discovery_skips_venvs_and_gitignored(tmp_path: Path) -> None:
    _app(tmp_path)
    venv = tmp_path / "venv-x"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "lib" / "flaw.py").write_text(SQL_FLAW)
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "flaw.py").write_text(SQL_FLAW)
    (tmp_path / ".gitignore").write_text("generated/\n")
    out = tmp_path / "r.json"
    run(str(tmp_path), "--select", "BA301", "-f", "json", "-o", str(out), "-j", "1")
    paths = {f["path"] for f in json.loads(out.read_text())["findings"]}
    assert paths == {"app.py"}


def test_explicit_file_is_always_scanned(tmp_path: Path) -> None:
    (tmp_path / "generated").mkdir()
    target = tmp_path / "generated" / "flaw.py"
    target.write_text(SQL_FLAW)
    (tmp_path / ".gitignore").write_text("generated/\n")
    result = run(str(target), "--select", "BA301", "-j", "1")
    assert result.exit_code == 1


REPORT_VIEW = '''
from flask import Flask, request
from sqlalchemy import text

from .db import engine

app = Flask(__name__)


@app.get("/report")
def report():
    region = request.args["region"]
    with engine.connect() as conn:
        rows = conn.execute({marker}
            text(f"SELECT id, total FROM orders WHERE region = '{{region}}'"),{inner}
        ).all()
    return {{"rows": [dict(r._mapping) for r in rows]}}
'''


@pytest.mark.parametrize(("marker", "inner", "suppressed"), [
    ("", "", False),
    ("  # backend-audit: ignore[BA303] -- regions come from a fixed list", "", True),
    ("", "  # backend-audit: ignore[BA303] -- regions come from a fixed list", True),
])
def test_a_finding_inside_a_long_statement_is_on_its_own_line_and_suppressible_at_either(
        tmp_path: Path, marker: str, inner: str, suppressed: bool) -> None:
    (tmp_path / "app.py").write_text(REPORT_VIEW.format(marker=marker, inner=inner),
                                     encoding="utf-8")
    out = tmp_path / "r.json"
    run(str(tmp_path), "--select", "BA303", "-f", "json", "-o", str(out), "-j", "1",
        "--fail-on", "never", "--min-confidence", "low")
    [finding] = json.loads(out.read_text())["findings"]
    assert finding["start_line"] == 15  # the text(...) line, not "rows = conn.execute("
    assert finding["suppressed"] is suppressed
