"""Run semgrep once per scan over an explicit file list with a config generated
from the catalogue. Local rules only; metrics, version checks and ``nosemgrep`` off.

semgrep's own analyser, ``semgrep-core``, is run directly when it sits beside the installed
semgrep package: the ``semgrep scan`` wrapper spends over a second starting up before it
runs that same binary. The wrapper remains the fallback when the binary is missing, fails
to start or reports another version than its package. Only files the scan analyses (read
as the libcst engine reads them: regular files within the size limit) and that contain one
of a rule's ``words`` are sent at all.

semgrep runs in a process group of its own under a deadline that grows with what it is
sent; at the deadline the whole group is killed (``semgrep scan`` runs semgrep-core as a
child that holds the output pipe) and the scan goes on without its rules."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backend_audit.catalogue import CatalogueError, Rule
from backend_audit.config import Config
from backend_audit.engines.gates import GateText
from backend_audit.engines.semgrep_answer import CORE, PARTIAL_PARSING, WRAPPER, mismatch
from backend_audit.engines.semgrep_install import (
    SemgrepCore,
    absolute_path_entries,
    find_semgrep,
    find_semgrep_core,
)
from backend_audit.engines.source import read_source
from backend_audit.findings import Notification, NotificationLevel

__all__ = ["SemgrepCore", "SemgrepHit", "SemgrepResult", "SemgrepRun", "find_semgrep",
           "find_semgrep_core", "semgrep_config", "semgrep_deadline", "semgrep_targets"]

_LEVELS = {"low": "INFO", "medium": "WARNING", "high": "ERROR", "critical": "ERROR"}
#: ``wrapper`` forces ``semgrep scan`` even where semgrep-core could run directly (tests).
LAUNCHER_ENV = "BACKEND_AUDIT_SEMGREP"
#: The file names ``semgrep scan`` analyses as Python; it skips other explicit targets.
_PYTHON_SUFFIXES = (".py", ".pyi")
#: semgrep-core's error kinds that are about the rules file rather than a target.
_RULE_ERRORS = ("Rule parse error", "Pattern parse error")
#: Error kinds with which semgrep refuses a rule (``semgrep scan`` checks a schema first).
_REJECTED = (*_RULE_ERRORS, "InvalidRuleSchemaError")
#: semgrep gives up on a file once this many rules took longer than the per-file timeout.
_TIMEOUT_THRESHOLD = 3
#: semgrep's deadline, beyond the time one file may take before semgrep gives up on it:
#: start-up, then a share per file and per megabyte sent. Measured on 2 busy cores (1,500
#: site-packages files, 16 MB, every rule): ``semgrep scan`` starts in 4 s, semgrep-core
#: takes 17 ms a file and 1.6 s a megabyte; the shares are over ten times that, for slow
#: CI runners, so only a semgrep that is stuck reaches the deadline.
_START_SECONDS = 30.0
_SECONDS_PER_FILE = 0.25
_SECONDS_PER_MB = 20.0
#: How long to read what is left in semgrep's pipes once its process group is killed.
_DRAIN_SECONDS = 5.0
#: How long semgrep-core may take to tell the team rules' prefilters (it takes 0.1 s).
_PREFILTER_SECONDS = 30.0


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


def semgrep_config(rules: list[Rule]) -> dict:
    """One semgrep rules file for the catalogue's semgrep rules and the team's: our id,
    message, severity and languages, then the rule's own body."""
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


def _config_text(rules: list[Rule]) -> tuple[str, list[tuple[int, str]]]:
    """``semgrep_config`` as YAML, and the line on which each rule starts with its id:
    ``semgrep scan`` names a rule that fails its schema by lines only."""
    parts = ["rules:\n"]
    starts: list[tuple[int, str]] = []
    line = 2
    for entry in semgrep_config(rules)["rules"]:
        starts.append((line, entry["id"]))
        text = yaml.safe_dump([entry], sort_keys=True)
        parts.append(text)
        line += text.count("\n")
    return "".join(parts), starts


@dataclass(frozen=True)
class _Gate:
    """What a file must hold for one rule to match in it: one of ``words`` (none: no
    condition) and, if any, a match of ``pattern`` (the catalogue's, as for libcst rules)
    and of ``prefilter`` (semgrep's own, for a team rule: see ``team_prefilters``)."""

    words: tuple[str, ...]
    pattern: str | None
    prefilter: Any = None

    @property
    def unconditional(self) -> bool:
        return not self.words and self.pattern is None and self.prefilter is None

    def admits(self, text: GateText) -> bool:
        if self.words and not text.has_any(self.words):
            return False
        if self.prefilter is not None and not _holds(self.prefilter, text):
            return False
        return self.pattern is None or text.matches(self.pattern)


def _holds(formula: Any, text: GateText) -> bool:
    """Whether ``text`` passes one of semgrep's prefilter formulas (``["And", [...]]``,
    ``["Or", [...]]``, ``["Pred", ["Idents", [...]]]``: every identifier occurs,
    ``["Pred", ["Regexp", "..."]]``). Anything not understood passes: a file wrongly
    sent costs time, one wrongly kept back would lose findings."""
    if not isinstance(formula, list) or len(formula) != 2 or not isinstance(formula[1], list):
        return True
    kind, args = formula
    if kind == "And":
        return all(_holds(f, text) for f in args)
    if kind == "Or":
        return any(_holds(f, text) for f in args)
    if kind == "Pred" and len(args) == 2:
        pred, value = args
        if pred == "Idents" and isinstance(value, list):
            return all(text.has_any((v,)) for v in value if isinstance(v, str))
        if pred == "Regexp" and isinstance(value, str):
            try:
                return re.search(value, text.text) is not None
            except (re.error, RecursionError):
                return True
    return True


def team_prefilters(rules: list[Rule], core: SemgrepCore | None) -> dict[str, Any]:
    """semgrep's prefilter of each team rule, by id (``semgrep-core -prefilter_of_rules``:
    what a file must contain for the rule to match, which semgrep-core run with ``-fast``
    checks itself before matching). A team rule has no ``words``: without its prefilter
    every Python file of the scan is sent to semgrep. Empty without semgrep-core or when it
    does not answer as expected."""
    team = [r for r in rules if r.team]
    if not team or core is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="backend-audit-") as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text(_config_text(team)[0], encoding="utf-8")
        try:
            done = subprocess.run([core.path, "-prefilter_of_rules", str(path)],
                                  capture_output=True, stdin=subprocess.DEVNULL, cwd=folder,
                                  timeout=_PREFILTER_SECONDS, check=False)
            answer = json.loads(done.stdout.decode("utf-8", "replace"))
        except (OSError, subprocess.SubprocessError, ValueError, RecursionError):
            return {}
    if done.returncode != 0 or not isinstance(answer, list):
        return {}
    found: dict[str, Any] = {}
    for item in answer:
        if isinstance(item, dict) and isinstance(item.get("rule_id"), str):
            kept = item.get("filter")
            if isinstance(kept, list) and len(kept) == 2 and kept[0] == "Some":
                found[item["rule_id"].split(".")[-1]] = kept[1]
    return found


def _chosen(rules: list[Rule], files: list[tuple[str, str]], max_bytes: int,
            prefilters: dict[str, Any] | None = None) -> tuple[list[tuple[str, str]], int]:
    """The files to send and their total size in characters.

    Each file is read as the libcst engine reads it (``read_source``: no pipes or devices,
    at most ``max_bytes``, text only): a file the scan reports as skipped is not analysed
    by semgrep either, and a 6 GB file or a link to /dev/zero is never read whole. Its text
    is searched for the rules' words: semgrep's own prefilter looks for identifiers in the
    raw text the same way."""
    if not rules:
        return [], 0
    prefilters = prefilters or {}
    gates = [_Gate(r.words, r.pattern, prefilters.get(r.id)) for r in rules]
    everything = any(g.unconditional for g in gates)
    chosen: list[tuple[str, str]] = []
    size = 0
    for abs_path, rel in files:
        if not abs_path.endswith(_PYTHON_SUFFIXES):
            continue
        text = read_source(abs_path, max_bytes).text
        if text is None:
            continue
        gate_text = GateText(text, few_words=True)  # a dozen words in all
        if everything or any(g.admits(gate_text) for g in gates):
            chosen.append((abs_path, rel))
            size += len(text)
    return chosen, size


def semgrep_targets(rules: list[Rule], files: list[tuple[str, str]],
                    max_bytes: int = Config.max_file_bytes) -> list[tuple[str, str]]:
    """The files semgrep is sent: Python files the scan analyses in which at least one rule
    can match.

    A rule matches only in a file holding one of its ``words`` and matching its
    ``pattern``; a rule with neither could match anywhere and keeps every file."""
    return _chosen(rules, files, max_bytes)[0]


def semgrep_deadline(files: int, size: int, file_timeout: float) -> float:
    """Seconds semgrep may take for ``files`` files of ``size`` characters in all when it
    gives up on one rule in one file after ``file_timeout`` seconds."""
    return (_START_SECONDS + _TIMEOUT_THRESHOLD * max(file_timeout, 0.0)
            + files * _SECONDS_PER_FILE + size / 1e6 * _SECONDS_PER_MB)


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
        locations = error_type[1] if len(error_type) > 1 else []
        if mismatch(locations, PARTIAL_PARSING) is None:
            spans = [{"file": loc.get("path"), "start": loc.get("start"), "end": loc.get("end")}
                     for loc in locations]
    return {"type": error_type, "level": error.get("severity"), "path": path, "spans": spans,
            "rule_id": rule_id if isinstance(rule_id, str) else None,
            "message": f"{kind} {context}:\n {error.get('message') or ''}"}


def _failure(message: str) -> SemgrepResult:
    return SemgrepResult(notifications=[Notification(
        message, NotificationLevel.ERROR, None, None, "semgrep")])


class SemgrepRun:
    """A semgrep process started in the background; ``result()`` waits for it.

    ``timeout`` is the deadline in seconds, counted from the call to ``result()``; by
    default it grows with the files sent (``semgrep_deadline``). ``launcher`` is ``auto``
    (semgrep-core where it can run, else ``semgrep scan``) or ``wrapper``; by default it is
    read from ``BACKEND_AUDIT_SEMGREP``."""

    def __init__(self, rules: list[Rule], files: list[tuple[str, str]],
                 timeout: float | None = None, launcher: str | None = None, *,
                 max_bytes: int = Config.max_file_bytes,
                 file_timeout: float = Config.file_timeout) -> None:
        self.rules = rules
        self.launcher = launcher or os.environ.get(LAUNCHER_ENV, "auto")
        core = find_semgrep_core() if self.launcher != "wrapper" else None
        self.targets, size = _chosen(rules, files, max_bytes,
                                     team_prefilters(rules, core) if files else None)
        self.by_abs = {os.path.realpath(a): rel for a, rel in self.targets}
        # semgrep runs in a private temporary folder: give it absolute paths.
        self.by_given = {os.path.abspath(a): rel for a, rel in self.targets}
        self.max_bytes = max_bytes
        self.file_timeout = max(file_timeout, 0.0)
        self.timeout = timeout if timeout is not None else \
            semgrep_deadline(len(self.targets), size, self.file_timeout)
        self.proc: subprocess.Popen | None = None
        self.core: SemgrepCore | None = None
        self.early: SemgrepResult | None = None
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        self._starts: list[tuple[int, str]] = []  # (first line, rule id) in rules.yaml
        if not rules or not self.targets:
            self.early = SemgrepResult()
            return
        self._tmpdir = tempfile.TemporaryDirectory(prefix="backend-audit-")
        self._write_config()
        self.core = core
        if self.core is None or not self._start_core(self.core):
            self.core = None
            self._start_wrapper()

    @property
    def _folder(self) -> Path:
        assert self._tmpdir is not None
        return Path(self._tmpdir.name)

    def _write_config(self) -> None:
        text, self._starts = _config_text(self.rules)
        (self._folder / "rules.yaml").write_text(text, encoding="utf-8")

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0",
                    "SEMGREP_USER_DATA_FOLDER": str(self._folder),
                    "SEMGREP_LOG_FILE": str(self._folder / "semgrep.log"),
                    "SEMGREP_SETTINGS_FILE": str(self._folder / "settings.yml"),
                    # the wrapper looks for semgrep-core on PATH too: never a relative entry
                    "PATH": os.pathsep.join(absolute_path_entries())})
        return env

    def _start_core(self, core: SemgrepCore) -> bool:
        """Start semgrep-core on the targets; False when it cannot be started."""
        targets = self._folder / "targets.json"
        targets.write_text(json.dumps(_core_targets(sorted(self.by_given))), encoding="utf-8")
        # The same settings ``semgrep scan`` passes; ``-j 1`` as the libcst pool uses the
        # other cores. nosemgrep is ours to honour: results carry ``is_ignored`` unused.
        cmd = [core.path, "-json_nodots", "-rules", str(self._folder / "rules.yaml"),
               "-targets", str(targets), "-timeout", f"{self.file_timeout:g}",
               "-timeout_threshold", str(_TIMEOUT_THRESHOLD), "-max_memory", "0", "-fast",
               "-j", "1"]
        return self._popen(cmd, str(self._folder)) is None

    def _start_wrapper(self) -> None:
        exe = find_semgrep()
        if exe is None:
            self.early = _failure(
                "semgrep is not installed, so its rules did not run "
                f"({len(self.rules)} rule{'' if len(self.rules) == 1 else 's'}); every libcst "
                "finding is still reported")
            return
        cmd = [exe, "scan", "--config", str(self._folder / "rules.yaml"), "--json",
               "--metrics=off", "--disable-version-check", "--disable-nosem", "--quiet",
               "--no-git-ignore", "--x-ignore-semgrepignore-files",
               "--timeout", f"{self.file_timeout:g}",
               "--timeout-threshold", str(_TIMEOUT_THRESHOLD),
               "--max-target-bytes", str(self.max_bytes), "--jobs", "1", "--",
               *sorted(self.by_given)]
        problem = self._popen(cmd, _working_dir(self.by_given, str(self._folder)))
        if problem is not None:
            self.early = _failure(f"semgrep could not start ({problem}); its rules did not run")

    def _popen(self, cmd: list[str], cwd: str) -> OSError | None:
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, env=self._env(), cwd=cwd,
                                         **_OWN_GROUP)
        except OSError as exc:
            self.proc = None
            return exc
        # Whatever ends this run (an exception, the interpreter exiting before ``result``),
        # semgrep does not outlive it.
        weakref.finalize(self, _stop_from, os.getpid(), self.proc)
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
            if self.proc is not None:
                _stop(self.proc)
            if self._tmpdir is not None:
                self._tmpdir.cleanup()

    def _wait(self, deadline: float) -> tuple[bytes, bytes, int] | None:
        """semgrep's output and exit code, or None when it did not finish in time (it is
        then stopped with every process it started)."""
        assert self.proc is not None
        left = max(deadline - time.monotonic(), 0.0)
        try:
            out, err = self.proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            _stop(self.proc)
            return None
        return out, err, self.proc.returncode

    def _core_output(self, out: bytes) -> dict | None:
        """semgrep-core's answer in the shape of ``semgrep scan``'s, or None when it is not
        a whole answer from the expected version."""
        try:
            data = json.loads(out.decode("utf-8", "replace"))
        except (json.JSONDecodeError, RecursionError):
            return None
        if self.core is None or mismatch(data, CORE) is not None or \
                data["version"] != self.core.version:
            return None
        converted = {"results": data["results"],
                     "errors": [_as_wrapper_error(e) for e in data.get("errors") or []]}
        return converted if mismatch(converted, WRAPPER) is None else None

    def _rel(self, path: str) -> str | None:
        return self.by_given.get(path) or self.by_abs.get(os.path.realpath(path))

    def _parse(self, out: bytes, err: bytes, code: int) -> SemgrepResult:
        try:
            data = json.loads(out.decode("utf-8", "replace"))
        except (json.JSONDecodeError, RecursionError):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            return _failure(f"semgrep failed (exit {code}): {' | '.join(tail) or 'no output'}; "
                            "its rules are missing from this report")
        problem = mismatch(data, WRAPPER)
        if problem is not None:
            return _failure(f"semgrep answered in an unexpected form ({problem}; exit {code}); "
                            "its rules are missing from this report")
        return self._collect(data)

    def _collect(self, data: dict) -> SemgrepResult:
        """Hits and notifications from an answer of the ``WRAPPER`` shape."""
        result = SemgrepResult()
        errors = data.get("errors") or []
        for error in errors:
            self._check_team_rule(error)
        known = {r.id: r for r in self.rules}
        for item in data["results"]:
            rel = self._rel(item["path"])
            rid = item["check_id"].split(".")[-1]
            if rel is None or rid not in known:
                continue
            start, end = item["start"], item["end"]
            extra = item.get("extra") or {}
            # A team rule's message may name what matched ($X); ours never do.
            message = extra.get("message") if known[rid].team else None
            result.hits.append(SemgrepHit(rid, rel, start["line"], start["col"],
                                          end["line"], end["col"], message=message or None,
                                          fix=extra.get("fix")))
        for error in errors:
            rel = self._rel(error.get("path") or "")
            message = str(error.get("message") or error.get("type") or "error").strip()
            first = (message.splitlines() or ["error"])[0][:300]
            spans = error.get("spans") or []
            line = (spans[0].get("start") or {}).get("line") if spans else None
            syntax = "Syntax" in str(error.get("type"))
            if error.get("level") == "warn" and rel is not None and syntax:
                continue  # the libcst engine reports the file's syntax error itself
            result.notifications.append(Notification(
                f"semgrep: {first}", NotificationLevel.WARNING, rel,
                line if rel is not None and isinstance(line, int) and line >= 1 else None,
                "semgrep"))
        return result

    def _check_team_rule(self, error: dict) -> None:
        """Raise ``CatalogueError`` when semgrep refuses a team rule: the team's rule is a
        configuration error (exit 2), where a built-in rule's is a notification."""
        kind = _error_kind(error.get("type"))
        if error.get("level") != "error" or kind not in _REJECTED:
            return
        # ``semgrep scan`` prefixes ids with the rules file's dotted path.
        rule_id = (error.get("rule_id") or "").split(".")[-1] or \
            self._rule_at(error.get("spans") or [])
        rule = next((r for r in self.rules if r.id == rule_id), None)
        if rule is None or not rule.team:
            return
        raise CatalogueError(f"{rule.source}: rule {rule.id!r}: semgrep rejects it: "
                             f"{_rejection(error, kind)}")

    def _rule_at(self, spans: list[dict]) -> str | None:
        """The rule of rules.yaml the first span points into, if it does."""
        if not spans or not spans[0].get("file") or self._tmpdir is None:
            return None
        here = os.path.realpath(self._folder / "rules.yaml")
        line = (spans[0].get("start") or {}).get("line")
        if os.path.realpath(spans[0]["file"]) != here or not isinstance(line, int):
            return None
        found = [rid for start, rid in self._starts if start <= line]
        return found[-1] if found else None


def _rejection(error: dict, kind: str) -> str:
    """semgrep's reason for refusing a rule, on one line."""
    if kind == "InvalidRuleSchemaError":
        detail = str(error.get("long_msg") or "")
        # "{<the rule as a Python dict>} is not valid under ...": the rule is named already.
        detail = detail[detail.rfind("} ") + 2:] if detail.startswith("{") else detail
        return f"invalid rule ({' '.join(detail.split())[:200] or 'schema'}; a misspelt or " \
               "misplaced key?)"
    lines = [line.strip() for line in str(error.get("message") or kind).splitlines()]
    lines = [line for line in lines if line]
    if lines and lines[0].startswith(kind) and lines[0].endswith(":"):
        lines = lines[1:]  # "Rule parse error in rule X:" names what the caller names
    reason = lines[0] if lines else kind
    if "----- pattern -----" in lines:
        pattern = lines[lines.index("----- pattern -----") + 1:]
        pattern = pattern[:pattern.index("----- end pattern -----")] \
            if "----- end pattern -----" in pattern else pattern
        reason += f" in pattern {' '.join(pattern)!r}"
    return reason[:300]


#: semgrep and whatever it starts share a process group (a job on Windows) of their own,
#: so that stopping it stops them all.
_OWN_GROUP: dict[str, Any] = (
    {"start_new_session": True} if os.name == "posix"
    else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)})


def _stop_from(owner: int, proc: subprocess.Popen) -> None:
    """``_stop(proc)`` unless this is a forked copy of the process that started it (a
    worker leaving normally must not stop the scan's semgrep)."""
    if os.getpid() == owner:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and its process group unless it has finished, then read what is left
    in its pipes for a bounded time: a descendant that left the group may hold them open
    for ever, and waiting for their end is what hung scans."""
    if proc.returncode is not None:
        return  # reaped: its id may belong to another process by now
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    try:
        proc.communicate(timeout=_DRAIN_SECONDS)
    except (subprocess.TimeoutExpired, ValueError):
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=_DRAIN_SECONDS)


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
