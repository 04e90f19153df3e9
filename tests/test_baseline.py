"""Baselines: ``backend-audit baseline FILE`` then ``--baseline FILE`` reports only new
findings, and code moving up or down does not make old findings new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backend_audit import baseline
from backend_audit.cli import main
from click.testing import CliRunner

from tests.test_reporters import SOURCE, sample_report

ACCOUNTS = '''\
import sqlite3

from flask import Blueprint, request

bp = Blueprint("accounts", __name__)


def _db():
    return sqlite3.connect("accounts.db")


@bp.get("/accounts/search")
def search_accounts():
    email = request.args["email"]
    cur = _db().cursor()
    cur.execute(f"SELECT id, email FROM accounts WHERE email = '{email}'")
    return {"accounts": cur.fetchall()}
'''

NEW_FLAW = '''

@bp.get("/accounts/by-team")
def accounts_by_team():
    team = request.args["team"]
    cur = _db().cursor()
    cur.execute("SELECT id FROM accounts WHERE team = '%s'" % team)
    return {"accounts": cur.fetchall()}
'''


def run(*args: str):
    return CliRunner().invoke(main, [*args, "--select", "BA301", "-j", "1"],
                              catch_exceptions=False)


def _findings(output: str) -> list[dict]:
    return json.loads(output)["findings"]


def test_baseline_hides_old_findings_even_after_code_moves(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "accounts.py").write_text(ACCOUNTS, encoding="utf-8")
    base = tmp_path / "baseline.json"
    written = run("baseline", str(base), str(app))
    assert written.exit_code == 0 and "baseline of 1 finding" in written.output
    assert json.loads(base.read_text())["findings"][0]["rule_id"] == "BA301"

    # Code moves down (a new import and a docstring above), plus a new flaw below.
    moved = '"""Account search."""\nimport logging\n\nlog = logging.getLogger(__name__)\n' + \
        ACCOUNTS + NEW_FLAW
    (app / "accounts.py").write_text(moved, encoding="utf-8")
    result = run(str(app), "--baseline", str(base), "-f", "json")
    assert result.exit_code == 1
    states = {(f["start_line"], f["baseline_state"]) for f in _findings(result.output)}
    lines = moved.splitlines()
    old_line = next(i for i, t in enumerate(lines, 1) if "email = '{email}'" in t)
    new_line = next(i for i, t in enumerate(lines, 1) if "% team" in t)
    assert old_line == 20  # moved down by four lines
    assert states == {(old_line, "unchanged"), (new_line, "new")}

    text = run(str(app), "--baseline", str(base))
    assert "1 finding (1 high)" in text.output and "1 unchanged since the baseline" in text.output


def test_only_known_findings_exit_clean(tmp_path: Path) -> None:
    (tmp_path / "accounts.py").write_text(ACCOUNTS, encoding="utf-8")
    base = tmp_path / "b.json"
    run("baseline", str(base), str(tmp_path / "accounts.py"))
    assert run(str(tmp_path / "accounts.py"), "--baseline", str(base)).exit_code == 0


def test_identical_lines_each_need_their_own_baseline_entry() -> None:
    report = sample_report(SOURCE.resolve(), baseline=False)
    doc = json.loads(baseline.dumps(report))
    doc["findings"] = [e for e in doc["findings"] if e["rule_id"] != "BA301"]
    marked = baseline.apply(report, baseline.loads(json.dumps(doc)))
    states = {f.rule_id: f.baseline_state for f in marked.findings}
    assert states["BA301"] == "new" and states["BA101"] == "unchanged"
    assert [f.rule_id for f in marked.active_findings] == ["BA301"]


def test_suppressed_findings_are_not_written_to_the_baseline() -> None:
    doc = json.loads(baseline.dumps(sample_report(SOURCE.resolve(), baseline=False)))
    assert "BA701" not in {e["rule_id"] for e in doc["findings"]}


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not JSON"),
    ('{"findings": []}', "not a backend-audit baseline"),
    ('{"format": "backend-audit-baseline", "version": 99, "findings": []}', "version 99"),
    ('{"format": "backend-audit-baseline", "version": 1, "findings": [1]}', "fingerprint"),
])
def test_bad_baseline_files_are_usage_errors(tmp_path: Path, content: str,
                                             message: str) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = run(str(tmp_path / "app.py"), "--baseline", str(bad))
    assert result.exit_code == 2 and message in result.output


def test_missing_baseline_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    result = run(str(tmp_path / "app.py"), "--baseline", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "baseline file not found" in result.output
