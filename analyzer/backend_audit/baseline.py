"""Baselines: record today's findings, then report only new ones.

A baseline file lists fingerprints (rule, path, normalised line text and occurrence,
never the line number), so findings stay "unchanged" when code above them moves.
Applying a baseline marks each finding ``baseline_state`` "new" or "unchanged";
unchanged findings stay in the report (SARIF shows them as such) but no longer count
as active, so they neither fail the build nor reach review bots.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from backend_audit.findings import Report
from backend_audit.reporters.escape import json_text

FORMAT = "backend-audit-baseline"
VERSION = 1


class BaselineError(Exception):
    """The baseline file is missing or is not a backend-audit baseline."""


@dataclass(frozen=True)
class Baseline:
    fingerprints: Counter[str]
    created_at: str = ""
    tool_version: str = ""


def dumps(report: Report) -> str:
    """The baseline document for ``report``: every finding not already suppressed inline."""
    entries = [
        {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.path,
         "line": f.region.start_line, "message": f.message}
        for f in report.findings if f.suppression is None
    ]
    doc = {"format": FORMAT, "version": VERSION, "tool_version": report.tool_version,
           "created_at": report.started_at, "findings": entries}
    # Paths and messages are for people; entries match by fingerprint alone.
    return json_text(doc)


def loads(text: str, origin: str = "baseline") -> Baseline:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{origin}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"{origin}: not a backend-audit baseline "
                            "(write one with 'backend-audit baseline FILE PATH...')")
    if doc.get("version") != VERSION:
        raise BaselineError(f"{origin}: baseline version {doc.get('version')!r} is not "
                            f"supported (expected {VERSION})")
    entries = doc.get("findings")
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f"{origin}: 'findings' must be a list of objects with a "
                            "'fingerprint'")
    return Baseline(Counter(e["fingerprint"] for e in entries), str(doc.get("created_at", "")),
                    str(doc.get("tool_version", "")))


def load(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BaselineError(f"baseline file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from exc
    return loads(text, str(path))


def apply(report: Report, baseline: Baseline) -> Report:
    """Mark findings new or unchanged; each baseline entry matches at most one finding."""
    remaining = Counter(baseline.fingerprints)
    marked = []
    for f in report.findings:
        if remaining[f.fingerprint] > 0:
            remaining[f.fingerprint] -= 1
            marked.append(replace(f, baseline_state="unchanged"))
        else:
            marked.append(replace(f, baseline_state="new"))
    absent = sum(remaining.values())
    extra = {**report.extra, "baseline": {"created_at": baseline.created_at, "absent": absent}}
    return replace(report, findings=tuple(marked), extra=extra)
