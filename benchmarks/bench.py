"""Time backend-audit (cold, warm, one file changed) beside Bandit and Semgrep, in one run.

    python benchmarks/bench.py DIR [--jobs N] [--repeat N] [--timings] [--markdown]

DIR is copied to a temporary folder first (the "one file changed" runs edit files; the
user's tree is never touched). Every tool runs in its own subprocess; for each run the
table gives wall time, CPU time (user + system of the tool and all its children) and peak
memory (the largest resident set of any one of its processes), plus the ratio of the wall
time to Bandit's. Semgrep runs backend-audit's own semgrep rules plus the public-style
Python rules in benchmarks/semgrep_rules.yaml, all from local files (no network).

"One file changed" edits the largest file backend-audit analyses (the worst case for one
edit); "one small file changed" then edits a file of median size, so the time a re-scan
needs whatever the file is can be told from the cost of a large one. Python bytecode is
compiled first, into a private folder, for every tool: the times are those of an
installed tool whatever ``PYTHONDONTWRITEBYTECODE`` says. ``--repeat N`` runs everything
N times and reports each row's median (wall-clock times vary on a shared machine);
``--timings`` adds one more cold scan with ``BACKEND_AUDIT_TIMINGS=1`` and prints where
its CPU time went.

Needs the ``bench`` extra (``pip install -e '.[bench]'``) for Bandit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"cold": 0.5, "warm": 0.05}  # fraction of Bandit's wall time
ONE_FILE_SECONDS = 2.0
PEAK_BYTES = 1 << 30


@dataclass(frozen=True)
class Run:
    name: str
    wall: float
    cpu: float
    peak_kib: int
    exit_code: int


def _measure_child(cmd: list[str]) -> None:
    """Runs in a fresh process, so RUSAGE_CHILDREN covers exactly one tool run."""
    started = time.perf_counter()
    code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                      "peak_kib": usage.ru_maxrss, "exit_code": code}))


def measure(name: str, cmd: list[str], env: dict[str, str] | None = None) -> Run:
    out = subprocess.run([sys.executable, __file__, "--measure", "--", *cmd],
                         capture_output=True, text=True, check=True, env=env)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return Run(name, data["wall"], data["cpu"], data["peak_kib"], data["exit_code"])


def _compiled_env(folder: Path) -> dict[str, str]:
    """An environment whose Python reads and writes bytecode in ``folder`` (compiled now
    for backend-audit itself, and for every tool's packages in an unmeasured first run,
    see ``_one_round``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    import backend_audit

    package = Path(backend_audit.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], env=env,
                   stdout=subprocess.DEVNULL, check=False)
    return env


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"bench: {name} is not installed (pip install -e '.[bench]')")
    return found


def _semgrep_config(folder: Path) -> Path:
    """backend-audit's semgrep rules plus the local public-style rules, in one file."""
    import yaml
    from backend_audit.catalogue import load_catalogue
    from backend_audit.engines.semgrep_engine import semgrep_config

    ours = semgrep_config([r for r in load_catalogue() if r.engine == "semgrep"])["rules"]
    extra = yaml.safe_load((HERE / "semgrep_rules.yaml").read_text(encoding="utf-8"))["rules"]
    path = folder / "semgrep-bench.yaml"
    path.write_text(yaml.safe_dump({"rules": ours + extra}), encoding="utf-8")
    return path


def _touch_one_file(tree: Path, median: bool = False) -> Path:
    """Change the largest Python file backend-audit analyses (or, with ``median``, one of
    median size) a little, as a commit would (test code is left out by default, so a
    change there would cost nothing)."""
    from backend_audit.discover import discover

    analysed = [Path(abs_path) for abs_path, _ in discover([tree], skip_tests=True).files]
    files = [p for p in sorted(analysed, key=lambda p: p.stat().st_size, reverse=True)
             if p.is_file() and not p.is_symlink()]
    target = files[len(files) // 2] if median else files[0]
    with target.open("a", encoding="utf-8") as handle:
        handle.write("\n\ndef _bench_changed(cur, name):\n"
                     "    return cur.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n")
    return target


def _count(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for p in tree.rglob("*.py"):
        if p.is_file():
            files += 1
            with p.open("rb") as handle:
                lines += sum(1 for _ in handle)
    return files, lines


def run_all(source: Path, jobs: int, repeat: int = 1,
            timings: bool = False) -> tuple[list[Run], tuple[int, int], str]:
    """Every row's median over ``repeat`` rounds, the tree's size, and (with ``timings``)
    the table of a timed cold scan."""
    with tempfile.TemporaryDirectory(prefix="ba-bench-") as tmp:
        work = Path(tmp)
        env = _compiled_env(work / "pycache")
        rounds = [_one_round(source, work / f"round{i}", jobs, env) for i in range(repeat)]
        runs = [_median([r[i] for r in rounds]) for i in range(len(rounds[0]))]
        table = _timed_scan(source, work / "timed", jobs, env) if timings else ""
        return runs, _count(source), table


def _backend_audit(tree: Path, cache: Path, jobs: int) -> list[str]:
    return [_tool("backend-audit"), str(tree), "-q", "-f", "json", "-o", os.devnull,
            "--cache-dir", str(cache)] + (["--jobs", str(jobs)] if jobs else [])


def _one_round(source: Path, work: Path, jobs: int, env: dict[str, str]) -> list[Run]:
    work.mkdir()
    tree = work / source.name
    shutil.copytree(source, tree, symlinks=True)
    ba = _backend_audit(tree, work / "cache", jobs)
    bandit = [_tool("bandit"), "-r", str(tree), "-q", "-f", "json", "-o", os.devnull]
    semgrep = [_tool("semgrep"), "scan", "--config", str(_semgrep_config(work)), "--json",
               "--metrics=off", "--disable-version-check", "--quiet", "--output", os.devnull,
               str(tree)]
    semgrep_env = dict(env, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
    # Each tool once unmeasured on a small tree: the bytecode of its packages is compiled
    # into the private folder then, not in the measured run.
    warmup = work / "warmup"
    warmup.mkdir()
    (warmup / "app.py").write_text("import os\n", encoding="utf-8")
    for cmd, cmd_env in ((_backend_audit(warmup, work / "warmup-cache", jobs), env),
                         (bandit, env), (semgrep, semgrep_env)):
        subprocess.run([a if a != str(tree) else str(warmup) for a in cmd], env=cmd_env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    runs = [measure("backend-audit cold", ba, env), measure("backend-audit warm", ba, env)]
    _touch_one_file(tree)
    runs.append(measure("backend-audit one file changed", ba, env))
    _touch_one_file(tree, median=True)
    runs.append(measure("backend-audit one small file changed", ba, env))
    runs.append(measure("bandit", bandit, env))
    runs.append(measure("semgrep", semgrep, semgrep_env))
    return runs


def _median(runs: list[Run]) -> Run:
    return Run(runs[0].name, statistics.median(r.wall for r in runs),
               statistics.median(r.cpu for r in runs),
               int(statistics.median(r.peak_kib for r in runs)),
               max(r.exit_code for r in runs))


def _timed_scan(source: Path, work: Path, jobs: int, env: dict[str, str]) -> str:
    """Where a cold scan's CPU time goes (BACKEND_AUDIT_TIMINGS)."""
    work.mkdir()
    tree = work / source.name
    shutil.copytree(source, tree, symlinks=True)
    out = subprocess.run(_backend_audit(tree, work / "cache", jobs), capture_output=True,
                         text=True, env=dict(env, BACKEND_AUDIT_TIMINGS="1"), check=False)
    return out.stderr.strip()


def render(runs: list[Run], size: tuple[int, int], markdown: bool) -> str:
    bandit = next(r for r in runs if r.name == "bandit")
    rows = [("tool", "wall s", "CPU s", "peak MiB", "wall / Bandit", "exit")]
    for r in runs:
        rows.append((r.name, f"{r.wall:.2f}", f"{r.cpu:.2f}", f"{r.peak_kib / 1024:.0f}",
                     f"{r.wall / bandit.wall:.3f}", str(r.exit_code)))
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    else:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    by = {r.name: r for r in runs}
    checks = [
        ("cold <= 0.5 x Bandit", by["backend-audit cold"].wall <= TARGETS["cold"] * bandit.wall),
        ("warm <= 0.05 x Bandit", by["backend-audit warm"].wall <= TARGETS["warm"] * bandit.wall),
        ("one file changed < 2 s", by["backend-audit one file changed"].wall < ONE_FILE_SECONDS),
        ("one small file changed < 2 s",
         by["backend-audit one small file changed"].wall < ONE_FILE_SECONDS),
        ("peak memory < 1 GiB", all(by[n].peak_kib * 1024 < PEAK_BYTES for n in by
                                    if n.startswith("backend-audit"))),
    ]
    lines.append("")
    lines.append(f"{size[0]:,} Python files, {size[1]:,} lines; {os.cpu_count()} cores")
    lines += [f"{'met ' if ok else 'MISSED'}  {label}" for label, ok in checks]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        _measure_child(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--jobs", type=int, default=0, help="backend-audit --jobs")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds to run; each row is the median (default 1)")
    parser.add_argument("--timings", action="store_true",
                        help="also print where a cold scan's CPU time goes")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    if not args.directory.is_dir():
        parser.error(f"not a folder: {args.directory}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    runs, size, table = run_all(args.directory.resolve(), args.jobs, args.repeat, args.timings)
    print(render(runs, size, args.markdown))
    if table:
        print()
        print(table)


if __name__ == "__main__":
    main()
