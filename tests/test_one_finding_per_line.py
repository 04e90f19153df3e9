"""A rule that says the same thing twice on one line (BA403 at a ``return`` and at the
response call it returns) gives one finding there, as sure as the surer of the two."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from backend_audit.config import Config
from backend_audit.findings import Confidence
from backend_audit.pipeline import ScanOptions, _dedupe, scan

FIXTURE = (Path(__file__).parent / "fixtures" / "error-handling" /
           "django_series_numbers_form.py")


def test_return_and_returned_call_are_one_finding() -> None:
    report = scan([FIXTURE], Config(min_confidence="low"), ScanOptions(select=("BA403",), jobs=1))
    lines = [f.region.start_line for f in report.findings]
    assert lines == sorted(set(lines)) and 32 in lines


def test_the_copy_kept_is_the_surest() -> None:
    report = scan([FIXTURE], Config(min_confidence="low"), ScanOptions(select=("BA403",), jobs=1))
    first = next(f for f in report.findings if f.region.start_line == 32)
    later = replace(first, region=replace(first.region, start_column=first.region.start_column + 7),
                    confidence=Confidence.HIGH)
    [kept] = _dedupe([later, first], {})
    assert kept.region.start_column == first.region.start_column
    assert kept.confidence is Confidence.HIGH


def test_different_messages_on_one_line_are_kept() -> None:
    report = scan([FIXTURE], Config(min_confidence="low"), ScanOptions(select=("BA403",), jobs=1))
    first = next(f for f in report.findings if f.region.start_line == 32)
    other = replace(first, region=replace(first.region, start_column=first.region.start_column + 7),
                    message="Another thing said about the same line.")
    assert len(_dedupe([first, other], {})) == 2
