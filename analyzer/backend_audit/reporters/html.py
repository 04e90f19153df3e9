"""A self-contained HTML report for people: one file, no network, usable without JS.

Everything is rendered server-side by jinja2 (autoescape on, ``StrictUndefined``).
Findings are grouped by rule, most severe rule first, in collapsed ``<details>``; inside
a group, by file, and findings of the rule on the same lines share one code block. So
that 10,000 findings stay a few megabytes, only the first ``EAGER_SITES`` code blocks of
each group are rendered with surrounding lines; the others show the flagged lines, and
the inline script adds their surrounding lines (kept once per file in a JSON text block)
when they scroll into view. A Content-Security-Policy allows that one script (by hash)
and nothing else, so text from scanned files stays text even if some escaping were ever
missed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup

from backend_audit.catalogue import Rule
from backend_audit.engines.source import source_lines
from backend_audit.findings import Confidence, Finding, Report, Severity
from backend_audit.reporters.escape import readable, terminal_text
from backend_audit.reporters.sarif import help_uri
from backend_audit.reporters.sources import SourceFiles
from backend_audit.resources import reports_dir

CONTEXT_LINES = 3
#: Flagged lines shown per code block; a longer statement ends in "…".
MAX_HIT_LINES = 6
#: Code blocks per group rendered with their context; the rest get it from the script.
EAGER_SITES = 5
SEVERITIES = tuple(str(s) for s in sorted(Severity, reverse=True))


@dataclass(frozen=True)
class CodeLine:
    number: int
    text: str
    hit: bool


@dataclass(frozen=True)
class Site:
    """Findings of one rule that start on the same line of one file: one code block."""

    findings: tuple[Finding, ...]
    code: tuple[CodeLine, ...]  # empty when the script draws the block
    cut: bool  # the statement is longer than the lines shown
    lines: str  # "first-last" flagged lines the script draws; "" if drawn here

    @property
    def lazy(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True)
class FileGroup:
    path: str
    folder: str  # "app/api/": a long one may break anywhere ...
    name: str  # ... but never the file's name
    count: int
    sites: tuple[Site, ...]


@dataclass(frozen=True)
class Group:
    """The findings of one rule."""

    rule_id: str
    rule_name: str
    category: str
    severity: Severity
    rule: Rule | None  # None for a rule the catalogue of this scan does not hold
    help_uri: str
    count: int
    files: tuple[FileGroup, ...]

    @property
    def message(self) -> str:
        """Shown once for the group; a finding shows its own message only if different."""
        return self.rule.message if self.rule is not None else ""

    @property
    def confidence(self) -> Confidence | None:
        return self.rule.confidence if self.rule is not None else None

    @property
    def lazy(self) -> bool:
        return any(site.lazy for fg in self.files for site in fg.sites)


@dataclass(frozen=True)
class Bar:
    category: str
    total: int
    segments: tuple[tuple[str, int, float, float], ...]  # severity, count, x, width


def _state(f: Finding) -> str:
    if f.suppression is not None:
        return "suppressed"
    return "known" if f.baseline_state == "unchanged" else "active"


class _Context:
    """Lines of the code blocks the script draws, once per file."""

    def __init__(self) -> None:
        self.wanted: dict[str, set[int]] = {}

    def want(self, path: str, numbers: Iterable[int]) -> None:
        self.wanted.setdefault(path, set()).update(numbers)

    def index(self) -> dict[str, int]:
        return {path: i for i, path in enumerate(sorted(self.wanted))}

    def blob(self, sources: SourceFiles) -> str:
        """``[[[first line, [text, ...]], ...] per file]`` (runs of consecutive lines) as
        JSON, gzipped and in base64."""
        files = []
        for path in sorted(self.wanted):
            lines = sources.lines(path) or []
            runs: list[list] = []
            for n in sorted(self.wanted[path]):
                if not 1 <= n <= len(lines):
                    continue
                text = terminal_text(lines[n - 1])
                if runs and runs[-1][0] + len(runs[-1][1]) == n:
                    runs[-1][1].append(text)
                else:
                    runs.append([n, [text]])
            files.append(runs)
        data = json.dumps(files, ensure_ascii=False, separators=(",", ":"))
        # gzip (no timestamp: the report stays deterministic), base64 for the page: a
        # third of the JSON's size, and nothing from scanned files appears in the markup.
        packed = gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0)
        return base64.b64encode(packed).decode("ascii")


def _hit_lines(first: int, last: int, f: Finding, lines: list[str] | None
               ) -> tuple[tuple[CodeLine, ...], bool]:
    if lines is None or first > len(lines):
        # The file is gone or changed: show the snippet the scan recorded.
        recorded = source_lines(f.snippet) if f.snippet else []
        shown = recorded[:min(MAX_HIT_LINES, last - first + 1)]
        return (tuple(CodeLine(first + i, text, True) for i, text in enumerate(shown)),
                last - first + 1 > len(shown))
    end = min(last, first + MAX_HIT_LINES - 1, len(lines))
    return tuple(CodeLine(n, lines[n - 1], True) for n in range(first, end + 1)), last > end


def _site(path: str, findings: tuple[Finding, ...], sources: SourceFiles, eager: bool,
          context: _Context) -> Site:
    first = findings[0].region.start_line
    last = max(max(f.region.end_line, first) for f in findings)
    lines = sources.lines(path)
    hits, cut = _hit_lines(first, last, findings[0], lines)
    if not hits or lines is None or first > len(lines):
        return Site(findings, hits, cut, "")
    end = hits[-1].number
    before = range(max(1, first - CONTEXT_LINES), first)
    after = range(end + 1, min(len(lines), end + CONTEXT_LINES) + 1) if not cut else range(0)
    if not eager:
        context.want(path, [*before, *range(first, end + 1), *after])
        return Site(findings, (), cut, f"{first}-{end}")
    code = (*(CodeLine(n, lines[n - 1], False) for n in before), *hits,
            *(CodeLine(n, lines[n - 1], False) for n in after))
    return Site(findings, code, cut, "")


def _split_path(path: str) -> tuple[str, str]:
    folder, _, name = path.rpartition("/")
    return (folder + "/" if folder else ""), name


def groups(findings: Iterable[Finding], rules: dict, sources: SourceFiles,
           context: _Context) -> tuple[Group, ...]:
    """One group per rule, most severe first, then the most frequent."""
    by_rule: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        by_rule.setdefault(f.rule_id, []).append(f)
    built = []
    for rule_id, found in by_rule.items():
        rule = rules.get(rule_id)
        eager = EAGER_SITES
        files = []
        for path, in_file in groupby(found, key=lambda f: f.path):
            sites = []
            for _, same in groupby(in_file, key=lambda f: f.region.start_line):
                sites.append(_site(path, tuple(same), sources, eager > 0, context))
                eager -= 1
            folder, name = _split_path(path)
            files.append(FileGroup(path, folder, name, sum(len(s.findings) for s in sites),
                                   tuple(sites)))
        first = found[0]
        built.append(Group(rule_id, first.rule_name, first.category,
                           max(f.severity for f in found), rule,
                           help_uri(rule) if rule is not None else "", len(found),
                           tuple(files)))
    built.sort(key=lambda g: (-g.severity, -g.count, len(g.rule_id), g.rule_id))
    return tuple(built)


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
    env.filters["content"] = _content
    return env


def _shown(value: object) -> object:
    """Every value the template prints: scanned text cannot hide or reorder characters
    (bidi overrides, controls) or carry bytes that are not UTF-8 (undecodable names)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return terminal_text(value, keep="\t\n")
    return value


def _content(value: object) -> Markup:
    """The ``content`` filter, for scanned text in element content (never in an
    attribute): there only ``&`` and ``<`` need escaping (``>`` is escaped too, for
    readers of the source). Quotes stay as they are, which keeps code a fifth shorter."""
    text = terminal_text(str(value), keep="\t\n")
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _asset(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()


def render(report: Report, sources: SourceFiles | None = None) -> str:
    folder = reports_dir() / "html"
    sources = sources if sources is not None else SourceFiles(report.root)
    rules = {r.id: r for r in report.rules}
    context = _Context()
    active = report.active_findings
    shown = groups(active, rules, sources, context)
    hidden = groups((f for f in report.findings if _state(f) != "active"), rules, sources,
                    context)
    script = _asset(folder, "report.js")
    values = {
        "report": report,
        "groups": shown,
        "hidden_groups": hidden,
        "file_index": context.index(),
        "active": active,
        "severities": SEVERITIES,
        "severity_counts": {s: sum(1 for f in active if str(f.severity) == s)
                            for s in SEVERITIES},
        "suppressed": sum(1 for f in report.findings if _state(f) == "suppressed"),
        "known": sum(1 for f in report.findings if _state(f) == "known"),
        "bars": chart(active),
        "categories": sorted({f.category for f in active}),
        "files": len({f.path for f in active}),
        "root_name": Path(report.root).name or report.root,
        "tests_skipped": report.extra.get("test_files_skipped", 0),
        "below_confidence": report.extra.get("below_confidence", 0),
        "context_lines": CONTEXT_LINES,
        "eager_sites": EAGER_SITES,
        "context_blob": context.blob(sources),
        "css": Markup(_asset(folder, "report.css")),
        # The script is a trusted asset; "</" cannot occur in it (checked by a test).
        "script": Markup(script),
        "script_hash": _script_hash(script),
    }
    return readable(_environment(folder).get_template("report.html.j2").render(values))
