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


def _hostile_config(repo: Path, marker: Path) -> None:
    """Every setting of the repository's own .git/config that would make git run a
    program during --diff, each leaving a marker file if it runs."""
    def touch(name: str) -> str:
        return f"sh -c 'touch {marker}.{name}; cat'"

    git(repo, "config", "core.fsmonitor", f"touch {marker}.fsmonitor; false")
    git(repo, "config", "diff.external", touch("external"))
    git(repo, "config", "diff.evil.textconv", f"sh -c 'touch {marker}.textconv; cat \"$0\"'")
    git(repo, "config", "filter.evil.clean", touch("clean"))
    git(repo, "config", "filter.evil.process", touch("process"))
    git(repo, "config", "filter.evil.required", "true")
    git(repo, "config", "core.pager", touch("pager"))
    git(repo, "config", "diff.noprefix", "true")
    hooks = repo / "hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "post-checkout", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}.{hook}\n", encoding="utf-8")
        (hooks / hook).chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    (repo / ".gitattributes").write_text("*.py diff=evil filter=evil\n", encoding="utf-8")


def test_diff_runs_no_command_from_the_repositorys_config(repo: Path, tmp_path_factory) -> None:
    marker = tmp_path_factory.mktemp("markers") / "ran"
    _hostile_config(repo, marker)
    result = run(str(repo), "--diff", "HEAD~1", "-f", "github-review")
    ran = sorted(p.name for p in marker.parent.iterdir())
    assert ran == [], f"git ran commands from the scanned repository: {ran}"
    # The diff is still read right: the new flaw only, at its path (diff.noprefix ignored).
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert [(c["path"], c["line"]) for c in body["comments"]] == [
        ("service/reports.py", _flawed_line())]


def test_diff_fetches_nothing_for_a_partial_clone(tmp_path: Path) -> None:
    """A partial clone fetches missing objects on demand; its remote (here an ext::
    command) is the repository's choice and must not be contacted."""
    (tmp_path / "source").mkdir()
    source = make_repo(tmp_path / "source")
    git(source, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    try:
        git(tmp_path, "clone", "-q", "--filter=blob:none", source.as_uri(), str(clone))
    except subprocess.CalledProcessError:
        pytest.skip("this git cannot make a partial clone")
    marker = tmp_path / "fetched"
    git(clone, "config", "remote.origin.url", f"ext::sh -c touch% {marker}")
    git(clone, "config", "protocol.allow", "always")
    result = run(str(clone), "--diff", "HEAD~1")
    assert not marker.exists()
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a repository owned by another user")
def test_trusted_folders_of_the_system_config_still_apply(repo: Path, tmp_path_factory,
                                                          monkeypatch) -> None:
    """The system configuration is not read, but the folders it trusts are kept: a CI
    image that trusts its checkout there must not break --diff."""
    from backend_audit import gitdiff

    system = tmp_path_factory.mktemp("etc") / "gitconfig"
    system.write_text(f"[safe]\n\tdirectory = {repo}\n", encoding="utf-8")
    subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
    monkeypatch.setenv("GIT_CONFIG_SYSTEM", str(system))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(system.parent / "empty"))
    gitdiff._system_settings.cache_clear()
    try:
        assert run(str(repo), "--diff", "HEAD~1").exit_code == 1
        system.write_text("", encoding="utf-8")
        gitdiff._system_settings.cache_clear()
        result = run(str(repo), "--diff", "HEAD~1")
        assert result.exit_code == 2 and "dubious ownership" in result.output
    finally:
        gitdiff._system_settings.cache_clear()
