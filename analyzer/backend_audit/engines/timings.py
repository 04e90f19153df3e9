"""Where a scan's CPU time goes: per phase and per check, on request.

``BACKEND_AUDIT_TIMINGS=1 backend-audit DIR`` prints, after the scan, a table to standard
error: the CPU seconds of each phase of the main process (start-up, discovery, the
merge of project facts, each rule's ``resolve``, writing the cache...) and of the worker
processes summed over files (reading, gates, the stdlib parse, the libcst parse, the
module context, positions, and each check's and collector's share of the traversal,
which includes whatever analysis library code the check calls first). CPU time, not wall
time, so the numbers stay meaningful on a busy machine. Off by default, and then costs
nothing: no timer runs and no callback is wrapped.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

ENV_VAR = "BACKEND_AUDIT_TIMINGS"

#: Rows under this many seconds are left out of the table.
_SHOWN = 0.005
#: Keys of a file's timings: "phase:<name>" or "check:<dotted class or rule id>".
PHASE = "phase:"
CHECK = "check:"


def wanted() -> bool:
    return os.environ.get(ENV_VAR, "") not in ("", "0")


def _untimed(name: str) -> AbstractContextManager[None]:
    return nullcontext()


def phase_of(clock: Timings | None) -> Callable[[str], AbstractContextManager[None]]:
    """``clock.phase``, or a phase that times nothing when no clock runs."""
    return clock.phase if clock is not None else _untimed


class Timings:
    """CPU seconds by key in this process (``phase`` and ``wrap`` add to them), and those
    that worker processes reported for the files they analysed (``workers``)."""

    def __init__(self) -> None:
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.workers: defaultdict[str, float] = defaultdict(float)
        self.files = 0

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.process_time()
        try:
            yield
        finally:
            self.cpu[PHASE + name] += time.process_time() - start

    def wrap(self, fn: Callable[..., Any], key: str) -> Callable[..., Any]:
        cpu = self.cpu

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                cpu[key] += time.process_time() - start

        return timed

    def add_file(self, reported: Mapping[str, float]) -> None:
        """Count one file's timings, as a worker reported them."""
        self.files += 1
        for key, seconds in reported.items():
            self.workers[key] += seconds


def children_cpu() -> float | None:
    """CPU seconds of the child processes waited for so far (None where unknown)."""
    try:
        import resource  # POSIX only
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def render(clock: Timings, children_cpu: float | None, top: int = 25) -> str:
    """The table printed after a scan: the main process's phases, then the workers'
    phases and the checks that took most, each with its share of all CPU seconds."""
    main, workers = clock.cpu, clock.workers
    total = sum(v for k, v in main.items() if k.startswith(PHASE)) + \
        sum(v for k, v in workers.items() if k.startswith(PHASE))
    children = "" if children_cpu is None else \
        f"; child processes, workers and semgrep, used {children_cpu:.2f} s"
    lines = [f"CPU seconds by phase ({clock.files:,} files analysed by workers; "
             f"{total:.2f} s in all{children})"]

    def rows(title: str, items: Mapping[str, float], prefix: str, limit: int | None) -> None:
        chosen = sorted(((k[len(prefix):], v) for k, v in items.items()
                         if k.startswith(prefix) and v >= _SHOWN),
                        key=lambda kv: -kv[1])
        if not chosen:
            return
        lines.append(title)
        for name, seconds in chosen[:limit]:
            share = 100 * seconds / total if total else 0.0
            lines.append(f"  {seconds:8.2f} s {share:5.1f} %  {name}")
        if limit is not None and len(chosen) > limit:
            rest = sum(v for _, v in chosen[limit:])
            lines.append(f"  {rest:8.2f} s          ({len(chosen) - limit} more)")

    rows("main process", main, PHASE, None)
    rows("resolve, by rule (main process, within 'resolve')", main, CHECK, top)
    rows("workers, summed over files", workers, PHASE, None)
    rows("checks and collectors (workers, within 'traverse')", workers, CHECK, top)
    return "\n".join(lines)
