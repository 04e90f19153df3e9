"""JSON report. Schema (version 1) is documented in README.md and is stable:
fields are only ever added."""

from __future__ import annotations

from backend_audit.findings import Finding, Report
from backend_audit.reporters.common import summary
from backend_audit.reporters.escape import json_text

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict:
    return {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "category": f.category,
        "severity": str(f.severity),
        "confidence": str(f.confidence),
        "path": f.path,
        "start_line": f.region.start_line,
        "start_column": f.region.start_column,
        "end_line": f.region.end_line,
        "end_column": f.region.end_column,
        "message": f.message,
        "snippet": f.snippet,
        "fingerprint": f.fingerprint,
        "suppressed": f.suppression is not None,
        "suppression_reason": f.suppression.reason if f.suppression else None,
        "baseline_state": f.baseline_state,
        # The folder of the finding's application ("." = the scan root); null for code
        # shared by several applications or when no application was found.
        "application": f.application,
        # Whole lines start_line..end_line to replace (review suggestions), or null.
        "fix": {"start_line": f.fix.start_line, "end_line": f.fix.end_line,
                "replacement": f.fix.replacement, "description": f.fix.description}
        if f.fix else None,
    }


def render(report: Report) -> str:
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "backend-audit", "version": report.tool_version},
        "started_at": report.started_at,
        "summary": summary(report),
        "findings": [finding_dict(f) for f in report.findings],
        "notifications": [
            {"level": n.level.value, "kind": n.kind, "path": n.path, "line": n.line,
             "message": n.message}
            for n in report.notifications
        ],
        "rules": [{"id": r.id, "name": r.name, "category": r.category,
                   "severity": str(r.severity)} for r in report.rules],
    }
    return json_text(data)
