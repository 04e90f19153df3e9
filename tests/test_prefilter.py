"""The prefilter (libcst_engine._wants) never keeps a check from a file it needs.

A file is parsed for a check only when its text passes the check's gates (catalogue
``words`` and ``pattern``, ``source_pattern``, an import of a required framework).
These tests hold every gate to the fixture corpus: each line annotated as firing lies in
a file that passes its rule's gates, and every check or collector that reports or records
a fact on a fixture file when run without gates passes them there too.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.routes import _frameworks
from backend_audit.catalogue import load_catalogue
from backend_audit.checks import check_classes, collector_classes
from backend_audit.config import Config
from backend_audit.engines.libcst_engine import (
    _framework_import,
    _rule_patterns,
    _Text,
    _traverse,
    _wants,
)
from backend_audit.pipeline import _words
from backend_audit.visitor import Check

from tests.corpus import Unit, expectations, units

RULES = load_catalogue()
WORDS = _words(RULES)
LIBCST_IDS = {r.id for r in RULES if r.engine == "libcst"}
CHECKS = {rid: cls for rid, cls in check_classes().items() if rid in LIBCST_IDS}
UNITS = units()


def _files(unit: Unit) -> list[tuple[str, Path]]:
    """(path relative to the scanned folder, file) as a scan of the unit names them."""
    root = unit.path if unit.path.is_dir() else unit.path.parent
    return [(f.relative_to(root).as_posix(), f) for f in unit.files()]


def _firing(unit: Unit) -> set[tuple[str, str]]:
    """(file name, rule id) of every line annotated as firing: expect and todo-ok."""
    exp = expectations(unit)
    return {(rel, rid) for kind in ("expect", "todo-ok")
            for rel, _, rid in exp.by_kind[kind] if rid in CHECKS}


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_annotated_findings_pass_their_rules_prefilter(unit: Unit) -> None:
    texts = {p.name if unit.path.is_file() else p.relative_to(unit.path).as_posix():
             p.read_text(encoding="utf-8") for p in unit.files()}
    dropped = sorted((rel, rid) for rel, rid in _firing(unit)
                     if not _wants(CHECKS[rid], texts[rel], WORDS))
    assert not dropped, f"the prefilter skips files with expected findings: {dropped}"


# Checks whose words were never a precondition of all they do (the scan has always
# skipped these files for them, so skipping them is no change; issue 6 lists them).
KNOWN_GAPS = {
    "BA403": "facts: response_helper of any module-level function returning a parameter",
    "BA502": "facts: rows-function / list-view-class of any module",
    "BA201": "facts of any model or schema; candidates: Model(**schema.model_dump()) whose "
             "schema, in another module, has a password field",
    "BA206": "facts of any model or schema; candidates: response_model=Schema whose "
             "schema, in another module, has a password field",
}


def _output(cls: type[Check], rel: str, text: str, module: cst.Module) -> bool:
    """Whether ``cls`` alone, run without any gate, reports or records facts."""
    ctx = ModuleContext(rel, text, module, Config())
    if not cls.applies_to(ctx):
        return False
    visitor = cls(ctx)
    _traverse(module, ctx, [visitor])
    return bool(visitor.candidates or ctx.facts)


def _parsed_fixtures() -> list[tuple[str, str, cst.Module]]:
    out = []
    for unit in UNITS:
        for rel, path in _files(unit):
            text = path.read_text(encoding="utf-8")
            try:
                out.append((rel, text, cst.parse_module(text)))
            except cst.ParserSyntaxError:
                continue
    return out


GATED = [c for c in (*CHECKS.values(), *collector_classes()) if c.rule_id not in KNOWN_GAPS]


@pytest.fixture(scope="module")
def fixtures() -> list[tuple[str, str, cst.Module]]:
    return _parsed_fixtures()


@pytest.mark.parametrize("cls", GATED, ids=[c.rule_id or c.__name__ for c in GATED])
def test_a_check_with_output_on_a_fixture_passes_its_prefilter(
        cls: type[Check], fixtures: list[tuple[str, str, cst.Module]]) -> None:
    dropped = [rel for rel, text, module in fixtures
               if not _wants(cls, text, WORDS) and _output(cls, rel, text, module)]
    assert not dropped, f"{cls.__name__} reports or records facts in skipped files: {dropped}"


IMPORTS = [
    "import flask", "import os, flask as f", "import os.path, \\\n    flask.views",
    "from flask import Flask", "from  flask.views import MethodView",
    "from \\\n    rest_framework import views", "import flask_restx",
    "from flask_smorest import Api",
    "try:\n    import aiohttp.web as web\nexcept ImportError:\n    pass",
    "def f():\n    from fastapi import FastAPI\n", "class A:\n    import starlette\n",
    "import django.conf;import json", "x = 1; from django import forms",
    "from typing import (\n    Any,\n)\nimport sys, fastapi",
    "from sanic import Sanic", "from ninja import NinjaAPI",
    "from ninja_extra import api_controller", "from litestar import get", "import tornado.web",
    "from quart import Quart",
]


@pytest.mark.parametrize("source", IMPORTS)
def test_framework_gate_is_a_superset_of_the_frameworks_a_module_imports(source: str) -> None:
    found = _frameworks(ModuleContext("m.py", source, cst.parse_module(source),
                                      Config()).imports)
    assert found
    for fw in found:
        gate = _framework_import(frozenset({fw}))
        assert gate is not None and re.search(gate, source), fw


def test_framework_gate_skips_modules_without_those_imports() -> None:
    gate = _framework_import(frozenset({"flask"}))
    assert gate is not None
    for source in ("import os\nflask_app = 1\n", "from .flaskish import x\n",
                   "import myflask\n", "from django import forms\n"):
        assert not re.search(gate, source), source


def test_framework_gate_agrees_with_the_module_context_on_every_fixture(
        fixtures: list[tuple[str, str, cst.Module]]) -> None:
    for rel, text, module in fixtures:
        for fw in ModuleContext(rel, text, module, Config()).frameworks:
            gate = _framework_import(frozenset({fw}))
            assert gate is not None and re.search(gate, text), (rel, fw)


def test_a_call_to_a_taught_error_handler_helper_is_read_by_the_apps_collector() -> None:
    (apps,) = [c for c in collector_classes() if c.__name__ == "AppsCollector"]
    source = "from platform_web.boot import wire\n\nwire(server)\n"
    assert not _wants(apps, source, WORDS, Config())
    assert _wants(apps, source, WORDS, Config(error_handlers=("platform_web.boot.wire",)))


def test_gates_on_lower_cased_text_answer_as_the_patterns_themselves(
        fixtures: list[tuple[str, str, cst.Module]]) -> None:
    """Gates split into words and smaller expressions (engines/gates.py) answer exactly
    as ``re.search`` with the whole pattern does."""
    sources = {*_rule_patterns().values(),
               *(c.source_pattern for c in (*CHECKS.values(), *collector_classes())
                 if c.source_pattern)}
    sources |= {_framework_import(frozenset({fw})) for fw in
                ("flask", "fastapi", "django", "drf", "starlette", "aiohttp")}
    extra = ["SECRET_KEY = 'x'\n", "ApiKey = 1\n", "headers['X-Frame-Options'] = 'DENY'\n",
             "log.info('PASSWORD %s', Authorization)\n", "X-FRAME-OPTIONS\nuserPin = 1\n",
             "from rest_framework import views\nclass LoginView(View): pass\n",
             "app.config['DEBUG'] = True\n", "limiter = Limiter(THROTTLE)\n", "",
             # one side of a "mentions a and b" gate only, then both far apart
             "def view(req):\n    return 1\n", "TOKEN_TTL = 60\n",
             "def view(req):\n" + "    pass\n" * 50 + "SIGN_IN = 1\n",
             # the plain run an expression needs, without and with the expression
             "db.texts\n", "sa .\\\n text(q)\n", "context = db.text\n"]
    for _rel, text, _module in fixtures:
        for sample in (text, *extra):
            gates = _Text(sample)
            for source in sources:
                expected = re.search(source, sample, re.MULTILINE) is not None
                assert gates.matches(source) is expected, (source, sample[:80])


@pytest.mark.parametrize(("pattern", "sample"), [
    (r"\A(?=[\s\S]*?(?:req|View))(?=[\s\S]*?(?i:log_?in|token))|(?i:limit)", "View\nLOGIN"),
    (r"\A(?=[\s\S]*?(?:req|View))(?=[\s\S]*?(?i:log_?in|token))|(?i:limit)", "a req"),
    (r"\A(?=[\s\S]*?(?:req|View))(?=[\s\S]*?(?i:log_?in|token))|(?i:limit)", "token req"),
    (r"\A(?=[\s\S]*?a)x", "a x"),  # not only lookaheads: one expression
    (r"\A(?=[\s\S]*?a)(?=[\s\S]*?b)", "ba"),
    (r"\b(?:db|sa)[\s\\]*\.[\s\\]*text\b", "sa.text"),
    (r"\b(?:db|sa)[\s\\]*\.[\s\\]*text\b", "sa.texts db. text"),
    (r"(?i)Foo(?-i:Bar)", "fooBar"),
    (r"(?i)Foo(?-i:Bar)", "foobar"),
    (r"ab(?i:C)d", "abcd"),
    (r"x(?:ab)?y", "xy"),
])
def test_split_and_prefiltered_gates_answer_as_re_search(pattern: str, sample: str) -> None:
    expected = re.search(pattern, sample, re.MULTILINE) is not None
    assert _Text(sample).matches(pattern) is expected


def test_a_gate_reads_the_plain_run_an_expression_needs() -> None:
    from backend_audit.engines.gates import _conjunction, _required_run

    assert _required_run(re.compile(r"\b(?:db|sa)[\s\\]*\.[\s\\]*text\b")) == "text"
    assert _required_run(re.compile(r"ab(?:cd)ef|x")) == ""  # an alternation: none certain
    assert _required_run(re.compile(r"(?i)abc")) == ""
    assert _required_run(re.compile(r"ab(?i:c)def")) == "def"
    assert _conjunction(r"\A(?=[\s\S]*?a|b)(?=[\s\S]*?(c))") == ["a|b", "(c)"]
    assert _conjunction(r"\A(?=[\s\S]*?a)b") is None
    assert _conjunction(r"\A(?=a)") is None


def test_words_are_found_exactly_as_substrings(
        fixtures: list[tuple[str, str, cst.Module]]) -> None:
    """Words of word characters are looked for among a file's runs of them (engines/
    gates.py); the answer is still ``word in text``, also for words across punctuation,
    parts of identifiers and non-ASCII letters."""
    words = sorted({w for ws in WORDS.values() for w in ws} |
                   {"def ", "os.path", "X-Frame", "pass", "assw", "_id", "ü", "straße", "", "a\nb"})
    samples = [text for _rel, text, _module in fixtures[::4]] + [
        "größe = straße_id\n", "class A(B):\n    pass  # X-Frame\n", "a\nb os.path"]
    for text in samples:
        gates = _Text(text)
        for word in words:
            assert gates.has_any((word,)) is (word in text), (word, text[:60])
    lowered = _Text("Token = SECRET_Key\n")
    assert lowered.matches("(?i)secret_key|passw") and not lowered.matches("(?i)passw")
