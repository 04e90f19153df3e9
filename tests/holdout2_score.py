"""Score backend-audit against the second blind hold-out corpus (tests/holdout2/).

Every folder directly under tests/holdout2/ is one application.  Source lines carry
annotations at the end of the line:

    # expect-category: <cat>[, <cat>...]   a real problem that must be reported on this line
    # ok-category: <cat>[, <cat>...]       a look-alike that must NOT be reported

A finding matches an expectation when category, file (relative to the app folder)
and line are equal.  Every finding of a headline category that matches no
expectation is a false positive (FPs on an `ok-category` line are marked as such).

This only measures and always exits 0: it is not a test.

    python tests/holdout2_score.py [--app NAME ...] [--category CAT ...]
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "holdout2"
HEADLINE = ("validation", "password-storage", "sql-injection", "error-handling", "pagination")
ANNOTATION = re.compile(r"\b(expect|ok)-category:\s*([a-z][a-z-]*(?:\s*,\s*[a-z][a-z-]*)*)")
NEAR = 3

Key = tuple[str, str, str, int]  # (category, app, file, line)


def _annotations(app_dir: Path) -> tuple[set[Key], set[Key]]:
    expect: set[Key] = set()
    ok: set[Key] = set()
    for src in sorted(app_dir.rglob("*.py")):
        rel = src.relative_to(app_dir).as_posix()
        for lineno, line in enumerate(src.read_text(encoding="utf-8").splitlines(), start=1):
            if "-category:" not in line:
                continue
            comment = line[line.index("#"):] if "#" in line else ""
            for kind, cats in ANNOTATION.findall(comment):
                for cat in (c.strip() for c in cats.split(",")):
                    if cat not in HEADLINE:
                        where = f"{app_dir.name}/{rel}:{lineno}"
                        print(f"warning: {where}: unknown category {cat!r}", file=sys.stderr)
                        continue
                    (expect if kind == "expect" else ok).add((cat, app_dir.name, rel, lineno))
    clash = expect & ok
    for key in sorted(clash):
        where = f"{key[1]}/{key[2]}:{key[3]}"
        print(f"warning: {where}: {key[0]} is both expected and ok", file=sys.stderr)
    return expect, ok


def _findings(app_dir: Path, level: str = "medium") -> dict[Key, list[tuple[str, str]]]:
    report = scan([app_dir], Config(min_confidence=level), ScanOptions(jobs=1))
    found: dict[Key, list[tuple[str, str]]] = defaultdict(list)
    for f in report.findings:
        if f.category not in HEADLINE:
            continue
        path = Path(str(f.path))
        if path.is_absolute():
            try:
                path = path.relative_to(app_dir)
            except ValueError:
                pass
        key = (f.category, app_dir.name, path.as_posix(), f.region.start_line)
        found[key].append((f.rule_id, f.message))
    return found


def _source_line(key: Key) -> str:
    lines = (CORPUS / key[1] / key[2]).read_text(encoding="utf-8").splitlines()
    text = lines[key[3] - 1].strip() if 0 < key[3] <= len(lines) else ""
    text = text.split("  # ")[0] if "-category:" in text else text
    return text if len(text) <= 140 else text[:137] + "..."


def _pct(num: int, den: int) -> float:
    return num / den if den else 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="append", default=[],
                        help="score only this app folder (repeatable)")
    parser.add_argument("--category", action="append", default=[], choices=HEADLINE,
                        help="only this category (repeatable)")
    parser.add_argument("--min-confidence", default="medium", choices=("low", "medium", "high"),
                        help="the confidence floor, as the CLI's option (low: the audit level)")
    args = parser.parse_args(argv)
    categories = tuple(args.category) or HEADLINE

    apps = sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    if args.app:
        apps = [p for p in apps if p.name in args.app]

    expect: set[Key] = set()
    ok: set[Key] = set()
    found: dict[Key, list[tuple[str, str]]] = {}
    for app_dir in apps:
        e, o = _annotations(app_dir)
        expect |= e
        ok |= o
        found.update(_findings(app_dir, args.min_confidence))

    expect = {k for k in expect if k[0] in categories}
    ok = {k for k in ok if k[0] in categories}
    found = {k: v for k, v in found.items() if k[0] in categories}

    tp = expect & found.keys()
    fn = expect - found.keys()
    fp = found.keys() - expect

    print(f"hold-out corpus 2: {len(apps)} apps under {CORPUS.relative_to(HERE.parent)}")
    print()
    header = (f"{'category':<18}{'expect':>7}{'ok':>5}{'TP':>5}{'FP':>5}{'FN':>5}"
              f"{'prec':>8}{'recall':>8}{'F1':>7}")
    print(header)
    print("-" * len(header))
    precs, recs, f1s = [], [], []
    for cat in categories:
        t = sum(1 for k in tp if k[0] == cat)
        p = sum(1 for k in fp if k[0] == cat)
        n = sum(1 for k in fn if k[0] == cat)
        ne = sum(1 for k in expect if k[0] == cat)
        no = sum(1 for k in ok if k[0] == cat)
        prec, rec = _pct(t, t + p), _pct(t, t + n)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        precs.append(prec)
        recs.append(rec)
        f1s.append(f1)
        print(f"{cat:<18}{ne:>7}{no:>5}{t:>5}{p:>5}{n:>5}{prec:>8.2f}{rec:>8.2f}{f1:>7.2f}")
    print("-" * len(header))
    k = len(categories)
    print(f"{'macro average':<43}{sum(precs) / k:>8.2f}{sum(recs) / k:>8.2f}{sum(f1s) / k:>7.2f}")
    fp_on_ok = sum(1 for key in fp if key in ok)
    print(f"(FP on an ok-category line: {fp_on_ok}; "
          f"FP on an unannotated line: {len(fp) - fp_on_ok})")

    # near misses: an FN and an FP of the same category in the same file within NEAR lines
    near: list[tuple[Key, Key]] = []
    used_fn: set[Key] = set()
    used_fp: set[Key] = set()
    for miss in sorted(fn, key=lambda x: (x[0], x[1], x[2], x[3])):
        candidates = [f for f in fp
                      if f[:3] == miss[:3] and abs(f[3] - miss[3]) <= NEAR and f not in used_fp]
        if candidates:
            best = min(candidates, key=lambda f: abs(f[3] - miss[3]))
            near.append((miss, best))
            used_fn.add(miss)
            used_fp.add(best)

    def _loc(key: Key) -> str:
        return f"{key[1]}/{key[2]}:{key[3]}"

    print()
    print(f"near misses (FN and FP of one category within {NEAR} lines in one file): {len(near)}")
    for miss, extra in near:
        for rule_id, message in found[extra]:
            print(f"  [{miss[0]}] expected {_loc(miss)}, reported line {extra[3]}: "
                  f"{rule_id} {message}")

    print()
    print(f"false negatives: {len(fn)}")
    for key in sorted(fn, key=lambda x: (x[0], x[1], x[2], x[3])):
        tag = "  (near miss)" if key in used_fn else ""
        print(f"  FN [{key[0]}] {_loc(key)}{tag}")
        print(f"       {_source_line(key)}")

    print()
    print(f"false positives: {len(fp)}")
    for key in sorted(fp, key=lambda x: (x[0], x[1], x[2], x[3])):
        tags = []
        if key in ok:
            tags.append("on ok line")
        if key in used_fp:
            tags.append("near miss")
        tag = f"  ({', '.join(tags)})" if tags else ""
        for rule_id, message in found[key]:
            print(f"  FP [{key[0]}] {_loc(key)} {rule_id}: {message}{tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
