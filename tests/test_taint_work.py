"""The taint evaluator's one budget holds for every way a walk reads a name again."""

from __future__ import annotations

import pytest
from backend_audit.flow import taint as taint_module
from backend_audit.flow.budget import MAX_WORK

from tests.test_injection_sources import _sink_source


def _count_name_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = taint_module.Taint._name

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(taint_module.Taint, "_name", counted)
    return calls


def test_a_long_run_of_augmented_assignments_stays_within_the_budget(monkeypatch) -> None:
    # ``changed |= helper(...)`` eighteen times: each one also keeps what ``changed``
    # held before, and every earlier one does too (2**18 paths without the budget).
    body = "changed = False\n" + "".join(
        f'changed |= store("k{i}", request.form.get("k{i}"))\n' for i in range(18)) + \
        "sink(changed)\n"
    calls = _count_name_reads(monkeypatch)
    _sink_source(body)
    assert calls[0] <= MAX_WORK + 10


def test_a_short_run_still_finds_the_input_it_carries(monkeypatch) -> None:
    body = 'line = "tar -czf out.tgz"\n' + "".join(
        f'line += " " + request.args["f{i}"]\n' for i in range(5)) + "sink(line)\n"
    assert _sink_source(body) is not None
