"""Shared helpers for reporters."""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath

from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.escape import fence, markdown_code, markdown_text


def counts_by(findings: tuple[Finding, ...], attr: str) -> dict[str, int]:
    return dict(sorted(Counter(str(getattr(f, attr)) for f in findings).items()))


def severity_counts(findings: tuple[Finding, ...]) -> dict[str, int]:
    c = Counter(f.severity for f in findings)
    return {str(s): c.get(s, 0) for s in sorted(Severity, reverse=True)}


def rule_docs_markdown(rule) -> str:
    """A rule's documentation as Markdown; a team rule's text is escaped (it is not ours)
    and its sections left out where the team wrote none."""
    d = rule.docs
    text = markdown_text if rule.team else str
    parts = [text(rule.message)]
    if d.why:
        parts.append(f"## Why is this bad?\n\n{text(d.why)}")
    if d.example:
        parts.append(f"## Example\n\n{fence(d.example, 'python')}")
    if d.fix:
        parts.append(f"## Use instead\n\n{fence(d.fix, 'python')}")
    if d.references:
        parts.append("## References\n\n" + "\n".join(f"- <{r}>" for r in d.references))
    if rule.team:
        parts.append(f"Team rule from {markdown_code(rule.source)}.")
    return "\n\n".join(parts) + "\n"


def rule_docs_text(rule) -> str:
    """A rule's documentation as plain text (sections a team rule lacks left out)."""
    d = rule.docs
    parts = [rule.message]
    for title, body in (("Why is this bad?", d.why), ("Example:", d.example),
                        ("Use instead:", d.fix)):
        if body:
            parts.append(f"{title}\n{body}")
    if d.references:
        parts.append("References:\n" + "\n".join(f"  - {r}" for r in d.references))
    if rule.team:
        parts.append(f"Team rule from {rule.source}.")
    return "\n\n".join(parts) + "\n"


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
