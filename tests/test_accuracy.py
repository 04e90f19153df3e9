"""The accuracy script runs as part of the suite and holds every category to its target."""

from __future__ import annotations

import pytest

from tests.accuracy import measure

ROWS = measure()


@pytest.mark.parametrize("row", [r for r in ROWS if r.target is not None],
                         ids=lambda r: r.category)
def test_category_meets_its_target(row) -> None:
    assert not row.problems(), f"{row.category}: {'; '.join(row.problems())}"
