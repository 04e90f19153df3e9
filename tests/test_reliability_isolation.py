"""Per-file isolation, workers and file reading (issue 15; ../shared/reliability/):
a file that crashes, hangs or blows up the analyser costs that file only, whatever the
number of files and ``--jobs``; workers die with the scan; FIFOs and devices are refused;
``--jobs`` is clamped; malformed configuration is one line and exit 2."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backend_audit.config import Config, ConfigError, load_config
from backend_audit.engines import libcst_engine, workers
from backend_audit.engines.libcst_engine import FileTask, run_libcst
from backend_audit.engines.workers import Failure, Limits, clamp_jobs, run_isolated

from tests.flawed_app import FLAWED

FLAWED_LINE = 9
#: libcst's native parser overflows its stack on this (nested_segfault.sh).
NESTED = "Z = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
#: Deeper than any CPython (3.11 to 3.13) compiles (plus_chain_timeout.sh has 20,000).
PLUS_CHAIN = "x = " + " + ".join(["'a'"] * 10_000) + "\n"


def _cli(*args: str, cwd: Path | None = None, timeout: float = 300,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend_audit", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL,
                          env=env)


def _json_scan(root: Path, *args: str) -> tuple[int, dict]:
    out = root.parent / f"{root.name}-report.json"
    proc = _cli(str(root), "--no-cache", "-q", "-f", "json", "-o", str(out), *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(out.read_text(encoding="utf-8"))


def _notes(report: dict) -> dict[str | None, list[tuple[str, str]]]:
    found: dict[str | None, list[tuple[str, str]]] = {}
    for n in report["notifications"]:
        found.setdefault(n["path"], []).append((n["kind"], n["message"]))
    return found


def _findings(report: dict) -> set[tuple[str, int, str]]:
    return {(f["path"], f["start_line"], f["rule_id"]) for f in report["findings"]}


def _tasks(tmp_path: Path, count: int, stem: str = "m") -> list[FileTask]:
    tasks = []
    for i in range(count):
        path = tmp_path / f"{stem}{i}.py"
        path.write_text("x = 1\n", encoding="utf-8")
        tasks.append(FileTask(str(path), path.name))
    return tasks


# nested_segfault.sh: a native crash costs its file only, with -j 1 and few files too.

@pytest.mark.parametrize("jobs", ["1", "0"])
def test_deep_nesting_is_refused_and_the_report_delivered(tmp_path: Path, jobs: str) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    (root / "nested.py").write_text(NESTED, encoding="utf-8")
    code, report = _json_scan(root, "-j", jobs)
    assert code == 1
    assert ("views.py", FLAWED_LINE, "BA301") in _findings(report)
    [(kind, message)] = _notes(report)["nested.py"]
    assert kind == "too-complex" and "nested" in message


@pytest.mark.parametrize(("jobs", "count"), [(1, 1), (1, 3), (2, 3)])
def test_a_real_native_crash_costs_one_file(tmp_path: Path, monkeypatch, jobs: int,
                                            count: int) -> None:
    """Without the guard, libcst really segfaults on NESTED: only that file is lost."""
    monkeypatch.setattr(libcst_engine, "python_parse_problem", lambda *a: None)
    nested = tmp_path / "nested.py"
    nested.write_text(NESTED, encoding="utf-8")
    tasks = [FileTask(str(nested), "nested.py"), *_tasks(tmp_path, count - 1)]
    results = run_libcst(tasks, Config(), frozenset(), {}, jobs)
    assert [r.path for r in results] == [t.rel_path for t in tasks]
    [note] = results[0].notifications
    assert note.kind == "crash" and "SIGSEGV" in note.message, note
    assert all(r.parsed and not r.notifications for r in results[1:])


@pytest.mark.parametrize("jobs", [1, 3])
def test_every_file_is_analysed_outside_this_process(tmp_path: Path, jobs: int) -> None:
    tasks = _tasks(tmp_path, 2)
    pids = run_isolated(tasks, lambda task: os.getpid(), _unexpected, jobs)
    assert len(pids) == 2 and os.getpid() not in pids


def _unexpected(task: object, failure: Failure) -> object:
    raise AssertionError(f"{task}: {failure}")


# plus_chain_timeout.sh: a runaway parse is refused up front or stopped at the deadline.

def test_a_huge_operator_chain_is_refused_before_libcst(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    (root / "plus.py").write_text(PLUS_CHAIN, encoding="utf-8")
    code, report = _json_scan(root, "-j", "1")
    assert code == 1 and ("views.py", FLAWED_LINE, "BA301") in _findings(report)
    [(kind, message)] = _notes(report)["plus.py"]
    assert kind == "too-complex" and "skipped" in message


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_stuck_in_native_code_is_killed_at_the_deadline(tmp_path: Path, monkeypatch,
                                                               jobs: int) -> None:
    """A timer signal cannot interrupt native code (a busy loop with SIGPROF blocked
    stands in for it): the parent kills the worker once it has used the per-file limit
    of CPU time, and the other files are analysed."""
    tasks = _tasks(tmp_path, 4)
    real = libcst_engine._analyse_file

    def stuck_on_one(task, *args):
        if task.rel_path == "m1.py":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
            while True:
                pass
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", stuck_on_one)
    monkeypatch.setattr(libcst_engine, "HARD_LIMIT_SLACK", 0.5)
    results = run_libcst(tasks, Config(file_timeout=0.5), frozenset(), {}, jobs)
    kinds = {r.path: [n.kind for n in r.notifications] for r in results}
    assert kinds == {"m0.py": [], "m1.py": ["timeout"], "m2.py": [], "m3.py": []}
    assert "0.5 s per-file limit" in results[1].notifications[0].message


def test_waiting_is_not_counted_against_the_per_file_limit(tmp_path: Path,
                                                          monkeypatch) -> None:
    """The limit is CPU time: a file whose analysis waits (as it does when a loaded
    machine gives its worker no CPU) for longer than the limit is still analysed, so
    what a scan reports does not depend on how busy the machine is."""
    tasks = _tasks(tmp_path, 2)
    real = libcst_engine._analyse_file

    def waits(task, *args):
        if task.rel_path == "m0.py":
            time.sleep(1.0)  # wall time only
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", waits)
    monkeypatch.setattr(libcst_engine, "HARD_LIMIT_SLACK", 0.1)
    results = run_libcst(tasks, Config(file_timeout=0.3), frozenset(), {}, 2)
    assert [(r.path, r.parsed, r.notifications) for r in results] == \
        [("m0.py", True, []), ("m1.py", True, [])]


def test_a_worker_that_never_runs_again_is_killed_at_the_wall_backstop(
        tmp_path: Path, monkeypatch) -> None:
    """A worker blocked for good uses no CPU, so it would never reach a CPU deadline:
    past WALL_BACKSTOP times the deadline in wall time it is killed all the same."""
    tasks = _tasks(tmp_path, 3)
    real = libcst_engine._analyse_file

    def blocked(task, *args):
        if task.rel_path == "m2.py":
            time.sleep(3600)
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", blocked)
    monkeypatch.setattr(libcst_engine, "HARD_LIMIT_SLACK", 0.1)
    monkeypatch.setattr(workers, "WALL_BACKSTOP", 4.0)
    started = time.monotonic()
    results = run_libcst(tasks, Config(file_timeout=0.2), frozenset(), {}, 2)
    kinds = {r.path: [n.kind for n in r.notifications] for r in results}
    assert kinds == {"m0.py": [], "m1.py": [], "m2.py": ["timeout"]}
    assert time.monotonic() - started < 60


def test_a_file_past_the_memory_budget_costs_that_file_only(tmp_path: Path,
                                                            monkeypatch) -> None:
    tasks = _tasks(tmp_path, 3)
    real = libcst_engine._analyse_file

    def greedy(task, *args):
        if task.rel_path == "m0.py":
            bytearray(4 << 30)  # far past the 256 MiB budget below
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", greedy)
    monkeypatch.setattr(libcst_engine, "MEMORY_FLOOR", 256 << 20)
    results = run_libcst(tasks, Config(max_file_bytes=1000), frozenset(), {}, 1)
    assert [n.kind for n in results[0].notifications] == ["internal-error"]
    assert "memory" in results[0].notifications[0].message
    assert all(r.parsed and not r.notifications for r in results[1:])


def test_a_worker_killed_from_outside_costs_its_file_only(tmp_path: Path,
                                                          monkeypatch) -> None:
    tasks = _tasks(tmp_path, 3)
    real = libcst_engine._analyse_file

    def killed(task, *args):
        if task.rel_path == "m2.py":
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
        return real(task, *args)

    monkeypatch.setattr(libcst_engine, "_analyse_file", killed)
    results = run_libcst(tasks, Config(), frozenset(), {}, 1)
    [note] = results[2].notifications
    assert note.kind == "crash" and "SIGKILL" in note.message
    assert all(r.parsed and not r.notifications for r in results[:2])


def test_a_result_that_cannot_be_sent_back_is_that_tasks_failure(tmp_path: Path) -> None:
    def work(task: int) -> object:
        return (lambda: None) if task == 1 else task

    results = run_isolated([0, 1, 2], work, lambda task, failure: failure, 2)
    assert results[0] == 0 and results[2] == 2
    assert isinstance(results[1], Failure) and results[1].kind == "internal-error"


# huge_jobs.sh: --jobs is clamped, and a fork that fails does not lose the report.

def test_jobs_are_clamped_to_twice_the_usable_cpus() -> None:
    cpus = workers.usable_cpus()
    assert clamp_jobs(0) == (cpus, None)
    assert clamp_jobs(1) == (1, None)
    assert clamp_jobs(2 * cpus) == (2 * cpus, None)
    jobs, note = clamp_jobs(100_000)
    assert jobs == 2 * cpus and note is not None and "100,000" in note


def test_no_more_workers_are_forked_than_there_are_files(tmp_path: Path,
                                                         monkeypatch) -> None:
    forks: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counting_fork)
    results = run_isolated(list(range(3)), lambda t: t * 2, _unexpected, 100_000)
    assert results == [0, 2, 4] and len(forks) == 3


def test_minus_j_100000_scans_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    code, report = _json_scan(root, "-j", "100000")
    assert code == 1 and ("views.py", FLAWED_LINE, "BA301") in _findings(report)
    [(kind, message)] = _notes(report)[None]
    assert kind == "jobs" and "100,000 worker processes were asked for" in message


def test_when_no_worker_can_be_forked_the_files_are_still_analysed(tmp_path: Path,
                                                                   monkeypatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(workers.time, "sleep", lambda s: None)
    notes: list = []
    results = run_libcst(_tasks(tmp_path, 2), Config(), frozenset(), {}, 2,
                         notify=notes.append)
    assert all(r.parsed and not r.notifications for r in results)
    [note] = notes
    assert "no worker process could be started" in note.message


# orphan_workers.sh: killing the scan kills its workers; a reading pipe sees EOF.

def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_scan(tmp_path: Path, sig: signal.Signals) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    # Minutes of libcst (every chain is below Python's own limit), and no time limit.
    chain = " + ".join(["'a'"] * 2000)
    (root / "slow.py").write_text("".join(f"x{i} = {chain}\n" for i in range(100)),
                                  encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.backend-audit]\nfile-timeout = 0\n")
    proc = subprocess.Popen([sys.executable, "-m", "backend_audit", str(root), "--no-cache",
                             "-q", "-j", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    children: list[int] = []
    try:
        end = time.monotonic() + 120
        while not _children(proc.pid) and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)  # let the workers take their files
        children = _children(proc.pid)
        assert children, "no worker process appeared"
        proc.send_signal(sig)
        proc.wait(timeout=60)
        # Nothing else holds the pipe: reading it ends (as `backend-audit | tee log` must).
        assert proc.stdout is not None
        assert _reaches_eof(proc.stdout.fileno(), within=30)
        end = time.monotonic() + 30
        while any(_alive(c) for c in children) and time.monotonic() < end:
            time.sleep(0.05)
        assert not [c for c in children if _alive(c)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for child in children:
            if _alive(child):
                os.kill(child, signal.SIGKILL)


def _reaches_eof(fd: int, within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if ready and not os.read(fd, 65536):
            return True
    return False


# fifo_explicit_hang.sh: files that are not regular are refused, also when named.

def test_a_fifo_named_on_the_command_line_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    os.mkfifo(root / "x.py")
    out = tmp_path / "report.json"
    proc = _cli("x.py", "views.py", "--no-cache", "-q", "-f", "json", "-o", str(out),
                cwd=root, timeout=120)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert ("views.py", FLAWED_LINE, "BA301") in _findings(report)
    assert [k for k, m in _notes(report)["x.py"] if "not a regular file" in m] == ["unreadable"]


# config_traceback.sh: malformed configuration is one line and exit 2.

@pytest.mark.parametrize(("toml", "wording"), [
    ("tool = 1\n", "'tool' must be a table"),
    ("[tool]\nbackend-audit = 5\n", "'tool.backend-audit' must be a table"),
    ('[tool]\nbackend-audit = ["a"]\n', "'tool.backend-audit' must be a table"),
    ('[tool.backend-audit]\nextend-exclude = ["[z-a]"]\n', "invalid pattern: '[z-a]'"),
    ('[tool.backend-audit]\nexclude = ["\\\\"]\n', "invalid pattern"),
    ("[tool.backend-audit]\nmax-file-bytes = -1\n", "'max-file-bytes' must be between"),
    ("[tool.backend-audit]\nmax-file-bytes = 0\n", "'max-file-bytes' must be between"),
    ("[tool.backend-audit]\njobs = -2\n", "'jobs' must be 0"),
    ("[tool.backend-audit]\nfile-timeout = -1\n", "'file-timeout' must be between"),
    ("[tool.backend-audit]\nfile-timeout = nan\n", "'file-timeout' must be between"),
    ("[tool.backend-audit]\nfile-timeout = inf\n", "'file-timeout' must be between"),
])
def test_malformed_configuration_is_one_line_and_exit_2(tmp_path: Path, toml: str,
                                                        wording: str) -> None:
    (tmp_path / "views.py").write_text(FLAWED, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(None, tmp_path)
    assert wording in str(caught.value)
    proc = _cli(str(tmp_path), "--no-cache", "-q", timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("backend-audit: error:")
    assert wording in proc.stderr


def test_an_explicit_config_file_that_is_no_table_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text("tool = [1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'tool' must be a table"):
        load_config(config, tmp_path)


def test_limits_follow_the_configuration(monkeypatch) -> None:
    captured: list[Limits] = []

    def capture(tasks, work, failed, jobs, limits, *args, **kwargs):
        captured.append(limits)
        return []

    monkeypatch.setattr(libcst_engine, "run_isolated", capture)
    run_libcst([], Config(file_timeout=5, max_file_bytes=10_000_000), frozenset(), {}, 1)
    run_libcst([], Config(file_timeout=0), frozenset(), {}, 1)
    assert captured[0] == Limits(5 + libcst_engine.HARD_LIMIT_SLACK, 10_000_000 * 1024)
    assert captured[1].deadline is None and captured[1].memory == libcst_engine.MEMORY_FLOOR
