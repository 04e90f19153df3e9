"""The HTML report in a real headless browser (Debian's chromium through Playwright).

A real scan of a small app, one of whose files is full of markup: the page must load
without console errors, stay inert (no element or script injected by scanned text),
filter rows, sort them, and be readable in a screenshot, copied to
``tests/artifacts/html-report.png`` for people to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from backend_audit.cli import main
from click.testing import CliRunner

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
SAMPLE_APP = Path(__file__).parent / "sample_app"
PAYLOAD = "</script><img src=x onerror=alert(1)>"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

HOSTILE_MODULE = f'''\
"""Admin search. {PAYLOAD} <!-- a docstring full of markup -->"""
import sqlite3

from flask import Blueprint, request

bp = Blueprint("admin", __name__)


@bp.get("/admin/search")
def admin_search():
    term = request.args["q"]
    cur = sqlite3.connect("admin.db").cursor()
    cur.execute(f"SELECT id FROM audit WHERE note = '{{term}}' -- {PAYLOAD}")
    return {{"rows": cur.fetchall()}}
'''


def _playwright():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: run .ci/system-deps (apt-get install chromium) "
                    "to run the HTML browser test")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    return sync_playwright


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("scan") / "app"
    shutil.copytree(SAMPLE_APP, app)
    (app / "bookshop" / "api" / "admin_markup.py").write_text(HOSTILE_MODULE,
                                                                 encoding="utf-8")
    out = app.parent / "report.html"
    result = CliRunner().invoke(main, [str(app), "-j", "1", "-q", "-f", f"html:{out}"],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out


@pytest.fixture(scope="module")
def page(report_file: Path) -> Iterator[object]:
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: problems.append(f"request: {r.url}")
                if not r.url.startswith(("file:", "data:")) else None)
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        page.problems = problems  # type: ignore[attr-defined]
        yield page
        browser.close()


def _visible_rows(page) -> int:
    return page.locator("tbody.finding:visible").count()


def test_report_loads_without_console_errors_or_network(page) -> None:
    assert page.title().startswith("backend-audit report")
    assert page.locator("#filters").is_visible()  # the script ran (CSP allowed it)
    assert page.problems == []


def test_scanned_markup_stays_inert_text(page) -> None:
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1
    code = page.locator("pre.code", has_text="onerror=alert(1)")
    assert code.count() >= 1
    assert PAYLOAD in code.first.inner_text()
    assert page.problems == []


def test_filters_change_the_rows_shown(page) -> None:
    total = _visible_rows(page)
    assert total >= 3
    page.select_option("#f-category", "sql-injection")
    by_category = _visible_rows(page)
    assert 0 < by_category < total
    assert all(c == "sql-injection" for c in page.locator("tbody.finding:visible")
               .evaluate_all("rows => rows.map(r => r.dataset.category)"))
    page.select_option("#f-category", "")
    page.fill("#f-text", "admin_markup")
    assert _visible_rows(page) >= 1 and _visible_rows(page) < total
    page.fill("#f-text", "no such finding anywhere")
    assert _visible_rows(page) == 0 and page.locator("#no-match").is_visible()
    page.fill("#f-text", "")
    assert _visible_rows(page) == total
    assert page.locator("#f-count").inner_text() == f"Showing {total} of {total}"


def test_sorting_by_severity_puts_the_most_severe_first(page) -> None:
    page.click("th[data-sort=severity]")
    ranks = page.locator("tbody.finding").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks, reverse=True)
    page.click("th[data-sort=severity]")
    ranks = page.locator("tbody.finding").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks)
    page.click("th[data-sort=location]")


def test_screenshot_shows_the_report(page, tmp_path: Path) -> None:
    shot = tmp_path / "html-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "html-report.png")
