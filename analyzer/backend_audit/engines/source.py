"""Read a scanned file safely: size limit, NUL bytes, encodings, BOM."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceText:
    text: str | None
    error: str | None = None


def read_source(abs_path: str, max_bytes: int) -> SourceText:
    try:
        with open(abs_path, "rb") as handle:
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
        return SourceText(None, f"has an invalid encoding declaration: {exc}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return SourceText(None, f"is not valid {encoding} text; skipped")
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text)
