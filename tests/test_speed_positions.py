"""Positions reuse the stdlib parser's tree of the file made by the engine's first check
(``python_parse_problem``) instead of parsing the text a second time."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from backend_audit.config import Config
from backend_audit.engines import positions
from backend_audit.engines.libcst_engine import analyse_source, python_parse_problem
from backend_audit.engines.positions import statement_positions
from backend_audit.engines.walk import descendants
from backend_audit.pipeline import ScanOptions, _words, enabled_rules

FIXTURES = [f for f in sorted(Path(__file__).parent.joinpath("fixtures").rglob("*.py"))
            if "(" in f.read_text(encoding="utf-8")][::5]

VIEW = '''from django.db import connection


def report(request):
    table = request.GET["table"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {table}"
        )
'''


@pytest.mark.parametrize("path", FIXTURES, ids=[f.name for f in FIXTURES])
def test_the_kept_tree_gives_the_same_positions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    trees: list[ast.Module] = []
    assert python_parse_problem(path.name, text, trees) is None
    module = cst.parse_module(text)
    calls = list(descendants(module, cst.Call))
    own = statement_positions(module, text, calls)
    kept = statement_positions(module, text, calls, trees[0])
    assert (own is None) is (kept is None)
    if own is not None and kept is not None:
        assert {i: own.ranges[id(c)] for i, c in enumerate(calls)} == \
            {i: kept.ranges[id(c)] for i, c in enumerate(calls)}
        assert own.statements == kept.statements


def test_a_rejected_file_keeps_no_tree() -> None:
    trees: list[ast.Module] = []
    assert python_parse_problem("bad.py", "def f(:\n", trees) is not None
    assert trees == []


def test_a_file_with_findings_is_parsed_by_the_stdlib_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class NoParse:
        """The ``ast`` module as positions.py sees it, without ``parse``."""

        def __getattr__(self, name: str) -> object:
            if name == "parse":
                raise AssertionError("the text was parsed again")
            return getattr(ast, name)

    monkeypatch.setattr(positions, "ast", NoParse())
    rules = enabled_rules(Config(), ScanOptions(select=("BA301",)))
    result = analyse_source("views.py", VIEW, Config(),
                            frozenset(r.id for r in rules if r.engine == "libcst"),
                            _words(rules))
    assert [(c.rule_id, c.start_line) for c in result.candidates] == [("BA301", 7)]
