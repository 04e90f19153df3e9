"""``password-hashers`` teaches the password-storage checks a team's own hasher."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

APP = '''
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

from acme.crypto import scramble

app = Flask(__name__)
db = SQLAlchemy(app)


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    password = db.Column(db.String(255))


@app.post("/accounts")
def create_account():
    account = Account(password=scramble(request.form["password"]))
    db.session.add(account)
    db.session.commit()
    return {"id": account.id}
'''


def _ba201_lines(tmp_path: Path, config: Config) -> list[tuple[int, str]]:
    path = tmp_path / "accounts.py"
    path.write_text(APP, encoding="utf-8")
    report = scan([path], config, ScanOptions(select=("BA201",), jobs=1))
    return [(f.region.start_line, f.confidence.name.lower()) for f in report.findings
            if f.rule_id == "BA201"]


def test_unknown_wrapper_is_reported_with_low_confidence(tmp_path: Path) -> None:
    assert _ba201_lines(tmp_path, Config(min_confidence="low")) == [(18, "low")]


@pytest.mark.parametrize("taught", ["scramble", "acme.crypto.scramble"])
def test_taught_hasher_makes_the_value_a_hash(tmp_path: Path, taught: str) -> None:
    assert _ba201_lines(tmp_path, Config(password_hashers=(taught,))) == []


def test_an_unrelated_taught_name_changes_nothing(tmp_path: Path) -> None:
    assert _ba201_lines(tmp_path, Config(password_hashers=("acme.crypto.shuffle",),
                                         min_confidence="low")) == [(18, "low")]
