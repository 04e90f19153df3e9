"""The shape of a value that ends up in SQL text: literal, safe, or chosen by someone, and
where in the SQL each part that is not safe sits.

A ``Shape`` built by formatting keeps its ``pieces``: the literal text in order with the
parts it could not see as holes. ``seal`` reads those pieces with the SQL parser
(``sql.parse``) and keeps only the holes that matter: a hole where SQL takes a *name*
(``FROM {table}``, ``ORDER BY {col}``, ``:{field}``), or any hole of a statement that
takes no bind parameters at all (DDL, ``SET``, ``KILL``...), cannot be bound by any
driver and is injectable only if the client chooses it; a hole where a *value* belongs
(``WHERE id = {uid}``) is where a bound parameter was due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from backend_audit.sql.parse import Reading, Slot, Statement, read_template, starts_statement

# A built string needs at least one of these to be taken for SQL by a loose sink.
SQL_STATEMENT = re.compile(
    r"\b(select|insert\s+into|update|delete\s+from|where|order\s+by|group\s+by|values|join|"
    r"(create|drop|alter|truncate)\s+(table|index|view|schema|database|unique)|truncate|"
    r"pragma|vacuum|analyze|copy\s+\S+\s+(from|to)|set\s+\w+\s*=|i?like|limit\s+\d|having|"
    r"returning)\b",
    re.IGNORECASE,
)
# Pieces beyond these are not kept: the text is then judged without the parser.
MAX_HOLES = 64
MAX_PIECES_TEXT = 20_000


@dataclass(frozen=True)
class Shape:
    """What a value is made of, for SQL purposes."""

    safe: bool = True  # carries no text chosen by anyone but the code's author
    built: bool = False  # assembled by formatting with a part that is not safe
    request: bool = False  # a part that is not safe comes from the client
    text: str = ""  # literal text seen while assembling it
    # Imported calls (qualified names) whose results are the parts that are not safe.
    calls: frozenset[str] = frozenset()
    # Parameters (``function|param|index|annotation``) of this module's functions that no
    # call in this module passes: what callers in other modules pass decides, unless the
    # annotation names a closed type defined in another module.
    params: frozenset[str] = frozenset()
    other: bool = False  # some part that is not safe is neither such a call nor parameter
    # A part that is not safe is a value handed in from outside this code: a parameter
    # no caller here settles, or a free variable of an enclosing function. On real code
    # SQL built only from computed parts (attributes of ORM metadata, results of the
    # project's own helpers, loop variables) is almost never injectable.
    passed_in: bool = False
    # A part that is not safe fills a value position of the SQL (inside quotes, after a
    # comparison or ``IN (``), where only a bound parameter belongs; in an identifier
    # or clause position (``FROM {table}``, ``{where}``) code-chosen text is the norm.
    value_slot: bool = False
    # The value is client input itself, used as SQL text without any formatting.
    raw_request: bool = False
    # The text in order when it is one known string: literal text, and the parts the
    # evaluator could not see through as holes (their own shapes). None: not known.
    pieces: tuple[str | Shape, ...] | None = None
    # Every part that is not safe is handed in from outside and sits where SQL takes a
    # name, or in a statement that takes no bind parameters: what callers in other
    # modules pass decides (computed values there make it no finding).
    names_only: bool = False

    @property
    def has_sql_words(self) -> bool:
        return bool(SQL_STATEMENT.search(self.text))


SAFE = Shape()


def _aggregate(shapes: list[Shape]) -> Shape:
    return Shape(
        safe=all(s.safe for s in shapes),
        built=any(s.built for s in shapes),
        request=any(s.request for s in shapes),
        text=" ".join(s.text for s in shapes if s.text)[:2000],
        calls=frozenset().union(*(s.calls for s in shapes)),
        params=frozenset().union(*(s.params for s in shapes)),
        other=any(s.other for s in shapes),
        passed_in=any(s.passed_in for s in shapes),
        value_slot=any(s.value_slot for s in shapes),
        raw_request=any(s.raw_request for s in shapes),
        names_only=any(not s.safe for s in shapes) and all(
            s.names_only for s in shapes if not s.safe),
    )


def join(shapes: list[Shape]) -> Shape:
    """A value that may be any of ``shapes`` (or is made of all of them). One shape is
    returned as it is; several are each sealed first, since their texts are no longer
    known in order."""
    if not shapes:
        return SAFE
    if len(shapes) == 1:
        return shapes[0]
    return _aggregate([seal(s) for s in shapes])


# Literal text right before a placeholder that makes it a value position.
_VALUE_BEFORE = re.compile(r"""('|[=<>]|\b(like|ilike|in\s*\(|between|values\s*\())\s*$""",
                           re.IGNORECASE)
# Placeholders of str.format and %-formatting.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sr]")


def in_value_slot(before: str) -> bool:
    return bool(_VALUE_BEFORE.search(before))


# Text made only of bind markers (``:name``, ``?``, ``%s``, ``$1``) and separators.
_BIND_MARKERS = re.compile(r"(?:[\s,:?()]|%s|\$\d*)*")


def binds_only(part: Shape) -> bool:
    """``VALUES ({placeholders})`` where the part joins ``:field`` markers."""
    return bool(part.text) and bool(_BIND_MARKERS.fullmatch(part.text))


def template_value_slot(template: str) -> bool:
    """Does a ``format``/``%`` template put any placeholder in a value position?"""
    return any(in_value_slot(template[:m.start()]) for m in _PLACEHOLDER.finditer(template))


def pieces_of(shape: Shape) -> tuple[str | Shape, ...]:
    """The pieces a part adds to a text built from it: its own, or itself as one hole."""
    if shape.pieces is not None:
        return shape.pieces
    return (shape,)


def concat(*groups: tuple[str | Shape, ...] | None) -> tuple[str | Shape, ...] | None:
    """Pieces one after the other (adjacent text merged); None if any group is unknown or
    the result is too large to read."""
    out: list[str | Shape] = []
    holes = size = 0
    for group in groups:
        if group is None:
            return None
        for piece in group:
            if isinstance(piece, str):
                if not piece:
                    continue
                size += len(piece)
                if out and isinstance(out[-1], str):
                    out[-1] += piece
                    continue
            else:
                holes += 1
            out.append(piece)
    if holes > MAX_HOLES or size > MAX_PIECES_TEXT:
        return None
    return tuple(out)


def compose(parts: list[Shape], literal_text: str = "", value_slot: bool = False,
            pieces: tuple[str | Shape, ...] | None = None) -> Shape:
    """A string formatted or concatenated from ``parts`` (and some literal text);
    ``value_slot``: an unsafe part sits in a value position of the SQL (by the text
    before it); ``pieces``: the text in order, when known."""
    joined = _aggregate(parts) if parts else SAFE
    text = (literal_text + " " + joined.text).strip()
    return replace(joined, text=text, built=joined.built or not joined.safe, raw_request=False,
                   value_slot=joined.value_slot or (value_slot and not joined.safe),
                   pieces=pieces)


def unsafe(reason_call: str | None = None, request: bool = False) -> Shape:
    if reason_call is not None and not request:
        return Shape(safe=False, calls=frozenset({reason_call}))
    return Shape(safe=False, request=request, other=True, raw_request=request)


PASSED_IN = Shape(safe=False, other=True, passed_in=True)


def _sqlish(literal: str) -> bool:
    """Enough literal text around the holes to be read as SQL at all."""
    return bool(SQL_STATEMENT.search(literal)) or any(c in literal for c in "=<>()'?:%,") or \
        starts_statement(literal)


def seal(shape: Shape, statement: bool = False) -> Shape:
    """``shape`` with its pieces read as SQL: holes in name positions (or anywhere in a
    statement that takes no bind parameters) no longer count unless the client chooses
    them (or, for a parameter, callers elsewhere might: ``names_only``); ``value_slot``
    from the parse. ``statement``: the text is what a database call runs (else it may be
    a piece of a statement). Text that does not parse keeps the shape it had."""
    pieces = shape.pieces
    if pieces is None or shape.safe:
        return shape
    holes = [p for p in pieces if isinstance(p, Shape)]
    if all(h.safe for h in holes):
        return shape
    literal = "".join(p for p in pieces if isinstance(p, str))
    if not _sqlish(literal):
        return shape
    reading = read_template([p if isinstance(p, str) else None for p in pieces], statement)
    if reading is None:
        return shape
    return _settled(shape, pieces, reading)


def _settled(shape: Shape, pieces: tuple[str | Shape, ...], reading: Reading) -> Shape:
    kept: list[Shape] = []
    value_slot = False
    before, index = "", 0
    for piece in pieces:
        if isinstance(piece, str):
            before += piece
            continue
        slot = reading.slots[index]
        index += 1
        hole, preceding, before = piece, before, ""
        if hole.safe:
            continue
        if slot is Slot.NAME or reading.statement is Statement.UTILITY:
            # Computed names (ORM metadata, configuration, the project's own helpers) no
            # longer count; a name handed in from outside stays, for its callers to decide.
            if hole.request:
                kept.append(hole)
            elif hole.passed_in:
                kept.append(replace(hole, names_only=True, value_slot=False))
            continue
        if slot is Slot.VALUE and reading.statement is not Statement.FRAGMENT:
            value_slot = True
            hole = replace(hole, names_only=False)
        elif slot is Slot.VALUE:
            # Read inside a made-up statement: never more than the text before it says.
            value_slot |= in_value_slot(preceding) and not binds_only(hole)
        elif slot is Slot.UNKNOWN:
            value_slot |= in_value_slot(preceding) and not binds_only(hole)
        else:
            value_slot |= hole.value_slot
        kept.append(hole)
    if not kept:
        return Shape(text=shape.text)
    agg = _aggregate(kept)
    return replace(agg, safe=False, built=True, text=shape.text, raw_request=False,
                   value_slot=value_slot, pieces=None)
