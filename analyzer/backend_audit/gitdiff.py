"""``--diff BASE``: keep only findings on lines changed since a git ref.

What review bots need: a pull request should be told about the lines it touches, not
about every old flaw in the files it edits. The changed lines come from
``git diff --unified=0`` between the merge base of BASE and HEAD and the working tree,
run in the scan root with ``--relative`` so paths match the findings' paths. Files git
does not track yet count as changed throughout.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
from dataclasses import dataclass, field, replace
from functools import cache
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


#: How long one git command may take (a FIFO named in .gitignore would block it forever).
GIT_TIMEOUT = 120

# The scanned repository's own configuration (.git/config, and the attributes in its
# tree) is written by whoever wrote the repository, and several settings make git run a
# program: the file-system monitor, hooks, a pager, an external diff, textconv and
# clean/process filters, or a transport fetching missing objects of a partial clone.
# Configuration given on the command line outranks every file, so each is switched off
# there. Diff prefixes are fixed too, so that ``diff.noprefix`` cannot move paths.
_NEUTRAL = (
    ("core.fsmonitor", ""),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("diff.external", ""),
    ("protocol.allow", "never"),
    ("core.quotePath", "false"),
)
# Clean and process filters run whenever git reads a work-tree file into a diff; their
# driver names are the repository's choice, so they are found by reading the
# configuration (which runs nothing) and emptied one by one (an empty filter is no
# filter). Textconv and diff-driver commands are off by --no-textconv and --no-ext-diff
# (an emptied textconv would be an error, not nothing).
_FILTER_COMMAND = re.compile(r"^filter\..+\.(clean|smudge|process)$", re.IGNORECASE)
# Kept from the system configuration, which is not read (GIT_CONFIG_NOSYSTEM): the
# administrator's trusted folders (CI images often list them there) and line endings.
_SYSTEM_KEPT = ("safe.directory", "core.autocrlf", "core.eol")


def _run(root: Path | None, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    command = ["git", "--no-pager", *(["-C", str(root)] if root is not None else []), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                              errors="surrogateescape", check=False, env=env,
                              stdin=subprocess.DEVNULL, timeout=GIT_TIMEOUT)
    except FileNotFoundError as exc:
        raise GitDiffError("--diff needs git, which is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitDiffError(f"git {args[0]} did not finish within {GIT_TIMEOUT} s") from exc


def _base_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER", "PAGER")}
    env.update(GIT_PAGER="cat", PAGER="cat", GIT_TERMINAL_PROMPT="0",
               # No transport at all (the empty list allows none), whatever the config says.
               GIT_ALLOW_PROTOCOL="", GIT_PROTOCOL_FROM_USER="0")
    return env


@cache
def _system_settings() -> tuple[tuple[str, str], ...]:
    """The few trusted system-wide settings carried over; read from outside any
    repository, so no repository configuration is involved."""
    proc = _run(None, ["config", "--system", "-z", "--get-regexp",
                       "^(" + "|".join(re.escape(k) for k in _SYSTEM_KEPT) + ")$"],
                _base_environment())
    return tuple(_pairs(proc.stdout)) if proc.returncode == 0 else ()


def _pairs(nul_separated: str) -> list[tuple[str, str]]:
    """``git config -z`` output: ``key\nvalue\0`` per entry."""
    out = []
    for entry in filter(None, nul_separated.split("\0")):
        key, _, value = entry.partition("\n")
        out.append((key, value))
    return out


def _filter_commands(root: Path, env: dict[str, str]) -> list[tuple[str, str]]:
    """Every filter command the configuration git will use defines, emptied, with
    ``filter.<driver>.required`` off so that git does not stop for want of it."""
    proc = _run(root, ["config", "-z", "--name-only", "--get-regexp",
                       r"^filter\..*\.(clean|smudge|process)$"], env)
    keys = [k for k in proc.stdout.split("\0") if _FILTER_COMMAND.match(k)] \
        if proc.returncode == 0 else []
    return [(key, "") for key in keys] + \
        [(key.rsplit(".", 1)[0] + ".required", "false") for key in keys]


def _with_settings(env: dict[str, str], settings: list[tuple[str, str]]) -> dict[str, str]:
    """``env`` with ``settings`` added as command-line configuration, after any the caller
    set (GIT_CONFIG_COUNT/KEY_n/VALUE_n have no quoting rules, so a driver name holding
    "=" or spaces is still overridden exactly)."""
    env = dict(env)
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    for i, (key, value) in enumerate(settings, start=count):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(settings))
    return env


def git_environment(root: Path) -> dict[str, str]:
    """The environment every git command runs with: no system configuration (but its
    trusted folders), no pager, no transport, and every setting that runs a program
    overridden."""
    env = _with_settings({**_base_environment(), "GIT_CONFIG_NOSYSTEM": "1"},
                         [*_system_settings(), *_NEUTRAL])
    # Read with the trusted folders already in place: git ignores the configuration of
    # a repository it does not trust, and must see the same filters it will later use.
    return _with_settings(env, _filter_commands(root, env))


def _git(root: Path, *args: str) -> str:
    proc = _run(root, list(args), git_environment(root))
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        # git's own verdict ("fatal: ..."), not the advice printed after it.
        verdicts = [line for line in lines if line.startswith(("fatal:", "error:"))]
        raise GitDiffError((verdicts or lines or [f"git {args[0]} failed"])[-1])
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
    diff = _git(root, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0",
                "--relative", "--src-prefix=a/", "--dst-prefix=b/", "-M", since, "--", ".")
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
