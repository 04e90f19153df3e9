"""Parse each file once and run every enabled libcst check in one traversal."""

from __future__ import annotations

import ast
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Any

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.migration_code import is_migration
from backend_audit.catalogue import load_catalogue
from backend_audit.checks import check_classes, collector_classes
from backend_audit.config import Config
from backend_audit.engines.gates import GateText as _Text
from backend_audit.engines.node_classes import plain_node_checks
from backend_audit.engines.node_init import install as install_node_inits
from backend_audit.engines.node_init import unvalidated
from backend_audit.engines.positions import (
    Positions,
    Range,
    code_positions,
    statement_positions,
)
from backend_audit.engines.source import line_count, read_source, source_lines
from backend_audit.engines.timings import CHECK, Timings, phase_of
from backend_audit.engines.walk import batched_names, walk_batched
from backend_audit.engines.workers import Failure, Limits, run_isolated
from backend_audit.findings import STATEMENT_LINE, Notification, NotificationLevel
from backend_audit.suppress import directive_notifications, known_rule_names
from backend_audit.visitor import Candidate, Check

# Before any worker is forked: every isinstance on a libcst node in the checks is cheaper.
plain_node_checks()


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
    #: CPU seconds by phase and check (engines/timings.py), only when they are recorded.
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FileTask:
    abs_path: str
    rel_path: str


def _words_match(text: str, words: Iterable[str]) -> bool:
    return any(w in text for w in words)


@cache
def _rule_patterns() -> dict[str, str]:
    """The catalogue's ``pattern`` of each libcst rule that has one."""
    return {r.id: r.pattern for r in load_catalogue() if r.pattern is not None}


# The top-level packages whose import makes ModuleContext.frameworks name each framework
# (appmodel/routes.py:_frameworks).
_FRAMEWORK_PACKAGES = {
    "flask": ("flask", "flask_restful", "flask_smorest", "flask_restx"),
    "fastapi": ("fastapi",), "django": ("django",), "drf": ("rest_framework",),
    "starlette": ("starlette",), "aiohttp": ("aiohttp",), "quart": ("quart",),
    "bottle": ("bottle",), "falcon": ("falcon",), "pyramid": ("pyramid",),
    "sanic": ("sanic",), "ninja": ("ninja", "ninja_extra"), "litestar": ("litestar",),
    "tornado": ("tornado",),
    "graphene": ("graphene", "graphene_django"), "strawberry": ("strawberry", "strawberry_django"),
    "ariadne": ("ariadne", "ariadne_django"),
}


@cache
def _framework_packages(frameworks: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted({p for fw in frameworks for p in _FRAMEWORK_PACKAGES.get(fw, ())}))


@cache
def _framework_import(frameworks: frozenset[str]) -> str | None:
    """A superset of the import statements that bring in one of ``frameworks``.

    After ``import`` or ``from`` an import statement holds only dotted names, ``as``,
    commas, white space and line continuations, so the package is reached through those
    characters alone: ``import os, flask as f``, ``from rest_framework.views import``,
    an import inside a function or ``try``. Strings and comments may match too (a file
    parsed for nothing), never the other way round. None: a framework this table does not
    know, so no gate.
    """
    if not frameworks <= _FRAMEWORK_PACKAGES.keys():
        return None
    packages = _framework_packages(frameworks)
    return r"\b(?:from|import)\b[\w\s\\.,]*?\b(?:" + "|".join(packages) + r")\b"


def _wants(cls: type[Check], text: str | _Text, words: dict[str, tuple[str, ...]],
           config: Config | None = None) -> bool:
    """The file mentions what ``cls`` looks for, so it is worth parsing for it.

    Each gate is a precondition of the check reporting or recording a fact: its words
    (any), its class's ``source_pattern`` and its catalogue ``pattern`` (both must match),
    and an import of one of its ``requires_frameworks``. A check may name words from the
    configuration (``config_words``) that make a file wanted whatever its gates say.
    """
    gates = text if isinstance(text, _Text) else _Text(text)
    raw = gates.text
    key, taught, patterns, packages, framework_gate = _spec(cls)
    if config is not None and taught is not None and _words_match(raw, taught(config)):
        return True
    own = words.get(key)
    if own and not gates.has_any(own):
        return False
    if not all(gates.matches(p) for p in patterns):
        return False
    if framework_gate is None:
        return True
    # the package's name must occur for its import to: a substring test first
    return gates.has_any(packages) and gates.matches(framework_gate)


@cache
def _spec(cls: type[Check]) -> tuple[str, Callable[[Config], Iterable[str]] | None,
                                     tuple[str, ...], tuple[str, ...], str | None]:
    """What ``_wants`` reads off a check class, once per class (it runs for every
    check on every file)."""
    key = _key(cls)
    patterns = tuple(p for p in (getattr(cls, "source_pattern", None),
                                 _rule_patterns().get(key)) if p is not None)
    needed = cls.requires_frameworks
    gate = _framework_import(needed) if needed else None
    packages = _framework_packages(needed) if gate is not None else ()
    return key, getattr(cls, "config_words", None), patterns, packages, gate


def parse_trusted(text: str) -> cst.Module:
    """``cst.parse_module`` without re-validating every node the parser builds.

    Each libcst node checks its own fields when constructed (``CSTNode.__post_init__``),
    which guards trees that code assembles by hand; a tree the parser builds from source
    is valid by construction (libcst's own comment on ``__post_init__`` says as much).
    The checks are a sixth of the parse. They are switched off for the parse only, in
    this (single-threaded) process, and back on before any other code runs; the node
    classes' constructors (engines/node_init.py) skip even the call.
    """
    install_node_inits()
    with unvalidated():
        return cst.parse_module(text)


#: CPython's own limit on nested brackets (its tokenizer's MAXLEVEL, in every version).
_TOO_MANY_BRACKETS = "too many nested parentheses"


def python_parse_problem(rel_path: str, text: str,
                         trees: list[ast.Module] | None = None) -> Notification | None:
    """Why the stdlib parser rejects ``text``, or None when it accepts it (and then its
    tree is appended to ``trees``, when given: positions read it again).

    The kind is ``too-complex`` for nesting past what Python itself compiles (more than
    200 nested brackets, or expressions deeper than its parser's recursion limit):
    such a file is no working module, and libcst must not be given it. Any other
    rejection is ``parse-error``.
    """
    try:
        tree = compile(text, rel_path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        kind = "too-complex" if _TOO_MANY_BRACKETS in str(exc.msg) else "parse-error"
        return Notification(f"does not parse as Python 3 (line {exc.lineno}): {exc.msg}"
                            + ("; skipped" if kind == "too-complex" else ""),
                            NotificationLevel.ERROR, rel_path, exc.lineno, kind)
    except (RecursionError, MemoryError):
        return Notification(
            "is nested too deeply for Python to compile (an expression thousands of "
            "levels deep); skipped", NotificationLevel.ERROR, rel_path, None, "too-complex")
    except ValueError as exc:
        return Notification(f"cannot be parsed ({exc}); skipped", NotificationLevel.ERROR,
                            rel_path, None, "parse-error")
    if trees is not None:
        trees.append(tree)
    return None


def _syntax_message(exc: cst.ParserSyntaxError) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid syntax"
    return f"does not parse as Python 3 (line {exc.raw_line}): {first}"


#: Whether analyses record where their time goes (``record_timings``).
_timing = False


def record_timings(on: bool) -> None:
    """Record each file's CPU seconds by phase and check in ``FileResult.timings`` (set
    before workers are forked, so they inherit it)."""
    global _timing
    _timing = on


def analyse_source(rel_path: str, text: str, config: Config,
                   rule_ids: frozenset[str], words: dict[str, tuple[str, ...]],
                   clock: Timings | None = None) -> FileResult:
    try:
        return _analyse_text(rel_path, text, config, rule_ids, words, clock)
    except RecursionError:
        return FileResult(rel_path, line_count=line_count(text), notifications=[Notification(
            "is nested too deeply to analyse; skipped", NotificationLevel.ERROR, rel_path,
            None, "parse-error")])


def _analyse_text(rel_path: str, text: str, config: Config, rule_ids: frozenset[str],
                  words: dict[str, tuple[str, ...]], clock: Timings | None) -> FileResult:
    phase = phase_of(clock)
    result = FileResult(rel_path, line_count=line_count(text))
    classes = [cls for rid, cls in check_classes().items() if rid in rule_ids]
    collectors = list(collector_classes())
    with phase("gates"):
        migration = is_migration(rel_path, text)
        gates = _Text(text)
        wanted = [c for c in (*collectors, *classes)
                  if not (migration and c.skips_migrations) and _wants(c, gates, words, config)]
    # The stdlib parser first, for every file: it is ten times cheaper than libcst and
    # refuses what libcst would choke on (libcst's native parser overflows its stack on
    # thousands of nested brackets and is superlinear on long operator chains).
    trees: list[ast.Module] = []
    with phase("stdlib parse"):
        problem = python_parse_problem(rel_path, text, trees)
    if problem is not None and (not wanted or problem.kind == "too-complex"):
        result.notifications.append(problem)
        return result
    if not wanted:
        # No rule cares about this file; the project's module list (project.modules)
        # still holds every file that parses, whether or not a check needed its tree.
        result.parsed = True
        return result
    # A file the running Python rejects may still be newer Python that libcst reads.
    try:
        with phase("libcst parse"):
            module = parse_trusted(text)
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
    with phase("module context"):
        ctx = ModuleContext(rel_path, text, module, config)
        result.frameworks = sorted(ctx.frameworks)
    with phase("traverse"):
        if clock is None:
            visitors: list[Check] = [c(ctx) for c in wanted if c.applies_to(ctx)]
        else:
            visitors = [clock.wrap(c, CHECK + _key(c))(ctx) for c in wanted
                        if c.applies_to(ctx)]
            _time_callbacks(visitors, clock)
        if visitors:
            _traverse(module, ctx, visitors)
        result.facts = list(ctx.facts)
    pending = [pair for v in visitors for pair in v.candidates]
    if pending:
        with phase("positions"):
            result.candidates = _with_positions(module, text, pending,
                                                trees[0] if trees else None)
            src_lines = source_lines(text)
            for cand in result.candidates:
                last = min(cand.end_line, cand.start_line + 8)
                first = cand.data.get(STATEMENT_LINE, cand.start_line)
                for n in (*range(max(1, first - 1), first + 1),
                          *range(max(1, cand.start_line - 1), last + 1)):
                    if n <= len(src_lines):
                        result.lines[n] = src_lines[n - 1]
    return result


def _time_callbacks(visitors: list[Check], clock: Timings) -> None:
    """Count each visitor's callbacks (and what they call) towards its check."""
    for visitor in visitors:
        key = CHECK + _key(type(visitor))
        for name in batched_names(type(visitor), visitor):
            setattr(visitor, name, clock.wrap(getattr(visitor, name), key))


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

    # The stacks change only at functions and classes: hooking just those two types lets
    # the walk skip every node no visitor handles.
    walk_batched(module, visitors, before_visit=before, after_leave=after,
                 hook_types=(cst.FunctionDef, cst.ClassDef))


def _with_positions(module: cst.Module, text: str,
                    pending: list[tuple[cst.CSTNode, Candidate]],
                    tree: ast.Module | None = None) -> list[Candidate]:
    # Positions cost code generation: pay it only for files with candidates, and where
    # the stdlib parser agrees (``tree``: its tree of ``text``, when it was made already),
    # only for the statements that hold them.
    positions = statement_positions(module, text, (node for node, _ in pending), tree) or \
        code_positions(module)
    statements = _multiline_statements(positions)
    out = []
    for node, cand in pending:
        rng = positions.ranges.get(id(node))
        if rng is None:
            continue
        start_line, start_col, end_line, end_col = rng
        outer = _enclosing_statement(statements, rng) if start_line > 1 else None
        if outer is not None:
            # The finding stays on the line of its node (the query, not ``ctx = {`` ten
            # lines above it); a suppression comment may also go where the statement starts.
            cand = replace(cand, data={**cand.data, STATEMENT_LINE: outer[0]})
        out.append(cand.with_region(start_line, start_col + 1, end_line, end_col + 1))
    return out


def _multiline_statements(positions: Positions) -> list[tuple[int, int, int]]:
    """(start line, start column, end line) of every simple statement spanning lines."""
    return sorted((sl, sc, el) for sl, sc, el, _ in positions.statements if el > sl)


def _enclosing_statement(statements: list[tuple[int, int, int]],
                         rng: Range) -> tuple[int, int] | None:
    """Where the innermost statement that spans several lines around ``rng`` starts."""
    best = None
    for start, col, end in statements:
        if start > rng[0]:
            break
        if start < rng[0] and end >= rng[2]:
            best = (start, col)  # sorted by start: the innermost comes last
    return best


#: CPU seconds granted beyond the per-file limit before the worker itself is killed: the
#: timer inside the worker stops Python code at the limit, but not native code (a parse).
HARD_LIMIT_SLACK = 2.0
#: Address space a worker may grow by: at least this much, else this many times the
#: largest file it may be given (libcst needs ~400 bytes of memory per byte of source).
MEMORY_FLOOR = 2 << 30
MEMORY_PER_SOURCE_BYTE = 1024


class FileTimeout(BaseException):
    """Raised inside a file's analysis when it exceeds ``config.file_timeout``.

    A BaseException so that a check's own ``except Exception`` cannot swallow it.
    """


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body once this process has used ``seconds`` of CPU time (main
    thread only; elsewhere no limit).

    CPU time, not wall time: on a loaded machine (a busy CI runner, parallel scans) a
    file gets the same work before it is stopped, so what is reported does not depend
    on the load. Native code (libcst's parser) is interrupted only once it returns: the
    worker's parent kills the worker for that (``run_libcst``).
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise FileTimeout

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _failed(task: FileTask, message: str, kind: str) -> FileResult:
    return FileResult(task.rel_path, notifications=[Notification(
        message, NotificationLevel.ERROR, task.rel_path, None, kind)])


def _timed_out(task: FileTask, limit: float, how: str) -> FileResult:
    return _failed(task, f"analysis took longer than the {limit:g} s per-file limit (CPU "
                         f"time) and "
                         f"{how} (raise file-timeout to scan it); other files are "
                         "unaffected", "timeout")


def analyse_file(task: FileTask, config: Config, rule_ids: frozenset[str],
                 words: dict[str, tuple[str, ...]]) -> FileResult:
    """Analyse one file; never raises (every failure becomes a notification)."""
    try:
        with time_limit(config.file_timeout):
            return _analyse_file(task, config, rule_ids, words)
    except FileTimeout:
        return _timed_out(task, config.file_timeout, "it was stopped")
    except RecursionError:
        return _failed(task, "is nested too deeply to analyse; skipped", "parse-error")
    except MemoryError:
        return _failed(task, "needs more memory than a file may use to analyse it; "
                             "skipped, other files are unaffected", "internal-error")
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the scan
        return _failed(task, f"internal error while analysing ({type(exc).__name__}: "
                             f"{exc}); other files are unaffected", "internal-error")


def _analyse_file(task: FileTask, config: Config, rule_ids: frozenset[str],
                  words: dict[str, tuple[str, ...]]) -> FileResult:
    clock = Timings() if _timing else None
    phase = phase_of(clock)
    with phase("read"):
        src = read_source(task.abs_path, config.max_file_bytes)
    if src.text is None:
        return FileResult(task.rel_path, notifications=[Notification(
            f"{src.error}", NotificationLevel.ERROR, task.rel_path, None, "unreadable")])
    result = analyse_source(task.rel_path, src.text, config, rule_ids, words, clock)
    # Blanket ignores are refused; an id or name that is no rule suppresses nothing.
    with phase("suppression comments"):
        result.notifications.extend(directive_notifications(
            task.rel_path, src.text, known_rule_names(config.team_rules)))
    if clock is not None:
        result.timings = dict(clock.cpu)
    return result


def run_libcst(tasks: list[FileTask], config: Config, rule_ids: frozenset[str],
               words: dict[str, tuple[str, ...]], jobs: int,
               progress: Callable[[int], None] | None = None,
               started: Callable[[], None] | None = None,
               notify: Callable[[Notification], None] | None = None) -> list[FileResult]:
    """Analyse every file, each in a worker process; results in the order of ``tasks``.

    Whatever the number of files or ``jobs``, no file is analysed in this process: a
    native crash, a parse past the time limit or one past the memory budget costs that
    file only, reported in its notifications. ``progress(n)`` is called as files are
    done; ``started()`` once the workers run (so other work can overlap theirs without
    being forked into them); ``notify`` receives notes about the run itself.
    """
    # Import every check before forking workers, so that no file's time limit pays for it
    # and each new worker starts with them (and with the parser's node constructors).
    check_classes()
    collector_classes()
    install_node_inits()
    limits = Limits(
        deadline=config.file_timeout + HARD_LIMIT_SLACK if config.file_timeout > 0 else None,
        memory=max(MEMORY_FLOOR, MEMORY_PER_SOURCE_BYTE * config.max_file_bytes))
    sizes = [_file_size(t) for t in tasks]
    # Largest first: the big files start early and the small ones fill the gaps at the
    # end, instead of one worker finishing a large file while the others idle.
    order = sorted(range(len(tasks)), key=lambda i: -sizes[i])

    def failed(task: FileTask, failure: Failure) -> FileResult:
        if failure.kind == "timeout":
            return _timed_out(task, config.file_timeout, "its worker process was stopped")
        if failure.kind == "crash":
            return _failed(task, f"made its worker process crash ({failure.detail}); "
                                 "skipped, other files are unaffected", "crash")
        return _failed(task, f"internal error while analysing ({failure.detail}); other "
                             "files are unaffected", failure.kind)

    def note(message: str) -> None:
        if notify is not None:
            notify(Notification(message, NotificationLevel.WARNING, None, None, "workers"))

    return run_isolated(tasks, partial(analyse_file, config=config, rule_ids=rule_ids,
                                       words=words),
                        failed, jobs, limits, order, setup=_tune_gc, done=progress,
                        started=started, notify=note)


#: Collections of the youngest generation, after this many new objects (Python: 700).
_GC_YOUNG = 100_000


def _tune_gc() -> None:
    """Fewer garbage collections while files are analysed.

    A parse allocates hundreds of thousands of nodes that reference counting frees
    (libcst trees hold no cycles); with Python's default thresholds the collector scans
    them again and again, a quarter of the analysis time on pretix. Objects that exist
    before the first file (imports, the catalogue) are frozen out of every collection;
    cycles are still collected, only less often.
    """
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, 50, 1000)


def _file_size(task: FileTask) -> int:
    try:
        return os.stat(task.abs_path).st_size
    except OSError:
        return 0
