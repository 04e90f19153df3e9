"""semgrep cannot hang, crash or mislead a scan (issue 15): a semgrep that never finishes
is stopped with everything it started, an answer of another shape is a notification, only
the files the scan analyses are sent, files are read with a size limit and never as pipes
or devices, and semgrep is never run from the scanned tree.

Fake semgrep executables stand in for the real one; the bounds below are safety nets
against a hang, not timings."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backend_audit.catalogue import Rule, load_catalogue
from backend_audit.cli import main
from backend_audit.config import Config
from backend_audit.engines import semgrep_engine, semgrep_install
from backend_audit.engines.semgrep_answer import WRAPPER, mismatch
from backend_audit.engines.semgrep_engine import (
    SemgrepCore,
    SemgrepRun,
    semgrep_deadline,
    semgrep_targets,
)
from backend_audit.pipeline import ScanOptions, scan
from click.testing import CliRunner

from tests.flawed_app import FLAWED as VIEWS

pytestmark = pytest.mark.skipif(os.name != "posix", reason="shell scripts stand in for semgrep")

SAFETY_SECONDS = 60


SETTINGS = 'import os\nTOKEN = os.environ.get("API_TOKEN", "sk_live_abcdef1234567890abcdef")\n'


def _rules() -> list[Rule]:
    return [r for r in load_catalogue() if r.engine == "semgrep"]


def _script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s value; fails (instead of hanging the suite) if it takes for ever."""
    box: list[Any] = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert box, f"still running after {seconds} s: hung"
    return box[0]


def _gone(pid: int) -> bool:
    """Whether the process has ended (a zombie awaiting its reaper counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _pid_in(path: Path) -> int:
    """The pid a fake semgrep writes as it starts (waited for: the machine may be busy)."""
    for _ in range(SAFETY_SECONDS * 20):
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        threading.Event().wait(0.05)
    raise AssertionError(f"the fake semgrep never wrote {path}")


def _settle(pid: int) -> bool:
    """Whether the process ends soon after being killed (it takes the kernel a moment)."""
    for _ in range(200):
        if _gone(pid):
            return True
        threading.Event().wait(0.05)
    return False


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(VIEWS, encoding="utf-8")
    (root / "settings.py").write_text(SETTINGS, encoding="utf-8")
    return root


def _files(root: Path) -> list[tuple[str, str]]:
    return sorted((str(p), p.relative_to(root).as_posix()) for p in root.rglob("*.py"))


def _fake_core(monkeypatch, path: Path, body: str) -> None:
    core = SemgrepCore(_script(path, body), "1.0")
    monkeypatch.setattr(semgrep_engine, "find_semgrep_core", lambda: core)


def _fake_wrapper(monkeypatch, path: Path, body: str) -> None:
    wrapper = _script(path, body)
    monkeypatch.setattr(semgrep_engine, "find_semgrep", lambda: wrapper)


# semgrep_hang -----------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    'echo $$ > "{pid}"; exec sleep 100000',  # semgrep itself never ends
    'sleep 100000 & echo $! > "{pid}"; wait',  # as semgrep scan, whose child holds stdout
], ids=["itself", "child-holds-stdout"])
def test_a_semgrep_that_never_finishes_is_stopped_with_its_children(
        app: Path, tmp_path: Path, monkeypatch, body: str) -> None:
    # the sleeping process records its pid so the test can see it go
    _fake_core(monkeypatch, tmp_path / "core", body.format(pid=tmp_path / "child"))
    run = SemgrepRun(_rules(), _files(app), timeout=0.5)
    child = _pid_in(tmp_path / "child")
    result = _within(SAFETY_SECONDS, run.result)
    assert result.hits == []
    assert ["did not finish within" in n.message and n.path is None
            for n in result.notifications] == [True]
    assert _settle(child), "semgrep's child outlived the deadline"


@pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid(1)")
def test_a_descendant_that_leaves_the_group_cannot_hold_the_scan(
        app: Path, tmp_path: Path, monkeypatch) -> None:
    """A process that started a session of its own escapes the group kill; it still
    holds the pipes, and the scan stops reading them after a bounded wait."""
    monkeypatch.setattr(semgrep_engine, "_DRAIN_SECONDS", 0.5)
    _fake_core(monkeypatch, tmp_path / "core",
               f'setsid sh -c \'echo $$ > "{tmp_path}/child"; exec sleep 100000\' & wait')
    run = SemgrepRun(_rules(), _files(app), timeout=0.5)
    child = _pid_in(tmp_path / "child")
    try:
        result = _within(SAFETY_SECONDS, run.result)
    finally:
        os.kill(child, 9)
    assert ["did not finish within" in n.message for n in result.notifications] == [True]


def test_a_run_that_is_never_awaited_does_not_leave_semgrep_running(
        app: Path, tmp_path: Path, monkeypatch) -> None:
    import gc

    _fake_core(monkeypatch, tmp_path / "core",
               f'sleep 100000 & echo $! > "{tmp_path}/child"; wait')
    run = SemgrepRun(_rules(), _files(app), timeout=0.5)
    assert run.proc is not None
    child = _pid_in(tmp_path / "child")
    del run
    gc.collect()
    assert _settle(child)


def test_a_forked_copy_of_the_scan_does_not_stop_its_semgrep(
        app: Path, tmp_path: Path, monkeypatch) -> None:
    """Worker processes are forked from the scan; their exit must leave semgrep alone."""
    _fake_core(monkeypatch, tmp_path / "core", f'echo $$ > "{tmp_path}/pid"; exec sleep 100000')
    run = SemgrepRun(_rules(), _files(app), timeout=0.5)
    assert run.proc is not None
    _pid_in(tmp_path / "pid")
    semgrep_engine._stop_from(os.getpid() + 1, run.proc)  # as run in another process
    assert run.proc.poll() is None
    _within(SAFETY_SECONDS, run.result)
    assert run.proc.returncode is not None


def test_the_deadline_grows_with_the_files_sent(app: Path) -> None:
    run = SemgrepRun(_rules(), [f for f in _files(app) if f[1] == "views.py"])
    assert run.targets == []  # nothing to send: no process, the base deadline
    assert run.timeout == semgrep_deadline(0, 0, Config.file_timeout)
    assert semgrep_deadline(21, 21 * len(SETTINGS), 30) > semgrep_deadline(1, 0, 30)
    assert semgrep_deadline(1, 10**6, 30) > semgrep_deadline(1, 10**3, 30)
    assert semgrep_deadline(1, 0, 60) > semgrep_deadline(1, 0, 30)
    assert ScanOptions().semgrep_timeout is None  # no fixed deadline by default


def test_the_scan_passes_its_limits_and_a_quiet_environment_to_semgrep(
        app: Path, tmp_path: Path, monkeypatch) -> None:
    """max-file-bytes and file-timeout reach semgrep; metrics and version checks are off;
    a relative PATH entry (the current folder) is not passed on."""
    big = app / "big.py"
    big.write_text(SETTINGS + "".join(f"x{i} = {i}  # padding\n" for i in range(200)),
                   encoding="utf-8")
    record = tmp_path / "record"
    _fake_core(monkeypatch, tmp_path / "core",
               f'echo "$@" > "{record}.args"; env > "{record}.env"; '
               f'while [ $# -gt 0 ]; do [ "$1" = -targets ] && cp "$2" "{record}.targets"; '
               'shift; done; echo \'{"version": "1.0", "results": [], "errors": []}\'')
    monkeypatch.setenv("PATH", f".:{os.environ['PATH']}")
    config = Config(max_file_bytes=1000, file_timeout=7)
    report = _within(SAFETY_SECONDS, lambda: scan([app], config, ScanOptions(jobs=1)))
    sent = [t[1]["path"]["fpath"] for t in
            json.loads(Path(f"{record}.targets").read_text())[1]]
    assert [Path(p).name for p in sent] == ["settings.py"]
    assert "-timeout 7 " in Path(f"{record}.args").read_text()
    env = dict(line.split("=", 1) for line in
               Path(f"{record}.env").read_text().splitlines() if "=" in line)
    assert env["SEMGREP_SEND_METRICS"] == "off"
    assert env["SEMGREP_ENABLE_VERSION_CHECK"] == "0"
    assert all(os.path.isabs(p) for p in env["PATH"].split(os.pathsep))
    assert any(n.path == "big.py" and "limit" in n.message for n in report.notifications)


# semgrep_bad_json -------------------------------------------------------------------

BAD_ANSWERS = {
    "list": "[]",
    "results-not-list": '{"results": {}, "errors": []}',
    "result-not-object": '{"results": [1], "errors": []}',
    "path-null": '{"results": [{"check_id": "BA702", "path": null, '
                 '"start": {"line": 2, "col": 1}, "end": {"line": 2, "col": 5}}]}',
    "line-string": '{"results": [{"check_id": "BA702", "path": "/x.py", '
                   '"start": {"line": "2", "col": 1}, "end": {"line": 2, "col": 5}}]}',
    "line-zero": '{"results": [{"check_id": "BA702", "path": "/x.py", '
                 '"start": {"line": 0, "col": 1}, "end": {"line": 2, "col": 5}}]}',
    "fix-number": '{"results": [{"check_id": "BA702", "path": "/x.py", '
                  '"start": {"line": 2, "col": 1}, "end": {"line": 2, "col": 5}, '
                  '"extra": {"fix": 3}}]}',
    "errors-not-list": '{"results": [], "errors": "boom"}',
    "error-not-object": '{"results": [], "errors": [7]}',
    "spans-not-list": '{"results": [], "errors": [{"message": "m", "spans": 1}]}',
    "message-list": '{"results": [], "errors": [{"message": ["m"]}]}',
    "deep": "[" * 100000 + "]" * 100000,
}


@pytest.mark.parametrize("answer", list(BAD_ANSWERS.values()), ids=list(BAD_ANSWERS))
def test_an_answer_of_another_shape_is_a_notification(app: Path, tmp_path: Path,
                                                      monkeypatch, answer: str) -> None:
    (tmp_path / "answer.json").write_text(answer, encoding="utf-8")
    body = f'cat "{tmp_path}/answer.json"'
    _fake_core(monkeypatch, tmp_path / "core", body)
    _fake_wrapper(monkeypatch, tmp_path / "wrapper", body)
    run = SemgrepRun(_rules(), _files(app), timeout=SAFETY_SECONDS)
    result = run.result()
    assert run.core is None  # semgrep-core's answer was not used: the wrapper was asked
    assert result.hits == []
    assert [n.path for n in result.notifications] == [None]
    assert "rules are missing from this report" in result.notifications[0].message


def test_a_bad_core_answer_of_the_right_version_falls_back_to_the_wrapper(
        app: Path, tmp_path: Path, monkeypatch) -> None:
    _fake_core(monkeypatch, tmp_path / "core",
               'echo \'{"version": "1.0", "results": [1], "errors": []}\'')
    _fake_wrapper(monkeypatch, tmp_path / "wrapper", 'echo \'{"results": [], "errors": []}\'')
    run = SemgrepRun(_rules(), _files(app), timeout=SAFETY_SECONDS)
    result = run.result()
    assert run.core is None and result.hits == [] and result.notifications == []


def test_a_well_formed_answer_is_read(app: Path, tmp_path: Path, monkeypatch) -> None:
    target = str(app / "settings.py")
    answer = {"version": "1.0", "errors": [], "results": [
        {"check_id": "BA702", "path": target, "start": {"line": 2, "col": 1, "offset": 10},
         "end": {"line": 2, "col": 8, "offset": 17}, "extra": {"fix": None}}]}
    (tmp_path / "answer.json").write_text(json.dumps(answer), encoding="utf-8")
    _fake_core(monkeypatch, tmp_path / "core", f'cat "{tmp_path}/answer.json"')
    result = SemgrepRun(_rules(), _files(app), timeout=SAFETY_SECONDS).result()
    assert [(h.rule_id, h.path, h.start_line, h.fix) for h in result.hits] == [
        ("BA702", "settings.py", 2, None)]


def test_the_shape_check_names_what_is_wrong() -> None:
    assert mismatch({"results": []}, WRAPPER) is None
    assert mismatch([], WRAPPER) == "the answer is not an object"
    assert mismatch({"errors": []}, WRAPPER) == "the answer has no 'results'"
    assert mismatch({"results": [{"check_id": 1}]}, WRAPPER) == \
        "results[0].check_id is not a string"
    assert mismatch({"results": [], "errors": [{"level": True}]}, WRAPPER) == \
        "errors[0].level is not a string"


def test_bad_json_keeps_the_libcst_findings_and_the_exit_code(
        app: Path, tmp_path: Path, monkeypatch) -> None:
    for fake in (_fake_core, _fake_wrapper):
        fake(monkeypatch, tmp_path / fake.__name__, "echo '[]'")
    out = tmp_path / "out.json"
    result = _within(SAFETY_SECONDS, lambda: CliRunner().invoke(
        main, ["scan", str(app), "--no-cache", "-q", "-j", "1", "-f", "json", "-o", str(out)]))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1  # findings, as in a scan whose semgrep answers well
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "BA301" in {f["rule_id"] for f in report["findings"]}
    assert any("semgrep answered in an unexpected form" in n["message"]
               for n in report["notifications"])


# oversize_sent_to_semgrep, huge_file_read ---------------------------------------------


def test_a_file_over_the_size_limit_is_not_sent(app: Path) -> None:
    big = app / "big.py"
    big.write_text(SETTINGS + "x = 1\n" * 500, encoding="utf-8")
    sent = [rel for _, rel in semgrep_targets(_rules(), _files(app), max_bytes=1000)]
    assert sent == ["settings.py"]
    assert "big.py" in [rel for _, rel in semgrep_targets(_rules(), _files(app))]


def test_files_the_scan_skips_are_not_sent(app: Path) -> None:
    (app / "nul.py").write_bytes(SETTINGS.encode() + b"\x00")
    (app / "latin.py").write_bytes(SETTINGS.encode() + b"# caf\xe9\n")
    os.mkfifo(app / "pipe.py")
    (app / "dir.py").mkdir()
    files = [*_files(app), (str(app / "dir.py"), "dir.py")]
    sent = _within(SAFETY_SECONDS, lambda: semgrep_targets(_rules(), files))
    assert [rel for _, rel in sent] == ["settings.py"]


_PROBE = """
import resource, sys, json
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from backend_audit.catalogue import load_catalogue
from backend_audit.engines.semgrep_engine import semgrep_targets
rules = [r for r in load_catalogue() if r.engine == "semgrep"]
files = [tuple(f) for f in json.loads(sys.argv[1])]
print(json.dumps([rel for _, rel in semgrep_targets(rules, files)]))
"""


def test_a_huge_sparse_file_or_a_link_to_dev_zero_is_not_read_whole(app: Path) -> None:
    """Under a 1 GB memory limit: reading either whole would fail with MemoryError."""
    huge = app / "huge.py"
    with open(huge, "wb") as handle:
        handle.write(SETTINGS.encode())
        handle.truncate(6 << 30)  # sparse: no disk used
    (app / "zero.py").symlink_to("/dev/zero")
    files = json.dumps(_files(app))
    done = subprocess.run([sys.executable, "-c", _PROBE, files], capture_output=True,
                          text=True, timeout=SAFETY_SECONDS, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["settings.py"]


# semgrep resolved from the installation, never from the scanned tree -----------------


def _planted(tree: Path, marker: Path) -> None:
    """A semgrep package in ``tree`` whose semgrep-core leaves ``marker`` when run."""
    (tree / "semgrep" / "bin").mkdir(parents=True)
    (tree / "semgrep" / "__init__.py").write_text("", encoding="utf-8")
    info = tree / "semgrep-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: semgrep\nVersion: 9.9.9\n\n",
                                   encoding="utf-8")
    _script(tree / "semgrep" / "bin" / "semgrep-core", f'touch "{marker}"; echo "{{}}"')


def test_a_semgrep_package_in_the_current_folder_is_not_used(app: Path, tmp_path: Path,
                                                             monkeypatch) -> None:
    _planted(app, tmp_path / "ran")
    monkeypatch.chdir(app)
    monkeypatch.setattr(sys, "path", ["", str(app), ".", *sys.path])
    assert not any(Path(d).resolve().is_relative_to(app.resolve())
                   for d in semgrep_install.install_dirs())
    core = semgrep_install.find_semgrep_core()
    assert core is None or not Path(core.path).resolve().is_relative_to(app.resolve())


def test_a_relative_path_entry_is_not_searched_for_semgrep(tmp_path: Path,
                                                          monkeypatch) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    _script(tree / "semgrep", "exit 0")
    monkeypatch.chdir(tree)
    monkeypatch.setenv("PATH", os.pathsep.join(["", ".", "bin", "/nonexistent"]))
    monkeypatch.setattr(semgrep_install.sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(semgrep_install.sys, "executable", str(tmp_path / "python"))
    assert semgrep_install.absolute_path_entries() == ["/nonexistent"]
    assert semgrep_install.find_semgrep() is None


def test_python_m_in_the_scanned_tree_does_not_run_its_semgrep(app: Path,
                                                              tmp_path: Path) -> None:
    """The reported case: ``python -m backend_audit`` puts the current folder first on
    the import path, where the tree's own semgrep/bin/semgrep-core sat."""
    marker = tmp_path / "ran"
    _planted(app, marker)
    done = subprocess.run(
        [sys.executable, "-m", "backend_audit", "scan", ".", "--no-cache", "-q", "-j", "1",
         "-f", "json", "-o", str(tmp_path / "out.json")],
        cwd=app, capture_output=True, text=True, timeout=SAFETY_SECONDS * 5, check=False)
    assert done.returncode == 1, done.stderr
    assert not marker.exists(), "the scanned tree's semgrep-core ran"
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert "BA301" in {f["rule_id"] for f in report["findings"]}
