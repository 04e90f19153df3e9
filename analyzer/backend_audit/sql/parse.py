"""SQL text read by a real SQL parser (sqlglot), with the holes the code leaves in it.

The SQL the analysis reconstructs is a *template*: literal text with holes where the code
interpolates values it cannot see (``f"SELECT * FROM {table} WHERE id = {uid}"``). Each
hole is replaced by a unique token, the text is parsed, and the token is found in the
syntax tree to say what the hole is:

- ``Slot.VALUE``: a place a bound parameter belongs (a quoted literal, the right side of
  a comparison, an ``IN`` list, a ``VALUES`` row, ``SET col = _``, ``LIMIT _``);
- ``Slot.NAME``: a name (table, column, schema, role, sort key, projection, the name of a
  bind marker like ``:{field}``), which no driver can bind;
- ``Slot.CLAUSE``: a whole condition or subquery (``WHERE {where}``, ``FROM ({sql}) t``),
  whose own construction decides;
- ``Slot.UNKNOWN``: parsed, but the place says neither (a function argument, arithmetic).

Placeholder styles of every driver (``?``, ``%s``, ``%(name)s``, ``:name``, ``$1``,
``:1``) are read as bind markers, and several dialects are tried. Text that does not
parse gives ``None`` (callers keep what they knew without the parser); nothing here
raises on any input.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Tokenizer

# sqlglot logs a warning for every statement it can only read as an opaque command.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# Longer text is not parsed: generated SQL that size is data, not a query someone wrote.
MAX_TEXT = 20_000
# Dialects tried in turn (None is sqlglot's own, which reads most of the others' SQL).
DIALECTS: tuple[str | None, ...] = (None, "mysql", "postgres", "tsql")

_HOLE = "__bah{}__"
_POSITIONAL = "__bap{}__"


class Slot(enum.Enum):
    VALUE = "value"
    NAME = "name"
    CLAUSE = "clause"
    UNKNOWN = "unknown"


class Statement(enum.Enum):
    QUERY = "query"  # SELECT, UNION, WITH ... SELECT
    WRITE = "write"  # INSERT, UPDATE, DELETE, MERGE, REPLACE
    # Statements that take no bind parameters at all: DDL (CREATE, ALTER, DROP, TRUNCATE),
    # privileges (GRANT, REVOKE), session and server commands (SET, USE, KILL, NOTIFY,
    # PRAGMA, INSTALL/LOAD of extensions, DESCRIBE, SHOW ...).
    UTILITY = "utility"
    FRAGMENT = "fragment"  # an expression or clause read inside a made-up statement


@dataclass(frozen=True)
class Reading:
    """What a template is: its statement kind and the slot of each hole, in order."""

    statement: Statement
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class Marker:
    """Where a value enters a statement: a hole of the template, or a bind marker (by its
    place among the positional markers, or by its name)."""

    hole: int | None = None
    position: int | None = None
    name: str | None = None


def _attr(*names: str) -> tuple[type, ...]:
    """sqlglot classes by name; names a release does not have are left out."""
    return tuple(t for n in names if isinstance(t := getattr(exp, n, None), type))


_QUERY = _attr("Query")
_SET_OPERATION = _attr("SetOperation", "Union")  # ``Union`` was the base before 25.x
_WRITE = _attr("Insert", "Update", "Delete", "Merge")
_UTILITY = _attr("Create", "Drop", "Alter", "AlterTable", "Grant", "Revoke", "Use", "Set",
                 "Pragma", "Describe", "Show", "TruncateTable", "Kill", "Analyze", "Comment",
                 "Copy", "Transaction", "Commit", "Rollback", "Cache", "Uncache", "Refresh",
                 "LoadData", "Lock")
# First words of statements that take no bind parameters (for text sqlglot cannot parse,
# or reads as an opaque ``Command``). EXPLAIN is not one: it carries a query.
UTILITY_WORDS = frozenset({
    "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "USE", "SET", "RESET", "SHOW",
    "DESCRIBE", "DESC", "PRAGMA", "VACUUM", "ANALYZE", "REINDEX", "CLUSTER", "COMMENT",
    "KILL", "NOTIFY", "LISTEN", "UNLISTEN", "INSTALL", "LOAD", "ATTACH", "DETACH",
    "REFRESH", "LOCK", "DISCARD", "CHECKPOINT", "OPTIMIZE", "RENAME", "FLUSH", "COPY",
    "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "DEALLOCATE", "PREPARE"})
_DML_WORDS = frozenset({"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE",
                        "UPSERT", "VALUES", "TABLE", "EXPLAIN", "CALL", "EXEC", "EXECUTE"})
# Fragments are read inside a statement made up around them, chosen by their first word.
_AFTER_FROM = frozenset({"WHERE", "ORDER", "GROUP", "HAVING", "LIMIT", "OFFSET", "JOIN",
                         "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "OUTER", "NATURAL",
                         "UNION", "FETCH", "WINDOW"})
_AFTER_WHERE = frozenset({"AND", "OR"})


# ---------------------------------------------------------------------- text
def _normalise(text: str) -> str:
    """Bind markers of every style as named markers sqlglot reads in any dialect:
    positional ones (``?``, ``%s``, ``$1``, ``:1``) as ``:__bap<n>__`` numbered by place,
    ``%(name)s`` as ``:name``; ``%%`` as ``%``. Quoted text and comments are kept as
    they are."""
    out: list[str] = []
    i, n, position = 0, len(text), 0
    while i < n:
        c = text[i]
        if c in "'\"`":
            end = i + 1
            while end < n:
                if text[end] == c:
                    if end + 1 < n and text[end + 1] == c:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(text[i:end + 1])
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end])
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(text[i:end])
            i = end
        elif c == "%" and text.startswith("%%", i):
            out.append("%")
            i += 2
        elif c == "%" and text.startswith("%s", i):
            out.append(":" + _POSITIONAL.format(position))
            position += 1
            i += 2
        elif c == "%" and text.startswith("%(", i) and (close := text.find(")s", i)) > 0 \
                and text[i + 2:close].replace("_", "a").isalnum():
            out.append(":" + text[i + 2:close])
            i = close + 2
        elif c == "?":
            out.append(":" + _POSITIONAL.format(position))
            position += 1
            i += 1
        elif c in "$:" and i + 1 < n and text[i + 1].isdigit() and \
                not (c == ":" and i > 0 and text[i - 1] == ":"):
            end = i + 1
            while end < n and text[end].isdigit():
                end += 1
            out.append(":" + _POSITIONAL.format(int(text[i + 1:end]) - 1))
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _first_word(text: str) -> str | None:
    try:
        tokens = Tokenizer().tokenize(text)
    except Exception:  # noqa: BLE001 - a tokenizer error is text we cannot read
        return None
    for token in tokens:
        if token.text not in ("(", ";"):
            return token.text.upper()
    return None


def starts_statement(text: str) -> bool:
    """Does ``text`` begin with the word a statement begins with (``GRANT``, ``SELECT``)?"""
    word = _first_word(text)
    return word in UTILITY_WORDS or word in _DML_WORDS


def _parse(text: str) -> list[exp.Expression] | None:
    if len(text) > MAX_TEXT:
        return None
    dialects = DIALECTS if "`" not in text else ("mysql", *DIALECTS)
    for dialect in dialects:
        try:
            trees = [t for t in sqlglot.parse(text, read=dialect) if t is not None]
        except Exception:  # noqa: BLE001 - sqlglot raises several kinds on odd text
            continue
        if trees:
            return trees
    return None


def _statement_kind(tree: exp.Expression) -> Statement | None:
    if isinstance(tree, _QUERY):
        return Statement.QUERY
    if isinstance(tree, _WRITE):
        return Statement.WRITE
    if isinstance(tree, exp.Command):
        word = str(tree.this or "").upper()
        if word in UTILITY_WORDS:
            return Statement.UTILITY
        return None
    if isinstance(tree, _UTILITY):
        return Statement.UTILITY
    return None  # an expression: not a statement


@lru_cache(maxsize=4096)
def _statements(text: str) -> tuple[exp.Expression, ...] | None:
    """The statements of ``text``, each a statement (not a bare expression); None when the
    text is not one or more statements sqlglot can read."""
    text = _normalise(text)
    stripped = text.lstrip()
    if stripped[:7].upper() == "REPLACE" and _first_word(stripped[7:]) == "INTO":
        # MySQL's and SQLite's ``REPLACE INTO`` is an ``INSERT INTO`` in all but conflicts.
        text = "INSERT" + stripped[7:]
    trees = _parse(text)
    if trees is None or any(_statement_kind(t) is None for t in trees):
        return None
    return tuple(trees)


# ---------------------------------------------------------------------- templates
def template_text(pieces: Sequence[str | None]) -> str:
    """The text of a template, each hole (``None``) replaced by its token."""
    out, hole = [], 0
    for piece in pieces:
        if piece is None:
            out.append(_HOLE.format(hole))
            hole += 1
        else:
            out.append(piece)
    return "".join(out)


def read_template(pieces: Sequence[str | None], statement: bool = True) -> Reading | None:
    """Read a template (literal text, ``None`` for each hole). ``statement``: the text is
    what a database call runs, so a parse as a whole statement tells its kind; otherwise it
    may be a piece of a statement, read as such (kind ``FRAGMENT``). None when the text
    parses in no way tried."""
    holes = sum(1 for p in pieces if p is None)
    if holes == 0:
        return None
    try:
        return _read(template_text(pieces), holes, statement)
    except Exception:  # noqa: BLE001 - never let odd SQL stop a scan
        return None


@lru_cache(maxsize=4096)
def _read(text: str, holes: int, statement: bool) -> Reading | None:
    if statement:
        trees = _statements(text)
        if trees is not None:
            kinds = {_statement_kind(t) for t in trees}
            kind = kinds.pop() if len(kinds) == 1 else Statement.WRITE
            return Reading(kind, _slots(trees, holes))
        word = _first_word(text)
        if word in UTILITY_WORDS:
            return Reading(Statement.UTILITY, (Slot.UNKNOWN,) * holes)
        if word in _DML_WORDS:
            merged = _merged_holes(text)
            if merged is not None:
                return _read(merged, holes, statement)
            return None
    return _read_fragment(text, holes)


def _read_fragment(text: str, holes: int) -> Reading | None:
    word = _first_word(text)
    if word is None:
        return None
    candidates = [text]
    if word in _AFTER_FROM:
        candidates.append("SELECT * FROM t " + text)
    elif word in _AFTER_WHERE:
        candidates.append("SELECT * FROM t WHERE TRUE " + text)
    elif word == "FROM":
        candidates.append("SELECT * " + text)
    elif word == "SET":
        candidates.append("UPDATE t " + text)
    elif word not in UTILITY_WORDS and word not in _DML_WORDS:
        candidates.append("SELECT * FROM t WHERE " + text)
    for candidate in candidates:
        trees = _parse(_normalise(candidate))
        if trees is None or len(trees) != 1:
            continue
        if candidate is text and _statement_kind(trees[0]) not in (
                Statement.QUERY, Statement.WRITE) and \
                not isinstance(trees[0], (exp.Predicate, exp.Connector, exp.Not)):
            # ``a b`` reads as an alias, ``copy x for y`` as a COPY, ``SET a = 1`` may be
            # the tail of an UPDATE: proves nothing about a fragment.
            continue
        return Reading(Statement.FRAGMENT, _slots(tuple(trees), holes))
    return None


def _merged_holes(text: str) -> str | None:
    """``ORDER BY {col} {direction}``: two holes with only spaces between them read as
    one (both get its slot); None when there are none."""
    out, changed, i = text, False, 0
    while True:
        start = out.find("__ ", i)
        if start < 0:
            break
        rest = out[start + 2:].lstrip(" ")
        if rest.startswith("__bah") and out[:start + 2].rstrip("_").rsplit("__bah", 1)[-1]\
                .isdigit():
            gap = len(out[start + 2:]) - len(rest)
            out = out[:start + 2] + "_" + out[start + 2 + gap:]
            changed = True
        i = start + 2
    return out if changed else None


def _slots(trees: tuple[exp.Expression, ...], holes: int) -> tuple[Slot, ...]:
    found: dict[int, Slot] = {}
    for tree in trees:
        for node, key, value in _strings(tree):
            for index in _tokens_in(value):
                slot = _slot_of(node, key)
                previous = found.get(index)
                # A hole seen twice (merged, or repeated) keeps the place most like a value.
                found[index] = slot if previous is None else _stronger(previous, slot)
    return tuple(found.get(i, Slot.UNKNOWN) for i in range(holes))


_STRENGTH = (Slot.VALUE, Slot.UNKNOWN, Slot.CLAUSE, Slot.NAME)


def _stronger(a: Slot, b: Slot) -> Slot:
    return a if _STRENGTH.index(a) <= _STRENGTH.index(b) else b


def _strings(tree: exp.Expression) -> Iterator[tuple[exp.Expression, str, str]]:
    for node in tree.walk():
        for key, value in node.args.items():
            if isinstance(value, str):
                yield node, key, value


def _tokens_in(value: str) -> list[int]:
    out: list[int] = []
    start = value.find("__bah")
    while start >= 0:
        end = value.find("__", start + 5)
        if end < 0:
            break
        digits = value[start + 5:end]
        if digits.isdigit():
            out.append(int(digits))
        start = value.find("__bah", end + 2)
    return out


_VALUE_LIKE = _attr("Literal", "Placeholder", "Parameter", "Null", "Boolean", "Tuple")
_COMPARISON_PARENTS = _attr("Where", "Having", "Qualify", "Connector", "Not")


def _slot_of(node: exp.Expression, key: str) -> Slot:
    if isinstance(node, exp.Literal):
        return Slot.VALUE if node.is_string else Slot.UNKNOWN
    if isinstance(node, exp.Placeholder):
        return Slot.NAME  # ``:{field}``: the name of a bind marker
    if isinstance(node, exp.DataType):
        return Slot.NAME
    if isinstance(node, exp.Var):
        return _expression_slot(node)
    if isinstance(node, exp.Identifier):
        parent = node.parent
        if isinstance(parent, exp.Column):
            if parent.args.get("this") is node:
                return _expression_slot(parent)
            return Slot.NAME  # the table qualifier of a column
        if isinstance(parent, exp.Table) and isinstance(parent.parent, exp.Subquery) and \
                parent.args.get("this") is node and not parent.args.get("db"):
            return Slot.CLAUSE  # ``FROM ({sql}) AS t``: a query text
        return Slot.NAME
    return Slot.UNKNOWN


def _expression_slot(expr: exp.Expression) -> Slot:
    child, parent = expr, expr.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if parent is None:
        return Slot.CLAUSE
    if isinstance(parent, _COMPARISON_PARENTS):
        return Slot.CLAUSE
    if isinstance(parent, exp.Join):
        return Slot.CLAUSE if parent.args.get("on") is child else Slot.NAME
    if isinstance(parent, exp.In):
        if parent.args.get("this") is child:
            listed = parent.args.get("expressions") or []
            return Slot.NAME if listed and all(_value_like(e) for e in listed) or \
                parent.args.get("query") is not None else Slot.UNKNOWN
        return Slot.VALUE
    if isinstance(parent, exp.Between):
        return Slot.NAME if parent.args.get("this") is child else Slot.VALUE
    if isinstance(parent, exp.Predicate) and isinstance(parent, exp.Binary):
        if parent.args.get("expression") is child:
            return Slot.VALUE
        other = parent.args.get("expression")
        return Slot.NAME if other is not None and _value_like(other) else Slot.UNKNOWN
    if isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values):
        return Slot.VALUE
    if isinstance(parent, (exp.Limit, exp.Offset, exp.Fetch)):
        return Slot.VALUE
    if isinstance(parent, (exp.Ordered, exp.Order, exp.Group)):
        return Slot.NAME
    if isinstance(parent, exp.Alias) and isinstance(parent.parent, exp.Select):
        return Slot.NAME
    if isinstance(parent, exp.Select) and child in (parent.args.get("expressions") or []):
        return Slot.NAME
    return Slot.UNKNOWN


def _value_like(node: exp.Expression) -> bool:
    """A literal, a bind marker, or an expression of them: no column, no hole."""
    if isinstance(node, exp.Paren):
        node = node.this
    if not isinstance(node, _VALUE_LIKE) and list(node.find_all(exp.Column)):
        return False
    return not any(_tokens_in(v) for _, _, v in _strings(node))


# ---------------------------------------------------------------------- statements
def _markers(node: exp.Expression) -> Marker | None:
    """The marker ``node`` is, if it is exactly one (a bind marker or a hole)."""
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    if isinstance(node, exp.Placeholder):
        name = str(node.this or "")
        if name.startswith("__bap") and name.endswith("__") and name[5:-2].isdigit():
            return Marker(position=int(name[5:-2]))
        if name.startswith("__bah") and name.endswith("__") and name[5:-2].isdigit():
            return None  # ``:{field}``: the marker's name is a hole, its value unknown
        return Marker(name=name) if name else None
    if isinstance(node, (exp.Column, exp.Literal, exp.Var)):
        text = node.name if isinstance(node, exp.Column) else str(node.this)
        tokens = _tokens_in(text)
        if len(tokens) == 1 and text.strip("'\"") == _HOLE.format(tokens[0]):
            return Marker(hole=tokens[0])
    return None


def _column_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Column):
        return node.name or None
    if isinstance(node, exp.Identifier):
        return node.this or None
    return None


def _template_trees(pieces: Sequence[str | None] | str) -> tuple[exp.Expression, ...] | None:
    text = pieces if isinstance(pieces, str) else template_text(pieces)
    try:
        return _statements(text)
    except Exception:  # noqa: BLE001
        return None


def columns_written(pieces: Sequence[str | None] | str
                    ) -> tuple[tuple[str, Marker], ...] | None:
    """The columns an ``INSERT``/``UPDATE``/``REPLACE`` writes straight from a bind marker
    or a hole (``VALUES (?, ?)``, ``SET password = %(pw)s``): ``(column, marker)`` pairs.
    A value passed through an SQL function (``crypt(?, gen_salt('bf'))``) is not written
    straight. None when the text does not parse as statements."""
    trees = _template_trees(pieces)
    if trees is None:
        return None
    out: list[tuple[str, Marker]] = []
    for tree in trees:
        if isinstance(tree, exp.Insert):
            out += _inserted(tree)
        elif isinstance(tree, exp.Update):
            for assignment in tree.args.get("expressions") or []:
                if isinstance(assignment, exp.EQ):
                    column = _column_name(assignment.this)
                    marker = _markers(assignment.expression)
                    if column and marker is not None:
                        out.append((column, marker))
    return tuple(out)


def tables_inserted(pieces: Sequence[str | None] | str) -> tuple[str, ...]:
    """The tables an ``INSERT``/``REPLACE`` statement adds rows to (``INSERT INTO
    entries (...) VALUES (...)``): none when the text is no such statement."""
    trees = _template_trees(pieces)
    out: list[str] = []
    for tree in trees or ():
        if isinstance(tree, exp.Insert):
            table = tree.find(exp.Table)
            if table is not None and table.name:
                out.append(table.name)
    return tuple(out)


def _inserted(tree: exp.Insert) -> list[tuple[str, Marker]]:
    target = tree.this
    if not isinstance(target, exp.Schema):
        return []  # ``INSERT INTO t VALUES (...)``: the columns are not named
    columns = [_column_name(c) for c in target.expressions]
    values = tree.expression
    out: list[tuple[str, Marker]] = []
    if isinstance(values, exp.Values):
        for row in values.expressions:
            items = row.expressions if isinstance(row, exp.Tuple) else [row]
            for column, item in zip(columns, items, strict=False):
                marker = _markers(item)
                if column and marker is not None:
                    out.append((column, marker))
    return out


def columns_compared(pieces: Sequence[str | None] | str
                     ) -> tuple[tuple[str, Marker], ...] | None:
    """Columns a statement's conditions compare for equality with a bind marker or a hole
    (``WHERE username = ? AND password = ?``): ``(column, marker)`` pairs. None when the
    text does not parse as statements."""
    trees = _template_trees(pieces)
    if trees is None:
        return None
    out: list[tuple[str, Marker]] = []
    for tree in trees:
        for where in tree.find_all(exp.Where):
            for eq in where.find_all(exp.EQ):
                for col, value in ((eq.this, eq.expression), (eq.expression, eq.this)):
                    column = _column_name(col) if isinstance(col, exp.Column) else None
                    marker = _markers(value)
                    if column and marker is not None and not (
                            marker.hole is not None and isinstance(col, exp.Column)
                            and _tokens_in(col.name)):
                        out.append((column, marker))
    return tuple(out)


def unbounded_rows(sql: str) -> bool | None:
    """Is ``sql`` a query that returns rows with nothing bounding how many?

    True: one ``SELECT`` (or ``WITH ... SELECT``, ``UNION``...) whose outermost query has no
    ``LIMIT``/``TOP``/``FETCH FIRST`` (a bind marker counts: ``LIMIT ?`` bounds) and no
    Oracle ``ROWNUM`` condition, reads a table (``FROM``), and is not one row by its
    shape: not only aggregates without ``GROUP BY`` (``SELECT count(*) ...``,
    ``SELECT max(x), min(x) ...``) and not ``SELECT EXISTS (...)``. ``GROUP BY`` returns a
    row per group and counts as unbounded; ``OFFSET`` alone bounds nothing; a ``WHERE`` on
    a unique key is not looked at (the caller knows its models).
    False: a query bounded or one row by the rules above.
    None: not a single row-returning query, or text no dialect parses.
    """
    try:
        trees = _statements(sql)
    except Exception:  # noqa: BLE001
        return None
    if trees is None or len(trees) != 1 or not isinstance(trees[0], _QUERY):
        return None
    query = trees[0]
    while isinstance(query, exp.Subquery):
        query = query.this
    if query.args.get("limit") is not None or query.args.get("fetch") is not None or \
            query.args.get("top") is not None:
        return False
    if isinstance(query, _SET_OPERATION):
        return True
    if not isinstance(query, exp.Select):
        return None
    if query.args.get("from") is None and query.args.get("from_") is None:
        return False  # ``SELECT now()``, ``SELECT EXISTS (...)`` without a table
    where = query.args.get("where")
    if where is not None and any(c.name.lower() == "rownum"
                                 for c in where.find_all(exp.Column)):
        return False
    projections = [p.this if isinstance(p, exp.Alias) else p for p in query.expressions]
    if projections and all(isinstance(p, exp.Exists) for p in projections):
        return False
    if query.args.get("group") is None and projections and all(
            _aggregate(p) for p in projections) and any(
            p.find(exp.AggFunc) is not None for p in projections):
        return False  # (``SELECT 1 FROM t``, ``SELECT ? FROM t``: a row per row of t)
    return True


def _aggregate(node: exp.Expression) -> bool:
    """An aggregate, or an expression of aggregates and constants (``count(*) + 1``)."""
    if isinstance(node, exp.AggFunc):
        return True
    if isinstance(node, (exp.Literal, exp.Null, exp.Boolean, exp.Placeholder)):
        return True
    if isinstance(node, (exp.Binary, exp.Paren, exp.Cast, exp.Coalesce)):
        children = [c for c in node.iter_expressions()]
        return bool(children) and all(_aggregate(c) for c in children)
    return False
