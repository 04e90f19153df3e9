"""Shared helpers for reporters."""

from __future__ import annotations

from collections import Counter

from backend_audit.findings import Finding, Report, Severity


def counts_by(findings: tuple[Finding, ...], attr: str) -> dict[str, int]:
    return dict(sorted(Counter(str(getattr(f, attr)) for f in findings).items()))


def severity_counts(findings: tuple[Finding, ...]) -> dict[str, int]:
    c = Counter(f.severity for f in findings)
    return {str(s): c.get(s, 0) for s in sorted(Severity, reverse=True)}


def rule_docs_markdown(rule) -> str:
    d = rule.docs
    refs = "\n".join(f"- <{r}>" for r in d.references)
    return (f"{rule.message}\n\n## Why is this bad?\n\n{d.why}\n\n## Example\n\n```python\n"
            f"{d.example}\n```\n\n## Use instead\n\n```python\n{d.fix}\n```\n\n"
            f"## References\n\n{refs}\n")


def rule_docs_text(rule) -> str:
    d = rule.docs
    refs = "\n".join(f"  - {r}" for r in d.references)
    return (f"{rule.message}\n\nWhy is this bad?\n{d.why}\n\nExample:\n{d.example}\n\n"
            f"Use instead:\n{d.fix}\n\nReferences:\n{refs}\n")


def summary(report: Report) -> dict:
    active = report.active_findings
    return {
        "findings": len(active),
        "suppressed": sum(1 for f in report.findings if f.suppression is not None),
        "by_severity": severity_counts(active),
        "by_category": counts_by(active, "category"),
        "files_scanned": report.stats.files_scanned,
        "notifications": len(report.notifications),
    }
