"""Cached results as JSON data, and back: every value read is checked for its type and
shape (``DAMAGE`` is what a wrong one raises), because a cache file is data from disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from backend_audit.findings import (
    Confidence,
    Finding,
    Fix,
    Notification,
    NotificationLevel,
    Region,
    Severity,
    Suppression,
)

if TYPE_CHECKING:
    from backend_audit.engines.libcst_engine import FileResult
    from backend_audit.engines.semgrep_engine import SemgrepHit

# Results that depend on timing or on a crash are never stored.
_TRANSIENT_KINDS = {"timeout", "internal-error", "crash"}
_T = TypeVar("_T")


def _round_trips(value: Any) -> bool:
    """Stored only if JSON gives back an equal value (no tuples, sets, nodes...)."""
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False


class _Shape(ValueError):
    """A cached value of the wrong type or shape."""


#: What reading a damaged cached value can raise (checked types make most of them _Shape).
DAMAGE = (KeyError, TypeError, ValueError, IndexError, AttributeError)


def _is(value: Any, kind: type[_T]) -> _T:
    # ``type() is``: a bool is not an int here, a str subclass not a str.
    if type(value) is not kind:
        raise _Shape(f"{kind.__name__} expected")
    return value


def _opt(value: Any, kind: type[_T]) -> _T | None:
    return None if value is None else _is(value, kind)


def _ints(value: Any, n: int) -> list[int]:
    if type(value) is not list or len(value) != n or any(type(v) is not int for v in value):
        raise _Shape(f"{n} integers expected")
    return value


def _strs(value: Any) -> list[str]:
    return [_is(v, str) for v in _is(value, list)]


def _notification_json(n: Notification) -> dict:
    return {"message": n.message, "level": n.level.value, "path": n.path, "line": n.line,
            "kind": n.kind}


def _notification(d: Any) -> Notification:
    _is(d, dict)
    return Notification(_is(d["message"], str), NotificationLevel(_is(d["level"], str)),
                        _opt(d["path"], str), _opt(d["line"], int), _is(d["kind"], str))


def _confidence(value: Any) -> str | None:
    if value is not None and _is(value, str).upper() not in Confidence.__members__:
        raise _Shape("confidence expected")
    return value


def result_json(res: FileResult) -> dict | None:
    """``res`` as JSON data, or None when it must not be cached."""
    if any(n.kind in _TRANSIENT_KINDS for n in res.notifications):
        return None
    candidates = [{"rule_id": c.rule_id, "message": c.message, "confidence": c.confidence,
                   "data": c.data, "region": [c.start_line, c.start_column, c.end_line,
                                              c.end_column]} for c in res.candidates]
    facts = [[k, v] for k, v in res.facts]
    if not _round_trips(candidates) or not _round_trips(facts):
        return None
    return {"candidates": candidates, "facts": facts,
            "notifications": [_notification_json(n) for n in res.notifications],
            "frameworks": list(res.frameworks), "line_count": res.line_count,
            "lines": {str(k): v for k, v in res.lines.items()}, "parsed": res.parsed}


def result_from_json(path: str, d: Any) -> FileResult:
    """The stored result of ``path``; raises one of DAMAGE when ``d`` has the wrong shape.
    Fact values are the checks' own JSON data, covered by the file's signature."""
    from backend_audit.engines.libcst_engine import FileResult
    from backend_audit.visitor import Candidate

    _is(d, dict)
    candidates = []
    for c in _is(d["candidates"], list):
        _is(c, dict)
        candidates.append(Candidate(_is(c["rule_id"], str), path, 0, _opt(c["message"], str),
                                    _confidence(c["confidence"]), _is(c["data"], dict),
                                    *_ints(c["region"], 4)))
    facts = []
    for fact in _is(d["facts"], list):
        key, value = _is(fact, list)
        facts.append((_is(key, str), value))
    lines = {}
    for k, v in _is(d["lines"], dict).items():
        if not k.isdigit():
            raise _Shape("line number expected")
        lines[int(k)] = _is(v, str)
    return FileResult(
        path=path, candidates=candidates, facts=facts,
        notifications=[_notification(n) for n in _is(d["notifications"], list)],
        frameworks=_strs(d["frameworks"]), line_count=_is(d["line_count"], int),
        lines=lines, parsed=_is(d["parsed"], bool),
    )


@dataclass
class SemgrepPart:
    hits: list[SemgrepHit]
    notifications: list[Notification]


def semgrep_json(part: SemgrepPart) -> dict:
    return {"hits": [[h.rule_id, h.start_line, h.start_column, h.end_line, h.end_column,
                      h.message, h.fix] for h in part.hits],
            "notifications": [_notification_json(n) for n in part.notifications]}


def semgrep_from_json(path: str, d: Any) -> SemgrepPart:
    """The stored semgrep part of ``path``; raises one of DAMAGE on the wrong shape."""
    from backend_audit.engines.semgrep_engine import SemgrepHit

    _is(d, dict)
    hits = []
    for h in _is(d["hits"], list):
        rule_id, *region, message, fix = _is(h, list)
        hits.append(SemgrepHit(_is(rule_id, str), path, *_ints(region, 4),
                               _opt(message, str), _opt(fix, str)))
    return SemgrepPart(hits, [_notification(n) for n in _is(d["notifications"], list)])


def finding_json(f: Finding) -> list:
    fix = f.fix and [f.fix.start_line, f.fix.end_line, f.fix.replacement, f.fix.description]
    supp = f.suppression and [f.suppression.reason, f.suppression.line]
    r = f.region
    return [f.rule_id, f.rule_name, f.category, f.severity.name, f.confidence.name, f.path,
            [r.start_line, r.start_column, r.end_line, r.end_column], f.message, f.snippet,
            f.fingerprint, supp, fix, f.application]


def finding_from_json(d: Any, paths: set[str]) -> Finding:
    """A remembered finding, which must be about one of ``paths`` (the scanned files:
    reporters read the file a finding names); raises one of DAMAGE otherwise."""
    rule_id, name, category, severity, confidence, path, region, message, snippet, \
        fingerprint, supp, fix, application = _is(d, list)
    if _is(path, str) not in paths:
        raise _Shape("a remembered finding names a file that is not scanned")
    if supp is not None:
        reason, line = _is(supp, list)
        supp = Suppression(_is(reason, str), _is(line, int))
    if fix is not None:
        start, end, replacement, description = _is(fix, list)
        fix = Fix(_is(start, int), _is(end, int), _is(replacement, str), _is(description, str))
    return Finding(_is(rule_id, str), _is(name, str), _is(category, str),
                   Severity[_is(severity, str)], Confidence[_is(confidence, str)], path,
                   Region(*_ints(region, 4)), _is(message, str), _is(snippet, str),
                   _is(fingerprint, str), supp, None, fix, _opt(application, str))


@dataclass
class Entry:
    cst: dict | None = None
    semgrep: dict | None = None


@dataclass(frozen=True)
class ScanMemo:
    """The outcome of the last complete scan, valid while ``key`` matches."""

    key: str
    findings: list[Finding]
    notifications: list[Notification]
    lines_scanned: int


def memo_json(memo: ScanMemo) -> dict:
    return {"key": memo.key, "findings": [finding_json(f) for f in memo.findings],
            "notifications": [_notification_json(n) for n in memo.notifications],
            "lines_scanned": memo.lines_scanned}


def memo_from_json(d: dict, paths: set[str]) -> ScanMemo:
    """Remembered findings, which must be about ``paths``; raises one of DAMAGE otherwise."""
    return ScanMemo(_is(d["key"], str),
                    [finding_from_json(f, paths) for f in _is(d["findings"], list)],
                    [_notification(n) for n in _is(d["notifications"], list)],
                    _is(d["lines_scanned"], int))
