"""``--diff BASE``: only findings on lines changed since a git ref, in a throwaway repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from backend_audit.cli import main
from backend_audit.gitdiff import parse_diff
from click.testing import CliRunner

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

REPORTS = '''\
import sqlite3

from flask import Blueprint, request

bp = Blueprint("reports", __name__)


def _cursor():
    return sqlite3.connect("reports.db").cursor()


@bp.get("/reports/sales")
def sales():
    region = request.args["region"]
    cur = _cursor()
    cur.execute(f"SELECT day, total FROM sales WHERE region = '{region}'")
    return {"rows": cur.fetchall()}


@bp.get("/reports/stock")
def stock():
    sku = request.args["sku"]
    cur = _cursor()
    cur.execute("SELECT sku, count FROM stock WHERE sku = '" + sku + "'")
    return {"rows": cur.fetchall()}


@bp.get("/reports/returns")
def returns():
    month = request.args["month"]
    cur = _cursor()
    cur.execute("SELECT id, reason FROM returns WHERE month = ?", (month,))
    return {"rows": cur.fetchall()}
'''

FLAWED = '''    cur.execute("SELECT id, reason FROM returns WHERE month = '%s'" % month)'''
SAFE = '''    cur.execute("SELECT id, reason FROM returns WHERE month = ?", (month,))'''


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def make_repo(tmp_path: Path) -> Path:
    """An app with two old flaws; the last commit adds one flawed line."""
    git(tmp_path, "init", "-q", "-b", "main")
    app = tmp_path / "service" / "reports.py"
    app.parent.mkdir()
    app.write_text(REPORTS, encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "reports endpoints")
    app.write_text(REPORTS.replace(SAFE, FLAWED), encoding="utf-8")
    git(tmp_path, "commit", "-q", "-am", "returns: filter by month")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, [*args, "--select", "BA301", "-j", "1"],
                              catch_exceptions=False)


def _flawed_line() -> int:
    return REPORTS.replace(SAFE, FLAWED).splitlines().index(FLAWED) + 1


def test_without_diff_all_three_flaws_are_reported(repo: Path) -> None:
    result = run(str(repo), "-f", "json")
    assert len(json.loads(result.output)["findings"]) == 3


def test_diff_review_comments_on_the_new_line_only(repo: Path) -> None:
    result = run(str(repo), "--diff", "HEAD~1", "-f", "github-review")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert [(c["path"], c["line"]) for c in body["comments"]] == [
        ("service/reports.py", _flawed_line())]
    assert "BA301" in body["comments"][0]["body"]


def test_scanning_a_subfolder_keeps_repository_paths_for_review_bots(repo: Path,
                                                                      tmp_path_factory) -> None:
    out = tmp_path_factory.mktemp("out")
    run(str(repo / "service"), "--diff", "HEAD~1", "-f", f"github-review:{out / 'r.json'}",
        "-f", f"json:{out / 'f.json'}")
    review = json.loads((out / "r.json").read_text())
    assert [c["path"] for c in review["comments"]] == ["service/reports.py"]
    # The scan's own paths stay relative to the scan root.
    assert json.loads((out / "f.json").read_text())["findings"][0]["path"] == "reports.py"


def test_uncommitted_and_untracked_changes_count(repo: Path) -> None:
    extra = repo / "service" / "exports.py"
    extra.write_text(REPORTS, encoding="utf-8")
    body = json.loads(run(str(repo), "--diff", "HEAD", "-f", "github-review").output)
    assert {c["path"] for c in body["comments"]} == {"service/exports.py"}
    assert len(body["comments"]) == 2


def test_clean_diff_exits_0(repo: Path) -> None:
    assert run(str(repo), "--diff", "HEAD").exit_code == 0


def test_unknown_ref_is_a_usage_error(repo: Path) -> None:
    result = run(str(repo), "--diff", "no-such-branch")
    assert result.exit_code == 2 and "'no-such-branch' is not a commit" in result.output


def test_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    env_free = tmp_path / "nogit"
    env_free.mkdir()
    (env_free / "app.py").write_text("x = 1\n", encoding="utf-8")
    ceiling = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    result = CliRunner(env=ceiling).invoke(main, [str(env_free), "--diff", "HEAD"])
    assert result.exit_code == 2 and "git" in result.output.lower()


def test_parse_diff_handles_counts_deletions_and_quoted_paths() -> None:
    text = (
        "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
        "@@ -3 +3 @@ def f():\n-a\n+b\n"
        "@@ -10,2 +9,0 @@\n-x\n-y\n"
        "@@ -20,0 +19,3 @@\n+p\n+q\n+r\n"
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
        'diff --git "a/tab\\there.py" "b/tab\\there.py"\n+++ "b/tab\\there.py"\n'
        "@@ -0,0 +1,2 @@\n+1\n+2\n"
    )
    assert parse_diff(text) == {"app.py": [(3, 3), (19, 21)], "tab\there.py": [(1, 2)]}
