"""semgrep's rules run through semgrep-core directly, with ``semgrep scan`` as the fallback:
both give the same hits and notifications, only files a rule can match in are sent, and a
failure of either is a notification, never a crash."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import stat
import subprocess
from pathlib import Path

import pytest
from backend_audit.catalogue import Rule, load_catalogue
from backend_audit.engines import semgrep_engine
from backend_audit.engines.semgrep_engine import (
    SemgrepCore,
    SemgrepRun,
    find_semgrep_core,
    semgrep_targets,
)

APP = '''\
import os

import jwt
from flask import Flask, request
from jinja2 import Environment, FileSystemLoader

app = Flask(__name__)
app.config["SESSION_COOKIE_SECURE"] = False
SECRET_KEY = os.getenv("SECRET_KEY", "dev-secret-key")
emails = Environment(loader=FileSystemLoader("emails"))


@app.post("/login")
def login():
    claims = jwt.decode(request.form["token"], options={"verify_signature": False})
    response = app.make_response({"user": claims["sub"]})
    response.set_cookie("session_token", "x", secure=False)  # nosemgrep
    return response


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)
'''

PLAIN = '''\
def total(items):
    return sum(item.price for item in items)
'''

BROKEN = '''\
import os
def broken(:
    return os.getenv("API_TOKEN", "abcdef")
'''


def _rules() -> list[Rule]:
    return [r for r in load_catalogue() if r.engine == "semgrep"]


def _files(root: Path) -> list[tuple[str, str]]:
    return sorted((str(p), p.relative_to(root).as_posix()) for p in root.rglob("*")
                  if p.is_file())


def _hits(run: SemgrepRun) -> set[tuple]:
    return {dataclasses.astuple(h) for h in run.result().hits}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "app.py").write_text(APP, encoding="utf-8")
    (root / "shop" / "pricing.py").write_text(PLAIN, encoding="utf-8")
    (root / "shop" / "legacy.py").write_text(BROKEN, encoding="utf-8")
    (root / "run_server").write_text(APP, encoding="utf-8")  # no .py: semgrep scan skips it
    return root


@pytest.fixture
def core() -> SemgrepCore:
    found = find_semgrep_core()
    if found is None:
        pytest.skip("semgrep-core is not installed beside semgrep")
    return found


def test_semgrep_core_is_found_beside_the_package_with_its_version(core: SemgrepCore) -> None:
    assert Path(core.path).name.startswith("semgrep-core")
    assert core.version == importlib.metadata.version("semgrep")


def test_core_and_wrapper_give_the_same_hits_and_notifications(project: Path,
                                                               core: SemgrepCore) -> None:
    # A character that is no Python: semgrep reports this file (with a line), in both ways.
    (project / "shop" / "blob.py").write_text("import os\nos.environ\nx = 1 $ 2\n")
    direct = SemgrepRun(_rules(), _files(project), timeout=300)
    wrapped = SemgrepRun(_rules(), _files(project), timeout=300, launcher="wrapper")
    assert direct.core == core and wrapped.core is None
    direct_result, wrapped_result = direct.result(), wrapped.result()
    hits = {dataclasses.astuple(h) for h in direct_result.hits}
    assert hits == {dataclasses.astuple(h) for h in wrapped_result.hits}
    assert direct_result.notifications == wrapped_result.notifications
    assert [(n.path, n.line) for n in direct_result.notifications] == [("shop/blob.py", 3)]
    found = {(h.rule_id, h.path, h.start_line) for h in direct_result.hits}
    assert {("BA903", "shop/app.py", 8), ("BA702", "shop/app.py", 9),
            ("BA803", "shop/app.py", 10), ("BA601", "shop/app.py", 15),
            ("BA903", "shop/app.py", 17),  # nosemgrep is not semgrep's to honour
            ("BA405", "shop/app.py", 22),
            ("BA702", "shop/legacy.py", 3)} == found
    fixes = {h.start_line: h.fix for h in direct_result.hits if h.path == "shop/app.py"}
    assert fixes[22] == 'app.run(host="0.0.0.0", debug=False)'


def test_the_environment_variable_forces_the_wrapper(project: Path, monkeypatch) -> None:
    monkeypatch.setenv(semgrep_engine.LAUNCHER_ENV, "wrapper")
    run = SemgrepRun(_rules(), _files(project), timeout=300)
    assert run.core is None
    assert ("BA405", "shop/app.py", 22) in {(h[0], h[1], h[2]) for h in _hits(run)}


def test_only_python_files_a_rule_can_match_in_are_sent(project: Path) -> None:
    sent = [rel for _, rel in semgrep_targets(_rules(), _files(project))]
    assert sent == ["shop/app.py", "shop/legacy.py"]


def test_a_rule_without_words_keeps_every_python_file(project: Path) -> None:
    rules = [*_rules(), dataclasses.replace(_rules()[0], id="BA999", words=(), pattern=None)]
    sent = [rel for _, rel in semgrep_targets(rules, _files(project))]
    assert sent == ["shop/app.py", "shop/legacy.py", "shop/pricing.py"]


def test_a_rule_pattern_narrows_its_words(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text("price = Field(default=0)\nname = str(x)\n")
    (tmp_path / "conf.py").write_text('KEY = env.str("API_KEY", default="abcdef")\n')
    rules = [r for r in _rules() if r.id == "BA702"]
    assert [rel for _, rel in semgrep_targets(rules, _files(tmp_path))] == ["conf.py"]


TRICKY = {
    "folded.py": 'from flask import Flask\napp = Flask(__name__)\n'
                 'app.config["SESSION_" + "COOKIE_SECURE"] = False\n',
    "spaced.py": 'import environs\nenv = environs.Env()\n'
                 'API_TOKEN = (env  # read once\n    .  # the typed reader\n'
                 '    str("API_TOKEN", default="abcdef12"))\n',
    "factory.py": 'def configure(app):\n    app  .  config["DEBUG"] = True\n',
}


def test_the_gates_keep_every_file_semgrep_matches_in(tmp_path: Path, core: SemgrepCore) -> None:
    """Odd spellings the words and patterns must not lose: a setting name semgrep folds
    from string pieces, an attribute behind blanks and comments."""
    for name, text in TRICKY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    ungated = [dataclasses.replace(r, words=(), pattern=None) for r in _rules()]
    everything = _hits(SemgrepRun(ungated, _files(tmp_path), timeout=300))
    assert {h[1] for h in everything} == set(TRICKY)
    assert _hits(SemgrepRun(_rules(), _files(tmp_path), timeout=300)) == everything


def test_no_process_starts_when_no_file_can_match(project: Path, monkeypatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    pricing = [f for f in _files(project) if f[1] == "shop/pricing.py"]
    run = SemgrepRun(_rules(), pricing, timeout=300)
    assert run.targets == [] and run.proc is None
    result = run.result()
    assert started == [] and result.hits == [] and result.notifications == []


def _broken_rules() -> list[Rule]:
    rule = dataclasses.replace(_rules()[0], semgrep={"pattern": "foo("})
    return [rule]


@pytest.mark.parametrize("launcher", ["auto", "wrapper"])
def test_a_broken_rule_is_a_notification(project: Path, launcher: str) -> None:
    result = SemgrepRun(_broken_rules(), _files(project), timeout=300,
                        launcher=launcher).result()
    assert result.hits == []
    assert [n.path for n in result.notifications] == [None]
    assert "BA405" in result.notifications[0].message


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-semgrep-core"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for semgrep-core")
@pytest.mark.parametrize("body", [
    "exit 3",  # fails
    'echo \'{"version": "0.0.1", "results": [], "errors": []}\'',  # another version
    "echo not json",
])
def test_an_unusable_core_falls_back_to_the_wrapper(project: Path, tmp_path: Path,
                                                    monkeypatch, body: str) -> None:
    fake = SemgrepCore(_script(tmp_path, body), importlib.metadata.version("semgrep"))
    monkeypatch.setattr(semgrep_engine, "find_semgrep_core", lambda: fake)
    run = SemgrepRun(_rules(), _files(project), timeout=300)
    result = run.result()
    assert run.core is None and result.notifications == []
    assert ("BA405", "shop/app.py", 22) in {(h.rule_id, h.path, h.start_line)
                                            for h in result.hits}


def test_a_core_that_cannot_start_falls_back_to_the_wrapper(project: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    missing = SemgrepCore(str(tmp_path / "no-such-binary"), "1")
    monkeypatch.setattr(semgrep_engine, "find_semgrep_core", lambda: missing)
    run = SemgrepRun(_rules(), _files(project), timeout=300)
    assert run.core is None
    assert any(h.rule_id == "BA405" for h in run.result().hits)


def test_semgrep_missing_altogether_is_a_notification(project: Path, monkeypatch) -> None:
    monkeypatch.setattr(semgrep_engine, "find_semgrep_core", lambda: None)
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: None)
    result = SemgrepRun(_rules(), _files(project), timeout=300).result()
    assert result.hits == []
    assert ["semgrep is not installed" in n.message for n in result.notifications] == [True]


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for semgrep")
def test_a_failing_wrapper_is_a_notification(project: Path, tmp_path: Path,
                                             monkeypatch) -> None:
    monkeypatch.setattr(semgrep_engine, "find_semgrep",
                        lambda: _script(tmp_path, "echo boom >&2; exit 2"))
    result = SemgrepRun(_rules(), _files(project), timeout=300, launcher="wrapper").result()
    assert [n.message for n in result.notifications] == [
        "semgrep failed (exit 2): boom; its rules are missing from this report"]


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for semgrep-core")
def test_a_core_that_does_not_finish_is_stopped(project: Path, tmp_path: Path,
                                                monkeypatch) -> None:
    slow = SemgrepCore(_script(tmp_path, "exec sleep 60"), "1")
    monkeypatch.setattr(semgrep_engine, "find_semgrep_core", lambda: slow)
    result = SemgrepRun(_rules(), _files(project), timeout=0.2).result()
    assert result.hits == []
    assert ["did not finish" in n.message for n in result.notifications] == [True]
