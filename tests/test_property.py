"""Property-based tests: the engine never raises on any source text, and the fast walker
makes exactly the callbacks libcst's own traversal makes."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
from backend_audit.catalogue import load_catalogue
from backend_audit.config import Config
from backend_audit.engines.libcst_engine import FileResult, analyse_source
from backend_audit.engines.walk import walk, walk_batched
from backend_audit.pipeline import _words
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures"
RULES = load_catalogue()
RULE_IDS = frozenset(r.id for r in RULES if r.engine == "libcst")
WORDS = _words(RULES)

SEEDS = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))[:40]] or [
    "import os\n\ndef f(cur, x):\n    cur.execute('SELECT %s' % x)\n"]
# Fragments that stress the parser and the checks: odd tokens, unbalanced brackets,
# Python 2 syntax, decorators without functions, deep nesting, strange whitespace.
FRAGMENTS = ["(", ")", "[", "]", "{", "}", ":", "\n", "\r", "\r\n", "\t", "    ", "\\\n",
             "'", '"', '"""', "f'{", "}'", "#", "@app.get('/x')\n", "def ", "class ",
             "lambda: ", "print 'x'\n", "exec 'y'\n", "async ", "await ", "yield ", "return ",
             "request.args['q']", ".execute(", "import flask\n", "from django.db import ",
             " + ", " % ", "*", "**", "=", "==", ":=", "\x0c", "\ufeff", "é", "\u2028"]


def _mutate(data: st.DataObject, text: str) -> str:
    for _ in range(data.draw(st.integers(0, 6))):
        pos = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:pos] + data.draw(st.sampled_from(FRAGMENTS)) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 40)):]
        else:
            text = text[:pos] + text[pos:pos + 80] + text[pos:]
    return text


def _never_raises(text: str) -> FileResult:
    result = analyse_source("app/module.py", text, Config(), RULE_IDS, WORDS)
    assert isinstance(result, FileResult)
    for cand in result.candidates:
        assert cand.start_line >= 1 and cand.rule_id in RULE_IDS
    return result


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_application_code_never_raises(data: st.DataObject) -> None:
    _never_raises(_mutate(data, data.draw(st.sampled_from(SEEDS))))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(FRAGMENTS + list("abcxyz019 .,")), max_size=120).map("".join))
def test_random_token_soup_never_raises(text: str) -> None:
    _never_raises(text)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_raises(text: str) -> None:
    _never_raises(text)


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node)))
        return not isinstance(node, cst.Lambda)  # also check that False prunes the same

    def on_leave(self, node: cst.CSTNode) -> None:
        self.events.append(("leave", id(node)))


class _Names(cst.BatchableCSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append(("name", id(node)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.events.append(("def", id(node)))

    def visit_Comment(self, node: cst.Comment) -> None:
        self.events.append(("comment", id(node)))


class _Typed(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def visit_Call(self, node: cst.Call) -> bool:
        self.events.append(("call", id(node)))
        return len(node.args) < 2

    def leave_Attribute(self, node: cst.Attribute) -> None:
        self.events.append(("attr", id(node)))


def _same_traversal(module: cst.Module) -> None:
    a, b = _Recorder(), _Recorder()
    module.visit(a)
    walk(module, b)
    assert a.events == b.events
    c, d = _Typed(), _Typed()
    module.visit(c)
    walk(module, d)
    assert c.events == d.events
    x, y = _Names(), _Names()
    hx: list[int] = []
    hy: list[int] = []
    cst.visit_batched(module, [x], before_visit=lambda n: hx.append(id(n)),
                      after_leave=lambda n: hx.append(-id(n)))
    walk_batched(module, [y], before_visit=lambda n: hy.append(id(n)),
                 after_leave=lambda n: hy.append(-id(n)))
    assert x.events == y.events and hx == hy


def test_walk_matches_libcst_on_fixtures() -> None:
    for path in sorted(FIXTURES.rglob("*.py"))[::3]:
        _same_traversal(cst.parse_module(path.read_text(encoding="utf-8")))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.data())
def test_walk_matches_libcst_on_mutated_code(data: st.DataObject) -> None:
    text = _mutate(data, data.draw(st.sampled_from(SEEDS)))
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return
    _same_traversal(module)
