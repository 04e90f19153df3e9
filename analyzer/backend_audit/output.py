"""Write a report where the user asked, never destroying what is already there.

- A regular file, or nothing yet: the report is written to a temporary file beside it,
  flushed to disk and renamed over it, so a failed or interrupted write leaves the
  previous report whole. A new file gets the permissions any new file gets (0666 less
  the umask); a replaced one keeps its own. A symbolic link stays a link: the file it
  points to is replaced.
- A stream or a device (a named pipe, a terminal, ``/dev/null``, ``/dev/stdout``): written
  in place, never replaced by a regular file.
- A folder, a socket or a block device: refused.

Every write error (a full disk, ``/dev/full``, a pipe whose reader went away) is an
``OutputError``: the command line turns it into one line and exit code 2.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
import time
from pathlib import Path

#: How long a named pipe may stay without a reader before the report is refused.
FIFO_READER_WAIT = 5.0

_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


class OutputError(Exception):
    """A report cannot be written where asked."""


def _stat(path: Path) -> os.stat_result | None:
    """The node at ``path`` (links followed), or None if there is none yet."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _standard_stream(st: os.stat_result) -> int | None:
    """1 or 2 if ``st`` is this process's standard output or error (``/dev/stdout``, or
    ``-o out.txt > out.txt``): those are written through the open descriptor."""
    for fd in (1, 2):
        try:
            if os.path.samestat(st, os.fstat(fd)):
                return fd
        except OSError:
            continue
    return None


def _kind(st: os.stat_result) -> str | None:
    """What a node that cannot take a report is, or None if it can."""
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return None
    return "not a file"


def check_destination(path: Path) -> None:
    """Refuse a report path that cannot be written, before time is spent on the scan.

    Nothing is opened: opening a named pipe would already end its reader's input."""
    st = _stat(path)
    if st is not None:
        kind = _kind(st)
        if kind is not None:
            raise OutputError(f"cannot write {path}: it is {kind}")
        if not stat.S_ISREG(st.st_mode) or _standard_stream(st) is not None:
            if not os.access(path, os.W_OK):
                raise OutputError(f"cannot write {path}: permission denied")
            return
    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {folder} is not writable")


def write_report(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` as described in the module docstring."""
    data = text.encode("utf-8", "backslashreplace")
    st = _stat(path)
    if st is None:
        _replace_file(path, Path(os.path.realpath(path)), data, None)
        return
    kind = _kind(st)
    if kind is not None:
        raise OutputError(f"cannot write {path}: it is {kind}")
    stream = _standard_stream(st)
    if stream is not None:
        _flush_python_streams()
        _write_all(path, stream, data)
    elif stat.S_ISREG(st.st_mode):
        _replace_file(path, Path(os.path.realpath(path)), data, st)
    else:
        _write_in_place(path, data, fifo=stat.S_ISFIFO(st.st_mode))


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output, turning a write error into an ``OutputError``."""
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(text)
        else:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8", "backslashreplace"))
        sys.stdout.flush()
    except OSError as exc:
        _discard_stdout()
        raise OutputError("cannot write the report to standard output: "
                          f"{exc.strerror or exc}") from exc


def _discard_stdout() -> None:
    """After a failed write, send what is still buffered nowhere: otherwise Python
    tries again at exit and prints its own error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _write_all(path: Path, fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_in_place(path: Path, data: bytes, fifo: bool) -> None:
    """A pipe or a character device: opened for writing as it is, without O_CREAT or
    O_TRUNC, so the node itself is never touched. Opened non-blocking so that a pipe
    without a reader is refused (after a short wait) instead of hanging the scan."""
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | _BINARY
    deadline = time.monotonic() + FIFO_READER_WAIT
    while True:
        try:
            fd = os.open(path, flags)
            break
        except OSError as exc:
            if fifo and exc.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            if fifo and exc.errno == errno.ENXIO:
                raise OutputError(f"cannot write {path}: no process is reading this named "
                                  "pipe") from exc
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        os.set_blocking(fd, True)
        _write_all(path, fd, data)
    finally:
        os.close(fd)


def _replace_file(path: Path, target: Path, data: bytes, old: os.stat_result | None) -> None:
    """Temporary file, fsync, rename: the target holds the old report or the new one."""
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    tmp = folder / f".{target.name[:100]}.{secrets.token_hex(6)}.tmp"
    try:
        # Mode 0666 goes through the umask, as for any new file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if old is not None:
                _keep_owner_and_mode(handle.fileno(), old)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _sync_folder(folder)


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    """A replaced report keeps the permissions (and, where allowed, the owner) it had."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid) and hasattr(os, "fchown"):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except OSError:
            pass  # not ours to give away: the file stays ours
    if os.chmod in os.supports_fd:
        os.chmod(fd, stat.S_IMODE(old.st_mode))


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every system can sync a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
