"""BA402 on work a program skips by design (see fixtures/error-handling/
django_event_imports): optional parts of an imported export, rows pruned where they can
be, usage counters, a lookup's "nothing", a one-off data migration, an lxml tree edited
in memory; each beside a twin that stays reported by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

FIXTURE = Path(__file__).parent / "fixtures" / "error-handling" / "django_event_imports"


@pytest.fixture(scope="module")
def confidences() -> dict[tuple[str, int], str]:
    report = scan([FIXTURE], Config(min_confidence="low"), ScanOptions(select=("BA402",), jobs=1))
    return {(f.path, f.region.start_line): str(f.confidence) for f in report.findings}


@pytest.mark.parametrize(("path", "line", "confidence"), [
    ("events/importers.py", 22, "low"),     # optional categories, tested for first
    ("events/importers.py", 29, "low"),     # optional venue, tested for first
    ("events/importers.py", 39, "medium"),  # a session of the export's content dropped
    ("events/importers.py", 53, "low"),     # a block without its optional element
    ("events/importers.py", 59, "low"),     # an optional element of the XML feed
    ("events/importers.py", 69, "low"),     # each tag deleted where it can be
    ("events/importers.py", 77, "medium"),  # deletes, not one per loop item
    ("events/migrations/0012_merge_legacy_venues.py", 12, "low"),  # one-off migration
    ("events/signals.py", 14, "low"),       # None is what .first() answers anyway
    ("events/signals.py", 25, "medium"),    # .get() raises: None is a new answer
    ("events/text.py", 18, "low"),          # lxml's remove edits a tree in memory
    ("events/text.py", 28, "medium"),       # os.remove deletes a file
    ("events/usage.py", 20, "low"),         # only usage counters
    ("events/usage.py", 33, "medium"),      # a draft stored, not a count
    ("events/views.py", 12, "medium"),      # a request told a failed delete worked
    ("events/views.py", 24, "medium"),      # an optional field of a request
])
def test_confidence(confidences: dict[tuple[str, int], str], path: str, line: int,
                    confidence: str) -> None:
    assert confidences.get((path, line)) == confidence


def test_every_finding_is_listed(confidences: dict[tuple[str, int], str]) -> None:
    assert len(confidences) == 16
