"""BACKEND_AUDIT_TIMINGS: where a scan's CPU time goes, without changing what it reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend_audit.config import Config
from backend_audit.engines.semgrep_engine import SemgrepResult
from backend_audit.engines.timings import ENV_VAR, Timings, render
from backend_audit.pipeline import ScanOptions, scan

VIEW = '''\
import psycopg2
from flask import Blueprint, request

reports = Blueprint("reports", __name__)


@reports.route("/reports/by-region")
def by_region():
    region = request.args["region"]
    with psycopg2.connect("dbname=sales") as conn, conn.cursor() as cur:
        cur.execute("SELECT name, total FROM reports WHERE region = '" + region + "'")
        return {"rows": cur.fetchall()}
'''


# Formatting helpers after the view: enough code that parsing the module takes well over
# the 5 ms below which the table leaves a phase out, however fast the machine.
HELPERS = "".join(f"\n\ndef money_{i}(cents):\n    return f\"{{cents / 100:.2f}} EUR\"\n"
                  for i in range(300))


def _no_semgrep(rules, files) -> SemgrepResult:
    return SemgrepResult()


def _scan(root: Path, jobs: int):
    return scan([root], Config(), ScanOptions(jobs=jobs), semgrep_runner=_no_semgrep)


def _findings(report) -> list[tuple]:
    return [(f.rule_id, f.path, f.region, f.message, f.confidence) for f in report.findings]


@pytest.mark.parametrize("jobs", [1, 2])
def test_timed_scans_report_the_same_and_print_where_the_time_went(
        tmp_path: Path, monkeypatch, capsys, jobs: int) -> None:
    (tmp_path / "views.py").write_text(VIEW + HELPERS, encoding="utf-8")
    (tmp_path / "notes.py").write_text("X = 1\n", encoding="utf-8")
    plain = _scan(tmp_path, jobs)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(ENV_VAR, "1")
    timed = _scan(tmp_path, jobs)
    err = capsys.readouterr().err
    assert _findings(timed) == _findings(plain) and any(f.rule_id == "BA301"
                                                        for f in plain.findings)
    assert "2 files analysed by workers" in err
    for row in ("main process", "workers, summed over files", "libcst parse", "traverse"):
        assert row in err, row


def test_each_check_is_charged_for_its_own_callbacks() -> None:
    from backend_audit.catalogue import load_catalogue
    from backend_audit.engines.libcst_engine import analyse_source
    from backend_audit.pipeline import _words

    rules = load_catalogue()
    ids = frozenset(r.id for r in rules if r.engine == "libcst")
    clock = Timings()
    timed = analyse_source("views.py", VIEW, Config(), ids, _words(rules), clock)
    untimed = analyse_source("views.py", VIEW, Config(), ids, _words(rules))
    assert [c.rule_id for c in timed.candidates] == [c.rule_id for c in untimed.candidates]
    assert timed.facts == untimed.facts
    assert {"check:BA301", "phase:libcst parse", "phase:traverse"} <= set(clock.cpu)
    checks = sum(v for k, v in clock.cpu.items() if k.startswith("check:"))
    assert 0 < checks <= clock.cpu["phase:traverse"]


def test_the_table_shows_each_row_with_its_share_largest_first() -> None:
    clock = Timings()
    clock.cpu.update({"phase:resolve": 1.0, "phase:discover": 0.001, "check:BA502": 0.9})
    clock.add_file({"phase:libcst parse": 2.0, "phase:traverse": 1.0, "check:BA301": 0.6})
    clock.add_file({"phase:libcst parse": 1.0, "check:BA301": 0.2, "check:BA805": 0.1})
    table = render(clock, 4.5)
    assert "2 files analysed by workers; 5.00 s in all" in table
    assert "4.50 s" in table
    lines = table.splitlines()
    parse = next(i for i, line in enumerate(lines) if line.endswith("libcst parse"))
    assert lines[parse].split() == ["3.00", "s", "60.0", "%", "libcst", "parse"]
    assert lines[parse + 1].endswith("traverse")  # largest first
    assert not any(line.endswith("discover") for line in lines)  # under 5 ms: left out
    checks = lines.index("checks and collectors (workers, within 'traverse')")
    assert lines[checks + 1].split()[0] == "0.80" and lines[checks + 1].endswith("BA301")
