"""Safety: scanned code is never imported or run, nothing goes over the network, and
reports are written atomically (a failed write keeps the previous report)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from backend_audit import output
from backend_audit.cli import main
from backend_audit.config import Config
from backend_audit.output import OutputError, write_report
from backend_audit.pipeline import ScanOptions, scan
from click.testing import CliRunner

BOOBY_TRAP = '''\
import pathlib
pathlib.Path({marker!r}).write_text("imported")

from flask import Flask, request

app = Flask(__name__)


@app.get("/run")
def run():
    import sqlite3
    cur = sqlite3.connect("x.db").cursor()
    cur.execute("SELECT * FROM jobs WHERE name = '%s'" % request.args["name"])
    return {{}}


if __name__ == "__main__":
    pathlib.Path({marker!r}).write_text("executed")
'''


def _trap(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    root.mkdir()
    marker = tmp_path / "marker.txt"
    for name in ("app.py", "__init__.py", "conftest.py", "setup.py", "manage.py"):
        (root / name).write_text(BOOBY_TRAP.format(marker=str(marker)), encoding="utf-8")
    return root, marker


def test_scanned_code_is_never_imported_or_run(tmp_path: Path) -> None:
    root, marker = _trap(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "backend_audit", str(root), "-q", "--no-cache",
                           "--format", "json"], capture_output=True, text=True, timeout=600,
                          cwd=root, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stderr
    assert '"BA301"' in proc.stdout
    assert not marker.exists()


def test_a_scan_opens_no_network_connection(tmp_path: Path, monkeypatch) -> None:
    root, _ = _trap(tmp_path)
    attempts: list[object] = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network use is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    report = scan([root], Config(), ScanOptions(jobs=1))  # real semgrep, in a subprocess
    assert attempts == []
    assert any(f.rule_id == "BA301" for f in report.findings)
    assert not any("metrics" in n.message.lower() for n in report.notifications)


def test_semgrep_is_told_never_to_phone_home() -> None:
    import inspect

    from backend_audit.engines import semgrep_engine

    source = inspect.getsource(semgrep_engine.SemgrepRun)
    for flag in ('"--metrics=off"', '"--disable-version-check"', '"SEMGREP_SEND_METRICS": "off"'):
        assert flag in source


def test_an_unwritable_report_path_exits_2_without_traceback(tmp_path: Path) -> None:
    root, _ = _trap(tmp_path)
    target = tmp_path / "no-such-folder" / "report.sarif"
    result = CliRunner().invoke(main, ["scan", str(root), "-q", "--no-cache", "-f",
                                       "sarif", "-o", str(target)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "cannot write" in result.output and "report.sarif" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_report_path_that_is_a_folder_exits_2(tmp_path: Path) -> None:
    root, _ = _trap(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(root), "-q", "--no-cache", "-f", "json",
                                       "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "it is a folder" in result.output


def test_a_failed_write_keeps_the_previous_report(tmp_path: Path, monkeypatch) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"previous": true}', encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        write_report(report, '{"new": true}' * 1000)
    assert report.read_text(encoding="utf-8") == '{"previous": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_an_interrupted_write_keeps_the_previous_report(tmp_path: Path, monkeypatch) -> None:
    report = tmp_path / "report.sarif"
    report.write_text("old", encoding="utf-8")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(report, "new")
    assert report.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]


def test_a_scan_that_fails_leaves_the_previous_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("previous", encoding="utf-8")
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("[tool.backend-audit]\nno-such-key = 1\n", encoding="utf-8")
    root, _ = _trap(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(root), "-q", "--no-cache", "--config",
                                       str(bad_config), "-f", "json", "-o", str(report)])
    assert result.exit_code == 2
    assert report.read_text(encoding="utf-8") == "previous"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_a_read_only_folder_is_refused_before_scanning(tmp_path: Path) -> None:
    root, _ = _trap(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = CliRunner().invoke(main, ["scan", str(root), "-q", "--no-cache", "-f", "json",
                                           "-o", str(locked / "r.json")])
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2 and "not writable" in result.output
