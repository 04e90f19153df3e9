"""Terminal text: ``full`` (each finding with its code, CWE and docs) or ``concise``
(one ``path:line:col: ID [category] message`` line each, like Ruff's), optionally with
per-rule statistics.

The first line of every finding starts with ``path:line:col:`` in both formats, so
editors, terminals and CI problem matchers can jump to it.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from backend_audit.catalogue import Rule
from backend_audit.engines.source import source_lines
from backend_audit.findings import Finding, Notification, Report, Severity
from backend_audit.reporters.escape import terminal_text
from backend_audit.reporters.sarif import help_uri

OUTPUT_FORMATS = ("full", "concise")
#: Lines of a multi-line statement shown in ``full`` (the scan records at most six).
MAX_CODE_LINES = 6
#: Narrower terminals still get this width: below it, wrapping helps no one.
MIN_WIDTH = 40
INDENT = "    "

_COLOURS = {Severity.CRITICAL: "\x1b[1;31m", Severity.HIGH: "\x1b[31m",
            Severity.MEDIUM: "\x1b[33m", Severity.LOW: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"

Paint = Callable[[str, str], str]


def _safe(text: str) -> str:
    """Scanned code must not drive the terminal or reorder what it shows: control and
    bidi characters, and bytes of file names that are not UTF-8, are shown escaped."""
    return terminal_text(text)


def path_base(root: str | Path, cwd: str | Path) -> str:
    """What to put before a report path (relative to the scan root) to make it relative
    to ``cwd``, where editors and terminals resolve ``path:line:col``: ``""`` when the
    scan root is ``cwd``, ``"src/"`` below it, the absolute root elsewhere."""
    top = Path(root).resolve()
    try:
        below = top.relative_to(Path(cwd).resolve()).as_posix()
    except ValueError:
        return top.as_posix().rstrip("/") + "/"
    return "" if below == "." else below + "/"


def render(report: Report, colour: bool = False, show_suppressed: bool = False,
           output_format: str = "full", statistics: bool = False,
           width: int | None = None, base: str = "") -> str:
    """``width``: wrap prose to this many columns (None: do not wrap, as for files and
    pipes); code lines are never wrapped. ``base``: put before every relative path (see
    ``path_base``)."""
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"unknown text output format {output_format!r}")

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    wrap = _wrapper(width)
    shown = [f for f in report.findings
             if show_suppressed or (f.suppression is None and f.baseline_state != "unchanged")]
    rules = {r.id: r for r in report.rules}
    out: list[str] = []
    if output_format == "concise":
        if not statistics:
            out.extend(_headline(f, paint, base) for f in shown)
    else:
        for f in shown:
            out.extend(_full(f, rules.get(f.rule_id), paint, wrap, base))
            out.append("")
    if report.notifications:
        if output_format == "full":
            out.append(paint(_BOLD, "Notifications"))
        for n in report.notifications:
            line = _notification(n, output_format, base)
            out.extend(wrap(line, "  " + INDENT) if output_format == "full" else [line])
        if output_format == "full":
            out.append("")
    if statistics:
        out.extend(_statistics(shown))
        out.append("")
    out.extend(wrap(_summary(report), INDENT, paint=lambda text: paint(_BOLD, text)))
    return "\n".join(out) + "\n"


def _wrapper(width: int | None) -> Callable[..., list[str]]:
    def wrap(text: str, indent: str, paint: Callable[[str], str] = lambda t: t) -> list[str]:
        if width is None:
            return [paint(text)]
        # Never inside a word, a path or a URL: a long one overflows its line instead.
        lines = textwrap.wrap(text, width=max(width, MIN_WIDTH) - 1,
                              subsequent_indent=indent, break_long_words=False,
                              break_on_hyphens=False)
        return [paint(line) for line in lines] or [""]
    return wrap


def _shown_path(path: str, base: str) -> str:
    return _safe(path if not base or PurePosixPath(path).is_absolute() else base + path)


def _location(f: Finding, base: str) -> str:
    return f"{_shown_path(f.path, base)}:{f.region.start_line}:{f.region.start_column}:"


def _headline(f: Finding, paint: Paint, base: str) -> str:
    """``path:line:col: BA301 [sql-injection] message`` on one line."""
    return (f"{paint(_BOLD, _location(f, base))} {paint(_COLOURS[f.severity], f.rule_id)} "
            f"[{f.category}] {_safe(f.message)}")


def _full(f: Finding, rule: Rule | None, paint: Paint, wrap: Callable[..., list[str]],
          base: str) -> list[str]:
    location = _location(f, base)
    plain = f"{location} {f.rule_id} [{f.category}] {_safe(f.message)}"
    lines = wrap(plain, INDENT)
    # Colour after wrapping: escape sequences would count as columns.
    lead = f"{location} {f.rule_id}"
    if lines[0].startswith(lead + " ") or lines[0] == lead:
        lines[0] = (f"{paint(_BOLD, location)} {paint(_COLOURS[f.severity], f.rule_id)}"
                    + lines[0][len(lead):])
    facts = [f"{f.severity} severity", f"{f.confidence} confidence",
             *(rule.cwe if rule is not None else ()), f.rule_name]
    if f.suppression is not None:
        facts.append("suppressed" + (f": {_safe(f.suppression.reason)}"
                                     if f.suppression.reason else ""))
    elif f.baseline_state == "unchanged":
        facts.append("in the baseline")
    elif f.baseline_state == "new":
        facts.append("new since the baseline")
    lines.extend(wrap("  " + ", ".join(facts), "  " + INDENT))
    lines.extend(paint(_DIM, line) for line in _code(f))
    docs = f"backend-audit explain {f.rule_id}"
    if rule is not None and help_uri(rule):
        docs += f" or {help_uri(rule)}"
    lines.extend(wrap(f"  docs: {docs}", "  " + INDENT))
    return lines


def _code(f: Finding) -> list[str]:
    """The statement's lines (at most ``MAX_CODE_LINES``), numbered, common indent removed."""
    if not f.snippet.strip():
        return []
    span = max(f.region.end_line, f.region.start_line) - f.region.start_line + 1
    lines = [line.rstrip() for line in source_lines(f.snippet)[:min(span, MAX_CODE_LINES)]]
    while lines and not lines[-1].strip():
        lines.pop()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    numbers = range(f.region.start_line, f.region.start_line + len(lines))
    gutter = len(str(f.region.start_line + span - 1))
    shown = [f"  {n:>{gutter}} | {_safe(line[indent:])}" for n, line in zip(numbers, lines,
                                                                           strict=True)]
    if span > len(lines):
        shown.append(f"  {'':>{gutter}} | …")
    return shown


def _notification(n: Notification, output_format: str, base: str) -> str:
    where = _shown_path(n.path, base) + (f":{n.line}" if n.line else "") if n.path else "scan"
    if output_format == "concise":
        return f"{where}: {n.level.value}: {_safe(n.message)}"
    return f"  {n.level.value}: {where}: {_safe(n.message)}"


def _statistics(shown: list[Finding]) -> list[str]:
    """One line per rule, most frequent first, like ``ruff --statistics``."""
    counts = Counter(f.rule_id for f in shown)
    if not counts:
        return ["No findings to count."]
    first = {f.rule_id: f for f in reversed(shown)}
    ordered = sorted(counts, key=lambda rid: (-counts[rid], len(rid), rid))
    rows = [(str(counts[rid]), rid, first[rid].rule_name, first[rid].category)
            for rid in ordered]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [f"{count:>{widths[0]}}  {rid:<{widths[1]}}  {name:<{widths[2]}}  {category}"
            for count, rid, name, category in rows]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _summary(report: Report) -> str:
    active = report.active_findings
    counts = {s: sum(1 for f in active if f.severity == s) for s in sorted(Severity, reverse=True)}
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    suppressed = sum(1 for f in report.findings if f.suppression is not None)
    known = sum(1 for f in report.findings
                if f.suppression is None and f.baseline_state == "unchanged")
    return (_plural(len(active), "finding")
            + (f" ({parts})" if parts else "")
            + f" in {_plural(report.stats.files_scanned, 'file')}"
            + (f"; {suppressed} suppressed" if suppressed else "")
            + (f"; {known} unchanged since the baseline" if known else "")
            + (f"; only lines changed since {report.extra['diff']['base']}"
               if "diff" in report.extra else "")
            + (f"; {_plural(len(report.notifications), 'notification')}"
               if report.notifications else "")
            + _left_out(report.extra.get("test_files_skipped", 0), "test file",
                        "not analysed (--include-tests to analyse them)")
            + _left_out(report.extra.get("below_confidence", 0), "lower-confidence finding",
                        "not shown (--min-confidence low to show them)"))


def _left_out(count: int, noun: str, how: str) -> str:
    """``; 3 test files not analysed (...)``: what the scan left out, and how to see it."""
    if not count:
        return ""
    return f"; {_plural(count, noun)} {how}"
