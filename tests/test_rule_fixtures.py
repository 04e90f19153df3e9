"""One parametrised test over every annotated fixture, comparing exact lines."""

from __future__ import annotations

import pytest

from tests.corpus import Expectations, Unit, expectations, found, in_scope, units

UNITS = units()


def _describe(items) -> str:
    return ", ".join(f"{p}:{n} {r}" for p, n, r in sorted(items)) or "none"


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_fixture(unit: Unit) -> None:
    exp: Expectations = expectations(unit)
    scope = in_scope(unit, exp)
    got = {g for g in found(unit) if g[2] in scope}
    must_fire = exp.by_kind["expect"] | exp.by_kind["todo-ok"]
    must_not = exp.by_kind["ok"] | exp.by_kind["todo-expect"]
    missing = must_fire - got
    unexpected = got - must_fire
    wrongly = got & must_not
    assert not missing and not unexpected, (
        f"missing: {_describe(missing)}\nunexpected: {_describe(unexpected)}"
        f"\n(of which annotated ok/todo-expect: {_describe(wrongly)})"
    )
