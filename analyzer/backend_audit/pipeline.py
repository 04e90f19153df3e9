"""discover -> parse once -> libcst checks + semgrep -> resolve -> suppress -> sort -> Report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from backend_audit import __version__
from backend_audit.appmodel.context import module_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.catalogue import Rule, load_catalogue, select_rules
from backend_audit.checks import check_classes, collector_classes
from backend_audit.config import Config
from backend_audit.discover import Discovery, discover
from backend_audit.engines.libcst_engine import FileResult, FileTask, run_libcst
from backend_audit.engines.semgrep_engine import SemgrepResult, SemgrepRun
from backend_audit.engines.source import read_source
from backend_audit.findings import (
    Confidence,
    Finding,
    Notification,
    Region,
    Report,
    ScanStats,
    Suppression,
)
from backend_audit.fingerprint import assign_fingerprints
from backend_audit.suppress import find_directive

#: ``(rules, files) -> SemgrepResult``; tests inject one that reuses a single semgrep run.
SemgrepRunner = Callable[[list[Rule], list[tuple[str, str]]], SemgrepResult]


@dataclass(frozen=True)
class ScanOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    jobs: int = 0
    semgrep_timeout: float = 600.0


def enabled_rules(config: Config, options: ScanOptions) -> tuple[Rule, ...]:
    rules = load_catalogue()
    rules = select_rules(rules, list(config.select), list(config.ignore))
    return select_rules(rules, list(options.select), list(options.ignore))


def _words(rules: tuple[Rule, ...]) -> dict[str, tuple[str, ...]]:
    words = {r.id: r.words for r in rules if r.engine == "libcst"}
    for cls in collector_classes():
        words[f"{cls.__module__}.{cls.__qualname__}"] = tuple(getattr(cls, "words", ()))
    return words


def _merge_facts(results: list[FileResult], config: Config) -> ProjectFacts:
    project = ProjectFacts(config)
    for res in results:
        mod = module_name(res.path)
        if res.parsed:
            project.modules[mod] = res.path
        project.frameworks.update(res.frameworks)
        for key, value in res.facts:
            project.add(key, res.path, mod, value)
    return project


class _Lines:
    """Source lines for snippets and suppressions, read lazily per file."""

    def __init__(self, files: dict[str, str], results: list[FileResult], max_bytes: int) -> None:
        self.files = files
        self.max_bytes = max_bytes
        self.cache: dict[str, dict[int, str]] = {}
        for res in results:
            if res.lines:
                self.cache[res.path] = dict(res.lines)
        self.full: set[str] = set()

    def lines(self, path: str, needed: int) -> dict[int, str]:
        have = self.cache.setdefault(path, {})
        if needed in have or path in self.full or path not in self.files:
            return have
        src = read_source(self.files[path], self.max_bytes)
        if src.text is not None:
            have.update(enumerate(src.text.splitlines(), 1))
        self.full.add(path)
        return have

    def line(self, path: str, n: int) -> str:
        return self.lines(path, n).get(n, "")


def scan(paths: list[Path], config: Config, options: ScanOptions = ScanOptions(),
         semgrep_runner: SemgrepRunner | None = None,
         discovery: Discovery | None = None) -> Report:
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    rules = enabled_rules(config, options)
    by_id = {r.id: r for r in rules}
    found = discovery or discover(paths, config.exclude or None, config.extend_exclude)
    semgrep_rules = [r for r in rules if r.engine == "semgrep"]
    libcst_ids = frozenset(r.id for r in rules if r.engine == "libcst")

    running: SemgrepRun | None = None
    if semgrep_runner is None:
        running = SemgrepRun(semgrep_rules, found.files, options.semgrep_timeout)
    tasks = [FileTask(a, r) for a, r in found.files]
    results = list(run_libcst(tasks, config, libcst_ids, _words(rules),
                              options.jobs or config.jobs))
    sg = running.result() if running is not None else semgrep_runner(semgrep_rules, found.files)

    project = _merge_facts(results, config)
    classes = check_classes()
    lines = _Lines(dict((r, a) for a, r in found.files), results, config.max_file_bytes)
    raw: list[Finding] = []
    for res in results:
        for cand in res.candidates:
            cls = classes.get(cand.rule_id)
            kept = cls.resolve(cand, project) if cls is not None else cand
            if kept is None:
                continue
            rule = by_id[kept.rule_id]
            raw.append(_finding(rule, kept.path, Region(kept.start_line, kept.start_column,
                                                         kept.end_line, kept.end_column),
                                kept.message, kept.confidence))
    for hit in sg.hits:
        rule = by_id.get(hit.rule_id)
        if rule is not None:
            raw.append(_finding(rule, hit.path, Region(hit.start_line, hit.start_column,
                                                       hit.end_line, hit.end_column),
                                hit.message, None))

    findings = []
    for f in raw:
        file_lines = lines.lines(f.path, f.region.start_line)
        snippet_end = min(f.region.end_line, f.region.start_line + 5)
        snippet = "\n".join(lines.line(f.path, n)
                            for n in range(f.region.start_line, snippet_end + 1))
        directive = find_directive(file_lines, f.region.start_line, f.rule_id, f.rule_name)
        supp = Suppression(directive.reason, directive.line) if directive else None
        findings.append(replace(f, snippet=snippet, suppression=supp))
    findings = _dedupe(assign_fingerprints(findings, lines.line))

    notifications = sorted({*found.notifications, *sg.notifications,
                            *(n for r in results for n in r.notifications)},
                           key=Notification.sort_key)
    stats = ScanStats(
        files_scanned=len(found.files), files_skipped=found.skipped, rules_enabled=len(rules),
        duration_seconds=round(time.perf_counter() - started, 3),
        lines_scanned=sum(r.line_count for r in results),
    )
    return Report(root=str(found.root), findings=tuple(findings),
                  notifications=tuple(notifications), rules=rules, stats=stats,
                  tool_version=__version__, started_at=started_at)


def _finding(rule: Rule, path: str, region: Region, message: str | None,
             confidence: str | None) -> Finding:
    return Finding(
        rule_id=rule.id, rule_name=rule.name, category=rule.category, severity=rule.severity,
        confidence=Confidence.parse(confidence) if confidence else rule.confidence,
        path=path, region=region, message=message or rule.message,
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.rule_id, f.path, f.region.start_line, f.region.start_column)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
