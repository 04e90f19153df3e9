"""Where the result cache lives, and its files read and written so that nothing in a
scanned tree can feed it results: by default it sits in the user's cache directory (one
folder per absolute scan root, so a moved or cloned tree starts afresh), and every cache
file carries an HMAC made with a key that only this user on this machine holds, kept
beside that directory and never inside the scanned tree. A file without a valid HMAC,
or one that is not a regular file of bounded size (a FIFO, a symlink to a device), is
refused before a byte of it is trusted.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path

APP = "backend-audit"
KEY_NAME = "cache-key"
#: The largest cache file read (a 20,000-file tree's entries take about a tenth of it).
MAX_FILE_BYTES = 512 * 2**20
_KEY_CHARS = 64
_MAGIC = b"backend-audit-cache 3 hmac-sha256 "
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# backend-audit result cache; safe to delete.\n")


class CacheFileError(Exception):
    """A cache file that must not be used; the message says why, for a notification."""


def user_cache_root() -> Path | None:
    """``$XDG_CACHE_HOME/backend-audit`` (an absolute XDG_CACHE_HOME is honoured on every
    platform), else the platform's user cache folder; None without a home directory."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / APP
    if sys.platform == "win32" and os.path.isabs(os.environ.get("LOCALAPPDATA", "")):
        return Path(os.environ["LOCALAPPDATA"]) / APP / "Cache"
    try:
        home = Path.home()
    except (RuntimeError, KeyError):
        return None
    if not home.is_absolute():
        return None
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP
    return home / ".cache" / APP


def tree_cache_dir(scan_root: Path) -> Path | None:
    """The default cache folder of the tree at ``scan_root``: keyed by its absolute path."""
    root = user_cache_root()
    if root is None:
        return None
    where = os.fsencode(str(scan_root.resolve()))
    return root / "trees" / hashlib.sha256(where).hexdigest()[:32]


def key_path() -> Path | None:
    root = user_cache_root()
    return None if root is None else root / KEY_NAME


def cache_key(scan_root: Path | None) -> bytes:
    """This user's HMAC key, made on first use (mode 0600)."""
    path = key_path()
    if path is None:
        raise CacheFileError("no user cache directory for the cache key (no home directory; "
                             "set XDG_CACHE_HOME)")
    if scan_root is not None and _inside(path, scan_root):
        raise CacheFileError(f"the cache key {path} would be inside the scanned folder, where "
                             "the scanned code could supply it; set XDG_CACHE_HOME elsewhere")
    try:
        data = read_regular(path, _KEY_CHARS + 1)
        if data is None:
            _create_key(path)
            data = read_regular(path, _KEY_CHARS + 1)
        st = os.stat(path, follow_symlinks=False)
    except CacheFileError as exc:
        raise CacheFileError(f"the cache key {path} {exc}") from None
    except OSError as exc:
        raise CacheFileError(f"cannot make the cache key {path}: "
                             f"{exc.strerror or exc}") from None
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
        raise CacheFileError(f"the cache key {path} is not private to this user "
                             "(owner and mode 0600 expected)")
    if data is None or len(data) != _KEY_CHARS or \
            any(c not in b"0123456789abcdef" for c in data):
        raise CacheFileError(f"the cache key {path} is damaged; delete it to make a new one")
    return bytes.fromhex(data.decode())


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _create_key(path: Path) -> None:
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_small(folder / "CACHEDIR.TAG", _TAG)  # never replaces a file
    fd, tmp = tempfile.mkstemp(prefix=".key-", dir=folder)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_KEY_CHARS // 2))
        try:
            # A hard link never replaces: two first scans at once end up with one key.
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            os.replace(tmp, path)  # no hard links here: the last writer's key wins
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def write_tag(folder: Path) -> None:
    """Mark a fresh cache folder: out of version control, backups and scans."""
    _write_small(folder / ".gitignore", "*\n")
    _write_small(folder / "CACHEDIR.TAG", _TAG)


def _write_small(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    except OSError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def is_tagged(folder: Path) -> bool:
    """Whether ``folder`` was made by this tool (its CACHEDIR.TAG says so)."""
    try:
        data = read_regular(folder / "CACHEDIR.TAG", 4096)
    except CacheFileError:
        return False
    return data is not None and APP.encode() in data


def read_regular(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of ``path``; None when it does not exist. A symlink, FIFO, device or a
    file over ``max_bytes`` raises CacheFileError (saying why, without the path) without
    being read or waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CacheFileError("is a symbolic link") from None
        raise CacheFileError(f"cannot be opened ({exc.strerror or exc})") from None
    with open(fd, "rb") as handle:
        try:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise CacheFileError("is not a regular file")
            if st.st_size > max_bytes:
                raise CacheFileError(f"is larger than {max_bytes:,} bytes")
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise CacheFileError(f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise CacheFileError(f"is larger than {max_bytes:,} bytes")
    return data


def sign(key: bytes, context: str, body: bytes) -> bytes:
    """``body`` with a first line that proves this user wrote it for ``context``."""
    return _MAGIC + _mac(key, context, body).encode() + b"\n" + body


def verify(key: bytes, context: str, data: bytes) -> bytes:
    """The body of a signed file; CacheFileError unless its HMAC is this user's."""
    head, sep, body = data.partition(b"\n")
    if not sep or not head.startswith(_MAGIC) or not hmac.compare_digest(
            head[len(_MAGIC):], _mac(key, context, body).encode()):
        raise CacheFileError("was not written by backend-audit for this user on this machine "
                             "(or was changed since)")
    return body


def _mac(key: bytes, context: str, body: bytes) -> str:
    h = hmac.new(key, context.encode() + b"\0", hashlib.sha256)
    h.update(body)
    return h.hexdigest()
