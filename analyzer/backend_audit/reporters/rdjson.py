"""Reviewdog Diagnostic Format (rdjson), for ``reviewdog -f=rdjson``.

Positions: 1-based lines; reviewdog counts columns in UTF-8 bytes, so code-point
columns are converted using the finding's snippet. Known fixes become suggestions
replacing whole lines.
"""

from __future__ import annotations

from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.common import repo_path, reportable
from backend_audit.reporters.escape import json_text, markdown_text
from backend_audit.reporters.sarif import INFO_URI, help_uri

_SEVERITY = {Severity.CRITICAL: "ERROR", Severity.HIGH: "ERROR", Severity.MEDIUM: "WARNING",
             Severity.LOW: "INFO"}


def _byte_column(line_text: str | None, column: int) -> int:
    if line_text is None:
        return column
    return len(line_text[: column - 1].encode("utf-8", "surrogatepass")) + 1


def _range(f: Finding) -> dict:
    lines = f.snippet.split("\n") if f.snippet else []
    first = lines[0] if lines else None
    last_index = f.region.end_line - f.region.start_line
    last = lines[last_index] if 0 <= last_index < len(lines) else None
    out: dict = {"start": {"line": f.region.start_line,
                           "column": _byte_column(first, f.region.start_column)}}
    if f.region.end_column > 0:
        out["end"] = {"line": f.region.end_line,
                      "column": _byte_column(last, f.region.end_column)}
    return out


def diagnostic(report: Report, f: Finding, rules: dict, source_root: str | None) -> dict:
    rule = rules.get(f.rule_id)
    out: dict = {
        # reviewdog posts the message as a Markdown review comment.
        "message": markdown_text(f.message),
        "location": {"path": repo_path(report, f.path, source_root), "range": _range(f)},
        "severity": _SEVERITY[f.severity],
        "source": {"name": "backend-audit", "url": INFO_URI},
        "code": {"value": f"{f.rule_id} {f.rule_name}"},
        "original_output": f"{f.path}:{f.region.start_line}:{f.region.start_column}: "
                           f"{f.rule_id} {markdown_text(f.message)}",
    }
    if rule is not None and help_uri(rule):
        out["code"]["url"] = help_uri(rule)
    if f.fix is not None:
        replacement = f.fix.replacement if f.fix.replacement.endswith("\n") or \
            not f.fix.replacement else f.fix.replacement + "\n"
        out["suggestions"] = [{
            "range": {"start": {"line": f.fix.start_line, "column": 1},
                      "end": {"line": f.fix.end_line + 1, "column": 1}},
            "text": replacement,
        }]
    return out


def render(report: Report, source_root: str | None = None) -> str:
    rules = {r.id: r for r in report.rules}
    doc = {
        "source": {"name": "backend-audit", "url": INFO_URI},
        "diagnostics": [diagnostic(report, f, rules, source_root) for f in reportable(report)],
    }
    return json_text(doc)
