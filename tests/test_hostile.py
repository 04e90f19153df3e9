"""Hostile input: whatever is in the tree, the scan finishes, names each bad file with a
reason, keeps every good file's findings, and still exits 1 for them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from backend_audit.config import Config
from backend_audit.engines import libcst_engine
from backend_audit.engines.libcst_engine import FileTask, analyse_file, run_libcst, time_limit
from backend_audit.engines.source import read_source

from tests.shared_dir import shared_file

GOOD_VIEW = '''\
import sqlite3

from flask import Flask, request

app = Flask(__name__)


def connect():
    return sqlite3.connect("library.db")


@app.get("/books")
def search_books():
    title = request.args.get("title", "")
    cur = connect().cursor()
    cur.execute(f"SELECT id, title FROM books WHERE title LIKE '%{title}%'")
    return {"books": cur.fetchall()}
'''
GOOD_LINE = 16  # the cur.execute(...) line above

LATIN1_WITH_COOKIE = (
    b"# -*- coding: latin-1 -*-\n"
    b"# Auteur: Ren\xe9\n"
    b"def find_author(cur, name):\n"
    b"    return cur.execute(\"SELECT * FROM auteurs WHERE nom = '%s'\" % name)\n"
)


def _write_corpus(root: Path) -> dict[str, str]:
    """Create the hostile tree; returns {bad file: the reason's expected wording}."""
    (root / "app").mkdir()
    (root / "app" / "views.py").write_text(GOOD_VIEW, encoding="utf-8")
    (root / "app" / "crlf_views.py").write_bytes(GOOD_VIEW.replace("\n", "\r\n").encode())
    (root / "app" / "cr_views.py").write_bytes(GOOD_VIEW.replace("\n", "\r").encode())
    (root / "app" / "bom_views.py").write_bytes(b"\xef\xbb\xbf" + GOOD_VIEW.encode())
    (root / "app" / "latin1_views.py").write_bytes(LATIN1_WITH_COOKIE)
    (root / "app" / "empty.py").write_bytes(b"")
    bad: dict[str, str] = {}
    (root / "legacy").mkdir()
    (root / "legacy" / "py2_report.py").write_text(
        'import urllib2\n\ndef fetch(url):\n    print "fetching", url\n'
        '    return urllib2.urlopen(url).read()\n', encoding="utf-8")
    bad["legacy/py2_report.py"] = "does not parse"
    (root / "legacy" / "merge_conflict.py").write_text(
        "def total(items):\n<<<<<<< HEAD\n    return sum(items)\n=======\n"
        "    return sum(i.price for i in items)\n>>>>>>> feature\n", encoding="utf-8")
    bad["legacy/merge_conflict.py"] = "does not parse"
    (root / "legacy" / "nul_bytes.py").write_bytes(b"x = 1\n\x00\x00\x00garbage\n")
    bad["legacy/nul_bytes.py"] = "NUL"
    (root / "legacy" / "latin1_no_cookie.py").write_bytes(b"# Auteur: Ren\xe9\nx = 1\n")
    bad["legacy/latin1_no_cookie.py"] = "utf-8"
    (root / "legacy" / "logo.py").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    bad["legacy/logo.py"] = "NUL"
    (root / "legacy" / "notes.py").write_text(
        "Release notes\n=============\n\n* fixed the login page\n* faster search\n",
        encoding="utf-8")
    bad["legacy/notes.py"] = "does not parse"
    (root / "generated").mkdir()
    rows = "".join(f'    {{"id": {i}, "code": "C{i:07d}", "label": "item {i}"}},\n'
                   for i in range(90_000))
    (root / "generated" / "catalogue_data.py").write_text(f"ROWS = [\n{rows}]\n",
                                                          encoding="utf-8")
    assert (root / "generated" / "catalogue_data.py").stat().st_size > 5_000_000
    bad["generated/catalogue_data.py"] = "limit"
    (root / "generated" / "deep.py").write_text(
        "CONFIG = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    bad["generated/deep.py"] = "nested"
    (root / "links").mkdir()
    os.symlink("loop_b.py", root / "links" / "loop_a.py")
    os.symlink("loop_a.py", root / "links" / "loop_b.py")
    bad["links/loop_a.py"] = "link"
    bad["links/loop_b.py"] = "link"
    os.symlink(".", root / "links" / "again")
    (root / "plugin.py").mkdir()
    (root / "plugin.py" / "hooks.py").write_text(GOOD_VIEW, encoding="utf-8")
    bad["plugin.py"] = "folder"
    os.mkfifo(root / "legacy" / "pipe.py")
    bad["legacy/pipe.py"] = "regular file"
    locked = root / "legacy" / "locked.py"
    locked.write_text("x = 1\n", encoding="utf-8")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: that case is unit-tested below
        locked.chmod(0o644)
    else:
        bad["legacy/locked.py"] = "cannot be read"
    return bad


@pytest.fixture(scope="module")
def hostile_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict, int]:
    root = tmp_path_factory.mktemp("hostile")
    bad = _write_corpus(root)
    out = root.parent / f"{root.name}.sarif"
    env = dict(os.environ, BACKEND_AUDIT_CACHE_DIR=str(root.parent / f"{root.name}-cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "backend_audit", "scan", str(root), "--format", "sarif",
         "--output", str(out), "--quiet", "--jobs", "2"],
        capture_output=True, text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr
    return root, bad, json.loads(out.read_text(encoding="utf-8")), proc.returncode


def _notified(sarif: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for run in sarif["runs"]:
        for inv in run.get("invocations", []):
            for note in inv.get("toolExecutionNotifications", []):
                text = note["message"]["text"]
                for loc in note.get("locations", []):
                    uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                    found[uri] = found.get(uri, "") + " " + text
    return found


def _results(sarif: dict) -> set[tuple[str, int, str]]:
    return {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
            for run in sarif["runs"] for r in run["results"]}


def test_the_scan_finishes_and_the_exit_code_reflects_the_findings(hostile_scan) -> None:
    _, _, _, code = hostile_scan
    assert code == 1


def test_the_sarif_is_valid(hostile_scan) -> None:
    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(hostile_scan[2])


def test_each_bad_file_is_named_with_its_reason(hostile_scan) -> None:
    _, bad, sarif, _ = hostile_scan
    notified = _notified(sarif)
    missing = {path: reason for path, reason in bad.items()
               if not any(uri.endswith(path) and reason.lower() in text.lower()
                          for uri, text in notified.items())}
    assert not missing, f"not reported (expected wording in brackets): {missing}\n{notified}"


def test_good_files_keep_their_findings(hostile_scan) -> None:
    results = _results(hostile_scan[2])
    for name in ("views.py", "crlf_views.py", "cr_views.py", "bom_views.py"):
        assert any(uri.endswith(f"app/{name}") and line == GOOD_LINE and rule == "BA301"
                   for uri, line, rule in results), (name, sorted(results))
    assert any(uri.endswith("app/latin1_views.py") and line == 4 and rule == "BA301"
               for uri, line, rule in results), sorted(results)
    assert any(uri.endswith("plugin.py/hooks.py") and line == GOOD_LINE
               for uri, line, _ in results), sorted(results)


def test_an_unreadable_file_is_reported(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "locked.py"
    path.write_text("x = 1\n", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    src = read_source(str(path), 1000)
    assert src.text is None and "Permission denied" in (src.error or "")


def test_the_per_file_time_limit_stops_a_slow_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "slow.py"
    path.write_text("x = 1\n", encoding="utf-8")

    def endless(*args, **kwargs):
        while True:  # busy: the limit counts CPU time
            pass

    monkeypatch.setattr(libcst_engine, "_analyse_file", endless)
    res = analyse_file(FileTask(str(path), "slow.py"), Config(file_timeout=0.2),
                       frozenset(), {})
    assert [n.kind for n in res.notifications] == ["timeout"]
    assert "per-file limit" in res.notifications[0].message


def test_a_worker_stuck_in_native_code_is_killed(tmp_path: Path, monkeypatch) -> None:
    """A timer signal cannot interrupt native code: simulate that by blocking SIGPROF
    while the file burns CPU."""
    tasks = []
    for i in range(10):
        path = tmp_path / f"m{i}.py"
        path.write_text("x = 1\n", encoding="utf-8")
        tasks.append(FileTask(str(path), path.name))
    real = libcst_engine._analyse_file

    def sometimes_stuck(task, *args):
        if task.rel_path == "m3.py":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
            while True:
                pass
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", sometimes_stuck)
    monkeypatch.setattr(libcst_engine, "HARD_LIMIT_SLACK", 0.5)
    results = list(run_libcst(tasks, Config(file_timeout=0.5), frozenset(), {}, jobs=2))
    assert [r.path for r in results] == [t.rel_path for t in tasks]
    kinds = {r.path: [n.kind for n in r.notifications] for r in results}
    assert kinds["m3.py"] == ["timeout"]
    assert all(not k for p, k in kinds.items() if p != "m3.py"), kinds


def test_a_crashing_worker_loses_no_other_file(tmp_path: Path, monkeypatch) -> None:
    tasks = []
    for i in range(10):
        path = tmp_path / f"c{i}.py"
        path.write_text("x = 1\n", encoding="utf-8")
        tasks.append(FileTask(str(path), path.name))
    real = libcst_engine._analyse_file

    def crash_on_one(task, *args):
        if task.rel_path == "c6.py":
            os._exit(139)  # what a segfault in native code looks like to the pool
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", crash_on_one)
    results = list(run_libcst(tasks, Config(), frozenset(), {}, jobs=2))
    assert [r.path for r in results] == [t.rel_path for t in tasks]
    assert [n.kind for n in results[6].notifications] == ["crash"]
    assert all(not r.notifications for i, r in enumerate(results) if i != 6)


def test_time_limit_is_a_no_op_off_the_main_thread() -> None:
    import threading

    seen: list[bool] = []

    def run() -> None:
        with time_limit(0.01):
            time.sleep(0.05)
        seen.append(True)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == [True]
