"""Per-category precision and recall of backend-audit on the annotated fixture corpus.

    python tests/accuracy.py            # table; exit 1 if a category misses its target
    python tests/accuracy.py --rules    # the same per rule (target 0.9 for every rule)

Positives are ``# expect:`` (found = true positive) and ``# todo-expect:`` (a known miss)
lines; every other in-scope finding (``# ok:``, ``# todo-ok:`` or an unannotated line)
is a false positive. Targets: headline categories 0.95 precision and recall with at
least 15 positives and 15 annotated negatives; core categories 0.9. Per rule
(``--rules``), every rule with examples is held to 0.9 precision and recall, with at least
one positive and one annotated negative.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend_audit.catalogue import load_catalogue, load_categories  # noqa: E402

from tests.corpus import Score, expectations, found, in_scope, units  # noqa: E402

TARGETS = {"headline": 0.95, "core": 0.9}
MIN_EXAMPLES = {"headline": 15, "core": 1}


@dataclass
class Row:
    category: str
    tier: str
    score: Score
    positives: int
    negatives: int

    @property
    def target(self) -> float | None:
        return TARGETS.get(self.tier)

    def problems(self) -> list[str]:
        out = []
        if self.target is None:
            return out
        if self.score.precision < self.target:
            out.append(f"precision {self.score.precision:.3f} < {self.target}")
        if self.score.recall < self.target:
            out.append(f"recall {self.score.recall:.3f} < {self.target}")
        need = MIN_EXAMPLES[self.tier]
        if self.positives < need:
            out.append(f"only {self.positives} positive examples (need {need})")
        if self.negatives < need:
            out.append(f"only {self.negatives} negative examples (need {need})")
        return out


RULE_TARGET = 0.9


def measure(by_rule: bool = False) -> list[Row]:
    """Rows per category, or per rule (``Row.category`` then holds the rule id and
    ``Row.tier`` its category)."""
    category_of: dict[str, str] = defaultdict(lambda: "unknown-rule")
    if by_rule:
        category_of.update({r.id: r.id for r in load_catalogue()})
    else:
        category_of.update({r.id: r.category for r in load_catalogue()})
    scores: dict[str, Score] = defaultdict(Score)
    positives: dict[str, int] = defaultdict(int)
    negatives: dict[str, int] = defaultdict(int)
    for unit in units():
        exp = expectations(unit)
        scope = in_scope(unit, exp)
        got = {g for g in found(unit) if g[2] in scope}
        pos = exp.by_kind["expect"] | exp.by_kind["todo-expect"]
        for item in pos:
            cat = category_of[item[2]]
            positives[cat] += 1
            if item in got:
                scores[cat].tp += 1
            else:
                scores[cat].fn += 1
        for item in exp.by_kind["ok"] | exp.by_kind["todo-ok"]:
            negatives[category_of[item[2]]] += 1
        for item in got - pos:
            scores[category_of[item[2]]].fp += 1
    rows = []
    if by_rule:
        for rule in sorted(load_catalogue(), key=lambda r: (r.category, r.id)):
            if positives[rule.id] or negatives[rule.id] or rule.id in scores:
                rows.append(Row(rule.id, rule.category, scores[rule.id], positives[rule.id],
                                negatives[rule.id]))
        return rows
    for cat in load_categories().values():
        if cat.id in scores or cat.tier in TARGETS:
            rows.append(Row(cat.id, cat.tier, scores[cat.id], positives[cat.id],
                            negatives[cat.id]))
    return rows


def rule_problems(r: Row) -> list[str]:
    out = []
    if r.score.precision < RULE_TARGET:
        out.append(f"precision {r.score.precision:.3f} < {RULE_TARGET}")
    if r.score.recall < RULE_TARGET:
        out.append(f"recall {r.score.recall:.3f} < {RULE_TARGET}")
    if not r.positives:
        out.append("no positive example")
    if not r.negatives:
        out.append("no negative example")
    return out


def main(argv: list[str] | None = None) -> int:
    by_rule = "--rules" in (sys.argv[1:] if argv is None else argv)
    rows = measure(by_rule)
    first, second = ("rule", "category") if by_rule else ("category", "tier")
    print(f"{first:<18} {second:<16} {'TP':>4} {'FP':>4} {'FN':>4} {'pos':>4} {'neg':>4} "
          f"{'precision':>9} {'recall':>7}  status")
    failed = False
    for r in rows:
        problems = rule_problems(r) if by_rule else r.problems()
        failed |= bool(problems)
        print(f"{r.category:<18} {r.tier:<16} {r.score.tp:>4} {r.score.fp:>4} {r.score.fn:>4} "
              f"{r.positives:>4} {r.negatives:>4} {r.score.precision:>9.3f} "
              f"{r.score.recall:>7.3f}  {'; '.join(problems) or 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
