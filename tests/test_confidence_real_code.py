"""Confidence of patterns judged FALSE on the production corpus (benchmarks/realworld)
that stay visible at the audit level, each beside a twin still reported by default.
The fixtures hold the code; annotations there say that a line fires at some level, this
test says at which."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend_audit.appmodel.error_handling import exposure
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

FIXTURES = Path(__file__).parent / "fixtures"


def _confidences(unit: str, rule: str) -> dict[tuple[str, int], str]:
    # every rule of the family runs, as in a default scan (BA301 records the call sites
    # the SQL rules weigh a helper's parameters by)
    report = scan([FIXTURES / unit], Config(min_confidence="low"),
                  ScanOptions(select=(rule[:3],), jobs=1))
    return {(Path(f.path).name, f.region.start_line): str(f.confidence)
            for f in report.findings if f.rule_id == rule}


@pytest.mark.parametrize(("unit", "rule", "file", "line", "confidence"), [
    # SQL text built from a parameter of a helper handed Alembic's ``op``: migrations call
    # it with names written in code, audit level; the same text in a helper a view calls
    # with a query-string value: reported.
    ("sql-injection/flask_ledger_sequences", "BA303", "schema_tools.py", 10, "low"),
    ("sql-injection/flask_ledger_sequences", "BA303", "schema_tools.py", 16, "low"),
    ("sql-injection/flask_ledger_sequences", "BA303", "schema_tools.py", 23, "high"),
    # A broad except answering None around a read of the database, where None is
    # already an answer of the function or the next statement tests the value: audit
    # level; the same around a write, around a read whose answer is not "nothing", or
    # with a made-up sentinel in place of None: reported.
    ("error-handling/async_reads_with_fallbacks.py", "BA402", "async_reads_with_fallbacks.py",
     22, "low"),
    ("error-handling/async_reads_with_fallbacks.py", "BA402", "async_reads_with_fallbacks.py",
     30, "low"),
    ("error-handling/async_reads_with_fallbacks.py", "BA402", "async_reads_with_fallbacks.py",
     41, "medium"),
    ("error-handling/async_reads_with_fallbacks.py", "BA402", "async_reads_with_fallbacks.py",
     48, "medium"),
    ("error-handling/async_reads_with_fallbacks.py", "BA402", "async_reads_with_fallbacks.py",
     56, "medium"),
    ("error-handling/async_reads_with_fallbacks.py", "BA402", "async_reads_with_fallbacks.py",
     65, "medium"),
    # Whole tables handed to a form template (the options of its select lists): audit
    # level; the same rows on a listing page: reported.
    ("pagination/flask_reading_list_forms.py", "BA501", "flask_reading_list_forms.py",
     43, "low"),
    ("pagination/flask_reading_list_forms.py", "BA501", "flask_reading_list_forms.py",
     45, "low"),
    ("pagination/flask_reading_list_forms.py", "BA501", "flask_reading_list_forms.py",
     53, "medium"),
    ("pagination/flask_reading_list_forms.py", "BA501", "flask_reading_list_forms.py",
     59, "medium"),
    # A bare except giving one field of a record a default where the try reads or
    # converts that part of data in hand (a scraped count, a date, a feed's summary):
    # audit level; the same around a business rule's answer, a network read or a write:
    # reported.
    ("error-handling/listing_scraper_fields.py", "BA402", "listing_scraper_fields.py",
     22, "low"),
    ("error-handling/listing_scraper_fields.py", "BA402", "listing_scraper_fields.py",
     26, "low"),
    ("error-handling/listing_scraper_fields.py", "BA402", "listing_scraper_fields.py",
     37, "low"),
    ("error-handling/listing_scraper_fields.py", "BA402", "listing_scraper_fields.py",
     47, "medium"),
    ("error-handling/listing_scraper_fields.py", "BA402", "listing_scraper_fields.py",
     51, "medium"),
    ("error-handling/listing_scraper_fields.py", "BA402", "listing_scraper_fields.py",
     60, "medium"),
    # An application handed to a mount elsewhere as a parameter typed as an application:
    # the hand-over is not followed, so every application a factory returns (the API the
    # server mounts, a listener served on its own port) stays at the audit level; the
    # parent the API is mounted into: reported.
    ("cors-headers/aiohttp_bot_console", "BA902", "__init__.py", 11, "low"),
    ("cors-headers/aiohttp_bot_console", "BA902", "webhooks.py", 11, "low"),
    ("cors-headers/aiohttp_bot_console", "BA902", "server.py", 13, "medium"),
    # The nonce of a request signed for a partner's API (unique, not secret): audit level;
    # a CSP nonce: reported.
    ("auth/partner_api_random_picks.py", "BA607", "partner_api_random_picks.py", 41, "low"),
    ("auth/partner_api_random_picks.py", "BA607", "partner_api_random_picks.py", 80, "high"),
    # A key derived from a configured password with one digest: audit level; the first
    # admin's password from the environment stored as a digest: reported.
    ("password-storage/config_secret_digests.py", "BA203", "config_secret_digests.py", 40,
     "low"),
    ("password-storage/config_secret_digests.py", "BA203", "config_secret_digests.py", 46,
     "high"),
])
def test_confidence(unit: str, rule: str, file: str, line: int, confidence: str) -> None:
    assert _confidences(unit, rule).get((file, line)) == confidence


@pytest.mark.parametrize(("names", "level"), [
    # the project's verdict on what a client configured: its own wording
    (["app.targets.ConnectionVerificationError"], None),
    (["ConnectionVerificationError"], None),
    # a library's certificate check of the server's own outgoing connection
    (["ssl.SSLCertVerificationError"], "medium"),
    # the project's own connection error: what it wraps is the server's
    (["app.store.StoreConnectionError"], "medium"),
])
def test_exception_text_exposure(names: list[str], level: str | None) -> None:
    assert exposure(names) == level
