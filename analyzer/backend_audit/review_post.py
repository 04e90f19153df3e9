"""Post a review to a GitHub pull request through the REST API (``backend-audit review``).

Everything comes from the environment GitHub Actions sets: ``GITHUB_TOKEN``,
``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH`` (the pull request number, head and base
commits) and ``GITHUB_API_URL`` (GitHub Enterprise); each can be overridden.

Re-running a workflow must not repeat itself: comments already on the pull request carry
a hidden fingerprint marker, and findings that already have a comment are not posted
again. If GitHub refuses inline comments (a line outside the diff answers 422), the
review is posted once more with those findings listed in its body instead.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backend_audit.findings import (
    Confidence,
    Finding,
    Fix,
    Notification,
    NotificationLevel,
    Region,
    Report,
    ScanStats,
    Severity,
    Suppression,
)
from backend_audit.reporters.escape import markdown_code
from backend_audit.reporters.github_review import MARKER

DEFAULT_API_URL = "https://api.github.com"
_MARKER = re.compile(re.escape(MARKER) + r"([0-9a-f]+)")
_PR_REF = re.compile(r"^refs/pull/(\d+)/")
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_MAX_PAGES = 20
TIMEOUT = 30.0


class ReviewPostError(Exception):
    """Missing settings, or GitHub refused the request."""


@dataclass(frozen=True)
class PullRequest:
    api_url: str
    repository: str  # owner/name
    number: int
    token: str
    head_sha: str | None = None
    base_sha: str | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.api_url.rstrip('/')}/repos/{self.repository}/pulls/{self.number}"


def _event(environ: Mapping[str, str]) -> dict:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def pull_request_from_env(environ: Mapping[str, str], *, token: str | None = None,
                          repository: str | None = None, number: int | None = None,
                          api_url: str | None = None) -> PullRequest:
    event = _event(environ)
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else {}
    token = token or environ.get("GITHUB_TOKEN")
    repository = repository or environ.get("GITHUB_REPOSITORY")
    if number is None:
        number = pr.get("number") if isinstance(pr.get("number"), int) else None
    if number is None:
        ref = _PR_REF.match(environ.get("GITHUB_REF", ""))
        number = int(ref.group(1)) if ref else None
    missing = [name for name, value in (("a token (set the GITHUB_TOKEN environment "
                                         "variable)", token),
                                        ("GITHUB_REPOSITORY (or --repo)", repository),
                                        ("a pull request number (--pr, or run on a "
                                         "pull_request event)", number)) if not value]
    if missing:
        raise ReviewPostError("cannot post a review without " + ", ".join(missing))
    head = pr.get("head", {}).get("sha") if isinstance(pr.get("head"), dict) else None
    base = pr.get("base", {}).get("sha") if isinstance(pr.get("base"), dict) else None
    return PullRequest(api_url or environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
                       str(repository), int(str(number)), str(token), head, base)


def _finding_from_json(d: dict) -> Finding:
    fix = d.get("fix")
    return Finding(
        rule_id=str(d["rule_id"]), rule_name=str(d["rule_name"]), category=str(d["category"]),
        severity=Severity.parse(str(d["severity"])),
        confidence=Confidence.parse(str(d["confidence"])), path=str(d["path"]),
        region=Region(int(d["start_line"]), int(d["start_column"]), int(d["end_line"]),
                      int(d["end_column"])),
        message=str(d["message"]), snippet=str(d.get("snippet") or ""),
        fingerprint=str(d["fingerprint"]),
        # The line of the comment is not in the JSON report; only the reason is shown.
        suppression=Suppression(str(d.get("suppression_reason") or ""), 0)
        if d.get("suppressed") else None,
        baseline_state=d.get("baseline_state"),
        fix=Fix(int(fix["start_line"]), int(fix["end_line"]), str(fix["replacement"]),
                str(fix.get("description") or "")) if isinstance(fix, dict) else None)


def report_from_json(text: str, root: str, origin: str = "findings file") -> Report:
    """A report back from ``-f json`` output, so ``review --findings`` can post the
    findings of the scan that wrote it instead of scanning again. ``root`` is the scan
    root the JSON paths are relative to (the JSON report does not record it)."""
    from backend_audit.catalogue import load_catalogue

    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ReviewPostError(f"{origin}: not JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or \
            not isinstance(doc.get("tool"), dict) or doc["tool"].get("name") != "backend-audit":
        raise ReviewPostError(f"{origin}: not a backend-audit JSON report (write one with "
                              "'backend-audit scan PATH... -f json:FILE')")
    try:
        findings = tuple(_finding_from_json(d) for d in doc["findings"])
        notifications = tuple(
            Notification(str(n["message"]), NotificationLevel(n["level"]), n.get("path"),
                         n.get("line"), str(n.get("kind") or "file-error"))
            for n in doc.get("notifications", []))
        rule_ids = {str(r["id"]) for r in doc.get("rules", [])}
        summary = doc.get("summary", {})
        stats = ScanStats(int(summary.get("files_scanned", 0)), 0, len(rule_ids), 0.0)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReviewPostError(f"{origin}: a finding or notification is malformed "
                              f"({type(exc).__name__}: {exc})") from exc
    rules = tuple(r for r in load_catalogue() if r.id in rule_ids)
    return Report(root, findings, notifications, rules, stats,
                  str(doc["tool"].get("version", "")), str(doc.get("started_at", "")))


def _request(pr: PullRequest, method: str, url: str, payload: dict | None = None
             ) -> tuple[object, Mapping[str, str]]:
    data = json.dumps(payload).encode("utf-8") if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {pr.token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "backend-audit",
        **({"Content-Type": "application/json"} if data is not None else {}),
    })
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - http(s) API
            body = resp.read().decode("utf-8")
            return (json.loads(body) if body else None), resp.headers
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", errors="replace")
        try:
            message = json.loads(detail).get("message", detail)
        except (ValueError, AttributeError):
            message = detail
        raise ReviewPostError(f"GitHub answered {exc.code} to {method} {url}: "
                              f"{str(message)[:300]}", ) from exc
    except urllib.error.URLError as exc:
        raise ReviewPostError(f"cannot reach {url}: {exc.reason}") from exc


def posted_fingerprints(pr: PullRequest) -> set[str]:
    """Fingerprints of findings already commented on in this pull request."""
    seen: set[str] = set()
    url: str | None = f"{pr.endpoint}/comments?per_page=100"
    for _ in range(_MAX_PAGES):
        if url is None:
            break
        comments, headers = _request(pr, "GET", url)
        for comment in comments if isinstance(comments, list) else []:
            seen.update(_MARKER.findall(str(comment.get("body", ""))))
        match = _NEXT.search(headers.get("Link", "") or "")
        url = match.group(1) if match else None
    return seen


@dataclass(frozen=True)
class PostResult:
    posted: int  # inline comments posted
    skipped: int  # already on the pull request
    folded: bool  # inline comments refused and listed in the review body instead
    review_url: str | None


def _fold(review: dict) -> dict:
    listed = [f"- {markdown_code(str(c['path']) + ':' + str(c['line']))}\n\n  "
              + c["body"].replace("\n", "\n  ")
              for c in review["comments"]]
    body = review["body"] + "\n\n(GitHub refused inline comments for these lines.)\n\n" + \
        "\n".join(listed)
    return {**{k: v for k, v in review.items() if k != "comments"}, "body": body}


def post_review(pr: PullRequest, review: dict) -> PostResult:
    """Post ``review`` (the github-review format) unless it would repeat earlier comments."""
    seen = posted_fingerprints(pr)
    fresh = [c for c in review.get("comments", [])
             if not set(_MARKER.findall(c.get("body", ""))) & seen]
    skipped = len(review.get("comments", [])) - len(fresh)
    if not fresh:
        # Nothing new to say: a review per push saying "still fine" is noise.
        return PostResult(0, skipped, False, None)
    payload = {**review, "comments": fresh}
    if pr.head_sha and "commit_id" not in payload:
        payload["commit_id"] = pr.head_sha
    try:
        answer, _ = _request(pr, "POST", f"{pr.endpoint}/reviews", payload)
        folded = False
    except ReviewPostError as exc:
        if " 422 " not in str(exc) or not fresh:
            raise
        answer, _ = _request(pr, "POST", f"{pr.endpoint}/reviews", _fold(payload))
        folded = True
    url = answer.get("html_url") if isinstance(answer, dict) else None
    return PostResult(0 if folded else len(fresh), skipped, folded, url)
