"""Shared helpers for reporters."""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath

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
        # Test code left out by default (``--include-tests`` analyses it).
        "test_files_skipped": report.extra.get("test_files_skipped", 0),
        # Findings under the confidence floor (``--min-confidence low`` shows them).
        "below_confidence": report.extra.get("below_confidence", 0),
        "notifications": len(report.notifications),
    }


def repo_path(report: Report, path: str, source_root: str | None) -> str:
    """``path`` (relative to the scan root) made relative to ``source_root``.

    Code review platforms address files from the repository root, while the scan
    root may be a sub-folder of it (``backend-audit src/``)."""
    if not source_root or PurePosixPath(path).is_absolute():
        return path
    try:
        prefix = Path(report.root).relative_to(Path(source_root)).as_posix()
    except ValueError:
        return path
    return path if prefix == "." else f"{prefix}/{path}"


def reportable(report: Report) -> list[Finding]:
    """Findings a review bot or CI annotation should show: neither suppressed nor known."""
    return list(report.active_findings)
