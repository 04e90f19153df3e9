"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

Made to be uploaded as it is with ``github/codeql-action/upload-sarif``: every enabled
rule with its help, tags and ``security-severity``; results with relative URIs under
``%SRCROOT%``, snippets, GitHub's own ``primaryLocationLineHash`` next to our
line-shift-proof fingerprint, in-source suppressions and baseline states.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path, PurePosixPath

from backend_audit.catalogue import Rule
from backend_audit.findings import Finding, Notification, NotificationLevel, Report, Severity
from backend_audit.reporters.common import rule_docs_markdown, rule_docs_text
from backend_audit.reporters.escape import json_text, sarif_text, uri_path
from backend_audit.reporters.sources import SourceFiles

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
INFO_URI = "https://github.com/backend-audit/backend-audit"
FINGERPRINT_KEY = "backendAudit/v1"
GITHUB_LINE_HASH = "primaryLocationLineHash"
MAX_TAGS = 10  # GitHub keeps only the first 10 tags of a rule

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note"}
# GitHub buckets security-severity as critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low < 4.
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_NOTIFICATION_LEVEL = {NotificationLevel.ERROR: "error", NotificationLevel.WARNING: "warning",
                       NotificationLevel.NOTE: "note"}


def help_uri(rule: Rule) -> str:
    """Where a rule is documented: its catalogue file, or a team rule's first reference
    (empty when it has none)."""
    if rule.team:
        return rule.docs.references[0] if rule.docs.references else ""
    return f"{INFO_URI}/blob/main/rules/{rule.source}"


def rule_tags(rule: Rule) -> list[str]:
    tags = ["security", *(f"external/cwe/cwe-{n}" for n in rule.cwe_numbers), rule.category]
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def rule_descriptor(rule: Rule) -> dict:
    level = _LEVEL[rule.severity]
    descriptor = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": rule.docs.why or rule.message},
        "help": {"text": rule_docs_text(rule), "markdown": rule_docs_markdown(rule)},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": rule_tags(rule),
            "precision": str(rule.confidence),
            "problem.severity": _PROBLEM_SEVERITY[level],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "category": rule.category,
            "frameworks": list(rule.frameworks),
        },
    }
    if rule.team:
        # The team's own rule and the file it is written in.
        descriptor["properties"].update({"team": True, "source": rule.source})
        if not descriptor["helpUri"]:
            del descriptor["helpUri"]
    return descriptor


class _Locator:
    """Turns scan-relative paths into URIs relative to the source root GitHub checks out.

    The scan root may be a sub-folder of the repository (``backend-audit src/``);
    GitHub resolves result URIs against the repository root, so they are re-rooted.
    """

    def __init__(self, scan_root: str, source_root: str | None) -> None:
        self.scan_root = Path(scan_root)
        self.source_root = Path(source_root) if source_root else self.scan_root
        try:
            self.prefix = self.scan_root.relative_to(self.source_root).as_posix()
        except ValueError:
            self.prefix = "."
            self.source_root = self.scan_root

    def uri(self, path: str) -> str:
        if PurePosixPath(path).is_absolute():
            return PurePosixPath(path).as_uri()
        joined = path if self.prefix == "." else f"{self.prefix}/{path}"
        return uri_path(joined)

    def base(self) -> dict:
        return {"%SRCROOT%": {"uri": self.source_root.as_uri().rstrip("/") + "/"}}


def _region(f: Finding) -> dict:
    region: dict = {"startLine": f.region.start_line, "startColumn": f.region.start_column,
                    "endLine": f.region.end_line}
    if f.region.end_column > 0 and (f.region.end_line > f.region.start_line
                                    or f.region.end_column > f.region.start_column):
        region["endColumn"] = f.region.end_column
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    return region


def _location(locator: _Locator, path: str, region: dict | None) -> dict:
    physical: dict = {"artifactLocation": {"uri": locator.uri(path), "uriBaseId": "%SRCROOT%"}}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(f: Finding, index: int, locator: _Locator, sources: SourceFiles) -> dict:
    fingerprints = {FINGERPRINT_KEY: f.fingerprint}
    line_hash = sources.line_hash(f.path, f.region.start_line)
    if line_hash is not None:
        fingerprints[GITHUB_LINE_HASH] = line_hash
    result: dict = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": sarif_text(f.message)},
        "locations": [_location(locator, f.path, _region(f))],
        "partialFingerprints": fingerprints,
        "properties": {"category": f.category, "confidence": str(f.confidence),
                       "severity": str(f.severity)},
    }
    if f.suppression is not None:
        result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                   "justification": f.suppression.reason or "no reason given"}]
    if f.baseline_state is not None:
        result["baselineState"] = f.baseline_state
    if f.application is not None:
        result["properties"]["application"] = f.application
    return result


def _notification(n: Notification, locator: _Locator) -> dict:
    out: dict = {
        "level": _NOTIFICATION_LEVEL[n.level],
        "message": {"text": sarif_text((f"{n.path}: " if n.path else "") + n.message)},
        "descriptor": {"id": n.kind},
    }
    if n.path:
        out["locations"] = [_location(locator, n.path, {"startLine": n.line} if n.line else None)]
    return out


def render(report: Report, category: str | None = None, sources: SourceFiles | None = None,
           source_root: str | None = None) -> str:
    """``category``: ``runAutomationDetails.id`` (tells GitHub apart several uploads);
    ``source_root``: the repository root when the scan root is below it."""
    sources = sources if sources is not None else SourceFiles(report.root)
    locator = _Locator(report.root, source_root)
    rules = list(report.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    invocation: dict = {
        "executionSuccessful": True,
        "toolExecutionNotifications": [_notification(n, locator) for n in report.notifications],
    }
    if report.started_at:
        invocation["startTimeUtc"] = report.started_at
    run: dict = {
        "tool": {"driver": {
            "name": "backend-audit",
            "semanticVersion": report.tool_version,
            "version": report.tool_version,
            "informationUri": INFO_URI,
            "rules": [rule_descriptor(r) for r in rules],
        }},
        "invocations": [invocation],
        "originalUriBaseIds": locator.base(),
        "results": [_result(f, index[f.rule_id], locator, sources)
                    for f in report.findings if f.rule_id in index],
        "columnKind": "unicodeCodePoints",
        # Test code left out by default (``--include-tests`` analyses it).
        "properties": {"testFilesSkipped": report.extra.get("test_files_skipped", 0),
                       "belowConfidence": report.extra.get("below_confidence", 0)},
    }
    if category:
        run["automationDetails"] = {"id": category.rstrip("/") + "/"}
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json_text(doc)


# GitHub's published limits for one SARIF upload (hard: rejected; soft: truncated).
MAX_GZIP_BYTES = 10 * 1024 * 1024
MAX_RESULTS = 25_000
SHOWN_RESULTS = 5_000
MAX_RULES = 25_000
MAX_RUNS = 20
MAX_LOCATIONS = 1_000
_NEAR = 0.8  # warn from this share of a hard limit on


def upload_warnings(sarif_text: str) -> list[str]:
    """Plain-language warnings when a SARIF file is at or near GitHub's upload limits."""
    warnings: list[str] = []
    size = len(gzip.compress(sarif_text.encode("utf-8"), compresslevel=6))
    if size > MAX_GZIP_BYTES:
        warnings.append(f"SARIF is {size / 1e6:.1f} MB gzip-compressed; GitHub rejects uploads "
                        f"over {MAX_GZIP_BYTES / 1e6:.0f} MB. Narrow the scan with --select or "
                        "--ignore, or exclude generated code.")
    elif size > _NEAR * MAX_GZIP_BYTES:
        warnings.append(f"SARIF is {size / 1e6:.1f} MB gzip-compressed, close to GitHub's "
                        f"{MAX_GZIP_BYTES / 1e6:.0f} MB upload limit.")
    doc = json.loads(sarif_text)
    runs = doc.get("runs", [])
    if len(runs) > MAX_RUNS:
        warnings.append(f"SARIF has {len(runs)} runs; GitHub rejects more than {MAX_RUNS}.")
    for run in runs:
        results = run.get("results", [])
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        if len(results) > MAX_RESULTS:
            warnings.append(f"SARIF has {len(results):,} results; GitHub rejects a run with more "
                            f"than {MAX_RESULTS:,}. Narrow the scan or use --baseline.")
        elif len(results) > SHOWN_RESULTS:
            warnings.append(f"SARIF has {len(results):,} results; GitHub stores only the "
                            f"{SHOWN_RESULTS:,} most severe. Consider --baseline or --select.")
        if len(rules) > _NEAR * MAX_RULES:
            warnings.append(f"SARIF declares {len(rules):,} rules; GitHub rejects a run with more "
                            f"than {MAX_RULES:,}.")
        if any(len(r.get("locations", [])) > MAX_LOCATIONS for r in results):
            warnings.append(f"a result has more than {MAX_LOCATIONS} locations; GitHub rejects "
                            "it.")
    return warnings
