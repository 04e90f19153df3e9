"""Read a scanned file safely: size limit, NUL bytes, encodings, BOM."""

from __future__ import annotations

import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceText:
    text: str | None
    error: str | None = None


def read_source(abs_path: str, max_bytes: int) -> SourceText:
    try:
        # O_NONBLOCK: a named pipe called x.py must not hang the scan.
        fd = os.open(abs_path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb", closefd=True) as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                return SourceText(None, "is not a regular file (a pipe, socket or device); "
                                        "skipped")
            data = handle.read(max_bytes + 1)
    except IsADirectoryError:
        return SourceText(None, "is a directory, not a file")
    except OSError as exc:
        return SourceText(None, f"cannot be read: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return SourceText(None, f"larger than the {max_bytes:,}-byte limit; skipped "
                                "(raise max-file-bytes to scan it)")
    if b"\x00" in data:
        return SourceText(None, "contains NUL bytes (binary or corrupt file); skipped")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "missing" in str(exc):
            return SourceText(None, "is not valid UTF-8 text and declares no other encoding "
                                    "(a '# -*- coding: ... -*-' line); skipped")
        return SourceText(None, f"has an invalid encoding declaration: {exc}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return SourceText(None, f"is not valid {encoding} text; skipped")
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text)


# Python ends lines only at \n, \r\n and \r; str.splitlines also splits at form feeds
# and Unicode separators, which would shift every line number after one.
_LINE_END = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` as Python (and libcst, and semgrep) number them."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_count(text: str) -> int:
    return len(source_lines(text))
