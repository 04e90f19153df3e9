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

Layout: ``v3/<ruleset digest>/entries.json`` (every file entry) and ``state.json`` (each
file's stat signature and key, and the last scan's findings). A file whose size, times,
inode and device match its signature is not read again; files modified in the two
seconds before they were read get no signature (a later change could keep the same
time), so they are hashed next time.

The scanned code must not be able to choose its own results: the folder is by default in
the user's cache directory, one per scan root, and every file is signed with this user's
key and refused without a valid signature (``cache_files``); every value read is checked
for type and shape before use, and remembered findings must name files of this scan. A
refused file or value is a miss and a notification, never an error. Results are stored
only for files that did not change between the read that made their key and the end of
the scan, so the analysed content is the keyed content.

Everything is JSON (never pickle), written to a temporary file and moved into place with
``os.replace``, so two scans sharing a folder never see half a file; the last writer wins.
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
from backend_audit.cache_files import (
    CacheFileError,
    cache_key,
    is_tagged,
    read_regular,
    sign,
    tree_cache_dir,
    verify,
    write_tag,
)
from backend_audit.cache_values import (
    DAMAGE,
    Entry,
    ScanMemo,
    SemgrepPart,
    memo_from_json,
    memo_json,
    result_from_json,
    result_json,
    semgrep_from_json,
    semgrep_json,
)
from backend_audit.config import Config
from backend_audit.findings import Notification, NotificationLevel
from backend_audit.resources import rules_dir

if TYPE_CHECKING:
    from backend_audit.catalogue import Rule

# What the pipeline takes from here (the cached values' forms live in cache_values).
__all__ = ["DAMAGE", "Entry", "ResultCache", "ScanMemo", "SemgrepPart", "default_cache_dir",
           "result_from_json", "result_json", "ruleset_digest", "semgrep_from_json",
           "semgrep_json"]

FORMAT = "3"
ENV_VAR = "BACKEND_AUDIT_CACHE_DIR"
#: Entries unused for this long are removed when a scan writes new ones.
MAX_AGE_SECONDS = 30 * 24 * 3600
#: A file modified this recently when read is hashed again next time (see the docstring).
_RACY_NS = 2_000_000_000
# Config fields that never change what a check reports for a file.
_CONFIG_IGNORED = {"select", "ignore", "exclude", "extend_exclude", "fail_on", "jobs",
                   "file_timeout", "source", "include_tests"}


def default_cache_dir(scan_root: Path) -> Path | None:
    """``$BACKEND_AUDIT_CACHE_DIR``, else this tree's folder in the user cache directory
    (None without a home directory: no cache)."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else tree_cache_dir(scan_root)


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


def _signature(st: os.stat_result, rel: str) -> list:
    return [rel, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


@dataclass(frozen=True)
class _Seen:
    """A scanned file as its key was made. The scan's results are stored under ``key`` only
    if the file still has ``signature`` when the scan ends: every analysis read the file in
    between, so it read the keyed bytes. A file that had just changed when it was read
    (``racy``: a further change in the same clock tick keeps its times) must also still
    hash to ``digest``."""

    rel: str
    key: str
    signature: list
    racy: bool = False
    digest: bytes = b""
    max_bytes: int = 0


class ResultCache:
    """One cache folder and rule set; safe to use while another scan uses the same folder.

    ``notifications`` says what was refused (a file not signed by this user, a value of the
    wrong shape, a file that changed during the scan) or why there is no cache. ``key`` is
    the HMAC key, the user's own unless given; a key inside ``scan_root`` is refused."""

    def __init__(self, directory: Path, digest: str, scan_root: Path | None = None,
                 key: bytes | None = None) -> None:
        self.directory = directory
        self.digest = digest
        self.folder = directory / f"v{FORMAT}" / digest[:32]
        self.usable = True
        self.wrote = 0
        self.notifications: list[Notification] = []
        self._entries: dict[str, list] | None = None  # key -> [last used, cst, semgrep]
        self._entries_changed = False
        self._used: set[str] = set()
        self._put: set[str] = set()
        self._seen: dict[str, _Seen] = {}  # abs path -> as its key was made
        self._signatures: dict[str, list] = {}
        self._new_signatures: dict[str, list] = {}
        self._memo: Any = None
        self._new_memo: dict | None = None
        self._key = b""
        try:
            self._key = key if key is not None else cache_key(scan_root)
            self._check_folders()
        except CacheFileError as exc:
            self._off(str(exc))
            return
        state = self._read("state.json")
        signatures = state.get("signatures")
        self._signatures = signatures if isinstance(signatures, dict) else {}
        self._memo = state.get("memo")

    def key(self, rel_path: str, content: bytes) -> str:
        h = hashlib.sha256(self.digest.encode())
        h.update(b"\0" + rel_path.encode("utf-8", "surrogateescape") + b"\0")
        h.update(content)
        return h.hexdigest()

    def file_key(self, abs_path: str, rel_path: str, max_bytes: int) -> str | None:
        """The key of the file's current bytes (None: not a readable regular file of at most
        ``max_bytes``, or no usable cache); read and hashed only when its stat signature
        changed."""
        if not self.usable:
            return None
        try:
            st = os.stat(abs_path)
        except OSError:
            return None
        signature = _signature(st, rel_path)
        known = self._signatures.get(abs_path)
        if type(known) is list and len(known) == 7 and type(known[6]) is str and \
                known[:6] == signature:
            self._new_signatures[abs_path] = known
            self._seen[abs_path] = _Seen(rel_path, known[6], signature)
            return known[6]
        read = _read_regular(abs_path, max_bytes)
        if read is None:
            return None
        content, st = read
        key = self.key(rel_path, content)
        signature = _signature(st, rel_path)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _RACY_NS:
            self._new_signatures[abs_path] = [*signature, key]
            self._seen[abs_path] = _Seen(rel_path, key, signature)
        else:
            self._seen[abs_path] = _Seen(rel_path, key, signature, True,
                                         hashlib.sha256(content).digest(), max_bytes)
        return key

    def memo(self, key: str) -> ScanMemo | None:
        d = self._memo
        if not self.usable or not isinstance(d, dict) or d.get("key") != key:
            return None
        try:
            return memo_from_json(d, {seen.rel for seen in self._seen.values()})
        except DAMAGE as exc:
            self._refused("state.json", f"holds remembered findings of the wrong shape ({exc})")
            return None

    def remember(self, memo: ScanMemo) -> None:
        self._new_memo = memo_json(memo)

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``; its parts are JSON data still to be checked by
        ``result_from_json`` and ``semgrep_from_json`` (see ``damaged``)."""
        item = self._load_entries().get(key)
        if item is None:
            return None
        self._used.add(key)
        return Entry(item[1], item[2])

    def damaged(self, rel_path: str) -> None:
        """The entry of ``rel_path`` did not convert: say so (the scan analyses the file
        afresh, and its new entry replaces the damaged one)."""
        self.notifications.append(Notification(
            "the cached result of this file has the wrong shape; analysed afresh",
            NotificationLevel.WARNING, rel_path, None, "cache"))

    def put(self, key: str, entry: Entry) -> None:
        self._load_entries()[key] = [int(time.time()), entry.cst, entry.semgrep]
        self._used.add(key)
        self._put.add(key)
        self._entries_changed = True
        self.wrote += 1

    def _load_entries(self) -> dict[str, list]:
        if self._entries is None:
            entries = self._read("entries.json").get("entries") if self.usable else None
            # The outer shape only; an entry's parts are checked when they are used.
            self._entries = {k: v for k, v in entries.items()
                             if type(v) is list and len(v) == 3 and type(v[0]) is int
                             and (v[1] is None or type(v[1]) is dict)
                             and (v[2] is None or type(v[2]) is dict)} \
                if isinstance(entries, dict) else {}
        return self._entries

    def save(self) -> None:
        """Write what this scan learnt; entries only when they changed (or were last marked
        used over a day ago, so pruning keeps them)."""
        if not self.usable:
            return
        if self._put or self._new_memo is not None:
            self._forget_changed_files()
        now = int(time.time())
        if self._entries is not None:
            stale_marks = any(now - self._entries[k][0] > 86400 for k in self._used
                              if k in self._entries)
            if self._entries_changed or stale_marks:
                for k in self._used:
                    if k in self._entries:
                        self._entries[k][0] = now
                self.prune()
                self._write("entries.json", {"entries": self._entries})
        memo = self._new_memo if self._new_memo is not None else self._memo
        if self._new_signatures != self._signatures or memo is not self._memo:
            self._write("state.json", {"signatures": self._new_signatures, "memo": memo})
        self._mark_used(now)

    def _forget_changed_files(self) -> None:
        """Results of a file that changed after its key was made may be of other bytes than
        the key's: none of them is stored, nor the scan's findings."""
        changed = [seen for path, seen in self._seen.items() if not _unchanged(path, seen)]
        if not changed:
            return
        keys = {seen.key for seen in changed}
        for key in self._put & keys:
            self._load_entries().pop(key, None)
        self._put -= keys
        self._used -= keys
        self._new_memo = None
        for path, seen in self._seen.items():
            if seen.key in keys:
                self._new_signatures.pop(path, None)
        for seen in changed:
            self.notifications.append(Notification(
                "changed while it was being scanned: its results may be of either version and "
                "were not cached", NotificationLevel.NOTE, seen.rel, None, "cache"))

    def _read(self, name: str) -> dict:
        """A cache file's data; {} when it is missing, unsigned, damaged or unsafe."""
        try:
            data = read_regular(self.folder / name)
            if data is None:
                return {}
            value = json.loads(verify(self._key, self._context(name), data))
        except CacheFileError as exc:
            self._refused(name, str(exc))
            return {}
        except (ValueError, RecursionError):
            self._refused(name, "is not valid JSON")
            return {}
        if not isinstance(value, dict):
            self._refused(name, "does not hold a JSON object")
            return {}
        return value

    def _write(self, name: str, data: dict) -> None:
        # json.dumps uses the C encoder; json.dump streams through the pure Python one
        # (0.3 s for Django's index).
        body = json.dumps(data, separators=(",", ":")).encode()
        try:
            self._prepare()
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(sign(self._key, self._context(name), body))
                os.replace(tmp, self.folder / name)
            except BaseException:
                _unlink(tmp)
                raise
        except OSError as exc:
            # Read-only or full disk...: scan on without a cache.
            self._off(f"cannot write {self.folder}: {exc.strerror or exc}")

    def _context(self, name: str) -> str:
        return f"{FORMAT}/{self.digest}/{name}"

    def _off(self, reason: str) -> None:
        if self.usable:
            self.usable = False
            self.notifications.append(Notification(
                f"result cache not used: {reason}", NotificationLevel.NOTE, None, None, "cache"))

    def _refused(self, name: str, reason: str) -> None:
        self.notifications.append(Notification(
            f"result cache file {self.folder / name} {reason}; ignored (results computed "
            "afresh)", NotificationLevel.WARNING, None, None, "cache"))

    def _check_folders(self) -> None:
        # A symlink planted in a chosen cache folder must not make scans write elsewhere.
        for folder in (self.folder.parent, self.folder):
            try:
                mode = os.lstat(folder).st_mode
            except FileNotFoundError:
                return
            except OSError as exc:
                raise CacheFileError(f"cannot read {folder}: {exc.strerror or exc}") from None
            if not stat.S_ISDIR(mode):
                raise CacheFileError(f"{folder} is not a folder (a symlink?)")

    def _prepare(self) -> None:
        if self.folder.is_dir():
            return
        fresh = not self.directory.exists()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if fresh:
            write_tag(self.directory)

    def _mark_used(self, now: int) -> None:
        """Folders are pruned by age (``prune``): one that answers every scan from the
        remembered findings, and so is never written, is marked as used once a day."""
        for folder in (self.directory, self.folder):
            try:
                if now - os.stat(folder).st_mtime > 86400:
                    os.utime(folder)
            except OSError:
                continue

    def prune(self, max_age: float = MAX_AGE_SECONDS) -> int:
        """Drop entries nobody used for ``max_age`` seconds (and, beyond twice as many as
        this scan used, the least recently used), other rule sets' and other trees' folders
        nobody used for as long, and earlier formats' folders."""
        entries = self._load_entries()
        cutoff = time.time() - max_age
        old = [k for k, v in entries.items() if v[0] < cutoff]
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
        if is_tagged(self.directory):
            for version in range(1, int(FORMAT)):
                shutil.rmtree(self.directory / f"v{version}", ignore_errors=True)
        _remove_old_digests(self.folder.parent, self.folder.name, cutoff)
        trees = self.directory.parent  # the user cache directory's folder per scanned tree
        if trees.name == "trees" and _is_digest(self.directory.name) and \
                is_tagged(trees.parent):
            _remove_old_digests(trees, self.directory.name, cutoff)


def _remove_old_digests(parent: Path, keep: str, cutoff: float) -> None:
    try:
        items = list(os.scandir(parent))
    except OSError:
        return
    for item in items:
        try:
            if item.name != keep and _is_digest(item.name) and \
                    item.is_dir(follow_symlinks=False) and item.stat().st_mtime < cutoff:
                shutil.rmtree(item.path, ignore_errors=True)
        except OSError:
            continue


def _is_digest(name: str) -> bool:
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)


def _unchanged(abs_path: str, seen: _Seen) -> bool:
    """Whether the file still holds the bytes its key was made of (see ``_Seen``)."""
    try:
        st = os.stat(abs_path)
    except OSError:
        return False
    if _signature(st, seen.rel) != seen.signature:
        return False
    if not seen.racy:
        return True
    read = _read_regular(abs_path, seen.max_bytes)
    return read is not None and _signature(read[1], seen.rel) == seen.signature and \
        hashlib.sha256(read[0]).digest() == seen.digest


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
