"""string_value's quick path gives what libcst's evaluated_value gives, on every string
literal of the fixtures and on awkward spellings."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from backend_audit.appmodel.names import string_value
from backend_audit.engines.walk import descendants

FIXTURES = Path(__file__).parent / "fixtures"
AWKWARD = ['"abc"', "'a\"b'", '"""x\ny"""', "r'\\d+'", "b'x\\x00'", "u'caf\u00e9'",
           "'a\\nb'", '""', "''''''", "R'x'", "rb'\\n'", "'''a\r\nb'''", "'tab\\there'"]


def _expected(node: cst.SimpleString) -> str | None:
    try:
        value = node.evaluated_value
    except Exception:  # noqa: BLE001
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else value


@pytest.mark.parametrize("literal", AWKWARD)
def test_awkward_literals(literal: str) -> None:
    node = cst.parse_expression(literal)
    assert isinstance(node, cst.SimpleString)
    assert string_value(node) == _expected(node)


def test_every_fixture_string_literal() -> None:
    checked = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        for node in descendants(module, cst.SimpleString):
            assert string_value(node) == _expected(node), (path, node.value)
            checked += 1
    assert checked > 1000
