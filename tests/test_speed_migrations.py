"""A schema migration that only request-facing rules would read is never parsed.

Migrations are a tenth of a Django project's text (NetBox: 263 files, 0.7 MB) and full
of the words those rules wait for (``get``, ``raw``, ``open``, ``redirect``); they run
once at deploy time and serve no request, so parsing them for those rules was wasted.
"""

from __future__ import annotations

import pytest
from backend_audit.checks import check_classes
from backend_audit.config import Config
from backend_audit.engines import libcst_engine
from backend_audit.engines.libcst_engine import analyse_source
from backend_audit.pipeline import ScanOptions, _words, enabled_rules

MIGRATION = '''import jwt
from django.db import migrations
from django.shortcuts import redirect


def copy_reports(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    for report in Report.objects.raw("SELECT * FROM reports_report WHERE id > %s" % 0):
        with open(report.path) as fh:
            report.body = fh.read()
        report.token = jwt.encode({"id": report.id}, "k")
        report.save()
    first = Report.objects.get(pk=1)
    return redirect(first.url)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_report_path")]
    operations = [migrations.RunPython(copy_reports)]
'''

#: Rules about what a request makes a server do: a migration cannot hold their findings.
REQUEST_FACING = ("BA302", "BA602", "BA606", "BA801", "BA804", "BA805", "BA808", "BA813",
                  "BA1001", "BA1003", "BA1201", "BA1203")


def _parses(monkeypatch: pytest.MonkeyPatch, path: str, select: tuple[str, ...]) -> int:
    parsed: list[str] = []
    real = libcst_engine.parse_trusted

    def counting(text: str):  # type: ignore[no-untyped-def]
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(libcst_engine, "parse_trusted", counting)
    rules = enabled_rules(Config(), ScanOptions(select=select))
    ids = frozenset(r.id for r in rules if r.engine == "libcst")
    # the collectors are left out: only the selected checks decide
    monkeypatch.setattr(libcst_engine, "collector_classes", lambda: ())
    result = analyse_source(path, MIGRATION, Config(), ids, _words(rules))
    assert result.parsed
    return len(parsed)


def test_request_facing_rules_skip_migrations() -> None:
    classes = check_classes()
    assert [rid for rid in REQUEST_FACING if not classes[rid].skips_migrations] == []


def test_a_migration_is_not_parsed_for_request_facing_rules(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert _parses(monkeypatch, "reports/migrations/0004_copy.py", REQUEST_FACING) == 0


def test_the_same_module_elsewhere_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _parses(monkeypatch, "reports/jobs.py", REQUEST_FACING) == 1


def test_a_migration_is_still_parsed_for_a_secret_in_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a hard-coded secret is one wherever it is written
    assert _parses(monkeypatch, "reports/migrations/0004_copy.py", ("BA701",)) == 1
