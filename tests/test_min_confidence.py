"""The confidence floor: findings below ``min-confidence`` are counted, not shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backend_audit.cli import main
from backend_audit.config import ConfigError, load_config
from click.testing import CliRunner

# A realistic upload handler: its findings span several confidence levels.
APP = (Path(__file__).parent / "fixtures" / "file-upload" / "fastapi_attachments.py").read_text(
    encoding="utf-8")


def _scan(tmp_path: Path, *extra: str) -> dict:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    result = CliRunner().invoke(main, [str(tmp_path), "-f", "json", "--no-cache", "-q",
                                       "--fail-on", "never", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _key(f: dict) -> tuple:
    return (f["rule_id"], f["start_line"])


def test_default_hides_low_confidence_findings_and_counts_them(tmp_path: Path) -> None:
    everything = _scan(tmp_path, "--min-confidence", "low")
    low = [f for f in everything["findings"] if f["confidence"] == "low"]
    assert low and len(low) < len(everything["findings"])
    default = _scan(tmp_path)
    assert sorted(map(_key, default["findings"])) == sorted(
        _key(f) for f in everything["findings"] if f["confidence"] != "low")
    assert default["summary"]["below_confidence"] == len(low)
    assert everything["summary"]["below_confidence"] == 0


def test_high_floor_keeps_only_high(tmp_path: Path) -> None:
    report = _scan(tmp_path, "--min-confidence", "high")
    assert all(f["confidence"] == "high" for f in report["findings"])
    assert report["summary"]["below_confidence"] > 0


def test_config_sets_the_floor(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.backend-audit]\nmin-confidence = "low"\n', encoding="utf-8")
    report = _scan(tmp_path)
    assert any(f["confidence"] == "low" for f in report["findings"])


def test_bad_floor_in_config_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.backend-audit]\nmin-confidence = "sure"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="min-confidence"):
        load_config(None, tmp_path)


@pytest.mark.parametrize(("confidence", "severity"), [
    ("high", "critical"), ("medium", "high"), ("low", "high"), (None, "critical")])
def test_critical_only_where_the_check_is_certain(confidence: str | None,
                                                  severity: str) -> None:
    """A critical rule's finding the check is less than sure of is reported as high."""
    from backend_audit.catalogue import load_catalogue
    from backend_audit.findings import Region
    from backend_audit.pipeline import _finding

    (rule,) = [r for r in load_catalogue() if r.id == "BA201"]
    assert str(rule.severity) == "critical" and str(rule.confidence) == "high"
    finding = _finding(rule, "app.py", Region(3, 1, 3, 20), None, confidence)
    assert str(finding.severity) == severity


# Local-development stand-ins turn every request away unless the app runs in debug mode.
DEV_VIEWS = '''
from django.conf import settings
from django.http import HttpResponse, Http404
from django.views.decorators.csrf import csrf_exempt

from uploads.models import StoredFile


@csrf_exempt
def local_file_upload(request, file_id):
    """Stands in for the S3 presigned upload while developing."""
    if not settings.DEBUG:
        return HttpResponse(status=400)
    stored = StoredFile.objects.get(id=file_id)
    stored.file = request.FILES["file"]
    stored.save()
    return HttpResponse(status=204)


@csrf_exempt
def local_file_replace(request, file_id):
    if settings.DEBUG is False:
        raise Http404()
    stored = StoredFile.objects.get(id=file_id)
    stored.file = request.FILES["file"]
    stored.save()
    return HttpResponse(status=204)


@csrf_exempt
def file_upload(request, file_id):
    stored = StoredFile.objects.get(id=file_id)
    if not settings.DEBUG:
        stored.scan_requested = True
    stored.file = request.FILES["file"]
    stored.save()
    return HttpResponse(status=204)
'''


def test_handlers_serving_only_in_debug_mode_are_reported_at_the_audit_level(
        tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(DEV_VIEWS, encoding="utf-8")
    result = CliRunner().invoke(main, [str(tmp_path), "-f", "json", "--no-cache", "-q",
                                       "--fail-on", "never", "--min-confidence", "low",
                                       "--select", "BA605"])
    found = {f["start_line"]: f["confidence"] for f in json.loads(result.output)["findings"]}
    # the decorators of the two development stand-ins, then the view that always serves
    assert found == {9: "low", 20: "low", 30: "medium"}


def test_exception_details_answered_only_in_debug_mode_are_reported_at_the_audit_level(
        ) -> None:
    fixture = Path(__file__).parent / "fixtures" / "error-handling" / \
        "flask_debug_error_details.py"
    result = CliRunner().invoke(main, [str(fixture), "-f", "json", "--no-cache", "-q",
                                       "--fail-on", "never", "--min-confidence", "low",
                                       "--select", "BA403"])
    found = {f["start_line"]: f["confidence"] for f in json.loads(result.output)["findings"]}
    # ``if DEBUG:`` body, after ``if not DEBUG: return``, ``else`` of ``if not debug``;
    # then the handler that answers the details whatever the mode
    assert found == {25: "low", 33: "low", 41: "low", 46: "medium"}
