"""``--diff BASE``: keep only findings on lines changed since a git ref.

What review bots need: a pull request should be told about the lines it touches, not
about every old flaw in the files it edits. The changed lines come from
``git diff --unified=0`` between the merge base of BASE and HEAD and the working tree,
run in the scan root with ``--relative`` so paths match the findings' paths. Files git
does not track yet count as changed throughout.
"""

from __future__ import annotations

import codecs
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from backend_audit.findings import Finding, Report

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_WHOLE_FILE = (1, 2**31 - 1)


class GitDiffError(Exception):
    """Not a git repository, git missing, or an unknown ref."""


@dataclass(frozen=True)
class ChangedLines:
    base: str
    files: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def touches(self, f: Finding) -> bool:
        return any(f.region.start_line <= hi and f.region.end_line >= lo
                   for lo, hi in self.files.get(f.path, ()))


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args],
                              capture_output=True, text=True, encoding="utf-8",
                              errors="surrogateescape", check=False)
    except FileNotFoundError as exc:
        raise GitDiffError("--diff needs git, which is not installed") from exc
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        raise GitDiffError(message[-1] if message else f"git {args[0]} failed")
    return proc.stdout


def _unquote(path: str) -> str:
    """git C-quotes paths with unusual characters: ``"b/tab\\there.py"``."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        raw = codecs.escape_decode(path[1:-1].encode("utf-8", "surrogateescape"))[0]
        return raw.decode("utf-8", errors="surrogateescape")
    return path


def parse_diff(text: str) -> dict[str, list[tuple[int, int]]]:
    """Added/changed line ranges per new-side path from ``git diff --unified=0``."""
    files: dict[str, list[tuple[int, int]]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            current = None if target == "/dev/null" else target.removeprefix("b/")
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            if count > 0:
                files.setdefault(current, []).append((start, start + count - 1))
    return files


def repository_root(path: Path) -> Path | None:
    """The git work tree containing ``path``, or None (not in git, or no git)."""
    try:
        top = _git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel")
    except GitDiffError:
        return None
    return Path(top.strip()).resolve() if top.strip() else None


def changed_lines(root: Path, base: str) -> ChangedLines:
    """Lines changed in the working tree under ``root`` since ``base``."""
    root = root if root.is_dir() else root.parent
    _git(root, "rev-parse", "--show-toplevel")
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except GitDiffError as exc:
        raise GitDiffError(f"--diff: {base!r} is not a commit in this repository "
                           "(in CI, fetch enough history: actions/checkout with "
                           "fetch-depth: 0)") from exc
    try:
        since = _git(root, "merge-base", base, "HEAD").strip() or base
    except GitDiffError:
        since = base
    diff = _git(root, "diff", "--no-color", "--no-ext-diff", "--unified=0", "--relative",
                "-M", since, "--", ".")
    files = parse_diff(diff)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    for path in filter(None, untracked.split("\0")):
        files[path] = [_WHOLE_FILE]
    return ChangedLines(base, files)


def apply(report: Report, changed: ChangedLines) -> Report:
    """Keep findings that touch a changed line; remember the ranges for review comments."""
    kept = tuple(f for f in report.findings if changed.touches(f))
    ranges = {path: [list(r) for r in spans] for path, spans in changed.files.items()}
    extra = {**report.extra, "diff": {"base": changed.base, "files": ranges}}
    return replace(report, findings=kept, extra=extra)
