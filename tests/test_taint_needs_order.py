"""Which needs a value keeps, when it has more than it may keep, never depends on the
order the evaluator found them in (output is deterministic whatever the hash seed or the
order sets of nodes are walked in)."""

from backend_audit.flow.taint import MAX_NEEDS, PARAM, RETURNS, THROUGH, Need, Reach, _either


def _needs() -> list[Need]:
    out = [Need(RETURNS, f"app.services.helper_{i}") for i in range(MAX_NEEDS)]
    out += [Need(PARAM, "app.views.create", i, f"arg{i}") for i in range(3)]
    # Two needs that differ only in what their argument needs: the old sort key tied them.
    out.append(Need(THROUGH, "app.services.store", 0, None, (Need(RETURNS, "app.a"),)))
    out.append(Need(THROUGH, "app.services.store", 0, None, (Need(RETURNS, "app.b"),)))
    return out


def test_either_keeps_the_same_needs_whatever_order_they_come_in() -> None:
    needs = _needs()
    forward = _either(Reach(None, frozenset({n})) for n in needs)
    backward = _either(Reach(None, frozenset({n})) for n in reversed(needs))
    assert len(forward.needs) == MAX_NEEDS
    assert forward.needs == backward.needs


def test_order_breaks_ties_on_what_an_argument_needs() -> None:
    a, b = _needs()[-2:]
    assert a.order() != b.order()
    assert sorted([b, a], key=Need.order) == [a, b]
