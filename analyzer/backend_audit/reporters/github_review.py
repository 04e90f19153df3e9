"""The body of GitHub's "create a review for a pull request" API call.

``POST /repos/{owner}/{repo}/pulls/{number}/reviews`` with ``event: COMMENT`` and one
inline comment per finding: ``path``, ``line``, ``side`` (and ``start_line`` for a
finding spanning lines), a body with the rule, the message, why it matters and, where a
fix is known, a ``suggestion`` block the author can apply with one click.

Comments are only accepted on lines inside the pull request's diff; with ``--diff`` the
changed line ranges travel in ``report.extra["diff"]`` and comment ranges are clamped
into them.
"""

from __future__ import annotations

from backend_audit.catalogue import Rule
from backend_audit.findings import Finding, Report, Severity
from backend_audit.reporters.common import repo_path, reportable, severity_counts
from backend_audit.reporters.escape import (
    fence,
    json_safe,
    json_text,
    markdown_code,
    markdown_text,
)
from backend_audit.reporters.sarif import help_uri

MAX_COMMENTS = 50
MARKER = "backend-audit:fingerprint="
_BADGE = {Severity.CRITICAL: "🛑 critical", Severity.HIGH: "🔴 high",
          Severity.MEDIUM: "🟠 medium", Severity.LOW: "🔵 low"}


def fingerprint_marker(fingerprint: str) -> str:
    """Hidden in each comment so a re-run does not post the same comment twice."""
    return f"<!-- {MARKER}{fingerprint} -->"


def _changed_ranges(report: Report, path: str) -> list[tuple[int, int]]:
    files = report.extra.get("diff", {}).get("files", {})
    return [(int(a), int(b)) for a, b in files.get(path, [])]


def comment_span(report: Report, f: Finding) -> tuple[int, int, bool]:
    """(start line, end line, whether the fix still fits) for a comment on ``f``."""
    start, end = (f.fix.start_line, f.fix.end_line) if f.fix else \
        (f.region.start_line, f.region.end_line)
    ranges = _changed_ranges(report, f.path)
    if not ranges:
        return start, end, True
    for lo, hi in ranges:
        if start <= hi and end >= lo:
            clamped = (max(start, lo), min(end, hi))
            return clamped[0], clamped[1], clamped == (start, end)
    # Not on a changed line (no --diff filter applied): comment on the first line only.
    return f.region.start_line, f.region.start_line, False


def comment_body(f: Finding, rule: Rule | None, with_fix: bool) -> str:
    title = f"**{f.rule_id} · {f.rule_name}** — {_BADGE[f.severity]} · {f.category}"
    parts = [title, markdown_text(f.message)]
    if rule is not None and rule.docs.why:
        # Catalogue text is our own Markdown; scanned-code text and a team rule's
        # (read from the scanned repository) are escaped.
        why = markdown_text(rule.docs.why) if rule.team else rule.docs.why
        parts.append(f"**Why this matters:** {why}")
    if with_fix and f.fix is not None:
        if f.fix.description:
            parts.append(markdown_text(f.fix.description))
        parts.append(fence(f.fix.replacement.rstrip("\n"), "suggestion"))
    elif rule is not None and rule.docs.fix:
        parts.append("<details><summary>How to fix it</summary>\n\n"
                     + fence(rule.docs.fix, "python") + "\n\n</details>")
    if rule is not None and help_uri(rule):
        parts.append(f"[{rule.id} documentation]({help_uri(rule)})")
    parts.append(fingerprint_marker(f.fingerprint))
    return "\n\n".join(parts)


def review_comment(report: Report, f: Finding, rule: Rule | None,
                   source_root: str | None = None) -> dict:
    start, end, fix_fits = comment_span(report, f)
    comment: dict = {"path": repo_path(report, f.path, source_root), "line": end,
                     "side": "RIGHT", "body": comment_body(f, rule, fix_fits)}
    if start < end:
        comment["start_line"] = start
        comment["start_side"] = "RIGHT"
    return comment


def review_summary(report: Report, findings: list[Finding], shown: int) -> str:
    if not findings:
        return "**backend-audit**: no new findings on the changed lines. ✅"
    counts = ", ".join(f"{n} {s}" for s, n in severity_counts(tuple(findings)).items() if n)
    lines = [f"**backend-audit** found {len(findings)} issue"
             f"{'s' if len(findings) != 1 else ''} ({counts})."]
    if shown < len(findings):
        lines.append(f"\nShowing the {shown} most severe inline; the others:\n")
        for f in findings[shown:]:
            lines.append(f"- {markdown_code(f'{f.path}:{f.region.start_line}')} "
                         f"{f.rule_id} {f.rule_name}: {markdown_text(f.message)}")
    return "\n".join(lines)


def review(report: Report, commit_id: str | None = None, max_comments: int = MAX_COMMENTS,
           source_root: str | None = None) -> dict:
    rules = {r.id: r for r in report.rules}
    findings = sorted(reportable(report), key=lambda f: (-f.severity, f.sort_key()))
    inline = findings[:max_comments]
    body: dict = {
        "event": "COMMENT",
        "body": review_summary(report, findings, len(inline)),
        "comments": [review_comment(report, f, rules.get(f.rule_id), source_root)
                     for f in sorted(inline, key=Finding.sort_key)],
    }
    if commit_id:
        body = {"commit_id": commit_id, **body}
    return json_safe(body)


def render(report: Report, commit_id: str | None = None, max_comments: int = MAX_COMMENTS,
           source_root: str | None = None) -> str:
    return json_text(review(report, commit_id, max_comments, source_root))
