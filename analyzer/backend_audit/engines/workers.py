"""Run each task in a forked worker process, one task per worker at a time.

A task that crashes its process (a native stack overflow in a parser), uses more CPU
time than its deadline or outgrows its memory budget costs that task only: the parent
kills or buries the worker, reports the task as failed and forks a fresh worker for the
rest.
Workers never outlive the parent: the kernel kills them when it dies (Linux), they
leave when their pipe to it closes, and they hold none of its standard streams, so
``backend-audit ... | tee log`` ends when backend-audit does.

Tasks reach a worker by fork, so only a task's index and its result cross the pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import os
import pickle
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe, wait
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Times a worker may fail to start in a row before the rest run in this process.
_SPAWN_ATTEMPTS = 3
_PR_SET_PDEATHSIG = 1
#: Seconds to wait for a worker that closed its pipe to finish exiting.
_EXIT_GRACE = 1.0


@dataclass(frozen=True)
class Failure:
    """Why a task has no result: ``kind`` is ``timeout`` (``detail``: the seconds it was
    given), ``crash`` (``detail``: how the worker ended) or ``internal-error``."""

    kind: str
    detail: str


@dataclass(frozen=True)
class Limits:
    #: CPU seconds one task may use before its worker is killed (None: no limit). CPU
    #: time, so that the same file fails or passes however loaded the machine is; where
    #: a worker's CPU time cannot be read, wall time stands in.
    deadline: float | None = None
    #: Bytes of address space a worker may add to what it had when forked (None: no limit).
    memory: int | None = None


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or a CI runner's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def clamp_jobs(requested: int) -> tuple[int, str | None]:
    """How many workers to run for ``requested`` (0: one per usable CPU), at most twice
    the usable CPUs; with a sentence for the user when the request was cut down."""
    cpus = usable_cpus()
    if requested <= 0:
        return cpus, None
    limit = 2 * cpus
    if requested <= limit:
        return requested, None
    return limit, (f"{requested:,} worker processes were asked for; at most {limit} run "
                   f"(twice the {cpus} CPU{'s' if cpus != 1 else ''} this scan may use)")


def can_isolate() -> bool:
    return hasattr(os, "fork")


@dataclass
class _Worker:
    pid: int
    conn: Connection
    task: int | None = None
    since: float = 0.0
    #: The worker's CPU seconds when it was handed its task (None: not readable).
    cpu_since: float | None = None


class _Unsendable:
    """Stands in for a result that could not be pickled back to the parent."""

    def __init__(self, error: str) -> None:
        self.error = error


class _Pool(Generic[T, R]):
    def __init__(self, tasks: Sequence[T], work: Callable[[T], R],
                 failed: Callable[[T, Failure], R], limits: Limits,
                 setup: Callable[[], None] | None) -> None:
        self.tasks = tasks
        self.work = work
        self.failed = failed
        self.limits = limits
        self.setup = setup
        self.workers: list[_Worker] = []
        self.spawn_error: OSError | None = None

    def spawn(self) -> _Worker | None:
        """A fresh worker, or None when the system will not start one now."""
        parent_end, child_end = Pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:  # EAGAIN under a process limit, ENOMEM
            parent_end.close()
            child_end.close()
            self.spawn_error = exc
            return None
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            try:
                parent_end.close()
                for other in self.workers:
                    other.conn.close()  # so each worker sees EOF when the parent goes
                self._serve(child_end, parent)
            finally:
                os._exit(0)
        child_end.close()
        worker = _Worker(pid, parent_end)
        self.workers.append(worker)
        return worker

    def _serve(self, conn: Connection, parent: int) -> None:  # pragma: no cover - child
        _die_with(parent)
        _detach_stdio()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        retire_at = _limit_memory(self.limits.memory)
        if self.setup is not None:
            self.setup()
        while True:
            try:
                index = conn.recv()
            except (EOFError, OSError):
                return
            if not isinstance(index, int) or os.getppid() != parent:
                return
            try:
                result: object = self.work(self.tasks[index])
            except BaseException as exc:  # noqa: BLE001 - reported as the task's failure
                result = _Unsendable(f"{type(exc).__name__}: {exc}")
            retire = retire_at is not None and _address_space() > retire_at
            try:
                conn.send((index, result, retire))
            except (BrokenPipeError, ConnectionError):
                return
            except Exception as exc:  # noqa: BLE001 - the result could not be pickled
                try:
                    conn.send((index, _Unsendable(f"result not transferable: {exc}"), retire))
                except (OSError, pickle.PicklingError):
                    return
            if retire:
                return

    def bury(self, worker: _Worker, kill: bool) -> str:
        """Remove ``worker``, killing it if asked; how it ended, in words."""
        self.workers.remove(worker)
        worker.conn.close()
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
            return _describe(_reap(worker.pid, None))
        status = _reap(worker.pid, _EXIT_GRACE)
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
            status = _reap(worker.pid, None)
        return _describe(status)

    def close(self) -> None:
        for worker in list(self.workers):
            self.bury(worker, kill=True)


def run_isolated(tasks: Sequence[T], work: Callable[[T], R],
                 failed: Callable[[T, Failure], R], jobs: int, limits: Limits = Limits(),
                 order: Sequence[int] | None = None,
                 setup: Callable[[], None] | None = None,
                 done: Callable[[int], None] | None = None,
                 started: Callable[[], None] | None = None,
                 notify: Callable[[str], None] | None = None) -> list[R]:
    """``work(task)`` for every task, each in a worker process; results in task order.

    ``failed(task, failure)`` stands in for a task whose worker crashed or overran
    ``limits``. ``order`` is the order to hand tasks out (largest first balances the
    workers); ``setup()`` runs in each new worker; ``done(n)`` is called as tasks finish;
    ``started()`` once the first workers run (so work that must not be forked into
    them can begin). When no worker process can be started at all, the remaining tasks
    run in this process and ``notify(message)`` says so.
    """
    results: list[R | None] = [None] * len(tasks)
    queue = deque(order if order is not None else range(len(tasks)))
    wanted = max(1, min(jobs, len(tasks)))
    if not tasks:
        if started is not None:
            started()
        return []
    if not can_isolate():
        if notify is not None:
            notify("this platform cannot fork worker processes: files were analysed in "
                   "the main process, without per-file isolation")
        _in_process(tasks, work, queue, results, done, started)
        return _filled(tasks, results, failed)
    pool = _Pool(tasks, work, failed, limits, setup)
    failures = 0
    try:
        while queue or any(w.task is not None for w in pool.workers):
            while queue and len(pool.workers) < wanted:
                if pool.spawn() is None:
                    break
            if not pool.workers:
                failures += 1
                if failures < _SPAWN_ATTEMPTS:
                    time.sleep(0.2 * failures)
                    continue
                if notify is not None:
                    notify(f"no worker process could be started ({pool.spawn_error}): the "
                           f"remaining {len(queue)} file{'' if len(queue) == 1 else 's'} "
                           "were analysed in the main "
                           "process, without per-file isolation")
                if started is not None:
                    started()
                    started = None
                _in_process(tasks, work, queue, results, done, None)
                break
            failures = 0
            _hand_out(pool, queue)
            if started is not None:
                # After the first tasks are out: the workers start on them meanwhile.
                started()
                started = None
            _collect(pool, results, done)
    finally:
        pool.close()
    return _filled(tasks, results, failed)


def _filled(tasks: Sequence[T], results: list[R | None],
            failed: Callable[[T, Failure], R]) -> list[R]:
    # Every task has its result or its failure by now; a hole would be a bug here, and
    # still must not lose the file from the report.
    return [r if r is not None else failed(t, Failure("internal-error", "no result"))
            for t, r in zip(tasks, results, strict=True)]


def _in_process(tasks: Sequence[T], work: Callable[[T], R], queue: deque[int],
                results: list[R | None], done: Callable[[int], None] | None,
                started: Callable[[], None] | None) -> None:
    if started is not None:
        started()
    while queue:
        index = queue.popleft()
        results[index] = work(tasks[index])
        if done is not None:
            done(1)


def _hand_out(pool: _Pool, queue: deque[int]) -> None:
    for worker in list(pool.workers):
        if worker.task is not None or not queue:
            continue
        index = queue[0]
        try:
            worker.conn.send(index)
        except OSError:
            pool.bury(worker, kill=True)  # died while idle: its task was none yet
            continue
        queue.popleft()
        worker.task, worker.since = index, time.monotonic()
        worker.cpu_since = cpu_seconds(worker.pid)


def _collect(pool: _Pool[T, R], results: list[R | None],
             done: Callable[[int], None] | None) -> None:
    """Wait for the next answer or deadline, and settle every worker that has one."""
    busy = {w.conn: w for w in pool.workers if w.task is not None}
    if not busy:
        return
    deadline = pool.limits.deadline
    timeout = None if deadline is None else \
        min(_time_left(w, deadline) for w in busy.values())
    for conn in wait(list(busy), timeout):
        worker = busy[conn]  # type: ignore[index]
        index = worker.task
        assert index is not None
        try:
            answer, result, retire = conn.recv()  # type: ignore[union-attr]
        except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
            how = pool.bury(worker, kill=False)
            results[index] = pool.failed(pool.tasks[index], Failure("crash", how))
        else:
            if isinstance(result, _Unsendable) or answer != index:
                error = result.error if isinstance(result, _Unsendable) else "wrong answer"
                result = pool.failed(pool.tasks[index], Failure("internal-error", error))
            results[index] = result
            worker.task = None
            if retire:
                pool.bury(worker, kill=False)
        if done is not None:
            done(1)
    if deadline is None:
        return
    for worker in [w for w in pool.workers if w.task is not None]:
        if _time_left(worker, deadline) <= 0:
            index = worker.task
            assert index is not None
            pool.bury(worker, kill=True)
            results[index] = pool.failed(pool.tasks[index], Failure("timeout", f"{deadline:g}"))
            if done is not None:
                done(1)


#: A worker that uses no CPU (blocked, or stopped) is killed after this many times the
#: deadline in wall time: it would otherwise never reach a CPU-time deadline.
WALL_BACKSTOP = 10.0
#: The shortest wait between two looks at the workers' CPU time.
_CPU_POLL_FLOOR = 0.05


def _time_left(worker: _Worker, deadline: float) -> float:
    """Seconds of waiting before ``worker`` may have overrun ``deadline``: its unused CPU
    seconds (a single-threaded worker uses at most one CPU second a second), capped by
    the wall-time backstop; at most 0 once it has overrun."""
    wall = time.monotonic() - worker.since
    backstop = WALL_BACKSTOP * deadline - wall
    if worker.cpu_since is None:
        return max(0.0, deadline - wall)
    used = cpu_seconds(worker.pid)
    if used is None:
        return max(0.0, deadline - wall)
    left = deadline - (used - worker.cpu_since)
    if left <= 0 or backstop <= 0:
        return 0.0
    return min(max(left, _CPU_POLL_FLOOR), backstop)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, from /proc (Linux); None
    where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


def _reap(pid: int, within: float | None) -> int | None:
    """The wait status of child ``pid``; None if it is still running after ``within`` s."""
    end = None if within is None else time.monotonic() + within
    while True:
        try:
            got, status = os.waitpid(pid, 0 if end is None else os.WNOHANG)
        except ChildProcessError:
            return 0
        if got == pid:
            return status
        if end is not None and time.monotonic() >= end:
            return None
        time.sleep(0.01)


def _describe(status: int | None) -> str:
    if status is None:
        return "did not exit"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        why = {"SIGSEGV": "a native crash, e.g. a parser's stack overflow",
               "SIGBUS": "a native crash", "SIGABRT": "aborted, e.g. out of memory",
               "SIGKILL": "killed, e.g. by the out-of-memory killer"}.get(name)
        return f"{name}: {why}" if why else name
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return f"wait status {status}"


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the child
    """Ask the kernel to kill this worker when the parent dies (Linux); if it is already
    gone, leave now."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def _detach_stdio() -> None:  # pragma: no cover - runs in the child
    """Point the worker's standard streams at /dev/null: it has nothing to say there (a
    crash is reported as the file's notification), and a worker holding the parent's
    stdout would keep a reading pipeline waiting."""
    faulthandler.disable()  # it may write to its own copy of the parent's stderr
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    if null > 2:
        os.close(null)


def _address_space() -> int:
    """This process's virtual memory size in bytes (0 where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(budget: int | None) -> int | None:  # pragma: no cover - child
    """Cap the worker's address space at its size now plus ``budget``; the size past
    which it should retire after a task (so fragmentation left by one large file does not
    eat the next file's budget), or None without a limit."""
    now = _address_space()
    if budget is None or now == 0:
        return None
    import resource  # POSIX only, as is fork

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + budget
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        return None
    return now + budget // 2
