"""GitHub Actions workflow commands: ``::error file=...,line=...::message``.

Printed to a step's output they appear as annotations on the run and on the pull
request's changed files. Values are escaped the way the Actions runner unescapes them,
so scanned text cannot end a command early or start a new one.
"""

from __future__ import annotations

from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.common import repo_path, reportable
from backend_audit.reporters.escape import terminal_text

_COMMAND = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
            Severity.LOW: "notice"}


def escape_data(text: str) -> str:
    # Controls other than line breaks, bidi overrides and undecodable bytes are shown
    # as escapes: they would otherwise reach the run log and the annotation as they are.
    safe = terminal_text(text, keep="\t\r\n")
    return safe.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(report: Report, f: Finding, source_root: str | None = None) -> str:
    props = {
        "file": repo_path(report, f.path, source_root),
        "line": str(f.region.start_line),
        "endLine": str(f.region.end_line),
        "title": f"{f.rule_id} {f.rule_name} ({f.severity}, {f.category})",
    }
    if f.region.end_line == f.region.start_line:
        # Columns are only honoured by GitHub on single-line annotations.
        props["col"] = str(f.region.start_column)
        if f.region.end_column > f.region.start_column:
            props["endColumn"] = str(f.region.end_column)
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{_COMMAND[f.severity]} {joined}::{escape_data(f.message)}"


def render(report: Report, source_root: str | None = None) -> str:
    lines = [annotation(report, f, source_root) for f in reportable(report)]
    for n in report.notifications:
        where = f" file={escape_property(repo_path(report, n.path, source_root))}" \
            if n.path else ""
        if n.path and n.line:
            where += f",line={n.line}"
        lines.append(f"::warning{where}::{escape_data('backend-audit: ' + n.message)}")
    return "".join(f"{line}\n" for line in lines)
