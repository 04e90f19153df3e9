"""Find the Python files to scan."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from backend_audit.findings import Notification, NotificationLevel

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".bzr", "__pycache__", "node_modules", ".venv", "venv", ".env",
    "env", ".tox", ".nox", ".eggs", "*.egg-info", "build", "dist", "site-packages",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", "__pypackages__", ".idea",
    ".vscode", ".backend-audit-cache",
)
#: Test code left out unless asked for (as Semgrep's default .semgrepignore does for
#: /tests and /test): findings there are noise for a backend review.
TEST_DIRS = frozenset({"tests", "test"})
TEST_FILES = frozenset({"tests.py", "conftest.py"})


class DiscoveryError(Exception):
    """A path given on the command line does not exist, or an exclude pattern is invalid."""


@dataclass
class Discovery:
    root: Path
    files: list[tuple[str, str]] = field(default_factory=list)  # (path to open, rel POSIX)
    notifications: list[Notification] = field(default_factory=list)
    skipped: int = 0
    tests_skipped: int = 0  # test files left out (see ``is_test_file``)


def is_test_file(name: str) -> bool:
    return name in TEST_FILES or (name.endswith(".py") and (
        name.startswith("test_") or name.endswith("_test.py")))


def path_problem(path: Path | str) -> str | None:
    """Why a path named on the command line cannot be scanned, if it cannot: missing, or
    behind a folder this user may not search (not the same thing to whoever reads it)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return f"path does not exist: {path}"
    except PermissionError:
        return f"cannot access {path}: permission denied"
    except OSError as exc:
        return f"cannot access {path}: {exc.strerror or exc}"
    return None


def scan_root(paths: list[Path]) -> Path:
    resolved = [p.resolve() for p in paths]
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def _spec(patterns: list[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


_PATTERN_ERRORS = (ValueError, TypeError, re.error)


def _checked_spec(patterns: list[str]) -> tuple[pathspec.GitIgnoreSpec, list[str]]:
    """The spec of the usable patterns, and those that are not (``[z-a]``, a lone ``\\``)."""
    try:
        return _spec(patterns), []
    except _PATTERN_ERRORS:
        good: list[str] = []
        bad: list[str] = []
        for pattern in patterns:
            try:
                _spec([pattern])
            except _PATTERN_ERRORS:
                bad.append(pattern)
            else:
                good.append(pattern)
        return _spec(good), bad


def _excludes(patterns: list[str]) -> Callable[[str, str], bool]:
    """``matches(path below the root, name)`` (folders end with "/"). Plain names and
    ``*``/``?`` globs (the defaults) match a name at any depth, so a set and one regex do;
    anything else goes through gitignore rules (a third of discovery time otherwise)."""
    spec, bad = _checked_spec(patterns)
    if bad:
        raise DiscoveryError(f"invalid exclude pattern {bad[0]!r}")
    if any(not p or p != p.strip() or p[0] in "#!" or any(c in p for c in "/\\[]")
           for p in patterns):
        return lambda path, name: spec.match_file(path) or spec.match_file(name)
    names = frozenset(p for p in patterns if "*" not in p and "?" not in p)
    globs = [fnmatch.translate(p) for p in patterns if p not in names]
    glob = re.compile("|".join(globs)) if globs else None

    def matches(path: str, name: str) -> bool:
        bare = name.rstrip("/")
        return bare in names or (glob is not None and glob.match(bare) is not None)

    return matches


def _mode(path: Path, follow: bool) -> int | None:
    """``st_mode`` of ``path`` (of its target when ``follow``), None if it cannot be had."""
    try:
        return (os.stat(path) if follow else os.lstat(path)).st_mode
    except (OSError, ValueError):
        return None


def _gitignore(directory: Path) -> list[str]:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()


def discover(paths: list[Path], exclude: tuple[str, ...] | None = None,
             extend_exclude: tuple[str, ...] = (), respect_gitignore: bool = True,
             skip_tests: bool = False) -> Discovery:
    """The files below ``paths``. With ``skip_tests``, test folders and files below each
    given path are counted in ``tests_skipped`` instead of scanned; a path given
    explicitly is always scanned, and so is everything below a given test folder."""
    for p in paths:
        problem = path_problem(p)
        if problem is not None:
            raise DiscoveryError(problem)
    root = scan_root(paths)
    found = Discovery(root)
    excluded = _excludes(list(DEFAULT_EXCLUDES if exclude is None or not exclude else exclude)
                         + list(extend_exclude))
    seen: set[str] = set()

    def rel(path: Path, resolve: bool = True) -> str:
        try:
            return path.resolve().relative_to(root).as_posix() if resolve and path.exists() \
                else path.absolute().relative_to(root).as_posix()
        except ValueError:
            return path.absolute().as_posix()

    def add(path: Path, relpath: str) -> None:
        if relpath not in seen:
            seen.add(relpath)
            found.files.append((str(path), relpath))

    for given in paths:
        if given.is_symlink() and not given.exists():
            found.notifications.append(Notification(
                "is a broken symbolic link; skipped", NotificationLevel.WARNING,
                rel(given), None, "unreadable"))
            continue
        if not given.is_dir():
            mode = _mode(given, follow=True)
            if mode is None or not stat.S_ISREG(mode):
                # A named pipe would block the first reader; a device never ends.
                found.notifications.append(Notification(
                    "is not a regular file (a pipe, socket or device); skipped"
                    if mode is not None else "cannot be read; skipped",
                    NotificationLevel.WARNING, rel(given, resolve=False), None, "unreadable"))
                continue
            add(given, rel(given))  # a file named explicitly is always scanned
            continue
        ignore_stack: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        given_rel = rel(given)
        skip_here = skip_tests and given.resolve().name not in TEST_DIRS
        # Folders known to be test code; still walked, so their files can be counted.
        test_dirs: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
            directory = Path(dirpath)
            # Folders below ``given`` are never links (those are not walked), so their
            # relative path follows from the walk; resolving each one cost a system call
            # per path component.
            below = os.path.relpath(dirpath, given)
            dir_rel = given_rel if below == "." else \
                below.replace(os.sep, "/") if given_rel == "." else \
                f"{given_rel}/{below.replace(os.sep, '/')}"
            prefix = "" if dir_rel == "." else dir_rel + "/"
            ignore_stack = [(p, s) for p, s in ignore_stack if prefix.startswith(p)]
            if respect_gitignore and ".gitignore" in filenames:
                lines = _gitignore(directory)
                if lines:
                    spec, bad = _checked_spec(lines)
                    ignore_stack.append((prefix, spec))
                    if bad:
                        found.notifications.append(Notification(
                            f"has {len(bad)} pattern{'s' if len(bad) != 1 else ''} that "
                            f"cannot be used (first: {bad[0]!r}); ignored",
                            NotificationLevel.WARNING, prefix + ".gitignore", None,
                            "skipped"))

            def ignored(name: str, is_dir: bool, prefix: str = prefix,
                        stack: list[tuple[str, pathspec.GitIgnoreSpec]] = ignore_stack) -> bool:
                slash = "/" if is_dir else ""
                candidate = prefix + name + slash
                if excluded(candidate, name + slash):
                    return True
                return any(s.match_file(candidate[len(p):]) for p, s in stack)

            in_tests = dirpath in test_dirs
            kept = []
            for d in sorted(dirnames):
                full = directory / d
                # Hidden folders (.github, .tox, an editor's) hold no application code; a
                # path given on the command line is walked even so.
                if d.startswith(".") or ignored(d, True) or \
                        _mode(full / "pyvenv.cfg", follow=True) is not None:
                    found.skipped += 1
                    continue
                own = _mode(full, follow=False)
                if own is not None and stat.S_ISLNK(own):
                    # Never follow directory links: no loops, no escaping the tree.
                    found.notifications.append(Notification(
                        "is a link to a folder; not followed", NotificationLevel.NOTE,
                        prefix + d, None, "skipped"))
                    continue
                if d.endswith(".py"):
                    found.notifications.append(Notification(
                        "is a folder named like a Python file; scanned as a folder",
                        NotificationLevel.NOTE, prefix + d, None, "skipped"))
                kept.append(d)
                if skip_here and (in_tests or d in TEST_DIRS):
                    test_dirs.add(os.path.join(dirpath, d))
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(".py") and not name.endswith(".pyi"):
                    continue
                if name.endswith(".pyi") or ignored(name, False):
                    found.skipped += 1
                    continue
                if skip_here and (in_tests or is_test_file(name)):
                    found.tests_skipped += 1
                    continue
                full = directory / name
                own = _mode(full, follow=False)
                target_mode = own if own is None or not stat.S_ISLNK(own) else \
                    _mode(full, follow=True)
                is_link = own is not None and stat.S_ISLNK(own)
                if is_link and target_mode is None:
                    found.notifications.append(Notification(
                        "is a broken or looping symbolic link; skipped",
                        NotificationLevel.WARNING, prefix + name, None, "unreadable"))
                    continue
                if is_link:
                    target = full.resolve()
                    try:
                        target.relative_to(root)
                    except ValueError:
                        found.skipped += 1
                        continue  # a link out of the tree is not this project's code
                if target_mode is None:
                    found.notifications.append(Notification(
                        "cannot be read; skipped", NotificationLevel.WARNING, prefix + name,
                        None, "unreadable"))
                    continue
                if not stat.S_ISREG(target_mode):
                    found.notifications.append(Notification(
                        "is not a regular file (a pipe, socket or device); skipped",
                        NotificationLevel.WARNING, prefix + name, None, "unreadable"))
                    continue
                add(full, prefix + name)
    found.files.sort(key=lambda f: f[1])
    return found
