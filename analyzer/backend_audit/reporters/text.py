"""Terminal text, grouped by file."""

from __future__ import annotations

from itertools import groupby

from backend_audit.engines.source import source_lines
from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.escape import terminal_text

_COLOURS = {Severity.CRITICAL: "\x1b[1;31m", Severity.HIGH: "\x1b[31m",
            Severity.MEDIUM: "\x1b[33m", Severity.LOW: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _safe(text: str) -> str:
    """Scanned code must not drive the terminal or reorder what it shows: control and
    bidi characters, and bytes of file names that are not UTF-8, are shown escaped."""
    return terminal_text(text)


def render(report: Report, colour: bool = False, show_suppressed: bool = False) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    out: list[str] = []
    shown = [f for f in report.findings
             if show_suppressed or (f.suppression is None and f.baseline_state != "unchanged")]
    for path, group in groupby(shown, key=lambda f: f.path):
        out.append(c(_BOLD, _safe(path)))
        for f in group:
            out.extend(_finding_lines(f, c))
        out.append("")
    if report.notifications:
        out.append(c(_BOLD, "Notifications"))
        for n in report.notifications:
            where = _safe(n.path) + (f":{n.line}" if n.line else "") if n.path else "scan"
            out.append(f"  {n.level.value}: {where}: {_safe(n.message)}")
        out.append("")
    active = report.active_findings
    counts = {s: sum(1 for f in active if f.severity == s) for s in sorted(Severity, reverse=True)}
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    suppressed = sum(1 for f in report.findings if f.suppression is not None)
    known = sum(1 for f in report.findings
                if f.suppression is None and f.baseline_state == "unchanged")
    line = (f"{len(active)} finding{'s' if len(active) != 1 else ''}"
            + (f" ({parts})" if parts else "")
            + f" in {report.stats.files_scanned} files"
            + (f"; {suppressed} suppressed" if suppressed else "")
            + (f"; {known} unchanged since the baseline" if known else "")
            + (f"; only lines changed since {report.extra['diff']['base']}"
               if "diff" in report.extra else "")
            + (f"; {len(report.notifications)} notifications" if report.notifications else "")
            + _left_out(report.extra.get("test_files_skipped", 0), "test file",
                        "not analysed (--include-tests to analyse them)")
            + _left_out(report.extra.get("below_confidence", 0), "lower-confidence finding",
                        "not shown (--min-confidence low to show them)"))
    out.append(c(_BOLD, line))
    return "\n".join(out) + "\n"


def _left_out(count: int, noun: str, how: str) -> str:
    """``; 3 test files not analysed (...)``: what the scan left out, and how to see it."""
    if not count:
        return ""
    return f"; {count} {noun}{'s' if count != 1 else ''} {how}"


def _finding_lines(f: Finding, c) -> list[str]:
    loc = f"{f.region.start_line}:{f.region.start_column}"
    tag = " [suppressed]" if f.suppression else ""
    head = (f"  {loc:<8} {c(_COLOURS[f.severity], f'{f.severity!s:<8}')} "
            f"{f.rule_id} {f.rule_name} ({f.category}){tag}")
    lines = [head, f"           {_safe(f.message)}"]
    first = source_lines(f.snippet)[0] if f.snippet.strip() else ""
    if first.strip():
        lines.append(c(_DIM, f"           | {_safe(first.strip())}"))
    return lines
