"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers."""

from __future__ import annotations

import json
from pathlib import Path

from backend_audit.catalogue import Rule
from backend_audit.findings import Finding, NotificationLevel, Report, Severity
from backend_audit.reporters.common import rule_docs_markdown, rule_docs_text

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/backend-audit/backend-audit"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note"}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0"}
_PRECISION = {"high": "high", "medium": "medium", "low": "low"}


def help_uri(rule: Rule) -> str:
    return f"{INFO_URI}/blob/main/rules/{rule.source}"


def rule_descriptor(rule: Rule) -> dict:
    tags = ["security", *(f"external/cwe/cwe-{n}" for n in rule.cwe_numbers), rule.category]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": rule.docs.why},
        "help": {"text": rule_docs_text(rule), "markdown": rule_docs_markdown(rule)},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": tags[:10],
            "precision": _PRECISION[str(rule.confidence)],
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[
                _LEVEL[rule.severity]],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "category": rule.category,
            "frameworks": list(rule.frameworks),
        },
    }


def _result(f: Finding, index: int) -> dict:
    region = {"startLine": f.region.start_line, "startColumn": f.region.start_column}
    if f.region.end_line >= f.region.start_line:
        region["endLine"] = f.region.end_line
    if f.region.end_column > 0 and (f.region.end_line > f.region.start_line
                                    or f.region.end_column > f.region.start_column):
        region["endColumn"] = f.region.end_column
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    result: dict = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
            "region": region,
        }}],
        "partialFingerprints": {"backendAudit/v1": f.fingerprint},
        "properties": {"category": f.category, "confidence": str(f.confidence),
                       "severity": str(f.severity)},
    }
    if f.suppression is not None:
        result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                   "justification": f.suppression.reason or "no reason given"}]
    if f.baseline_state is not None:
        result["baselineState"] = f.baseline_state
    return result


def render(report: Report, category: str | None = None) -> str:
    rules = list(report.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    notifications = [
        {
            "level": {NotificationLevel.ERROR: "error", NotificationLevel.WARNING: "warning",
                      NotificationLevel.NOTE: "note"}[n.level],
            "message": {"text": (f"{n.path}: " if n.path else "") + n.message},
            "descriptor": {"id": n.kind},
            **({"locations": [{"physicalLocation": {
                "artifactLocation": {"uri": n.path, "uriBaseId": "%SRCROOT%"},
                **({"region": {"startLine": n.line}} if n.line else {}),
            }}]} if n.path else {}),
        }
        for n in report.notifications
    ]
    run: dict = {
        "tool": {"driver": {
            "name": "backend-audit",
            "semanticVersion": report.tool_version,
            "version": report.tool_version,
            "informationUri": INFO_URI,
            "rules": [rule_descriptor(r) for r in rules],
        }},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": notifications,
            **({"startTimeUtc": report.started_at} if report.started_at else {}),
        }],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(report.root).as_uri() + "/"}},
        "results": [_result(f, index[f.rule_id]) for f in report.findings if f.rule_id in index],
        "columnKind": "unicodeCodePoints",
    }
    if category:
        run["automationDetails"] = {"id": category.rstrip("/") + "/"}
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
