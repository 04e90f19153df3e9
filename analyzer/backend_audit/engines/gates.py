r"""Prefilter gates: does a file's text match a rule's pattern, as cheaply as possible.

A gate is a regular expression searched in a file before it is parsed. Python's ``re``
tries every branch of an alternation at every position of the text, which for
case-insensitive word lists (``(?i)secret|token|apikey``) costs more than a millisecond
per file. A search for an alternation is the same as a search for any one of its
branches, so a gate is split at its top-level ``|`` (also inside a branch that is one
whole ``(?:...)`` or ``(?i:...)`` group); a branch that is a plain word becomes a
substring test (on the lower-cased text when case does not matter), and only the
others stay regular expressions. A branch that is a conjunction of lookaheads from the
start of the text (``\A(?=[\s\S]*?a)(?=[\s\S]*?b)``: "mentions a and b") is the same
as searching for each of them, so each is split the same way instead of the engine trying
the lookahead's alternation at every position. A regular expression that holds a run of
plain characters every match must contain is only tried on texts holding that run. The
answers are exactly ``re.search``'s (tests/test_prefilter.py compares them on every
fixture).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from re import _constants as _sre  # the parsed form of a pattern, as ``re`` itself reads it
from re import _parser as _sre_parser

# A plain word in a pattern: letters, digits, ``_``, ``-``, space, or an escaped dot.
_WORD = re.compile(r"(?:[A-Za-z0-9_\- ]|\\\.)+")
_UPPER_OUTSIDE_ESCAPES = re.compile(r"(?<!\\)[A-Z]")


#: A conjunct of a gate: ``\A(?=[\s\S]*?<pattern>)``, "the text mentions <pattern>".
_MENTIONS = "(?=[\\s\\S]*?"


@dataclass(frozen=True)
class _Branch:
    words: tuple[str, ...] = ()  # any of these substrings ...
    regex: re.Pattern[str] | None = None  # ... or this expression
    lowered: bool = False  # tested on the lower-cased text
    #: ... or every one of these gates (each a tuple of branches, any of which decides)
    all_of: tuple[tuple[_Branch, ...], ...] = ()
    #: characters every match of ``regex`` contains ("": none known)
    needs: str = ""


@cache
def compile_gate(source: str) -> tuple[_Branch, ...]:
    ignore_case = source.startswith("(?i)")
    body = source[4:] if ignore_case else source
    return _cheap_first(_branches(body, ignore_case))


def _cheap_first(branches: list[_Branch]) -> tuple[_Branch, ...]:
    # substring tests first: any branch decides, the cheap ones usually do
    return tuple(sorted(branches, key=lambda b: b.regex is not None or bool(b.all_of)))


def _branches(body: str, ignore_case: bool) -> list[_Branch]:
    parts = _split_alternation(body)
    if parts is None:
        return [_regex(body, ignore_case)]
    out: list[_Branch] = []
    for part in parts:
        group = _whole_group(part)
        if group is not None:
            flag, inner = group
            out.extend(_branches(inner, ignore_case or flag == "i"))
        elif _WORD.fullmatch(part):
            word = part.replace("\\.", ".")
            out.append(_Branch(words=(word.lower() if ignore_case else word,),
                               lowered=ignore_case))
        elif (mentions := _conjunction(part)) is not None:
            out.append(_Branch(all_of=tuple(_cheap_first(_branches(m, ignore_case))
                                            for m in mentions)))
        else:
            out.append(_regex(part, ignore_case))
    return out


_PLAIN = r"[A-Za-z0-9_](?:[A-Za-z0-9_\- ]|\\\.)*"  # a plain word starting with \w
_LEADING_BOUNDARY = re.compile(rf"\\b(?:\(\?:((?:{_PLAIN}\|)*{_PLAIN})\)|({_PLAIN}))")
_QUANTIFIER = ("?", "*", "+", "{")


def _boundary_after_word(part: str) -> str:
    r"""``part`` with a leading ``\b`` before plain words moved behind them.

    ``re`` skips ahead to where a search can start only when an expression begins with
    literal characters or a class; a leading ``\b`` makes it try the whole expression at
    every position of the text. Before a word character ``\b`` means "no word character
    just before", which a lookbehind after the word says as well: ``\bexcept:`` finds
    exactly what ``except(?<!\wexcept):`` finds (``\b(?:db|sa)x``: each word its own).
    """
    found = _LEADING_BOUNDARY.match(part)
    if found is None or part[found.end():].startswith(_QUANTIFIER):
        return part
    words = (found.group(1) or found.group(2)).split("|")
    moved = "|".join(f"{w}(?<!\\w{w})" for w in words)
    return f"(?:{moved}){part[found.end():]}"


def _regex(part: str, ignore_case: bool) -> _Branch:
    part = _boundary_after_word(part)
    if ignore_case and not _UPPER_OUTSIDE_ESCAPES.search(part):
        regex = re.compile(part, re.MULTILINE)
        return _Branch(regex=regex, lowered=True, needs=_required_run(regex))
    flags = re.MULTILINE | (re.IGNORECASE if ignore_case else 0)
    regex = re.compile(part, flags)
    return _Branch(regex=regex, needs=_required_run(regex))


def _conjunction(part: str) -> list[str] | None:
    """The patterns of ``\\A(?=[\\s\\S]*?p1)(?=[\\s\\S]*?p2)...``, or None when ``part`` is
    not only such lookaheads from the start. A lookahead at the start that may skip any
    characters matches exactly when its pattern is found somewhere in the text."""
    if not part.startswith("\\A"):
        return None
    rest = part[2:]
    marks = _structure(rest)
    if not rest or marks is None:
        return None
    opens = [i for i, char, depth in marks if char == "(" and depth == 0]
    closes = [i for i, char, depth in marks if char == ")" and depth == 0]
    if not opens or opens[0] != 0 or closes[-1] != len(rest) - 1 or \
            any(o != c + 1 for c, o in zip(closes, opens[1:], strict=False)):
        return None
    groups = [rest[o:c + 1] for o, c in zip(opens, closes, strict=True)]
    if not all(g.startswith(_MENTIONS) for g in groups):
        return None
    return [g[len(_MENTIONS):-1] for g in groups]


def _required_run(regex: re.Pattern[str]) -> str:
    """The longest run of characters that every match of ``regex`` contains, read off its
    parsed form: consecutive literals of its top-level sequence (and of plain groups in
    it). "" when the expression ignores case or no such run is certain."""
    try:
        parsed = _sre_parser.parse(regex.pattern, regex.flags)
    except (re.error, RecursionError):  # pragma: no cover - it compiled above
        return ""
    if parsed.state.flags & re.IGNORECASE:
        return ""
    runs: list[str] = []
    run: list[str] = []

    def sequence(items: object) -> None:
        for op, arg in items:  # type: ignore[attr-defined]
            if op is _sre.LITERAL:
                run.append(chr(arg))
            elif op is _sre.SUBPATTERN and not arg[1] & re.IGNORECASE:
                sequence(arg[3])  # (group, add flags, del flags, items)
            else:
                runs.append("".join(run))
                run.clear()

    sequence(parsed)
    runs.append("".join(run))
    return max(runs, key=len)


def _structure(pattern: str) -> list[tuple[int, str, int]] | None:
    """Where ``(``, ``)`` and ``|`` stand outside escapes and character classes, each
    with the depth of the group it belongs to (an opening or closing parenthesis counts
    as outside its group); None when the parentheses or a class do not balance."""
    marks: list[tuple[int, str, int]] = []
    depth = 0
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1  # "[]...]": a leading "]" is a literal
        elif char == "(":
            marks.append((i, char, depth))
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
            marks.append((i, char, depth))
        elif char == "|":
            marks.append((i, char, depth))
        i += 1
    return None if depth != 0 or in_class else marks


def _split_alternation(body: str) -> list[str] | None:
    """``body`` cut at its top-level ``|``; None if it cannot be read safely."""
    marks = _structure(body)
    if marks is None:
        return None
    cuts = [i for i, char, depth in marks if char == "|" and depth == 0]
    return [body[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(body)], strict=True)]


def _whole_group(part: str) -> tuple[str, str] | None:
    """(flag, inner) when ``part`` is one ``(?:...)`` or ``(?i:...)`` group."""
    marks = _structure(part)
    if marks is None:
        return None
    closes = [i for i, char, depth in marks if char == ")" and depth == 0]
    if closes != [len(part) - 1]:
        return None  # not one group closing at the very end: "(?:a)(?:b)", "(?:a)+"
    for opener, flag in (("(?:", ""), ("(?i:", "i")):
        if part.startswith(opener):
            return flag, part[len(opener):-1]
    return None


_IDENTIFIER_RUN = re.compile(r"\w+")


@cache
def _in_one_run(word: str) -> bool:
    """Whether ``word`` is made of word characters only: then it can only occur inside
    one run of them."""
    return _IDENTIFIER_RUN.fullmatch(word) is not None


class GateText:
    """One file's text for the gates: lower-cased once, each gate searched once.

    A word made of word characters only is looked for in the file's distinct runs of word
    characters, joined by line breaks (a quarter of the text, typically): a search for an
    absent word reads its whole subject, and most words are absent from most files. The
    answers are the same as a search of the text.
    """

    __slots__ = ("text", "_lower", "_runs", "_found", "_words", "_few")

    def __init__(self, text: str, few_words: bool = False) -> None:
        """``few_words``: only a few words will be asked about (semgrep's file choice);
        then searching the text for each costs less than listing its runs once."""
        self.text = text
        self._few = few_words
        self._lower: str | None = None
        self._runs: dict[bool, str] = {}
        self._found: dict[str, bool] = {}
        self._words: dict[str, bool] = {}

    def has_any(self, words: tuple[str, ...]) -> bool:
        """Does the text contain one of ``words``? Each word is looked for once per file
        (many checks share words: the password rules, ``request``)."""
        seen = self._words
        for word in words:
            found = seen.get(word)
            if found is None:
                found = seen[word] = word in (self._runs.get(False) or self._runs_of(False)) \
                    if _in_one_run(word) else word in self.text
            if found:
                return True
        return False

    def matches(self, source: str) -> bool:
        found = self._found.get(source)
        if found is None:
            found = self._found[source] = any(self._branch(b) for b in compile_gate(source))
        return found

    def _subject(self, lowered: bool) -> str:
        if not lowered:
            return self.text
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def _runs_of(self, lowered: bool) -> str:
        runs = self._runs.get(lowered)
        if runs is None:
            if self._few:
                runs = self._subject(lowered)
            elif lowered and self.text.isascii():
                # Lower-casing ASCII maps each character to one of the same kind, so the
                # runs of the lower-cased text are the runs of the text, lower-cased.
                runs = self._runs_of(False).lower()
            else:
                runs = "\n".join(set(_IDENTIFIER_RUN.findall(self._subject(lowered))))
            self._runs[lowered] = runs
        return runs

    def _contains(self, word: str, lowered: bool) -> bool:
        if _in_one_run(word):
            return word in self._runs_of(lowered)
        return word in self._subject(lowered)

    def _branch(self, branch: _Branch) -> bool:
        if branch.words:
            return any(self._contains(w, branch.lowered) for w in branch.words)
        if branch.all_of:
            return all(any(self._branch(b) for b in gate) for gate in branch.all_of)
        assert branch.regex is not None
        if branch.needs and not self._contains(branch.needs, branch.lowered):
            return False
        return branch.regex.search(self._subject(branch.lowered)) is not None
