"""A self-contained HTML report for people: one file, no network, usable without JS.

Everything is rendered server-side by jinja2 (autoescape on, ``StrictUndefined``): the
summary and its SVG chart, every finding with its code in context and the rule's
why/example/fix. The inline script only filters and sorts rows that are already there,
and a Content-Security-Policy allows that one script (by hash) and nothing else, so
text from scanned files stays text even if some escaping were ever missed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from backend_audit.engines.source import source_lines
from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.escape import readable, terminal_text
from backend_audit.reporters.sarif import help_uri
from backend_audit.reporters.sources import SourceFiles
from backend_audit.resources import reports_dir

CONTEXT_LINES = 3
SEVERITIES = tuple(str(s) for s in sorted(Severity, reverse=True))


@dataclass(frozen=True)
class CodeLine:
    number: int
    text: str
    hit: bool


@dataclass(frozen=True)
class Row:
    finding: Finding
    state: str  # "active" | "suppressed" | "known" (in the baseline)
    context: tuple[CodeLine, ...]
    docs: object | None  # catalogue Docs of the rule, if the rule is known
    help_uri: str


@dataclass(frozen=True)
class Bar:
    category: str
    total: int
    segments: tuple[tuple[str, int, float, float], ...]  # severity, count, x, width


def _state(f: Finding) -> str:
    if f.suppression is not None:
        return "suppressed"
    return "known" if f.baseline_state == "unchanged" else "active"


def code_context(f: Finding, sources: SourceFiles) -> tuple[CodeLine, ...]:
    lines = sources.lines(f.path)
    first, last = f.region.start_line, max(f.region.end_line, f.region.start_line)
    if lines is None or first > len(lines):
        # The file is gone or changed: show the snippet the scan recorded.
        return tuple(CodeLine(first + i, text, True)
                     for i, text in enumerate(source_lines(f.snippet)) if f.snippet)
    last = min(last, first + 10, len(lines))
    lo, hi = max(1, first - CONTEXT_LINES), min(len(lines), last + CONTEXT_LINES)
    return tuple(CodeLine(n, lines[n - 1], first <= n <= last) for n in range(lo, hi + 1))


def chart(findings: tuple[Finding, ...], width: float = 520.0) -> tuple[Bar, ...]:
    by_category: dict[str, dict[str, int]] = {}
    for f in findings:
        counts = by_category.setdefault(f.category, dict.fromkeys(SEVERITIES, 0))
        counts[str(f.severity)] += 1
    if not by_category:
        return ()
    longest = max(sum(c.values()) for c in by_category.values())
    bars = []
    for category, counts in sorted(by_category.items(),
                                   key=lambda kv: (-sum(kv[1].values()), kv[0])):
        x, segments = 0.0, []
        for sev in SEVERITIES:
            if counts[sev]:
                w = round(width * counts[sev] / longest, 2)
                segments.append((sev, counts[sev], round(x, 2), w))
                x += w
        bars.append(Bar(category, sum(counts.values()), tuple(segments)))
    return tuple(bars)


@cache
def _environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    return env


def _shown(value: object) -> object:
    """Every value the template prints: scanned text cannot hide or reorder characters
    (bidi overrides, controls) or carry bytes that are not UTF-8 (undecodable names)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return terminal_text(value, keep="\t\n")
    return value


def _asset(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()


def render(report: Report, sources: SourceFiles | None = None) -> str:
    folder = reports_dir() / "html"
    sources = sources if sources is not None else SourceFiles(report.root)
    rules = {r.id: r for r in report.rules}
    rows = tuple(
        Row(f, _state(f), code_context(f, sources),
            rules[f.rule_id].docs if f.rule_id in rules else None,
            help_uri(rules[f.rule_id]) if f.rule_id in rules else "")
        for f in report.findings
    )
    active = report.active_findings
    script = _asset(folder, "report.js")
    context = {
        "report": report,
        "rows": rows,
        "active": active,
        "severities": SEVERITIES,
        "severity_counts": {s: sum(1 for f in active if str(f.severity) == s)
                            for s in SEVERITIES},
        "suppressed": sum(1 for r in rows if r.state == "suppressed"),
        "known": sum(1 for r in rows if r.state == "known"),
        "bars": chart(active),
        "categories": sorted({f.category for f in report.findings}),
        "rule_ids": sorted({(f.rule_id, f.rule_name) for f in report.findings}),
        "files": sorted({f.path for f in report.findings}),
        "root_name": Path(report.root).name or report.root,
        "tests_skipped": report.extra.get("test_files_skipped", 0),
        "below_confidence": report.extra.get("below_confidence", 0),
        "css": Markup(_asset(folder, "report.css")),
        # The script is a trusted asset; "</" cannot occur in it (checked by a test).
        "script": Markup(script),
        "script_hash": _script_hash(script),
    }
    return readable(_environment(folder).get_template("report.html.j2").render(context))
