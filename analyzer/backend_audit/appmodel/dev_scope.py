"""Which modules hold secrets or settings that never reach production. Defines no rule.

Development and test settings (``settings/dev.py``, ``local_settings.py``,
``settings_test.py``) and test code legitimately carry throw-away keys and
``DEBUG = True``; reporting them would bury the real findings.
"""

from __future__ import annotations

import re

DEV_ONLY_STEMS = re.compile(
    r"^(dev|devel|development|local|local_settings|test|tests|testing|ci|e2e|"
    r"(settings|config)_(dev|local|test|testing|ci)|(dev|local|test|testing|ci)_(settings|config)"
    r")$")
TEST_FILE = re.compile(r"^(test_.*|.*_test|conftest)$")
TEST_DIRS = frozenset({"tests", "test", "testing", "fixtures", "e2e"})


def is_dev_only(path: str) -> bool:
    """Development or test settings, or test code (path relative to the scan root)."""
    parts = path.split("/")
    stem = parts[-1].removesuffix(".py")
    return bool(DEV_ONLY_STEMS.match(stem) or TEST_FILE.match(stem)) or \
        any(p in TEST_DIRS for p in parts[:-1])
