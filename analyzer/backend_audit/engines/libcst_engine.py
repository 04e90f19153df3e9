"""Parse each file once and run every enabled libcst check in one traversal."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from backend_audit.appmodel.context import ModuleContext
from backend_audit.checks import check_classes, collector_classes
from backend_audit.checks.base import Candidate, Check
from backend_audit.config import Config
from backend_audit.engines.source import read_source
from backend_audit.engines.walk import walk_batched
from backend_audit.findings import Notification, NotificationLevel
from backend_audit.suppress import blanket_directives


@dataclass
class FileResult:
    path: str
    candidates: list[Candidate] = field(default_factory=list)
    facts: list[tuple[str, Any]] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    line_count: int = 0
    lines: dict[int, str] = field(default_factory=dict)  # lines needed for snippets
    parsed: bool = False


@dataclass(frozen=True)
class FileTask:
    abs_path: str
    rel_path: str


def _words_match(text: str, words: Iterable[str]) -> bool:
    return any(w in text for w in words)


def _syntax_message(exc: cst.ParserSyntaxError) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid syntax"
    return f"does not parse as Python 3 (line {exc.raw_line}): {first}"


def analyse_source(rel_path: str, text: str, config: Config,
                   rule_ids: frozenset[str], words: dict[str, tuple[str, ...]]) -> FileResult:
    result = FileResult(rel_path, line_count=text.count("\n") + 1)
    classes = [cls for rid, cls in check_classes().items() if rid in rule_ids]
    collectors = list(collector_classes())
    wanted = [c for c in (*collectors, *classes)
              if not words.get(_key(c)) or _words_match(text, words[_key(c)])]
    if not wanted:
        # No rule cares about this file, but a broken file must still be reported:
        # the stdlib parser is ten times cheaper than libcst for that.
        try:
            compile(text, rel_path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as exc:
            result.notifications.append(Notification(
                f"does not parse as Python 3 (line {exc.lineno}): {exc.msg}",
                NotificationLevel.ERROR, rel_path, exc.lineno, "parse-error"))
        except (ValueError, RecursionError, MemoryError):
            result.notifications.append(Notification(
                "cannot be parsed (nested too deeply or invalid source); skipped",
                NotificationLevel.ERROR, rel_path, None, "parse-error"))
        return result
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        result.notifications.append(Notification(
            _syntax_message(exc), NotificationLevel.ERROR, rel_path, exc.raw_line, "parse-error"))
        return result
    except RecursionError:
        result.notifications.append(Notification(
            "is nested too deeply to analyse; skipped", NotificationLevel.ERROR, rel_path,
            None, "parse-error"))
        return result
    result.parsed = True
    ctx = ModuleContext(rel_path, text, module, config)
    result.frameworks = sorted(ctx.frameworks)
    visitors: list[Check] = [c(ctx) for c in wanted if c.applies_to(ctx)]
    if visitors:
        _traverse(module, ctx, visitors)
    result.facts = list(ctx.facts)
    pending = [pair for v in visitors for pair in v.candidates]
    if pending:
        result.candidates = _with_positions(module, pending)
        src_lines = text.splitlines()
        for cand in result.candidates:
            for n in range(max(1, cand.start_line - 1), min(cand.end_line, cand.start_line + 8) + 1):
                if n <= len(src_lines):
                    result.lines[n] = src_lines[n - 1]
    return result


def _key(cls: type[Check]) -> str:
    return cls.rule_id or f"{cls.__module__}.{cls.__qualname__}"


def _traverse(module: cst.Module, ctx: ModuleContext, visitors: list[Check]) -> None:
    def before(node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            ctx.function_stack.append(node)
        elif isinstance(node, cst.ClassDef):
            ctx.class_stack.append(node)

    def after(node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            ctx.function_stack.pop()
        elif isinstance(node, cst.ClassDef):
            ctx.class_stack.pop()

    walk_batched(module, visitors, before_visit=before, after_leave=after)


def _with_positions(module: cst.Module,
                    pending: list[tuple[cst.CSTNode, Candidate]]) -> list[Candidate]:
    # Positions cost a full code-generation pass: pay it only for files with candidates.
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = []
    for node, cand in pending:
        rng = positions.get(node)
        if rng is None:
            continue
        out.append(cand.with_region(rng.start.line, rng.start.column + 1,
                                    rng.end.line, rng.end.column + 1))
    return out


def analyse_file(task: FileTask, config: Config, rule_ids: frozenset[str],
                 words: dict[str, tuple[str, ...]]) -> FileResult:
    src = read_source(task.abs_path, config.max_file_bytes)
    if src.text is None:
        return FileResult(task.rel_path, notifications=[Notification(
            f"{src.error}", NotificationLevel.ERROR, task.rel_path, None, "unreadable")])
    try:
        result = analyse_source(task.rel_path, src.text, config, rule_ids, words)
        for line in blanket_directives(src.text):
            result.notifications.append(Notification(
                "an ignore comment without rule ids is refused: write "
                "'# backend-audit: ignore[RULE] -- reason'", NotificationLevel.WARNING,
                task.rel_path, line, "suppression"))
        return result
    except RecursionError:
        return FileResult(task.rel_path, notifications=[Notification(
            "is nested too deeply to analyse; skipped", NotificationLevel.ERROR,
            task.rel_path, None, "parse-error")])
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the scan
        return FileResult(task.rel_path, notifications=[Notification(
            f"internal error while analysing ({type(exc).__name__}: {exc}); "
            "other files are unaffected", NotificationLevel.ERROR, task.rel_path, None,
            "internal-error")])


def _analyse_chunk(args: tuple[list[FileTask], Config, frozenset[str],
                               dict[str, tuple[str, ...]]]) -> list[FileResult]:
    tasks, config, rule_ids, words = args
    return [analyse_file(t, config, rule_ids, words) for t in tasks]


def run_libcst(tasks: list[FileTask], config: Config, rule_ids: frozenset[str],
               words: dict[str, tuple[str, ...]], jobs: int) -> Iterator[FileResult]:
    """Analyse every file; results come back in the order of ``tasks``."""
    jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
    if jobs == 1 or len(tasks) < 8:
        for task in tasks:
            yield analyse_file(task, config, rule_ids, words)
        return
    chunk = max(1, min(32, len(tasks) // (jobs * 4) or 1))
    chunks = [tasks[i:i + chunk] for i in range(0, len(tasks), chunk)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(_analyse_chunk,
                                [(c, config, rule_ids, words) for c in chunks]):
            yield from results
