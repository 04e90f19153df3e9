"""A gate that starts with ``\\b`` before plain words is searched with the boundary moved
behind the words (engines/gates.py), so ``re`` can skip ahead to the words; the answers
stay those of the pattern as written."""

from __future__ import annotations

import re

import pytest
from backend_audit.engines.gates import GateText, _boundary_after_word

PATTERNS = [
    r"\bexcept[\s\\]*:",
    r"\b(?:db|sa)[\s\\]*\.[\s\\]*text\b",
    r"\b(?:request|req)\b",
    r"\bconfig\b",
    r"\b429\b",
    r"\bos\.path\b",
    r"\b(?:call_next|_app|wsgi app)[\s\\]*\(",
]

SAMPLES = [
    "", "except:", "except :\n", "  except\\\n:", "_except:", "xexcept:", "2except:",
    "übexcept:", "a.except:", "é except:", "exceptexcept:", "db.text", "sa .\\\n text(q)",
    "adb.text", "_sa.text", "sa.texts", "db. text db.text", "request", "req", "requests",
    "a_req b", "(req)", "request_id", "get(request)", "config", "app.config[1]",
    "self.config_x", "config2", "429", "4429", "x429", "os.path", "nos.path", "os.paths",
    "_app(", "wsgi app(", "call_next (", "my_call_next(", "ücall_next(", "line\ncall_next(",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_moved_boundary_finds_what_the_pattern_finds(pattern: str) -> None:
    moved = _boundary_after_word(pattern)
    assert moved != pattern  # the shape is recognised
    assert not moved.startswith("\\b")
    for sample in SAMPLES:
        expected = re.search(pattern, sample, re.MULTILINE) is not None
        assert (re.search(moved, sample, re.MULTILINE) is not None) is expected, sample
        assert GateText(sample).matches(pattern) is expected, sample


@pytest.mark.parametrize("pattern", [
    r"\bfoo?",  # the quantifier binds to the word's last letter
    r"\b(?:a|b)+x",  # the whole group repeats
    r"\b-x",  # before a non-word character \b means the opposite
    r"\b(?:a|[bc])x",  # not only plain words
    r"x\bfoo",  # not leading
])
def test_other_shapes_are_left_as_written(pattern: str) -> None:
    assert _boundary_after_word(pattern) == pattern


def test_a_case_insensitive_gate_keeps_its_answers() -> None:
    pattern = r"(?i)\b(?:token|jwt)\b|secret"
    for sample in ("TOKEN = 1", "my_token = 1", "Jwt", "jwts", "SECRET", "x"):
        expected = re.search(pattern, sample, re.MULTILINE) is not None
        assert GateText(sample).matches(pattern) is expected, sample


def test_few_words_mode_answers_as_the_runs() -> None:
    """semgrep's file choice asks a dozen words per file: it searches the text for each
    instead of listing the file's runs first; the answers are the same."""
    words = ["debug", "config", "jwt", "getenv", "environ", "set_cookie", "COOKIE", "_id",
             "straße", "os.path", "X-Frame", ""]
    patterns = [r"(?i)secret|token", r"\bconfig\b", r"debug\b(?<!\wdebug)|\.config\b"]
    for sample in [*SAMPLES, "größe = straße_id\n", "SESSION_COOKIE_SECURE = False\n",
                   "app.config['DEBUG'] = True\n", "jwt.decode(t, verify=False)\n"]:
        few, runs = GateText(sample, few_words=True), GateText(sample)
        for word in words:
            assert few.has_any((word,)) is runs.has_any((word,)) is (word in sample)
        for pattern in patterns:
            assert few.matches(pattern) is runs.matches(pattern), (pattern, sample)
