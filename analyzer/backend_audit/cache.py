"""Per-file result cache, so a re-scan only re-parses (and re-sends to semgrep) what changed.

An entry holds one file's libcst result (candidates with regions, facts, notifications,
frameworks, line count, snippet lines) and its semgrep hits. Its key is a digest of the
file's path and bytes, the tool version, the enabled rules (catalogue files), the
analyser's own source files, semgrep's version and the configuration that checks read.
Changing any of them simply misses. App-wide facts are stored per file and merged again
on every scan, so ``resolve`` always sees the whole project.

Entries are JSON (never pickle: a cache folder checked into a scanned repository must not
be able to run code), written to a temporary file and moved into place with
``os.replace``, so two scans sharing a folder never see half an entry; an entry that does
not parse is treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, fields
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from backend_audit import __version__
from backend_audit.catalogue import Rule
from backend_audit.checks.base import Candidate
from backend_audit.config import Config
from backend_audit.engines.libcst_engine import FileResult
from backend_audit.engines.semgrep_engine import SemgrepHit
from backend_audit.findings import Notification, NotificationLevel
from backend_audit.resources import rules_dir

FORMAT = "1"
DEFAULT_DIR_NAME = ".backend-audit-cache"
ENV_VAR = "BACKEND_AUDIT_CACHE_DIR"
#: Entries unused for this long are removed when a scan writes new ones.
MAX_AGE_SECONDS = 30 * 24 * 3600
# Config fields that never change what a check reports for a file.
_CONFIG_IGNORED = {"select", "ignore", "exclude", "extend_exclude", "fail_on", "jobs",
                   "file_timeout", "source"}
# Results that depend on timing or on a crash are never stored.
_TRANSIENT_KINDS = {"timeout", "internal-error", "crash"}


def default_cache_dir(scan_root: Path) -> Path:
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else scan_root / DEFAULT_DIR_NAME


@cache
def _package_digest() -> str:
    """Digest of the analyser's own sources: a changed check invalidates every entry."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _semgrep_version() -> str:
    try:
        return metadata.version("semgrep")
    except metadata.PackageNotFoundError:
        return "none"


def ruleset_digest(rules: tuple[Rule, ...], config: Config) -> str:
    h = hashlib.sha256()
    for part in (FORMAT, __version__, _package_digest(), _semgrep_version()):
        h.update(part.encode() + b"\0")
    root = rules_dir()
    for rule in sorted(rules, key=lambda r: r.id):
        h.update(rule.id.encode() + b"\0")
        try:
            h.update((root / rule.source).read_bytes())
        except OSError:
            h.update(repr(rule).encode())
    for f in fields(config):
        if f.name not in _CONFIG_IGNORED:
            h.update(f"{f.name}={getattr(config, f.name)!r}\0".encode())
    return h.hexdigest()


def _round_trips(value: Any) -> bool:
    """Stored only if JSON gives back an equal value (no tuples, sets, nodes...)."""
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False


def _notification_json(n: Notification) -> dict:
    return {"message": n.message, "level": n.level.value, "path": n.path, "line": n.line,
            "kind": n.kind}


def _notification(d: dict) -> Notification:
    return Notification(d["message"], NotificationLevel(d["level"]), d["path"], d["line"],
                        d["kind"])


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


def result_from_json(path: str, d: dict) -> FileResult:
    return FileResult(
        path=path,
        candidates=[Candidate(c["rule_id"], path, 0, c["message"], c["confidence"], c["data"],
                              *c["region"]) for c in d["candidates"]],
        facts=[(k, v) for k, v in d["facts"]],
        notifications=[_notification(n) for n in d["notifications"]],
        frameworks=list(d["frameworks"]),
        line_count=d["line_count"],
        lines={int(k): v for k, v in d["lines"].items()},
        parsed=d["parsed"],
    )


@dataclass
class SemgrepPart:
    hits: list[SemgrepHit]
    notifications: list[Notification]


def semgrep_json(part: SemgrepPart) -> dict:
    return {"hits": [[h.rule_id, h.start_line, h.start_column, h.end_line, h.end_column,
                      h.message, h.fix] for h in part.hits],
            "notifications": [_notification_json(n) for n in part.notifications]}


def semgrep_from_json(path: str, d: dict) -> SemgrepPart:
    return SemgrepPart([SemgrepHit(h[0], path, h[1], h[2], h[3], h[4], h[5], h[6])
                        for h in d["hits"]],
                       [_notification(n) for n in d["notifications"]])


@dataclass
class Entry:
    cst: dict | None = None
    semgrep: dict | None = None


class ResultCache:
    """One cache folder; every method is safe to call while another scan uses it."""

    def __init__(self, directory: Path, digest: str) -> None:
        self.directory = directory
        self.digest = digest
        self.usable = True
        self.wrote = 0

    def key(self, rel_path: str, content: bytes) -> str:
        h = hashlib.sha256(self.digest.encode())
        h.update(b"\0" + rel_path.encode("utf-8", "surrogateescape") + b"\0")
        h.update(content)
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / f"v{FORMAT}" / key[:2] / f"{key}.json"

    def get(self, key: str) -> Entry | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entry = Entry(data.get("cst"), data.get("semgrep"))
        except (OSError, ValueError, AttributeError):
            return None
        try:
            # Mark it used so pruning keeps it; cheap, and only once a day per entry.
            if time.time() - path.stat().st_mtime > 86400:
                os.utime(path)
        except OSError:
            pass
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if not self.usable:
            return
        path = self._path(key)
        try:
            self._prepare(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"cst": entry.cst, "semgrep": entry.semgrep}, handle,
                              separators=(",", ":"))
                os.replace(tmp, path)
            except BaseException:
                _unlink(tmp)
                raise
            self.wrote += 1
        except OSError:
            self.usable = False  # read-only tree, full disk...: scan on without a cache

    def _prepare(self, directory: Path) -> None:
        if directory.is_dir():
            return
        top = self.directory
        fresh = not top.exists()
        directory.mkdir(parents=True, exist_ok=True)
        if fresh:
            # Keep the folder out of version control and out of backups.
            (top / ".gitignore").write_text("*\n", encoding="utf-8")
            (top / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# backend-audit result cache; safe to delete.\n", encoding="utf-8")

    def prune(self, max_age: float = MAX_AGE_SECONDS) -> int:
        """Remove entries (and stray temporary files) nobody used for ``max_age`` seconds."""
        removed = 0
        cutoff = time.time() - max_age
        base = self.directory / f"v{FORMAT}"
        try:
            shards = list(os.scandir(base))
        except OSError:
            return 0
        for shard in shards:
            try:
                entries = list(os.scandir(shard.path))
            except OSError:
                continue
            for item in entries:
                try:
                    stale = item.stat().st_mtime < cutoff
                    stale_tmp = item.name.startswith(".tmp-") and \
                        item.stat().st_mtime < time.time() - 3600
                except OSError:
                    continue
                if stale or stale_tmp:
                    removed += _unlink(item.path)
        return removed


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0
