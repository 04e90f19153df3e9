"""Known fixes travel from a rule to the finding (and on to review-bot suggestions)."""

from __future__ import annotations

from pathlib import Path

from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

APP = '''from flask import Flask, make_response

app = Flask(__name__)
app.config["SESSION_COOKIE_SAMESITE"] = None


@app.post("/login")
def login():
    resp = make_response("ok")
    resp.set_cookie("session_token", "abc", secure=False,
                    httponly=True)
    return resp


if __name__ == "__main__":
    app.run(host="0.0.0.0", threaded=True,
            debug=True)
'''


def test_semgrep_fix_becomes_a_whole_line_fix(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    report = scan([tmp_path], Config(), ScanOptions(select=("BA405", "BA903"), jobs=1,
                                                     cache_dir=None))
    fixes = {f.rule_id + ":" + str(f.region.start_line): f.fix for f in report.findings}
    debug = fixes["BA405:16"]
    assert (debug.start_line, debug.end_line) == (16, 17)
    assert debug.replacement == ('    app.run(host="0.0.0.0", threaded=True,\n'
                                 '            debug=False)')
    cookie = fixes["BA903:10"]
    assert cookie.replacement.splitlines()[0].endswith("secure=True,")
    assert fixes["BA903:4"] is None, "a fix that changes nothing is not offered"
