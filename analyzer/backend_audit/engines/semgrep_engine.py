"""Run semgrep once per scan over an explicit file list with a config generated
from the catalogue. Local rules only; metrics, version checks and ``nosemgrep`` off.

semgrep's own analyser, ``semgrep-core``, is run directly when it sits beside the installed
semgrep package: the ``semgrep scan`` wrapper spends over a second starting up before it
runs that same binary. The wrapper remains the fallback when the binary is missing, fails
to start or reports another version than its package. Only files that contain one of a
rule's ``words`` are sent at all."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backend_audit.catalogue import Rule
from backend_audit.findings import Notification, NotificationLevel

_LEVELS = {"low": "INFO", "medium": "WARNING", "high": "ERROR", "critical": "ERROR"}
#: ``wrapper`` forces ``semgrep scan`` even where semgrep-core could run directly (tests).
LAUNCHER_ENV = "BACKEND_AUDIT_SEMGREP"
#: The file names ``semgrep scan`` analyses as Python; it skips other explicit targets.
_PYTHON_SUFFIXES = (".py", ".pyi")
#: semgrep-core's error kinds that are about the rules file rather than a target.
_RULE_ERRORS = ("Rule parse error", "Pattern parse error")


@dataclass(frozen=True)
class SemgrepHit:
    rule_id: str
    path: str  # relative POSIX
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    message: str | None = None
    fix: str | None = None  # replacement text for the matched range (rule's fix/fix-regex)


@dataclass
class SemgrepResult:
    hits: list[SemgrepHit] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


@dataclass(frozen=True)
class SemgrepCore:
    """semgrep-core and the version of the semgrep package it was shipped with."""

    path: str
    version: str


def semgrep_config(rules: list[Rule]) -> dict:
    body = []
    for rule in rules:
        entry = {
            "id": rule.id,
            "message": rule.message,
            "severity": _LEVELS[str(rule.severity)],
            "languages": ["python"],
            "metadata": {"category": rule.category, "name": rule.name},
        }
        entry.update({k: v for k, v in rule.semgrep.items() if k not in entry})
        body.append(entry)
    return {"rules": body}


@dataclass(frozen=True)
class _Gate:
    """What a file must hold for one rule to match in it: one of ``words`` (none: no
    condition) and, if any, a match of ``pattern`` (the catalogue's, as for libcst rules)."""

    words: tuple[bytes, ...]
    pattern: re.Pattern[bytes] | None

    def admits(self, data: bytes) -> bool:
        if self.words and not any(w in data for w in self.words):
            return False
        return self.pattern is None or self.pattern.search(data) is not None


def _gate(rule: Rule) -> _Gate:
    pattern = re.compile(rule.pattern.encode("utf-8"), re.MULTILINE) if rule.pattern else None
    return _Gate(tuple(w.encode("utf-8") for w in rule.words), pattern)


def _can_match(path: str, gates: list[_Gate]) -> bool:
    """Whether some rule can match in the file. Its bytes are searched: semgrep's own
    prefilter looks for identifiers in the raw text the same way."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return True  # semgrep reports the unreadable file itself
    return any(g.admits(data) for g in gates)


def semgrep_targets(rules: list[Rule], files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The files semgrep is sent: Python files in which at least one rule can match.

    A rule matches only in a file holding one of its ``words`` and matching its
    ``pattern``; a rule with neither could match anywhere and keeps every file."""
    if not rules:
        return []
    python = [f for f in files if f[0].endswith(_PYTHON_SUFFIXES)]
    gates = [_gate(r) for r in rules]
    if any(not g.words and g.pattern is None for g in gates):
        return python
    return [f for f in python if _can_match(f[0], gates)]


def find_semgrep() -> str | None:
    local = Path(sys.executable).parent / "semgrep"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("semgrep")


def _package_dirs() -> list[Path]:
    """Folders that may hold the semgrep package, found without importing it: this
    interpreter's, then the one the ``semgrep`` command runs under."""
    dirs: list[Path] = []
    try:
        spec = importlib.util.find_spec("semgrep")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        dirs.extend(Path(p) for p in spec.submodule_search_locations)
    exe = find_semgrep()
    interpreter = _shebang_interpreter(exe) if exe else None
    if interpreter is not None:
        env = Path(interpreter).parent.parent
        for pattern in ("lib/python3*/site-packages/semgrep", "Lib/site-packages/semgrep"):
            dirs.extend(Path(p) for p in sorted(glob.glob(str(env / pattern))))
    return dirs


def _shebang_interpreter(exe: str) -> str | None:
    try:
        with open(os.path.realpath(exe), "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode("utf-8", "replace").split()
    return parts[0] if parts else None


def _package_version(package: Path) -> str | None:
    for metadata in sorted(package.parent.glob("semgrep-*.dist-info/METADATA")):
        try:
            with open(metadata, encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
                    if not line.strip():
                        break  # the headers end at the first blank line
        except OSError:
            continue
    return None


def find_semgrep_core() -> SemgrepCore | None:
    name = "semgrep-core.exe" if os.name == "nt" else "semgrep-core"
    for package in _package_dirs():
        binary = package / "bin" / name
        if binary.is_file() and os.access(binary, os.X_OK):
            version = _package_version(package)
            if version is not None:
                return SemgrepCore(str(binary), version)
    return None


def _core_targets(paths: list[str]) -> list[Any]:
    """semgrep-core's target list (the format ``semgrep scan --dump-command-for-core``
    writes); the path printed in results is ``fpath``, exactly as given."""
    return ["Targets", [["CodeTarget", {"path": {"fpath": p, "ppath": p},
                                        "analyzer": "python", "products": ["sast"]}]
                        for p in paths]]


def _error_kind(error_type: Any) -> str:
    """semgrep's name for an error kind, as ``semgrep scan`` prints it."""
    kind = error_type[0] if isinstance(error_type, list) and error_type else error_type
    names = {"PartialParsing": "Syntax error", "PatternParseError": "Pattern parse error",
             "IncompatibleRule": "Incompatible rule"}
    return names.get(str(kind), str(kind))


def _as_wrapper_error(error: dict) -> dict:
    """A semgrep-core error in the shape ``semgrep scan --json`` gives it, so both
    launchers yield the same notifications."""
    error_type = error.get("error_type")
    kind = _error_kind(error_type)
    location = error.get("location") or {}
    rule_id = error.get("rule_id")
    on_rules = kind in _RULE_ERRORS
    path = None if on_rules else location.get("path")
    if rule_id and on_rules:
        context = f"in rule {rule_id}"
    elif rule_id and path:
        context = f"when running {rule_id} on {path}"
    elif rule_id:
        context = f"when running {rule_id}"
    elif path:
        context = f"at line {path}:{(location.get('start') or {}).get('line')}"
    else:
        context = ""
    spans = []
    if isinstance(error_type, list) and error_type and error_type[0] == "PartialParsing":
        spans = [{"file": loc.get("path"), "start": loc.get("start"), "end": loc.get("end")}
                 for loc in (error_type[1] if len(error_type) > 1 else [])]
    return {"type": error_type, "level": error.get("severity"), "path": path, "spans": spans,
            "message": f"{kind} {context}:\n {error.get('message', '')}"}


def _failure(message: str) -> SemgrepResult:
    return SemgrepResult(notifications=[Notification(
        message, NotificationLevel.ERROR, None, None, "semgrep")])


class SemgrepRun:
    """A semgrep process started in the background; ``result()`` waits for it.

    ``launcher`` is ``auto`` (semgrep-core where it can run, else ``semgrep scan``) or
    ``wrapper``; by default it is read from ``BACKEND_AUDIT_SEMGREP``."""

    def __init__(self, rules: list[Rule], files: list[tuple[str, str]], timeout: float,
                 launcher: str | None = None) -> None:
        self.rules = rules
        self.targets = semgrep_targets(rules, files)
        self.by_abs = {os.path.realpath(a): rel for a, rel in self.targets}
        # semgrep runs in a private temporary folder: give it absolute paths.
        self.by_given = {os.path.abspath(a): rel for a, rel in self.targets}
        self.timeout = timeout
        self.launcher = launcher or os.environ.get(LAUNCHER_ENV, "auto")
        self.proc: subprocess.Popen | None = None
        self.core: SemgrepCore | None = None
        self.early: SemgrepResult | None = None
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        if not rules or not self.targets:
            self.early = SemgrepResult()
            return
        self._tmpdir = tempfile.TemporaryDirectory(prefix="backend-audit-")
        self._write_config()
        self.core = find_semgrep_core() if self.launcher != "wrapper" else None
        if self.core is None or not self._start_core(self.core):
            self.core = None
            self._start_wrapper()

    @property
    def _folder(self) -> Path:
        assert self._tmpdir is not None
        return Path(self._tmpdir.name)

    def _write_config(self) -> None:
        (self._folder / "rules.yaml").write_text(
            yaml.safe_dump(semgrep_config(self.rules), sort_keys=True), encoding="utf-8")

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0",
                    "SEMGREP_USER_DATA_FOLDER": str(self._folder),
                    "SEMGREP_LOG_FILE": str(self._folder / "semgrep.log"),
                    "SEMGREP_SETTINGS_FILE": str(self._folder / "settings.yml")})
        return env

    def _start_core(self, core: SemgrepCore) -> bool:
        """Start semgrep-core on the targets; False when it cannot be started."""
        targets = self._folder / "targets.json"
        targets.write_text(json.dumps(_core_targets(sorted(self.by_given))), encoding="utf-8")
        # The same settings ``semgrep scan`` passes; ``-j 1`` as the libcst pool uses the
        # other cores. nosemgrep is ours to honour: results carry ``is_ignored`` unused.
        cmd = [core.path, "-json_nodots", "-rules", str(self._folder / "rules.yaml"),
               "-targets", str(targets), "-timeout", "30", "-timeout_threshold", "3",
               "-max_memory", "0", "-fast", "-j", "1"]
        return self._popen(cmd, str(self._folder)) is None

    def _start_wrapper(self) -> None:
        exe = find_semgrep()
        if exe is None:
            self.early = _failure(
                "semgrep is not installed, so its rules did not run "
                f"({len(self.rules)} rules); every libcst finding is still reported")
            return
        cmd = [exe, "scan", "--config", str(self._folder / "rules.yaml"), "--json",
               "--metrics=off", "--disable-version-check", "--disable-nosem", "--quiet",
               "--no-git-ignore", "--x-ignore-semgrepignore-files", "--timeout", "30",
               "--max-target-bytes", "0", "--jobs", "1", "--", *sorted(self.by_given)]
        problem = self._popen(cmd, _working_dir(self.by_given, str(self._folder)))
        if problem is not None:
            self.early = _failure(f"semgrep could not start ({problem}); its rules did not run")

    def _popen(self, cmd: list[str], cwd: str) -> OSError | None:
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, env=self._env(), cwd=cwd)
        except OSError as exc:
            self.proc = None
            return exc
        return None

    def result(self) -> SemgrepResult:
        # As before semgrep-core: the timeout counts from the moment the scan waits.
        deadline = time.monotonic() + self.timeout
        try:
            while self.early is None:
                waited = self._wait(deadline)
                if waited is None:
                    return _failure(
                        f"semgrep did not finish within {self.timeout:.0f} s and was "
                        "stopped; its rules are missing from this report")
                out, err, code = waited
                if self.core is None:
                    return self._parse(out, err, code)
                data = self._core_output(out)
                if data is not None:
                    return self._collect(data)
                # semgrep-core gave no usable answer: let the wrapper try (and explain).
                self.core = None
                self._start_wrapper()
            return self.early
        finally:
            if self._tmpdir is not None:
                self._tmpdir.cleanup()

    def _wait(self, deadline: float) -> tuple[bytes, bytes, int] | None:
        assert self.proc is not None
        left = max(deadline - time.monotonic(), 0.0)
        try:
            out, err = self.proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return None
        return out, err, self.proc.returncode

    def _core_output(self, out: bytes) -> dict | None:
        """semgrep-core's answer, or None when it is not one from the expected version."""
        try:
            data = json.loads(out.decode("utf-8", "replace"))
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict) or self.core is None or \
                data.get("version") != self.core.version:
            return None
        errors = [_as_wrapper_error(e) for e in data.get("errors", []) if isinstance(e, dict)]
        return {"results": data.get("results", []), "errors": errors}

    def _rel(self, path: str) -> str | None:
        return self.by_given.get(path) or self.by_abs.get(os.path.realpath(path))

    def _parse(self, out: bytes, err: bytes, code: int) -> SemgrepResult:
        try:
            data = json.loads(out.decode("utf-8", "replace"))
        except json.JSONDecodeError:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            return _failure(f"semgrep failed (exit {code}): {' | '.join(tail) or 'no output'}; "
                            "its rules are missing from this report")
        return self._collect(data)

    def _collect(self, data: dict) -> SemgrepResult:
        result = SemgrepResult()
        known = {r.id for r in self.rules}
        for item in data.get("results", []):
            rel = self._rel(item.get("path", ""))
            rid = item.get("check_id", "").split(".")[-1]
            if rel is None or rid not in known:
                continue
            start, end = item.get("start", {}), item.get("end", {})
            fix = (item.get("extra") or {}).get("fix")
            result.hits.append(SemgrepHit(rid, rel, start.get("line", 1), start.get("col", 1),
                                          end.get("line", 1), end.get("col", 1),
                                          fix=fix if isinstance(fix, str) else None))
        for error in data.get("errors", []):
            rel = self._rel(error.get("path", "") or "")
            message = (error.get("message") or error.get("type") or "error").strip()
            first = message.splitlines()[0][:300]
            line = None
            spans = error.get("spans") or []
            if spans:
                line = spans[0].get("start", {}).get("line")
            syntax = "Syntax" in str(error.get("type"))
            if error.get("level") == "warn" and rel is not None and syntax:
                continue  # the libcst engine reports the file's syntax error itself
            result.notifications.append(Notification(
                f"semgrep: {first}", NotificationLevel.WARNING, rel, line, "semgrep"))
        return result


def _working_dir(targets: dict[str, str], fallback: str) -> str:
    """A folder above every target: the file system's root.

    ``semgrep scan`` spends about 0.08 CPU-second on each target outside its working
    folder, ten times its analysis of a typical file (Django's 879 files: 71 CPU-seconds
    from a temporary folder, 6.3 from the root, same results). The root holds every target
    and, unlike the scanned project, is no git repository for semgrep's own ``git`` calls to
    read; its ignore files are switched off by flags.
    """
    anchors = {Path(t).anchor for t in targets}
    return anchors.pop() if len(anchors) == 1 and "" not in anchors else fallback
