"""discover -> parse once -> libcst checks + semgrep -> resolve -> suppress -> sort -> Report."""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from backend_audit import __version__
from backend_audit.appmodel.applications import ScopedFacts
from backend_audit.appmodel.class_tables import class_routes
from backend_audit.appmodel.openapi import declared_routes
from backend_audit.cache import (
    Entry,
    ResultCache,
    ScanMemo,
    SemgrepPart,
    result_from_json,
    result_json,
    ruleset_digest,
    semgrep_from_json,
    semgrep_json,
)
from backend_audit.catalogue import Rule, load_catalogue, select_rules
from backend_audit.config import Config
from backend_audit.discover import Discovery, discover
from backend_audit.engines import timings
from backend_audit.engines.source import read_source, source_lines
from backend_audit.engines.timings import CHECK, Timings, phase_of
from backend_audit.findings import (
    STATEMENT_LINE,
    Confidence,
    Finding,
    Fix,
    Notification,
    NotificationLevel,
    Region,
    Report,
    ScanStats,
    Severity,
    Suppression,
)
from backend_audit.fingerprint import assign_fingerprints
from backend_audit.suppress import find_directive

if TYPE_CHECKING:
    # The engines and checks import libcst (0.1 s); a re-scan of an unchanged tree
    # answers from the cache without them, so they are imported where they are used.
    from backend_audit.appmodel.project import ProjectFacts
    from backend_audit.engines.libcst_engine import FileResult
    from backend_audit.engines.semgrep_engine import SemgrepResult

#: ``(rules, files) -> SemgrepResult``; tests inject one that reuses a single semgrep run.
SemgrepRunner = Callable[[list[Rule], list[tuple[str, str]]], "SemgrepResult"]


#: ``progress(done, total)`` as files are analysed.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    jobs: int = 0
    #: semgrep's deadline in seconds; None: one that grows with the files it is sent.
    semgrep_timeout: float | None = None
    #: Result cache folder; None scans without a cache (the CLI turns it on by default).
    cache_dir: Path | None = None
    progress: Progress | None = field(default=None, compare=False)


def enabled_rules(config: Config, options: ScanOptions) -> tuple[Rule, ...]:
    every = (*load_catalogue(), *config.team_rules)
    rules = select_rules(every, list(config.select), list(config.ignore), every)
    return select_rules(rules, list(options.select), list(options.ignore), every)


def _words(rules: tuple[Rule, ...]) -> dict[str, tuple[str, ...]]:
    from backend_audit.checks import collector_classes

    words = {r.id: r.words for r in rules if r.engine == "libcst"}
    for cls in collector_classes():
        words[f"{cls.__module__}.{cls.__qualname__}"] = tuple(getattr(cls, "words", ()))
    return words


def _merge_facts(results: list[FileResult], config: Config) -> ProjectFacts:
    from backend_audit.appmodel.module_names import module_name
    from backend_audit.appmodel.project import ProjectFacts

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
            have.update(enumerate(source_lines(src.text), 1))
        self.full.add(path)
        return have

    def line(self, path: str, n: int) -> str:
        return self.lines(path, n).get(n, "")


def scan(paths: list[Path], config: Config, options: ScanOptions = ScanOptions(),
         semgrep_runner: SemgrepRunner | None = None,
         discovery: Discovery | None = None) -> Report:
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    clock = Timings() if timings.wanted() else None
    phase = phase_of(clock)
    if clock is not None:
        clock.cpu["phase:start-up (interpreter, imports)"] = time.process_time()
    with phase("rules"):
        rules = enabled_rules(config, options)
    with phase("discover"):
        found = discovery or discover(paths, config.exclude or None, config.extend_exclude,
                                      skip_tests=not config.include_tests)
        declared = declared_routes(found.root, found.files) + class_routes(found.files)
    if declared:
        config = config.with_overrides(declared_routes=declared)
    with phase("cache keys"):
        cached = _CachedScan.open(options.cache_dir, rules, config, found)
        memo = cached.memo()
    # Notes about this run (its workers), never remembered with its findings.
    run_notes: list[Notification] = []
    if memo is None:
        memo = _analyse(found, rules, config, options, semgrep_runner, cached, run_notes,
                        clock)
    notifications = sorted({*found.notifications, *memo.notifications, *cached.notifications(),
                            *run_notes}, key=Notification.sort_key)
    stats = ScanStats(
        files_scanned=len(found.files), files_skipped=found.skipped, rules_enabled=len(rules),
        duration_seconds=round(time.perf_counter() - started, 3),
        lines_scanned=memo.lines_scanned,
    )
    if clock is not None:
        sys.stderr.write(timings.render(clock, timings.children_cpu()) + "\n")
    floor = Confidence.parse(config.min_confidence)
    shown = tuple(f for f in memo.findings if f.confidence >= floor)
    return Report(root=str(found.root), findings=shown,
                  notifications=tuple(notifications), rules=rules, stats=stats,
                  tool_version=__version__, started_at=started_at,
                  extra={"test_files_skipped": found.tests_skipped,
                         "below_confidence": len(memo.findings) - len(shown),
                         "min_confidence": config.min_confidence})


def _analyse(found: Discovery, rules: tuple[Rule, ...], config: Config, options: ScanOptions,
             semgrep_runner: SemgrepRunner | None, cached: _CachedScan,
             run_notes: list[Notification], clock: Timings | None = None) -> ScanMemo:
    """Findings, notifications (other than discovery's and ``run_notes``) and line count
    of a scan."""
    phase = phase_of(clock)
    with phase("import checks"):
        from backend_audit.checks import check_classes
        from backend_audit.engines.libcst_engine import FileTask, record_timings, run_libcst
        from backend_audit.engines.semgrep_engine import SemgrepResult, SemgrepRun
        from backend_audit.engines.workers import clamp_jobs

    by_id = {r.id: r for r in rules}
    semgrep_rules = [r for r in rules if r.engine == "semgrep"]
    libcst_ids = frozenset(r.id for r in rules if r.engine == "libcst")

    with phase("cache load"):
        cached.load()
    sg_files = [f for f in found.files if f[1] not in cached.semgrep]
    running: SemgrepRun | None = None

    def start_semgrep() -> None:
        # Started once libcst's workers run: choosing its files reads every file, which
        # then overlaps their work instead of delaying it.
        nonlocal running
        if semgrep_runner is None and running is None:
            with phase("semgrep start"):
                running = SemgrepRun(semgrep_rules, sg_files, options.semgrep_timeout,
                                     max_bytes=config.max_file_bytes,
                                     file_timeout=config.file_timeout)

    tasks = [FileTask(a, r) for a, r in found.files if r not in cached.libcst]
    results = list(cached.libcst.values())
    jobs, clamped = clamp_jobs(options.jobs or config.jobs)
    if clamped is not None and tasks:
        run_notes.append(Notification(clamped, NotificationLevel.NOTE, None, None, "jobs"))
    record_timings(clock is not None)
    with phase("workers (main side: start, hand out, receive)"):
        fresh = run_libcst(tasks, config, libcst_ids, _words(rules), jobs,
                           _progress_counter(options.progress, len(found.files), len(results)),
                           start_semgrep, run_notes.append)
    if clock is not None:
        for res in fresh:
            clock.add_file(res.timings)
            res.timings = {}
    results.extend(fresh)
    results.sort(key=lambda r: r.path)
    with phase("semgrep wait"):
        fresh_sg = running.result() if running is not None else \
            semgrep_runner(semgrep_rules, sg_files)
    sg = SemgrepResult(hits=[h for part in cached.semgrep.values() for h in part.hits],
                       notifications=[n for part in cached.semgrep.values()
                                      for n in part.notifications])
    sg.hits.extend(fresh_sg.hits)
    sg.notifications.extend(fresh_sg.notifications)
    with phase("cache store"):
        complete = cached.store(fresh, fresh_sg, sg_files, bool(semgrep_rules))

    with phase("merge facts"):
        project = _merge_facts(results, config)
        sources = {rel: abs_path for abs_path, rel in found.files}
        scoped = ScopedFacts(project, sources, read=lambda rel: read_source(
            sources[rel], config.max_file_bytes).text)
    classes = check_classes()
    resolvers = {rid: cls.resolve if clock is None else clock.wrap(cls.resolve, CHECK + rid)
                 for rid, cls in classes.items()}
    lines = _Lines(dict((r, a) for a, r in found.files), results, config.max_file_bytes)
    raw: list[Finding] = []
    statement_of: dict[int, int] = {}  # id(finding): first line of its statement
    with phase("resolve"):
        for res in results:
            for cand in res.candidates:
                cls = classes.get(cand.rule_id)
                # judged in each application the file belongs to (shared code: several)
                verdict = scoped.judge(cand.path, (lambda facts, c=cand: resolvers[c.rule_id](
                    c, facts)) if cls is not None else (lambda _, c=cand: c))
                if verdict is None:
                    continue
                kept = verdict.kept
                rule = by_id[kept.rule_id]
                region = Region(kept.start_line, kept.start_column, kept.end_line, kept.end_column)
                message = kept.message
                scope = scoped.scope_of(kept.path) if cls is not None and cls.app_level else None
                if scope is not None:
                    message = f"{message or rule.message} (application in {scope}/)"
                if verdict.note is not None:
                    message = f"{message or rule.message} {verdict.note}"
                found = replace(_finding(rule, kept.path, region, message, kept.confidence),
                                fix=_substitution_fix(kept.data.get("fix"), kept.path, region,
                                                      lines),
                                application=verdict.application)
                if STATEMENT_LINE in kept.data:
                    statement_of[id(found)] = kept.data[STATEMENT_LINE]
                raw.append(found)
        for hit in sg.hits:
            rule = by_id.get(hit.rule_id)
            if rule is not None:
                region = Region(hit.start_line, hit.start_column, hit.end_line, hit.end_column)
                raw.append(replace(_finding(rule, hit.path, region, hit.message, None),
                                   fix=_range_fix(hit.fix, hit.path, region, lines),
                                   application=scoped.application_of(hit.path)))

    findings = []
    with phase("snippets, suppressions, fingerprints"):
        for f in raw:
            file_lines = lines.lines(f.path, f.region.start_line)
            snippet_end = min(f.region.end_line, f.region.start_line + 5)
            snippet = "\n".join(lines.line(f.path, n)
                                for n in range(f.region.start_line, snippet_end + 1))
            directive = find_directive(file_lines, f.region.start_line, f.rule_id, f.rule_name,
                                       statement_of.get(id(f)))
            supp = Suppression(directive.reason, directive.line) if directive else None
            findings.append(replace(f, snippet=snippet, suppression=supp))
        findings = _dedupe(assign_fingerprints(findings, lines.line),
                           {r.id: r.defers_to for r in rules if r.defers_to})

    notifications = sorted({*sg.notifications, *(n for r in results for n in r.notifications)},
                           key=Notification.sort_key)
    memo = ScanMemo("", findings, notifications, sum(r.line_count for r in results))
    with phase("cache finish"):
        cached.finish(memo if complete else None)
    return memo


def _progress_counter(progress: Progress | None, total: int,
                      already: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    done = already
    progress(done, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return advance


class _CachedScan:
    """What the cache already knows for this scan's files, and storing what it learns."""

    def __init__(self, cache: ResultCache | None, keys: dict[str, str],
                 scan_key: str | None = None) -> None:
        self.cache = cache
        self.keys = keys  # rel path -> cache key (files that could be read)
        self.scan_key = scan_key  # digest of every file's key; None if one is unreadable
        self.entries: dict[str, Entry] = {}
        self.libcst: dict[str, FileResult] = {}
        self.semgrep: dict[str, SemgrepPart] = {}

    @classmethod
    def open(cls, directory: Path | None, rules: tuple[Rule, ...], config: Config,
             found: Discovery) -> _CachedScan:
        if directory is None:
            return cls(None, {})
        cache = ResultCache(directory, ruleset_digest(rules, config), found.root)
        keys: dict[str, str] = {}
        for abs_path, rel in found.files:
            key = cache.file_key(abs_path, rel, config.max_file_bytes)
            if key is not None:
                keys[rel] = key
        scan_key = None
        if len(keys) == len(found.files):
            h = hashlib.sha256(f"{found.root}\0".encode("utf-8", "surrogateescape"))
            for rel in sorted(keys):
                h.update(keys[rel].encode() + b"\0")
            scan_key = h.hexdigest()
        return cls(cache, keys, scan_key)

    def notifications(self) -> list[Notification]:
        return self.cache.notifications if self.cache is not None else []

    def memo(self) -> ScanMemo | None:
        """The findings of the last complete scan of exactly these files, if any."""
        if self.cache is None or self.scan_key is None:
            return None
        memo = self.cache.memo(self.scan_key)
        if memo is not None:
            self.cache.save()  # signatures of files that have aged since the last scan
        return memo

    def load(self) -> None:
        """Read every file's entry (the scan is not answered by the memo)."""
        if self.cache is None:
            return
        for rel, key in self.keys.items():
            entry = self.cache.get(key)
            if entry is None:
                continue
            try:
                if entry.cst is not None:
                    self.libcst[rel] = result_from_json(rel, entry.cst)
                if entry.semgrep is not None:
                    self.semgrep[rel] = semgrep_from_json(rel, entry.semgrep)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                self.libcst.pop(rel, None)  # a damaged entry is a miss
                self.cache.damaged(rel)
                self.semgrep.pop(rel, None)
                continue
            self.entries[rel] = entry

    def store(self, fresh: list[FileResult], fresh_sg: SemgrepResult,
              sg_files: list[tuple[str, str]], semgrep_ran: bool) -> bool:
        """Store fresh results; True when every file now has a whole entry (so the scan's
        findings may be remembered)."""
        if self.cache is None:
            return False
        updates: dict[str, Entry] = {}
        for res in fresh:
            data = result_json(res)
            if data is not None and res.path in self.keys:
                updates[res.path] = Entry(data, self._old(res.path).semgrep)
        # A semgrep failure that is not about one file leaves its part uncached.
        if not semgrep_ran or not any(n.path is None for n in fresh_sg.notifications):
            parts: dict[str, SemgrepPart] = {rel: SemgrepPart([], []) for _, rel in sg_files}
            for hit in fresh_sg.hits:
                if hit.path in parts:
                    parts[hit.path].hits.append(hit)
            for note in fresh_sg.notifications:
                if note.path in parts:
                    parts[note.path].notifications.append(note)
            for rel, part in parts.items():
                if rel not in self.keys:
                    continue
                entry = updates.get(rel) or Entry(self._old(rel).cst, None)
                entry.semgrep = semgrep_json(part)
                updates[rel] = entry
        for rel, entry in updates.items():
            if entry.cst is not None or entry.semgrep is not None:
                self.cache.put(self.keys[rel], entry)
        whole = {**self.entries, **updates}
        return self.scan_key is not None and all(
            rel in whole and whole[rel].cst is not None and whole[rel].semgrep is not None
            for rel in self.keys)

    def finish(self, memo: ScanMemo | None) -> None:
        """Remember ``memo`` (when given) for the next scan of the same files, and save."""
        if self.cache is None:
            return
        if memo is not None and self.scan_key is not None:
            self.cache.remember(replace(memo, key=self.scan_key))
        self.cache.save()

    def _old(self, rel: str) -> Entry:
        return self.entries.get(rel) or Entry()


def _range_fix(text: str | None, path: str, region: Region, lines: _Lines) -> Fix | None:
    """A semgrep fix replaces the matched range; review bots want whole lines."""
    if not text or region.end_line < region.start_line:
        return None
    first = lines.line(path, region.start_line)
    last = lines.line(path, region.end_line)
    replacement = first[:region.start_column - 1] + text + last[region.end_column - 1:]
    original = "\n".join(lines.line(path, n) for n in range(region.start_line,
                                                             region.end_line + 1))
    if replacement == original:
        return None  # the rule's fix-regex did not apply to this match
    return Fix(region.start_line, region.end_line, replacement)


def _substitution_fix(spec: object, path: str, region: Region, lines: _Lines) -> Fix | None:
    """A check's ``fix={"old": ..., "new": ..., "description": ...}``: replace the one
    occurrence of ``old`` in the finding's lines (none or several: no fix is offered)."""
    if not isinstance(spec, dict) or not spec.get("old"):
        return None
    text = "\n".join(lines.line(path, n) for n in range(region.start_line, region.end_line + 1))
    if text.count(spec["old"]) != 1:
        return None
    return Fix(region.start_line, region.end_line, text.replace(spec["old"], spec["new"]),
               str(spec.get("description", "")))


def _finding(rule: Rule, path: str, region: Region, message: str | None,
             confidence: str | None) -> Finding:
    # The catalogue's confidence is the rule's ceiling, calibrated on the judged real-code
    # corpus (benchmarks/realworld); a check may only lower it for a finding.
    found = min(Confidence.parse(confidence) if confidence else rule.confidence,
                rule.confidence)
    # "critical" only where the defect is certain: a finding the check is less than
    # sure of is at most "high", whatever the rule's severity.
    severity = rule.severity
    if severity is Severity.CRITICAL and found is not Confidence.HIGH:
        severity = Severity.HIGH
    return Finding(
        rule_id=rule.id, rule_name=rule.name, category=rule.category, severity=severity,
        confidence=found,
        path=path, region=region, message=message or rule.message,
    )


def _dedupe(findings: list[Finding], defers: dict[str, tuple[str, ...]]) -> list[Finding]:
    """One finding per rule and place, a place being a column of a line, or the line
    when the same rule says the same thing twice on it (``return render(..., data)``
    reported at the return and at the call it returns: one defect, told once); and
    none of a rule where a rule it defers to (``defers_to`` in the catalogue) reports
    the same line: a hard-coded password is one defect, told once by the password rule,
    not again as a generic secret."""
    lines = {(f.rule_id, f.path, f.region.start_line) for f in findings}
    # The finding kept for a line says it as surely as the surest of its copies.
    surest: dict[tuple, Confidence] = {}
    for f in findings:
        said = (f.rule_id, f.path, f.region.start_line, f.message)
        surest[said] = max(surest.get(said, f.confidence), f.confidence)
    seen: set[tuple] = set()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.rule_id, f.path, f.region.start_line, f.region.start_column)
        said = (f.rule_id, f.path, f.region.start_line, f.message)
        if key in seen or said in seen or any((other, f.path, f.region.start_line) in lines
                                              for other in defers.get(f.rule_id, ())):
            continue
        seen.update((key, said))
        out.append(f if f.confidence == surest[said] else replace(f, confidence=surest[said]))
    return out
