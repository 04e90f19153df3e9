"""Time backend-audit (cold, warm, one file changed) beside Bandit and Semgrep, in one run.

    python benchmarks/bench.py DIR [--jobs N] [--markdown]

DIR is copied to a temporary folder first (the "one file changed" run edits a file; the
user's tree is never touched). Every tool runs in its own subprocess; for each run the
table gives wall time, CPU time (user + system of the tool and all its children) and peak
memory (the largest resident set of any one of its processes), plus the ratio of the wall
time to Bandit's. Semgrep runs backend-audit's own semgrep rules plus the public-style
Python rules in benchmarks/semgrep_rules.yaml, all from local files (no network).

Needs the ``bench`` extra (``pip install -e '.[bench]'``) for Bandit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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


def _touch_one_file(tree: Path) -> Path:
    """Change the largest Python file backend-audit analyses a little, as a commit would
    (test code is left out by default, so a change there would cost nothing)."""
    from backend_audit.discover import discover

    analysed = [Path(abs_path) for abs_path, _ in discover([tree], skip_tests=True).files]
    files = sorted(analysed, key=lambda p: p.stat().st_size, reverse=True)
    target = next(p for p in files if p.is_file() and not p.is_symlink())
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


def run_all(source: Path, jobs: int) -> tuple[list[Run], tuple[int, int]]:
    with tempfile.TemporaryDirectory(prefix="ba-bench-") as tmp:
        work = Path(tmp)
        tree = work / source.name
        shutil.copytree(source, tree, symlinks=True)
        cache = work / "cache"
        ba = [_tool("backend-audit"), str(tree), "-q", "-f", "json", "-o", os.devnull,
              "--cache-dir", str(cache)] + (["--jobs", str(jobs)] if jobs else [])
        runs = [measure("backend-audit cold", ba), measure("backend-audit warm", ba)]
        _touch_one_file(tree)
        runs.append(measure("backend-audit one file changed", ba))
        runs.append(measure("bandit", [_tool("bandit"), "-r", str(tree), "-q", "-f", "json",
                                       "-o", os.devnull]))
        env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
        runs.append(measure("semgrep", [
            _tool("semgrep"), "scan", "--config", str(_semgrep_config(work)), "--json",
            "--metrics=off", "--disable-version-check", "--quiet", "--output", os.devnull,
            str(tree)], env=env))
        return runs, _count(tree)


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
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    if not args.directory.is_dir():
        parser.error(f"not a folder: {args.directory}")
    runs, size = run_all(args.directory.resolve(), args.jobs)
    print(render(runs, size, args.markdown))


if __name__ == "__main__":
    main()
