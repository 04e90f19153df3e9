"""BA402 on bare excepts and returned exception objects: which fallbacks are reported by
default and which only at the audit level (see fixtures/error-handling/
flask_bare_excepts.py for the code)."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

FIXTURE = Path(__file__).parent / "fixtures" / "error-handling" / "flask_bare_excepts.py"


@pytest.fixture(scope="module")
def confidences() -> dict[int, str]:
    report = scan([FIXTURE], Config(min_confidence="low"), ScanOptions(select=("BA402",), jobs=1))
    return {f.region.start_line: str(f.confidence) for f in report.findings}


@pytest.mark.parametrize(("line", "confidence"), [
    (34, "medium"),  # bare except answering a canned 200 response, nothing logged
    (43, "medium"),  # bare except around validation: any error becomes "bad JSON"
    (73, "medium"),  # bare except around pure parsing: no convention excuses it
    (80, "low"),     # the same, with a comment explaining the fallback
    (89, "medium"),  # the exception object handed back as the token
    (96, "low"),     # an exception for "False" where the function returns flags
])
def test_confidence(confidences: dict[int, str], line: int, confidence: str) -> None:
    assert confidences.get(line) == confidence


def test_logged_narrow_and_reraised_handlers_are_not_reported(
        confidences: dict[int, str]) -> None:
    assert set(confidences) == {34, 43, 73, 80, 89, 96}
