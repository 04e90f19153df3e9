"""The annotated fixture corpus: parse annotations, run the real pipeline, score it.

A fixture unit is either one file ``tests/fixtures/<category>/<name>.py`` or one folder
``tests/fixtures/<category>/<app>/`` scanned as a whole application (so facts from
one module, such as an error handler registered in ``errors.py``, apply to the others).

Annotations go at the end of the line where a finding starts:
``# expect: BA301`` (must fire), ``# ok: BA301`` (must not fire),
``# todo-expect: BA301`` (a known miss: asserted missing), ``# todo-ok: BA301``
(a known false alarm: asserted firing). Several ids may be comma-separated.

Scope: a unit is compared for the rules of its category plus any rule an annotation in
it names; other rules' findings in it are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from backend_audit.catalogue import load_catalogue
from backend_audit.config import Config
from backend_audit.discover import discover
from backend_audit.engines.semgrep_engine import SemgrepHit, SemgrepResult, SemgrepRun
from backend_audit.pipeline import ScanOptions, scan

FIXTURES = Path(__file__).parent / "fixtures"
_ANNOTATION = re.compile(r"#\s*(expect|ok|todo-expect|todo-ok):\s*(BA\d{3,4}(?:\s*,\s*BA\d{3,4})*)")
KINDS = ("expect", "ok", "todo-expect", "todo-ok")


@dataclass(frozen=True)
class Unit:
    category: str
    path: Path  # a file or a folder

    @property
    def name(self) -> str:
        return self.path.relative_to(FIXTURES).as_posix()

    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*.py") if p.is_file())


@dataclass
class Expectations:
    # kind -> set of (relative path within unit, line, rule id)
    by_kind: dict[str, set[tuple[str, int, str]]] = field(
        default_factory=lambda: {k: set() for k in KINDS})

    @property
    def rule_ids(self) -> set[str]:
        return {rid for marks in self.by_kind.values() for _, _, rid in marks}


def units() -> list[Unit]:
    found = []
    for category_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for entry in sorted(category_dir.iterdir()):
            if entry.name.startswith(("_", ".")):
                continue
            if entry.is_dir() or entry.suffix == ".py":
                found.append(Unit(category_dir.name, entry))
    return found


def _relative(unit: Unit, file: Path) -> str:
    return file.name if unit.path.is_file() else file.relative_to(unit.path).as_posix()


def expectations(unit: Unit) -> Expectations:
    exp = Expectations()
    for file in unit.files():
        rel = _relative(unit, file)
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            for kind, ids in _ANNOTATION.findall(line):
                for rid in ids.split(","):
                    exp.by_kind[kind].add((rel, n, rid.strip()))
    return exp


def in_scope(unit: Unit, exp: Expectations) -> set[str]:
    return {r.id for r in load_catalogue() if r.category == unit.category} | exp.rule_ids


@cache
def _semgrep_hits() -> tuple[tuple[str, SemgrepHit], ...]:
    """One semgrep run over every fixture file (semgrep starts slowly)."""
    rules = [r for r in load_catalogue() if r.engine == "semgrep"]
    files = [(str(p), str(p)) for u in units() for p in u.files()]
    result = SemgrepRun(rules, files, timeout=900).result()
    if result.notifications:
        problems = [n.message for n in result.notifications if n.path is None]
        if problems:
            raise RuntimeError("semgrep failed on the fixtures: " + "; ".join(problems))
    return tuple((h.path, h) for h in result.hits)


def _runner_for(unit: Unit):
    root = unit.path if unit.path.is_dir() else unit.path.parent

    def run(rules, files) -> SemgrepResult:
        wanted = {r.id for r in rules}
        own = {str(Path(a).resolve()): rel for a, rel in files}
        hits = []
        for abs_path, hit in _semgrep_hits():
            rel = own.get(str(Path(abs_path).resolve()))
            if rel is not None and hit.rule_id in wanted:
                hits.append(SemgrepHit(hit.rule_id, rel, hit.start_line, hit.start_column,
                                       hit.end_line, hit.end_column, hit.message))
        return SemgrepResult(hits=hits)

    del root
    return run


@cache
def found(unit: Unit) -> frozenset[tuple[str, int, str]]:
    """(relative path, line, rule id) of every finding the real pipeline reports
    (cached: the fixture test and the accuracy test share one scan per unit). Fixtures
    state what a check detects, so every confidence level is reported; which levels a
    user sees by default is tested apart (test_min_confidence.py)."""
    paths = [unit.path]
    report = scan(paths, Config(min_confidence="low"), ScanOptions(jobs=1),
                  semgrep_runner=_runner_for(unit), discovery=discover(paths))
    return frozenset((f.path, f.region.start_line, f.rule_id) for f in report.findings)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
