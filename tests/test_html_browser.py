"""The HTML report in a real headless browser (Debian's chromium through Playwright).

A real scan of a small app, one of whose files is full of markup: the page must load
without console errors, stay inert (no element or script injected by scanned text),
filter groups and findings, work without JavaScript, and be readable in a screenshot,
copied to ``tests/artifacts/html-report.png`` for people to look at.

A synthetic report of 500 findings over the same app checks the structure that lets the
report scale (timing is measured by benchmarks/html_report.py, not here): one collapsed
group per rule, most severe first, with the right counts; one code block per place;
code in context drawn by the script for all but the first few places of a group.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from backend_audit.catalogue import load_catalogue
from backend_audit.cli import main
from backend_audit.findings import (
    Finding,
    Region,
    Report,
    ScanStats,
    Severity,
    Suppression,
)
from backend_audit.reporters.html import EAGER_SITES
from backend_audit.reporters.html import render as render_html
from click.testing import CliRunner

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
SAMPLE_APP = Path(__file__).parent / "sample_app"
PAYLOAD = "</script><img src=x onerror=alert(1)>"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SYNTHETIC = 500

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
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("scan") / "app"
    shutil.copytree(SAMPLE_APP, app)
    (app / "bookshop" / "api" / "admin_markup.py").write_text(HOSTILE_MODULE,
                                                                 encoding="utf-8")
    return app


@pytest.fixture(scope="module")
def report_file(app: Path) -> Path:
    out = app.parent / "report.html"
    result = CliRunner().invoke(main, [str(app), "-j", "1", "-q", "--no-cache",
                                       "--min-confidence", "low", "-f", f"html:{out}"],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out


def synthetic_report(root: Path, count: int = SYNTHETIC, seed: int = 14) -> Report:
    """``count`` findings over the files below ``root``: a few rules fire most, several
    findings share a line, some statements span lines, a few are suppressed."""
    rng = random.Random(seed)
    rules = load_catalogue()
    files = sorted((p.relative_to(root).as_posix(),
                    len(p.read_text(encoding="utf-8").splitlines()))
                   for p in root.rglob("*.py"))
    files = [(path, n) for path, n in files if n > 3]
    weights = [1 / (rank + 1) for rank in range(len(rules))]
    findings: list[Finding] = []
    while len(findings) < count:
        rule = rng.choices(rules, weights)[0]
        if findings and rng.random() < 0.15:
            twin = findings[-1]
            path, line = twin.path, twin.region.start_line
            rule = next(r for r in rules if r.id == twin.rule_id)
            lines = dict(files)[path]
        else:
            path, lines = rng.choice(files)
            line = rng.randint(1, lines)
        end = min(lines, line + rng.choice((0, 0, 0, 1, 2, 8)))
        findings.append(Finding(
            rule.id, rule.name, rule.category, rule.severity, rule.confidence, path,
            Region(line, rng.randint(1, 20), end, 2),
            rule.message if rng.random() < 0.5 else f"{rule.message} ({len(findings)})",
            fingerprint=f"{len(findings):032x}",
            suppression=Suppression("reviewed", line) if rng.random() < 0.03 else None))
    return Report(root=str(root), findings=tuple(sorted(findings, key=Finding.sort_key)),
                  notifications=(), rules=rules,
                  stats=ScanStats(len(files), 0, len(rules), 1.0, sum(n for _, n in files)),
                  tool_version="test", started_at="2025-01-02T03:04:05Z")


@pytest.fixture(scope="module")
def synthetic(app: Path) -> tuple[Report, Path]:
    report = synthetic_report(app)
    out = app.parent / "synthetic.html"
    out.write_text(render_html(report), encoding="utf-8")
    return report, out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def _open(browser, path: Path, javascript: bool = True):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  java_script_enabled=javascript)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: problems.append(f"request: {r.url}")
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    if javascript:
        page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
    page.problems = problems  # type: ignore[attr-defined]
    return page


@pytest.fixture(scope="module")
def page(browser, report_file: Path) -> Iterator[object]:
    page = _open(browser, report_file)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def big(browser, synthetic: tuple[Report, Path]) -> Iterator[object]:
    page = _open(browser, synthetic[1])
    yield page
    page.context.close()


def _groups(page) -> list[dict]:
    return page.locator("#groups > details.group").evaluate_all(
        """groups => groups.map(g => ({
            id: g.id, open: g.open, hidden: g.hidden, severity: g.dataset.severity,
            count: Number(g.dataset.count), shown: g.querySelector('summary .n').textContent,
            findings: g.querySelectorAll('li.finding').length,
            sites: g.querySelectorAll('.site').length,
            drawn: g.querySelectorAll('.site > pre.code').length}))""")


def _shown_findings(page) -> int:
    return sum(int(g["shown"].split()[0]) for g in _groups(page) if not g["hidden"])


# a real scan ------------------------------------------------------------------------------

def test_report_loads_without_console_errors_or_network(page) -> None:
    assert page.title().startswith("backend-audit report")
    assert page.locator("#filters").is_visible()  # the script ran (CSP allowed it)
    assert page.problems == []


def test_scanned_markup_stays_inert_text(page) -> None:
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1
    code = page.locator("pre.code", has_text="onerror=alert(1)")
    assert code.count() >= 1
    assert PAYLOAD in code.first.text_content()
    page.locator("details.group", has=code.first).locator("summary").first.click()
    assert PAYLOAD in code.first.inner_text()
    assert page.locator("img").count() == 0 and page.problems == []


def test_filters_hide_groups_and_findings(page) -> None:
    total = _shown_findings(page)
    assert total >= 10
    assert page.locator("#f-count").inner_text().startswith(f"Showing {total} of {total}")
    page.select_option("#f-category", "sql-injection")
    groups = [g for g in _groups(page) if not g["hidden"]]
    assert groups and all(page.locator(f"#{g['id']}").get_attribute("data-category")
                          == "sql-injection" for g in groups)
    assert 0 < _shown_findings(page) < total
    page.select_option("#f-category", "")
    page.fill("#f-text", "admin_markup")
    page.wait_for_function("total => !document.getElementById('f-count').value"
                           ".startsWith(`Showing ${total} `)", arg=total)
    matching = page.locator("li.finding:visible")
    assert 0 < _shown_findings(page) < total
    page.locator("#f-open").click()
    assert matching.count() == _shown_findings(page)
    paths = matching.evaluate_all(
        "items => items.map(i => i.closest('section.file').querySelector('.path').textContent)")
    assert paths and all("admin_markup" in path for path in paths)
    page.fill("#f-text", "no such finding anywhere")
    page.wait_for_function("() => document.getElementById('no-match').hidden === false")
    assert _shown_findings(page) == 0
    page.fill("#f-text", "")
    page.wait_for_function("total => document.getElementById('f-count').value"
                           ".startsWith(`Showing ${total} `)", arg=total)
    page.locator("#f-close").click()
    assert not any(g["open"] for g in _groups(page))


def test_file_names_are_never_broken_inside(page) -> None:
    page.set_viewport_size({"width": 420, "height": 900})
    page.locator("#f-open").click()
    names = page.locator(".path .base").evaluate_all(
        "names => names.map(n => n.getClientRects().length)")
    assert names and set(names) == {1}  # each file name on one line box
    page.locator("#f-close").click()
    page.set_viewport_size({"width": 1280, "height": 900})


def test_screenshot_shows_the_report(page, tmp_path: Path) -> None:
    page.locator("#f-open").click()
    shot = tmp_path / "html-report.png"
    page.screenshot(path=str(shot), full_page=True)
    page.locator("#f-close").click()
    assert shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "html-report.png")


def test_without_javascript_groups_open_and_show_code(browser, report_file: Path) -> None:
    page = _open(browser, report_file, javascript=False)
    try:
        assert page.locator("#filters").is_hidden()
        first = page.locator("#groups > details.group").first
        assert first.locator("li.finding").first.is_hidden()
        first.locator("summary").first.click()
        assert first.locator("li.finding").first.is_visible()
        assert first.locator(".site > pre.code").first.is_visible()
        assert page.problems == []
    finally:
        page.context.close()


# 500 findings -----------------------------------------------------------------------------

def test_one_collapsed_group_per_rule_most_severe_first(big, synthetic) -> None:
    report, _ = synthetic
    active = report.active_findings
    per_rule = Counter(f.rule_id for f in active)
    groups = _groups(big)
    assert [g["id"] for g in groups] == [f"g-{rid}" for rid in sorted(
        per_rule, key=lambda rid: (-max(f.severity for f in active if f.rule_id == rid),
                                   -per_rule[rid], len(rid), rid))]
    assert not any(g["open"] for g in groups)
    ranks = [Severity.parse(g["severity"]) for g in groups]
    assert ranks == sorted(ranks, reverse=True)
    for g in groups:
        assert g["count"] == per_rule[g["id"][2:]] == g["findings"] == int(g["shown"])
    assert sum(g["count"] for g in groups) == len(active)
    assert big.locator("#f-count").inner_text().startswith(
        f"Showing {len(active)} of {len(active)} findings ({len(groups)} rules)")
    hidden = big.locator(".hidden-groups li.finding").count()
    assert hidden == len(report.findings) - len(active) > 0


def test_findings_on_the_same_line_share_one_code_block(big, synthetic) -> None:
    report, _ = synthetic
    places = Counter((f.rule_id, f.path, f.region.start_line) for f in report.active_findings)
    sites = {g["id"][2:]: g["sites"] for g in _groups(big)}
    for rule_id, count in sites.items():
        assert count == sum(1 for (rid, _, _) in places if rid == rule_id)
    assert any(n > 1 for n in places.values())
    shared = big.locator("#groups .site").evaluate_all(
        "sites => sites.filter(s => s.querySelectorAll('li.finding').length > 1).length")
    assert shared == sum(1 for n in places.values() if n > 1)


def test_code_beyond_the_first_places_is_drawn_when_seen(big, synthetic, app: Path) -> None:
    groups = _groups(big)
    assert all(g["drawn"] <= EAGER_SITES for g in groups)
    largest = max(groups, key=lambda g: g["sites"])
    assert largest["sites"] > EAGER_SITES and largest["drawn"] == EAGER_SITES
    group = big.locator(f"#{largest['id']}")
    group.locator("summary").first.click()
    for site in group.locator(".site").all():
        site.scroll_into_view_if_needed()
    big.wait_for_function("([id, n]) => document.querySelectorAll(`#${id} .site > pre.code`)"
                          ".length === n", arg=[largest["id"], largest["sites"]])
    blocks = group.locator(".site").evaluate_all("""sites => sites.map(s => ({
        path: s.closest('section.file').querySelector('.path').textContent.split(' ')[0],
        hits: [...s.querySelectorAll('pre.code .hit')].map(l => [
            Number(l.querySelector('.no').textContent),
            l.textContent.slice(l.querySelector('.no').textContent.length, -1)]),
        all: [...s.querySelectorAll('pre.code .ln')].length}))""")
    for block in blocks:
        lines = (app / block["path"]).read_text(encoding="utf-8").splitlines()
        assert block["hits"] and block["all"] > len(block["hits"]) - 1
        for number, text in block["hits"]:
            assert lines[number - 1] == text
    group.locator("summary").first.click()
    assert big.problems == []
