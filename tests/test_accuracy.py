"""The accuracy script runs as part of the suite and holds every category to its target,
and every rule to 0.9 precision and recall on its fixtures."""

from __future__ import annotations

import pytest

from tests.accuracy import measure, rule_problems

ROWS = measure()
RULE_ROWS = measure(by_rule=True)


@pytest.mark.parametrize("row", [r for r in ROWS if r.target is not None],
                         ids=lambda r: r.category)
def test_category_meets_its_target(row) -> None:
    assert not row.problems(), f"{row.category}: {'; '.join(row.problems())}"


@pytest.mark.parametrize("row", RULE_ROWS, ids=lambda r: r.category)
def test_rule_meets_its_target(row) -> None:
    assert not rule_problems(row), f"{row.category}: {'; '.join(rule_problems(row))}"
