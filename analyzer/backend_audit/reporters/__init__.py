"""Reporters: pure functions ``render(report) -> str``; one module per format."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from backend_audit.findings import Report

FORMATS = ("text", "json", "sarif")


def renderer(fmt: str) -> Callable[..., str]:
    module = importlib.import_module(f"backend_audit.reporters.{fmt.replace('-', '_')}")
    return module.render


def render(fmt: str, report: Report, **options) -> str:
    return renderer(fmt)(report, **options)
