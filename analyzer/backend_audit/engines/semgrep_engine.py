"""Run semgrep once per scan over an explicit file list with a config generated
from the catalogue. Local rules only; metrics, version checks and ``nosemgrep`` off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from backend_audit.catalogue import Rule
from backend_audit.findings import Notification, NotificationLevel

_LEVELS = {"low": "INFO", "medium": "WARNING", "high": "ERROR", "critical": "ERROR"}


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


def _working_dir(targets: dict[str, str], fallback: str) -> str:
    """A folder above every target: the file system's root.

    semgrep spends about 0.08 CPU-second on each target outside its working folder, ten
    times its analysis of a typical file (Django's 879 files: 71 CPU-seconds from a
    temporary folder, 6.3 from the root, same results). The root holds every target and,
    unlike the scanned project, is no git repository for semgrep's own ``git`` calls to
    read; its ignore files are switched off by flags.
    """
    anchors = {Path(t).anchor for t in targets}
    return anchors.pop() if len(anchors) == 1 and "" not in anchors else fallback


def find_semgrep() -> str | None:
    local = Path(sys.executable).parent / "semgrep"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("semgrep")


class SemgrepRun:
    """A semgrep process started in the background; ``result()`` waits for it."""

    def __init__(self, rules: list[Rule], files: list[tuple[str, str]], timeout: float) -> None:
        self.rules = rules
        self.by_abs = {os.path.realpath(a): rel for a, rel in files}
        # semgrep runs in a private temporary folder: give it absolute paths.
        self.by_given = {os.path.abspath(a): rel for a, rel in files}
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.early: SemgrepResult | None = None
        self._tmpdir = tempfile.TemporaryDirectory(prefix="backend-audit-")
        if not rules or not files:
            self.early = SemgrepResult()
            return
        exe = find_semgrep()
        if exe is None:
            self.early = SemgrepResult(notifications=[Notification(
                "semgrep is not installed, so its rules did not run "
                f"({len(rules)} rules); every libcst finding is still reported",
                NotificationLevel.ERROR, None, None, "semgrep")])
            return
        cfg = Path(self._tmpdir.name) / "rules.yaml"
        cfg.write_text(yaml.safe_dump(semgrep_config(rules), sort_keys=True), encoding="utf-8")
        env = dict(os.environ)
        env.update({"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0",
                    "SEMGREP_USER_DATA_FOLDER": self._tmpdir.name,
                    "SEMGREP_LOG_FILE": str(Path(self._tmpdir.name) / "semgrep.log"),
                    "SEMGREP_SETTINGS_FILE": str(Path(self._tmpdir.name) / "settings.yml")})
        cmd = [exe, "scan", "--config", str(cfg), "--json", "--metrics=off",
               "--disable-version-check", "--disable-nosem", "--quiet", "--no-git-ignore",
               "--x-ignore-semgrepignore-files", "--timeout", "30", "--max-target-bytes", "0",
               "--jobs", "1", "--", *sorted(self.by_given)]
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, env=env,
                                         cwd=_working_dir(self.by_given, self._tmpdir.name))
        except OSError as exc:
            self.early = SemgrepResult(notifications=[Notification(
                f"semgrep could not start ({exc}); its rules did not run",
                NotificationLevel.ERROR, None, None, "semgrep")])

    def result(self) -> SemgrepResult:
        try:
            if self.early is not None:
                return self.early
            assert self.proc is not None
            try:
                out, err = self.proc.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
                return SemgrepResult(notifications=[Notification(
                    f"semgrep did not finish within {self.timeout:.0f} s and was stopped; "
                    "its rules are missing from this report", NotificationLevel.ERROR, None,
                    None, "semgrep")])
            return self._parse(out, err, self.proc.returncode)
        finally:
            self._tmpdir.cleanup()

    def _rel(self, path: str) -> str | None:
        return self.by_given.get(path) or self.by_abs.get(os.path.realpath(path))

    def _parse(self, out: bytes, err: bytes, code: int) -> SemgrepResult:
        try:
            data = json.loads(out.decode("utf-8", "replace"))
        except json.JSONDecodeError:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            return SemgrepResult(notifications=[Notification(
                f"semgrep failed (exit {code}): {' | '.join(tail) or 'no output'}; "
                "its rules are missing from this report", NotificationLevel.ERROR, None, None,
                "semgrep")])
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
