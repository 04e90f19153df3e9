"""Size and load time of the HTML report at scale, in headless Chromium.

    python benchmarks/html_report.py [-n 10000] [--screenshot shot.png] [--keep DIR]
    python benchmarks/html_report.py --html report.html [--screenshot shot.png]

Synthesises N findings over real code (this repository's ~800 Python modules, copied to
a temporary folder): rules from the real catalogue with a skewed frequency (a few rules
fire most), some files much hotter than others, several findings on the same line,
multi-line statements, half the messages the rule's own and half specific ones, a few
suppressions and notifications. Renders the report, opens it in Chromium (through
Playwright, as tests/test_html_browser.py does) three times and prints the file size, the
render time and the median times to the load event and to the page being interactive
(its script has run), then the in-page times to open the largest group and to filter by
a word. With ``--html`` it measures an existing report instead.

Targets (issue 14): under 5 MB and interactive within 2 s at 10,000 findings.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from backend_audit.catalogue import load_catalogue
from backend_audit.findings import (
    Confidence,
    Finding,
    Notification,
    NotificationLevel,
    Region,
    Report,
    ScanStats,
    Suppression,
)
from backend_audit.reporters.html import render

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET_BYTES = 5_000_000
TARGET_SECONDS = 2.0

_DETAILS = ("the value of request.args['{v}'] reaches the query without a bound parameter",
            "'{v}' comes from the request body and is used without validation",
            "the handler '{v}' is reachable without authentication on a public route",
            "{v} is compared with == instead of a constant-time comparison",
            "the response echoes '{v}' from the query string")
_NAMES = ("customer_id", "order_ref", "sort_by", "next_url", "coupon_code", "tenant",
          "invoice_number", "search_term", "webhook_secret", "export_format")


def copy_tree(root: Path) -> list[tuple[str, int]]:
    """Real code for the findings to point into: this repository's own Python files
    (the analyzer and its tests, about 800 modules), copied under ``root``."""
    made: list[tuple[str, int]] = []
    for top in ("analyzer", "tests"):
        for source in sorted((REPO / top).rglob("*.py")):
            text = source.read_text(encoding="utf-8", errors="replace")
            count = len(text.splitlines())
            if count < 10:
                continue
            rel = source.relative_to(REPO).as_posix()
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
            made.append((rel, count))
    return made


def synthesise_report(root: Path, n: int, seed: int = 14) -> Report:
    rng = random.Random(seed)
    rules = load_catalogue()
    tree = copy_tree(root)
    order = list(rules)
    rng.shuffle(order)
    rule_weights = [1 / (rank + 1) ** 1.1 for rank in range(len(order))]
    file_weights = [rng.paretovariate(1.2) for _ in tree]
    findings: list[Finding] = []
    while len(findings) < n:
        rule = rng.choices(order, rule_weights)[0]
        if findings and rng.random() < 0.12:  # another finding on a line already flagged
            previous = rng.choice(findings[-20:])
            path, line = previous.path, previous.region.start_line
            rule = rng.choice((rule, next(r for r in rules if r.id == previous.rule_id)))
            lines_in_file = dict(tree)[path]
        else:
            path, lines_in_file = rng.choices(tree, file_weights)[0]
            line = rng.randint(2, lines_in_file)
        span = rng.choice((0, 0, 0, 0, 1, 2, 4, 9))
        # About half the findings of real scans say exactly the rule's message; the rest
        # name the function, route or value (100 to 250 characters).
        message = rule.message if rng.random() < 0.5 else (
            f"handler_{line}() in {path.rsplit('/', 1)[-1]}: "
            f"{rng.choice(_DETAILS).format(v=rng.choice(_NAMES))}; {rule.message[:90]}")
        findings.append(Finding(
            rule.id, rule.name, rule.category, rule.severity,
            rng.choice((rule.confidence, rule.confidence, Confidence.MEDIUM)), path,
            Region(line, rng.randint(1, 40), min(line + span, lines_in_file), 60),
            message, "", f"{len(findings):032x}",
            suppression=Suppression("reviewed", line) if rng.random() < 0.02 else None))
    notes = tuple(Notification("does not parse: invalid syntax", NotificationLevel.ERROR,
                               tree[i][0], 3, "syntax-error") for i in range(3))
    return Report(root=str(root), findings=tuple(sorted(findings, key=Finding.sort_key)),
                  notifications=notes, rules=rules,
                  stats=ScanStats(len(tree), 0, len(rules), 12.3,
                                  sum(c for _, c in tree)),
                  tool_version="bench", started_at="2025-01-02T03:04:05Z")


_OPEN_LARGEST = """() => {
    const groups = [...document.querySelectorAll('#groups > details.group')];
    groups.sort((a, b) => Number(b.dataset.count) - Number(a.dataset.count));
    if (!groups.length) { return 0; }
    const started = performance.now();
    groups[0].open = true;
    return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(
        () => done(performance.now() - started))));
}"""
_SEARCH = """word => {
    const started = performance.now();
    document.getElementById('f-text').value = word;
    document.getElementById('filters').dispatchEvent(new Event('submit', {cancelable: true}));
    return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(
        () => done(performance.now() - started))));
}"""


def measure(html: Path, runs: int, screenshot: Path | None) -> dict[str, float]:
    """Wall-clock seconds from navigation to the load event and to the script having run
    (as Playwright sees them, so a little pessimistic), then in-page times to open the
    largest group and to filter by a word (until two frames have been drawn)."""
    from playwright.sync_api import sync_playwright

    loads: list[float] = []
    ready: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            started = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load")
            loads.append(time.perf_counter() - started)
            page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
            ready.append(time.perf_counter() - started)
            if errors:
                raise SystemExit(f"page errors: {errors}")
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(html.as_uri(), wait_until="load")
        page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
        open_ms = page.evaluate(_OPEN_LARGEST)
        search_ms = page.evaluate(_SEARCH, "password")
        page.close()
        if screenshot is not None:
            _screenshot(browser, html, screenshot)
        browser.close()
    return {"load_s": statistics.median(loads), "interactive_s": statistics.median(ready),
            "open_largest_group_s": open_ms / 1000, "search_s": search_ms / 1000}


def _screenshot(browser, html: Path, path: Path) -> None:
    """The top of the report with its first (most severe) group open, or every group of
    a report of at most 50 findings."""
    page = browser.new_page(viewport={"width": 1280, "height": 2400})
    page.goto(html.as_uri(), wait_until="load")
    page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
    page.evaluate("""() => {
        const groups = [...document.querySelectorAll('#groups > details.group')];
        const total = groups.reduce((n, g) => n + Number(g.dataset.count), 0);
        groups.slice(0, total <= 50 ? groups.length : 1).forEach(g => { g.open = true; });
    }""")
    page.wait_for_timeout(500)  # code blocks drawn as they come into view
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--findings", type=int, default=10_000)
    parser.add_argument("--html", type=Path, help="measure this report instead")
    parser.add_argument("--keep", type=Path, help="write the tree and report here")
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        render_s = 0.0
        if args.html is not None:
            html = args.html
        else:
            work.mkdir(parents=True, exist_ok=True)
            report = synthesise_report(work / "project", args.findings)
            started = time.perf_counter()
            text = render(report)
            render_s = time.perf_counter() - started
            html = work / "report.html"
            html.write_text(text, encoding="utf-8")
        size = html.stat().st_size
        times = measure(html, args.runs, args.screenshot)
    print(f"findings:            {args.findings if args.html is None else '(given report)'}")
    print(f"size:                {size / 1e6:.2f} MB (target < {TARGET_BYTES / 1e6:.0f} MB)")
    if render_s:
        print(f"render:              {render_s:.2f} s")
    print(f"load event:          {times['load_s']:.2f} s (median of {args.runs})")
    print(f"interactive:         {times['interactive_s']:.2f} s "
          f"(target < {TARGET_SECONDS:.0f} s)")
    print(f"open largest group:  {times['open_largest_group_s']:.2f} s")
    print(f"search 'password':   {times['search_s']:.2f} s")
    ok = size < TARGET_BYTES and times["interactive_s"] < TARGET_SECONDS
    print("within targets" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
