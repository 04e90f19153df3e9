"""Read-only access to the scanned files for reporters that show or hash source lines.

Findings carry only a short snippet. The HTML report shows a few lines of context
around each finding and SARIF needs GitHub's hash of the whole file, so those reporters
read the files again, lazily and once per file. A file that has gone or cannot be read
simply yields nothing: a report is still written, with less context.
"""

from __future__ import annotations

from pathlib import Path

from backend_audit.engines.source import read_source, source_lines
from backend_audit.reporters.line_hash import line_hashes

#: Larger files are not read back (the scan itself refuses far smaller ones by default).
MAX_BYTES = 20 * 1024 * 1024


class SourceFiles:
    """Files of one scan, addressed by their POSIX path relative to the scan root."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lines: dict[str, list[str] | None] = {}
        self._hashes: dict[str, list[str] | None] = {}

    def _absolute(self, path: str) -> Path:
        return self.root / path

    def lines(self, path: str) -> list[str] | None:
        """The file's lines as the scan decoded them (encoding cookie, BOM dropped) and
        numbered them: split at \\n, \\r\\n and \\r only, never at a form feed or U+2028."""
        if path not in self._lines:
            src = read_source(str(self._absolute(path)), MAX_BYTES)
            self._lines[path] = source_lines(src.text) if src.text is not None else None
        return self._lines[path]

    def line_hash(self, path: str, line: int) -> str | None:
        """GitHub's ``primaryLocationLineHash`` for a 1-based line, if the file is readable."""
        if path not in self._hashes:
            self._hashes[path] = self._github_hashes(path)
        hashes = self._hashes[path]
        if hashes is None or not 1 <= line <= len(hashes):
            return None
        return hashes[line - 1]

    def _github_hashes(self, path: str) -> list[str] | None:
        try:
            with open(self._absolute(path), "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_BYTES:
            return None
        # The upload action reads files as UTF-8, replacing what does not decode.
        return line_hashes(data.decode("utf-8", errors="replace"))


class NoSources(SourceFiles):
    """For reports built without files on disk (tests, reports of reports)."""

    def __init__(self) -> None:
        super().__init__(".")

    def lines(self, path: str) -> list[str] | None:
        return None

    def line_hash(self, path: str, line: int) -> str | None:
        return None
