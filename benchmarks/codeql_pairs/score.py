"""Score backend-audit on CodeQL's Python security query tests (a non-reserved proxy).

    python benchmarks/codeql_pairs/score.py [--tests DIR] [--details] [--json PATH] [--code DIR]

The test files are GitHub's (github/codeql, ``python/ql/test/query-tests/Security`` and
``python/ql/test/experimental/query-tests/Security``); they are never committed here.
``manifest.json`` beside this script names, per category, the CodeQL folder, each file
used and the commit it was read at; DIR (default ``$CODEQL_TESTS`` or
``/work/rw/codeql-tests/src``) holds ``<folder>/<file>`` as ``git show <commit>:<path>``
prints them. Each category maps to our rules through the CWE column of
``backend-audit rules`` (a rule counts when one of its CWEs is the category's).

Units and labels, decided from the test files alone (deterministic):

* A *statement* is the smallest ``ast.stmt`` whose line span holds a given line.
* Labels come from the file's own annotations. A file that uses CodeQL's inline
  expectations (a ``$ Alert`` / ``MISSING: Alert`` comment anywhere) is read only through
  them: a comment with ``Alert`` marks its statement positive, unless it says
  ``SPURIOUS`` (the test's authors call that alert a false positive: negative);
  ``MISSING: Alert`` is positive (a flaw the query misses). Other files are read through
  their ``NOT OK`` / ``BAD`` (positive) and ``OK`` / ``GOOD`` (negative) comments; a
  comment on a line of its own labels the next line of code; a comment that says both
  (``OK if only running on UNIX systems, NOT OK if ...``) leaves the statement unlabelled
  and out of the count. A file with no annotation at all is labelled by the ``#select``
  rows (or, for a plain problem query, every row) of the folder's ``.expected`` file: the
  statement at each alert's line is positive.
* Every other statement that calls one of the category's sink names (``SINKS`` below,
  matched on the last part of any call's name inside the statement) in a function with
  no positive label is negative: the test put it there as a safe twin. Unlabelled
  statements inside a function that has a positive label are not units (``cmd =
  compile(code)`` before a labelled ``exec(cmd)`` is part of the same flaw, not a twin).
* A category may keep or drop whole functions by name (``functions`` / ``skip_functions``
  in the manifest): CodeQL's SSRF tests mix full-URL control (our rule's scope) with
  path/query/fragment control (a separate CodeQL query), kept as two categories.

A positive statement is a true positive when at least one finding of the category's rules
starts on one of its lines, else a false negative; a negative statement with such a
finding is a false positive, else a true negative. Findings of those rules on no unit are
listed as ``unplaced`` (not counted). TPR = TP/(TP+FN), FPR = FP/(FP+TN); a category
without negatives has FPR 0 and is marked. The average is the unweighted mean of
TPR - FPR over the categories marked ``in_design`` in the manifest, and, separately, over
all of them. Both levels are scanned: ``--min-confidence low`` (audit) and the default.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_TESTS = Path(os.environ.get("CODEQL_TESTS", "/work/rw/codeql-tests/src"))
LEVELS = ("low", "medium")

# The calls each category's tests put labelled sinks and their safe twins in.
SINKS: dict[str, frozenset[str]] = {
    "path-injection": frozenset({"open", "send_from_directory", "send_file"}),
    "command-injection": frozenset(
        {"system", "popen", "Popen", "call", "check_call", "check_output", "run"}
    ),
    "reflected-xss": frozenset({"make_response", "jsonify"}),
    "code-injection": frozenset({"exec", "eval", "compile"}),
    "unsafe-deserialization": frozenset({"loads", "load", "read_pickle"}),
    "url-redirect": frozenset({"redirect"}),
    "xxe": frozenset({"fromstring", "parse", "XML"}),
    "ldap-injection": frozenset({"search", "search_s", "paged_search"}),
    "ssrf-full": frozenset({"get", "post", "request"}),
    "ssrf-partial": frozenset({"get", "post", "request"}),
    "insecure-cookie": frozenset({"set_cookie"}),
    "insecure-randomness": frozenset({"random", "randint", "choice"}),
}

_INLINE = re.compile(r"\$\s*(?:MISSING:\s*|SPURIOUS:\s*)?Alert\b")
_NOT_OK = re.compile(r"\bNOT OK\b|\bBAD\b")
_OK = re.compile(r"(?<!NOT )\bOK\b|\bGOOD\b")


@dataclass(frozen=True)
class Unit:
    path: str
    first: int
    last: int
    positive: bool
    function: str


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    @property
    def tpr(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


def _comments(source: str) -> dict[int, tuple[str, bool]]:
    """Line -> (comment text, the line holds code too)."""
    out: dict[int, tuple[str, bool]] = {}
    code_lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = (tok.string, False)
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                              tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    return {line: (text, line in code_lines) for line, (text, _) in out.items()}


def _statements(tree: ast.AST) -> list[tuple[ast.stmt, str]]:
    """Every statement with the name of the function it sits in ('' at module level)."""
    found: list[tuple[ast.stmt, str]] = []

    def walk(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                found.append((child, func))
            inner = (f"{child.name}@{child.lineno}"
                     if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func)
            walk(child, inner)

    walk(tree, "")
    return found


def _smallest(stmts: list[tuple[ast.stmt, str]], line: int) -> tuple[ast.stmt, str] | None:
    holding = [(s, f) for s, f in stmts if s.lineno <= line <= (s.end_lineno or s.lineno)]
    if not holding:
        return None
    return min(holding, key=lambda sf: (sf[0].end_lineno or sf[0].lineno) - sf[0].lineno)


def _call_names(stmt: ast.stmt) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _expected_lines(folder: Path, filename: str) -> set[int]:
    lines: set[int] = set()
    for expected in sorted(folder.glob("*.expected")):
        text = expected.read_text()
        rows = text.split("#select", 1)[1] if "#select" in text else text
        for match in re.finditer(rf"^\| {re.escape(filename)}:(\d+):", rows, re.M):
            lines.add(int(match.group(1)))
    return lines


def _labels(path: Path) -> dict[int, bool | None]:
    """Labelled lines of one file: True positive, False negative, None ambiguous."""
    source = path.read_text()
    comments = _comments(source)
    code_lines = sorted({n for n, (_, code) in comments.items() if code} | _code_lines(source))
    labels: dict[int, bool | None] = {}
    inline = any(_INLINE.search(text) for text, _ in comments.values())
    for line, (text, has_code) in sorted(comments.items()):
        if inline:
            if not _INLINE.search(text):
                continue
            labels[line] = "SPURIOUS" not in text
            continue
        bad, good = bool(_NOT_OK.search(text)), bool(_OK.search(text))
        if not (bad or good):
            continue
        target = line if has_code else next((n for n in code_lines if n > line), None)
        if target is None:
            continue
        labels[target] = None if bad and good else bad
    if not labels:
        labels = {line: True for line in _expected_lines(path.parent, path.name)}
    return labels


def _code_lines(source: str) -> set[int]:
    return {
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.stmt)
    }


def units_of(path: Path, rel: str, category: str, spec: dict) -> list[Unit]:
    tree = ast.parse(path.read_text())
    stmts = _statements(tree)
    keep = re.compile(spec.get("functions", ".*"))
    skip = re.compile(spec["skip_functions"]) if spec.get("skip_functions") else None

    def wanted(func: str) -> bool:
        name = func.split("@", 1)[0]
        return bool(keep.fullmatch(name)) and not (skip and skip.fullmatch(name))

    labelled: dict[tuple[int, int], Unit | None] = {}
    for line, label in _labels(path).items():
        found = _smallest(stmts, line)
        if found is None or not wanted(found[1]):
            continue
        stmt, func = found
        key = (stmt.lineno, stmt.end_lineno or stmt.lineno)
        if label is None or (key in labelled and labelled[key] is None):
            labelled[key] = None
            continue
        prior = labelled.get(key)
        labelled[key] = Unit(rel, key[0], key[1], label or bool(prior and prior.positive), func)
    units = [u for u in labelled.values() if u is not None]
    flawed = {u.function for u in units if u.positive}
    sinks = SINKS[category]
    for stmt, func in stmts:
        key = (stmt.lineno, stmt.end_lineno or stmt.lineno)
        if key in labelled or func in flawed or not wanted(func):
            continue
        if not (_call_names(stmt) & sinks):
            continue
        if any(u.first <= key[0] and key[1] <= u.last for u in units):
            continue
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try,
                             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        units.append(Unit(rel, key[0], key[1], False, func))
    return sorted(units, key=lambda u: (u.path, u.first))


# ``--code DIR`` runs the analyzer of another checkout (``git archive <commit> | tar -x``)
# to measure a commit before a change; by default the installed ``backend-audit``.
_CODE: dict[str, str] = {}


def _tool(*args: str) -> list[str]:
    return [sys.executable, "-m", "backend_audit", *args] if _CODE else ["backend-audit", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": _CODE["dir"] + "/analyzer"} if _CODE else dict(os.environ)


def rules_for(cwe: str) -> list[str]:
    out = subprocess.run(_tool("rules"), capture_output=True, text=True, check=True,
                         env=_env()).stdout
    ids = []
    for row in out.splitlines()[1:]:
        cols = row.split()
        if len(cols) >= 4 and cwe in cols[3].split(","):
            ids.append(cols[0])
    return ids


def findings(folder: Path, files: list[str], rules: list[str],
             level: str) -> list[tuple[str, int, str]]:
    cmd = _tool(*files, "--select", ",".join(rules), "-f", "json", "--no-cache",
                "--fail-on", "never", "-q", "--min-confidence", level)
    out = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=True,
                         env=_env()).stdout
    return [(f["path"], f["start_line"], f["rule_id"]) for f in json.loads(out)["findings"]]


def score(tests: Path, manifest: dict, level: str) -> dict[str, Tally]:
    result: dict[str, Tally] = {}
    for name, spec in manifest["categories"].items():
        folder = tests / spec["folder"]
        files = [f["path"].rsplit("/", 1)[1] for f in spec["files"] if f["path"].endswith(".py")]
        rules = rules_for(spec["cwe"])
        units = [u for f in files for u in units_of(folder / f, f, name, spec)]
        hits = findings(folder, files, rules, level) if rules else []
        tally = Tally()
        placed: set[tuple[str, int, str]] = set()
        for unit in units:
            on = [h for h in hits if h[0] == unit.path and unit.first <= h[1] <= unit.last]
            placed.update(on)
            where = f"{unit.path}:{unit.first} {unit.function}"
            if unit.positive and on:
                tally.tp += 1
            elif unit.positive:
                tally.fn += 1
                tally.misses.append(where)
            elif on:
                tally.fp += 1
                tally.alarms.append(f"{where} {sorted({h[2] for h in on})}")
            else:
                tally.tn += 1
        tally.unplaced = [f"{p}:{n} {r}" for p, n, r in sorted(set(hits) - placed)]
        result[name] = tally
    return result


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def report(tests: Path, manifest: dict, details: bool) -> dict:
    out: dict = {}
    for level in LEVELS:
        tallies = score(tests, manifest, level)
        label = "audit (--min-confidence low)" if level == "low" else "default (medium)"
        print(f"\n## {label}\n")
        print("| category | rules | TP | FN | FP | TN | TPR | FPR | TPR-FPR |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        rows = {}
        for name, t in tallies.items():
            spec = manifest["categories"][name]
            mark = "" if spec.get("in_design", True) else " (out of design)"
            nofp = "" if t.fp + t.tn else "*"
            rules = ",".join(rules_for(spec["cwe"])) or "-"
            print(f"| {name}{mark} | {rules} | {t.tp} | {t.fn} | {t.fp} | {t.tn} | "
                  f"{t.tpr:.2f} | {t.fpr:.2f}{nofp} | {t.tpr - t.fpr:+.2f} |")
            rows[name] = {"tp": t.tp, "fn": t.fn, "fp": t.fp, "tn": t.tn,
                          "tpr": t.tpr, "fpr": t.fpr, "misses": t.misses,
                          "alarms": t.alarms, "unplaced": t.unplaced}
        design = [t.tpr - t.fpr for n, t in tallies.items()
                  if manifest["categories"][n].get("in_design", True)]
        every = [t.tpr - t.fpr for t in tallies.values()]
        print(f"\naverage TPR-FPR: {_mean(design):+.2f} over {len(design)} in-design categories, "
              f"{_mean(every):+.2f} over all {len(every)} (* no negatives in the tests)")
        if details:
            for name, t in tallies.items():
                for kind, items in (("miss", t.misses), ("false alarm", t.alarms),
                                    ("unplaced", t.unplaced)):
                    for item in items:
                        print(f"  {name}: {kind}: {item}")
        out[level] = {"categories": rows, "average_in_design": _mean(design),
                      "average_all": _mean(every)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=Path, default=DEFAULT_TESTS)
    parser.add_argument("--details", action="store_true", help="list misses and false alarms")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--code", type=Path, help="a checkout whose analyzer to run instead")
    args = parser.parse_args(argv)
    if args.code:
        _CODE["dir"] = str(args.code.resolve())
    manifest = json.loads((HERE / "manifest.json").read_text())
    wanted = [Path(c["folder"]) / f["path"].rsplit("/", 1)[1]
              for c in manifest["categories"].values() for f in c["files"]]
    missing = [str(p) for p in wanted if not (args.tests / p).is_file()]
    if missing:
        print(f"missing test files under {args.tests}: {', '.join(missing)}", file=sys.stderr)
        return 2
    figures = report(args.tests, manifest, args.details)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
