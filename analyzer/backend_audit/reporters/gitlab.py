"""GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array of issues: description, check_name, fingerprint (unique per issue; our
line-shift-proof fingerprint, so GitLab's merge request widget tells new from fixed),
severity and location. Paths are relative to the repository root.
"""

from __future__ import annotations

from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.common import repo_path, reportable
from backend_audit.reporters.escape import json_text, markdown_text

_SEVERITY = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.MEDIUM: "major",
             Severity.LOW: "minor"}


def issue(report: Report, f: Finding, source_root: str | None = None) -> dict:
    return {
        "type": "issue",
        # Shown in merge requests, where GitLab may render it as Markdown.
        "description": f"{f.rule_id} {f.rule_name}: {markdown_text(f.message)}",
        "check_name": f"{f.rule_id} {f.rule_name}",
        "fingerprint": f.fingerprint,
        "severity": _SEVERITY[f.severity],
        "categories": ["Security"],
        "engine_name": "backend-audit",
        "location": {
            "path": repo_path(report, f.path, source_root),
            "lines": {"begin": f.region.start_line, "end": f.region.end_line},
        },
    }


def render(report: Report, source_root: str | None = None) -> str:
    issues = [issue(report, f, source_root) for f in reportable(report)]
    return json_text(issues)
