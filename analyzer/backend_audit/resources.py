"""Locate the data that ships with the tool: the rule catalogue and report templates.

In an installed wheel they live in ``backend_audit/_data``; in a checkout they are the
top-level ``rules/`` and ``reports/`` folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the directory holding ``rules`` or ``reports``."""
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"backend-audit data folder {name!r} not found (broken install?)")


def rules_dir() -> Path:
    return data_dir("rules")


def reports_dir() -> Path:
    return data_dir("reports")
