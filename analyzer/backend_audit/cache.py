"""Result cache, so a re-scan only re-parses (and re-sends to semgrep) what changed, and a
re-scan of an unchanged tree does no analysis at all.

Per file it holds the libcst result (candidates with regions, facts, notifications,
frameworks, line count, snippet lines) and the semgrep hits, under a key that digests the
file's path and bytes, the tool version, the enabled rules (catalogue files), the
analyser's own source files, semgrep's version and the configuration that checks read.
Changing any of them simply misses. App-wide facts are stored per file and merged again
on every scan, so ``resolve`` always sees the whole project. The finished findings of the
last complete scan are kept too, under a digest of every file's key: when no file changed,
they are the answer.

Layout: ``v2/<ruleset digest>/entries.json`` (every file entry) and ``state.json`` (each
file's stat signature and key, and the last scan's findings). A file whose size, times,
inode and device match its signature is not read again; files modified in the two
seconds before they were read get no signature (a later change could keep the same
time), so they are hashed next time.

Everything is JSON (never pickle: a cache folder checked into a scanned repository must
not be able to run code), written to a temporary file and moved into place with
``os.replace``, so two scans sharing a folder never see half a file; the last writer
wins, and a file that does not parse, or an entry that does not fit, is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend_audit import __version__
from backend_audit.config import Config
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
from backend_audit.resources import rules_dir

if TYPE_CHECKING:
    from backend_audit.catalogue import Rule
    from backend_audit.engines.libcst_engine import FileResult
    from backend_audit.engines.semgrep_engine import SemgrepHit

FORMAT = "2"
DEFAULT_DIR_NAME = ".backend-audit-cache"
ENV_VAR = "BACKEND_AUDIT_CACHE_DIR"
#: Entries unused for this long are removed when a scan writes new ones.
MAX_AGE_SECONDS = 30 * 24 * 3600
#: A file modified this recently when read is hashed again next time (see the docstring).
_RACY_NS = 2_000_000_000
# Config fields that never change what a check reports for a file.
_CONFIG_IGNORED = {"select", "ignore", "exclude", "extend_exclude", "fail_on", "jobs",
                   "file_timeout", "source", "include_tests"}
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
    """semgrep's version, read from its ``.dist-info`` folder name next to the package:
    importing importlib.metadata would cost every scan 30 ms."""
    from importlib.util import find_spec

    spec = find_spec("semgrep")
    if spec is None or not spec.submodule_search_locations:
        return "none"
    site = os.path.dirname(next(iter(spec.submodule_search_locations)))
    try:
        names = [e.name for e in os.scandir(site)
                 if e.name.startswith("semgrep-") and e.name.endswith(".dist-info")]
    except OSError:
        names = []
    if len(names) == 1:
        return names[0][len("semgrep-"):-len(".dist-info")]
    from importlib import metadata

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
    from backend_audit.checks.base import Candidate
    from backend_audit.engines.libcst_engine import FileResult

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
    from backend_audit.engines.semgrep_engine import SemgrepHit

    return SemgrepPart([SemgrepHit(h[0], path, h[1], h[2], h[3], h[4], h[5], h[6])
                        for h in d["hits"]],
                       [_notification(n) for n in d["notifications"]])


def finding_json(f: Finding) -> list:
    fix = f.fix and [f.fix.start_line, f.fix.end_line, f.fix.replacement, f.fix.description]
    supp = f.suppression and [f.suppression.reason, f.suppression.line]
    r = f.region
    return [f.rule_id, f.rule_name, f.category, f.severity.name, f.confidence.name, f.path,
            [r.start_line, r.start_column, r.end_line, r.end_column], f.message, f.snippet,
            f.fingerprint, supp, fix]


def finding_from_json(d: list) -> Finding:
    rule_id, name, category, severity, confidence, path, region, message, snippet, \
        fingerprint, supp, fix = d
    return Finding(rule_id, name, category, Severity[severity], Confidence[confidence], path,
                   Region(*region), message, snippet, fingerprint,
                   Suppression(*supp) if supp else None, None, Fix(*fix) if fix else None)


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


def _signature(st: os.stat_result, rel: str) -> list:
    return [rel, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class ResultCache:
    """One cache folder and rule set; safe to use while another scan uses the same folder."""

    def __init__(self, directory: Path, digest: str) -> None:
        self.directory = directory
        self.digest = digest
        self.folder = directory / f"v{FORMAT}" / digest[:32]
        self.usable = True
        self.wrote = 0
        self._entries: dict[str, list] | None = None  # key -> [last used, cst, semgrep]
        self._entries_changed = False
        self._used: set[str] = set()
        state = _read_json(self.folder / "state.json")
        signatures = state.get("signatures")
        self._signatures: dict[str, list] = signatures if isinstance(signatures, dict) else {}
        self._new_signatures: dict[str, list] = {}
        self._memo: Any = state.get("memo")
        self._new_memo: dict | None = None

    def key(self, rel_path: str, content: bytes) -> str:
        h = hashlib.sha256(self.digest.encode())
        h.update(b"\0" + rel_path.encode("utf-8", "surrogateescape") + b"\0")
        h.update(content)
        return h.hexdigest()

    def file_key(self, abs_path: str, rel_path: str, max_bytes: int) -> str | None:
        """The key of the file's current bytes (None: not a readable regular file of at most
        ``max_bytes``); read and hashed only when its stat signature changed."""
        try:
            st = os.stat(abs_path)
        except OSError:
            return None
        known = self._signatures.get(abs_path)
        if isinstance(known, list) and len(known) == 7 and known[:6] == _signature(st, rel_path):
            self._new_signatures[abs_path] = known
            return str(known[6])
        read = _read_regular(abs_path, max_bytes)
        if read is None:
            return None
        content, st = read
        key = self.key(rel_path, content)
        if time.time_ns() - st.st_mtime_ns > _RACY_NS:
            self._new_signatures[abs_path] = [*_signature(st, rel_path), key]
        return key

    def memo(self, key: str) -> ScanMemo | None:
        d = self._memo
        if not isinstance(d, dict) or d.get("key") != key:
            return None
        try:
            return ScanMemo(key, [finding_from_json(f) for f in d["findings"]],
                            [_notification(n) for n in d["notifications"]],
                            int(d["lines_scanned"]))
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    def remember(self, memo: ScanMemo) -> None:
        self._new_memo = {"key": memo.key, "findings": [finding_json(f) for f in memo.findings],
                          "notifications": [_notification_json(n) for n in memo.notifications],
                          "lines_scanned": memo.lines_scanned}

    def get(self, key: str) -> Entry | None:
        item = self._load_entries().get(key)
        if not isinstance(item, list) or len(item) != 3:
            return None
        self._used.add(key)
        return Entry(item[1], item[2])

    def put(self, key: str, entry: Entry) -> None:
        self._load_entries()[key] = [int(time.time()), entry.cst, entry.semgrep]
        self._used.add(key)
        self._entries_changed = True
        self.wrote += 1

    def _load_entries(self) -> dict[str, list]:
        if self._entries is None:
            entries = _read_json(self.folder / "entries.json").get("entries")
            self._entries = entries if isinstance(entries, dict) else {}
        return self._entries

    def save(self) -> None:
        """Write what this scan learnt; entries only when they changed (or were last marked
        used over a day ago, so pruning keeps them)."""
        if not self.usable:
            return
        now = int(time.time())
        if self._entries is not None:
            stale_marks = any(now - self._entries[k][0] > 86400 for k in self._used
                              if isinstance(self._entries.get(k), list))
            if self._entries_changed or stale_marks:
                for k in self._used:
                    if isinstance(self._entries.get(k), list):
                        self._entries[k][0] = now
                self.prune()
                self._write("entries.json", {"entries": self._entries})
        memo = self._new_memo if self._new_memo is not None else self._memo
        if self._new_signatures != self._signatures or memo is not self._memo:
            self._write("state.json", {"signatures": self._new_signatures, "memo": memo})

    def _write(self, name: str, data: dict) -> None:
        try:
            self._prepare()
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    # json.dumps uses the C encoder; json.dump streams through the pure
                    # Python one (0.3 s for Django's index).
                    handle.write(json.dumps(data, separators=(",", ":")))
                os.replace(tmp, self.folder / name)
            except BaseException:
                _unlink(tmp)
                raise
        except OSError:
            self.usable = False  # read-only tree, full disk...: scan on without a cache

    def _prepare(self) -> None:
        if self.folder.is_dir():
            return
        top = self.directory
        fresh = not top.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        if fresh:
            # Keep the folder out of version control and out of backups.
            (top / ".gitignore").write_text("*\n", encoding="utf-8")
            (top / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# backend-audit result cache; safe to delete.\n", encoding="utf-8")

    def prune(self, max_age: float = MAX_AGE_SECONDS) -> int:
        """Drop entries nobody used for ``max_age`` seconds (and, beyond twice as many as
        this scan used, the least recently used), other rule sets' folders nobody wrote for
        as long, and earlier formats' folders."""
        entries = self._load_entries()
        cutoff = time.time() - max_age
        old = [k for k, v in entries.items()
               if not isinstance(v, list) or not v or not isinstance(v[0], int) or v[0] < cutoff]
        for k in old:
            del entries[k]
        limit = 2 * len(self._used) + 500
        if len(entries) > limit:
            by_age = sorted(entries, key=lambda k: entries[k][0])
            for k in by_age[:len(entries) - limit]:
                del entries[k]
                old.append(k)
        self._entries_changed = self._entries_changed or bool(old)
        self._remove_stale_folders(cutoff)
        return len(old)

    def _remove_stale_folders(self, cutoff: float) -> None:
        # Only folders this tool made: the user may point --cache-dir at a shared folder.
        try:
            ours = "backend-audit" in (self.directory / "CACHEDIR.TAG").read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            ours = False
        if ours:
            shutil.rmtree(self.directory / "v1", ignore_errors=True)  # the per-file format
        try:
            items = list(os.scandir(self.folder.parent))
        except OSError:
            return
        for item in items:
            try:
                if item.name != self.folder.name and _is_digest(item.name) and \
                        item.is_dir(follow_symlinks=False) and item.stat().st_mtime < cutoff:
                    shutil.rmtree(item.path, ignore_errors=True)
            except OSError:
                continue


def _is_digest(name: str) -> bool:
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)


def _read_json(path: Path) -> dict:
    """A cache file's data; {} when it is missing or damaged."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_regular(abs_path: str, max_bytes: int) -> tuple[bytes, os.stat_result] | None:
    try:
        fd = os.open(abs_path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None
            data = handle.read(max_bytes + 1)
    except OSError:
        return None
    return (data, st) if len(data) <= max_bytes else None


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0
