"""Score backend-audit against the blind hold-out corpus in tests/holdout/.

Each folder under tests/holdout/ is one small application. Lines carry annotations:

    # expect-category: <cat>[, <cat>...]   a real problem the tool must report on this line
    # ok-category: <cat>[, <cat>...]       a look-alike the tool must NOT report (documentation;
                                           any unexpected finding is a false positive anyway)

A finding matches an expectation when category, file (relative to the app folder) and line
are equal. Only the five headline categories are scored. This script only measures: it always
exits 0 and is not a test (pytest does not collect it).

Usage:  python tests/holdout_score.py [--app NAME ...] [--category CAT ...]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parent / "holdout"
HEADLINE = ("validation", "password-storage", "sql-injection", "error-handling", "pagination")
NEAR = 3

_ANNOT = re.compile(r"\b(expect|ok)-category:\s*([a-z][a-z\-]*(?:\s*,\s*[a-z][a-z\-]*)*)")


@dataclass
class Hit:
    rule_id: str
    message: str


@dataclass
class AppResult:
    name: str
    expect: dict = field(default_factory=dict)  # (cat, path, line) -> source line
    ok: set = field(default_factory=set)  # (cat, path, line)
    found: dict = field(default_factory=lambda: defaultdict(list))  # (cat, path, line) -> [Hit]
    error: str | None = None
    seconds: float = 0.0


def parse_annotations(app_dir: Path) -> tuple[dict, set]:
    expect: dict = {}
    ok: set = set()
    for path in sorted(app_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(app_dir).as_posix()
        for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for kind, cats in _ANNOT.findall(text):
                for cat in (c.strip() for c in cats.split(",")):
                    if cat not in HEADLINE:
                        print(f"warning: {rel}:{lineno}: unknown category {cat!r}", file=sys.stderr)
                        continue
                    key = (cat, rel, lineno)
                    if kind == "expect":
                        expect[key] = text.split("#", 1)[0].strip()
                    else:
                        ok.add(key)
    return expect, ok


def _rel(finding_path, app_dir: Path) -> str:
    p = Path(str(finding_path))
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(app_dir.resolve())
        except ValueError:
            pass
    return p.as_posix().removeprefix("./")


def run_app(app_dir: Path, level: str = "medium") -> AppResult:
    from backend_audit.config import Config
    from backend_audit.pipeline import ScanOptions, scan

    result = AppResult(app_dir.name)
    result.expect, result.ok = parse_annotations(app_dir)
    started = time.monotonic()
    try:
        report = scan([app_dir], Config(min_confidence=level), ScanOptions(jobs=1))
    except Exception:  # measuring script: report the crash and keep scoring other apps
        result.error = traceback.format_exc()
        return result
    finally:
        result.seconds = time.monotonic() - started
    for f in report.findings:
        cat = getattr(f, "category", None)
        if cat not in HEADLINE:
            continue
        key = (cat, _rel(f.path, app_dir), int(f.region.start_line))
        result.found[key].append(
            Hit(str(getattr(f, "rule_id", "?")), str(getattr(f, "message", "")))
        )
    return result


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def _fmt(x: float) -> str:
    return "  n/a" if x != x else f"{x:5.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--app", action="append", help="only these app folders (repeatable)")
    ap.add_argument("--category", action="append", choices=HEADLINE, help="only these categories")
    ap.add_argument("--min-confidence", default="medium", choices=("low", "medium", "high"),
                    help="the confidence floor, as the CLI's option (low: the audit level)")
    args = ap.parse_args(argv)
    cats = tuple(args.category or HEADLINE)

    apps = sorted(p for p in HOLDOUT.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if args.app:
        apps = [p for p in apps if p.name in set(args.app)]

    results = []
    for app_dir in apps:
        r = run_app(app_dir, args.min_confidence)
        results.append(r)
        n_found = sum(len(v) for v in r.found.values())
        status = "ERROR" if r.error else f"{n_found} headline findings"
        print(f"scanned {r.name:<22} {r.seconds:6.1f}s  {status}")
        if r.error:
            print(r.error)

    # ------------------------------------------------------------------ classify
    tp: dict[str, list] = defaultdict(list)
    fn: dict[str, list] = defaultdict(list)
    fp: dict[str, list] = defaultdict(list)
    for r in results:
        if r.error:
            continue
        for key, src in r.expect.items():
            if key[0] not in cats:
                continue
            (tp if key in r.found else fn)[key[0]].append((r, key, src))
        for key, hits in r.found.items():
            if key[0] in cats and key not in r.expect:
                fp[key[0]].append((r, key, hits))

    near: dict[str, list] = defaultdict(list)
    near_fn: set = set()
    near_fp: set = set()
    for cat in cats:
        for r, key, src in fn[cat]:
            for r2, key2, hits in fp[cat]:
                if r2 is r and key2[1] == key[1] and abs(key2[2] - key[2]) <= NEAR:
                    near[cat].append((r, key, src, key2, hits))
                    near_fn.add((r.name, key))
                    near_fp.add((r.name, key2))

    # ------------------------------------------------------------------ summary
    print()
    print(f"Corpus: {len(results)} apps under {HOLDOUT.relative_to(HOLDOUT.parent.parent)}")
    header = (
        f"{'category':<17} {'expect':>6} {'ok':>4} {'TP':>4} {'FP':>4} {'FN':>4} "
        f"{'prec':>6} {'recall':>6} {'F1':>6}   {'near':>4}  {'FP@ok':>5}"
    )
    print(header)
    print("-" * len(header))
    precs, recs, f1s = [], [], []
    for cat in cats:
        n_exp = sum(1 for r in results for k in r.expect if k[0] == cat)
        n_ok = sum(1 for r in results for k in r.ok if k[0] == cat)
        t, p, n = len(tp[cat]), len(fp[cat]), len(fn[cat])
        prec, rec = _ratio(t, t + p), _ratio(t, t + n)
        f1 = _ratio(2 * prec * rec, prec + rec) if t else 0.0
        fp_on_ok = sum(1 for r, k, _ in fp[cat] if k in r.ok)
        precs.append(prec)
        recs.append(rec)
        f1s.append(f1)
        print(
            f"{cat:<17} {n_exp:>6} {n_ok:>4} {t:>4} {p:>4} {n:>4} "
            f"{_fmt(prec):>6} {_fmt(rec):>6} {_fmt(f1):>6}   {len(near[cat]):>4}  {fp_on_ok:>5}"
        )

    def _mean(xs):
        xs = [x for x in xs if x == x]
        return sum(xs) / len(xs) if xs else float("nan")

    print("-" * len(header))
    pad = " " * 41
    print(
        f"{'macro average':<17}{pad}"
        f"{_fmt(_mean(precs)):>6} {_fmt(_mean(recs)):>6} {_fmt(_mean(f1s)):>6}"
    )

    # lenient view: a near miss counted as a hit (line convention differs, problem was found)
    lp, lr = [], []
    for cat in cats:
        uniq_fn = len({(r.name, k) for r, k, *_ in near[cat]})
        uniq_fp = len({(r.name, k2) for r, _k, _s, k2, _h in near[cat]})
        t = len(tp[cat]) + uniq_fn
        p = len(fp[cat]) - uniq_fp
        n = len(fn[cat]) - uniq_fn
        lp.append(_ratio(t, t + p))
        lr.append(_ratio(t, t + n))
    print(
        f"{'macro (lenient)':<17}{pad}{_fmt(_mean(lp)):>6} {_fmt(_mean(lr)):>6}"
        "    (near misses counted as hits)"
    )
    print(
        "FP@ok = false positives on a line annotated ok-category (a known look-alike); "
        "the rest are on unannotated lines."
    )

    # ------------------------------------------------------------------ details
    for cat in cats:
        if not (fn[cat] or fp[cat]):
            continue
        print()
        print(f"=== {cat}: {len(fn[cat])} FN, {len(fp[cat])} FP")
        for r, key, src in sorted(fn[cat], key=lambda x: (x[0].name, x[1][1], x[1][2])):
            tag = "  [near miss]" if (r.name, key) in near_fn else ""
            print(f"  FN {r.name}/{key[1]}:{key[2]}{tag}")
            print(f"       | {src}")
        for r, key, hits in sorted(fp[cat], key=lambda x: (x[0].name, x[1][1], x[1][2])):
            tag = "  [near miss]" if (r.name, key) in near_fp else ""
            where = "ok-annotated" if key in r.ok else "unannotated"
            for h in hits:
                print(f"  FP {r.name}/{key[1]}:{key[2]} ({where}) {h.rule_id}: {h.message}{tag}")

    print()
    total_near = sum(len(v) for v in near.values())
    print(
        "=== near misses (FN and FP of the same category, same file, "
        f"within {NEAR} lines): {total_near}"
    )
    for cat in cats:
        for r, key, _src, key2, hits in near[cat]:
            rules = ", ".join(sorted({h.rule_id for h in hits}))
            print(
                f"  {cat}: {r.name}/{key[1]} expected line {key[2]}, "
                f"reported line {key2[2]} ({rules})"
            )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
