"""The engine parses without libcst's per-node validation: same trees, and validation
is back on afterwards."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from backend_audit.engines.libcst_engine import parse_trusted

FIXTURES = Path(__file__).parent / "fixtures"


def test_trees_equal_libcsts_own_parse() -> None:
    files = sorted(FIXTURES.rglob("*.py"))[::3]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        trusted = parse_trusted(text)
        assert trusted.deep_equals(cst.parse_module(text)), path
        assert trusted.code == text


def test_validation_is_back_on_after_a_parse_even_a_failed_one() -> None:
    parse_trusted("x = 1\n")
    with pytest.raises(cst.ParserSyntaxError):
        parse_trusted("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # a hand-built node is still checked
