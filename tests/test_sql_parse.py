"""SQL text read by the SQL parser: where each hole of a template sits, what a statement
writes and compares, whether a query is bounded, and how a value's shape is settled."""

from __future__ import annotations

import pytest
from backend_audit.sql.parse import (
    Marker,
    Slot,
    Statement,
    columns_compared,
    columns_written,
    read_template,
    unbounded_rows,
)
from backend_audit.sql.pyformat import format_pieces, join_pieces, percent_pieces
from backend_audit.sql.shape import PASSED_IN, SAFE, Shape, compose, seal, unsafe
from hypothesis import given, settings
from hypothesis import strategies as st

H = None  # a hole


def _template(text: str) -> list[str | None]:
    """``"SELECT * FROM {} WHERE id = {}"`` as pieces with holes."""
    parts = text.split("{}")
    out: list[str | None] = []
    for index, part in enumerate(parts):
        if index:
            out.append(H)
        out.append(part)
    return out


V, N, C, U = Slot.VALUE, Slot.NAME, Slot.CLAUSE, Slot.UNKNOWN


@pytest.mark.parametrize(("text", "slots"), [
    # values: quoted, compared, listed, inserted, assigned, limits
    ("SELECT * FROM users WHERE name = '{}'", (V,)),
    ("SELECT * FROM users WHERE id = {}", (V,)),
    ("SELECT * FROM users WHERE id IN ({})", (V,)),
    ("SELECT * FROM users WHERE name LIKE '%{}%'", (V,)),
    ("SELECT * FROM t WHERE a BETWEEN {} AND {}", (V, V)),
    ("INSERT INTO t (a, b) VALUES ({}, '{}')", (V, V)),
    ("UPDATE t SET a = {} WHERE id = ?", (V,)),
    ("SELECT * FROM t LIMIT {} OFFSET {}", (V, V)),
    ('SELECT * FROM t WHERE a = "{}"', (V,)),  # MySQL's double-quoted string
    # names: tables, columns, sort keys, projections, bind marker names
    ("SELECT * FROM {} WHERE id = %s", (N,)),
    ("SELECT * FROM `{}` WHERE id = ?", (N,)),
    ("SELECT {}, name FROM users", (N,)),
    ("SELECT * FROM t WHERE {} = %s", (N,)),
    ("SELECT * FROM t WHERE {} IN (?, ?)", (N,)),
    ("SELECT * FROM t ORDER BY {} {}", (N, N)),
    ("SELECT * FROM t GROUP BY {}", (N,)),
    ("SELECT t.id FROM t JOIN {} u ON u.id = t.uid", (N,)),
    ("SELECT * FROM t WHERE a = {}.id", (N,)),
    ("SELECT * FROM projects_{}status", (N,)),
    ("INSERT INTO t ({}) VALUES (:{})", (N, N)),
    ("INSERT INTO t (a) VALUES (%({})s)", (N,)),
    # clauses: whole conditions and subqueries
    ("SELECT * FROM t WHERE {} AND x = %s", (C,)),
    ("SELECT * FROM t WHERE {}", (C,)),
    ("SELECT * FROM t JOIN u ON {}", (C,)),
    ("SELECT * FROM ({}) AS page WHERE n = 1", (C,)),
    # neither: a function argument
    ("SELECT * FROM t WHERE a = lower({})", (U,)),
])
def test_slots_of_holes_in_statements(text: str, slots: tuple[Slot, ...]) -> None:
    reading = read_template(_template(text))
    assert reading is not None and reading.slots == slots


@pytest.mark.parametrize(("text", "kind"), [
    ("SELECT * FROM t WHERE id = {}", Statement.QUERY),
    ("WITH x AS (SELECT * FROM t) SELECT * FROM x WHERE a = {}", Statement.QUERY),
    ("DELETE FROM t WHERE id = {}", Statement.WRITE),
    ("REPLACE INTO t (a) VALUES ({})", Statement.WRITE),
    ("CREATE DATABASE {}", Statement.UTILITY),
    ("CREATE TABLE t (amount {} NOT NULL DEFAULT {})", Statement.UTILITY),
    ("ALTER TABLE t ADD COLUMN c TIMESTAMP DEFAULT {}", Statement.UTILITY),
    ("DROP SEQUENCE {};", Statement.UTILITY),
    ("GRANT ALL ON SCHEMA public TO {}", Statement.UTILITY),
    ("SET LOCAL TIME ZONE '{}'", Statement.UTILITY),
    ("USE WAREHOUSE {}", Statement.UTILITY),
    ("KILL {}", Statement.UTILITY),
    ("NOTIFY {}, %s", Statement.UTILITY),
    ("INSTALL {} FROM community", Statement.UTILITY),
    ("PRAGMA table_info({})", Statement.UTILITY),
])
def test_statement_kinds(text: str, kind: Statement) -> None:
    reading = read_template(_template(text))
    assert reading is not None and reading.statement is kind


@pytest.mark.parametrize(("text", "slots"), [
    ("{} = ?", (N,)),
    ("{} IN (?, ?)", (N,)),
    ("name = {}", (V,)),
    (" AND name = '{}'", (V,)),
    (" WHERE {} = %s ORDER BY {}", (N, N)),
    ("'[\"{}\"]'", (V,)),
])
def test_fragments_read_inside_a_statement(text: str, slots: tuple[Slot, ...]) -> None:
    reading = read_template(_template(text), statement=False)
    assert reading is not None and reading.statement is Statement.FRAGMENT
    assert reading.slots == slots


@pytest.mark.parametrize("text", [
    "{} {}",  # reads as ``a AS b``: proves nothing
    "copy {} for {}",  # not SQL
    "SELECT * FROM WHERE {}",  # broken
    "%{}%",
])
def test_text_that_does_not_parse_as_sql_gives_nothing(text: str) -> None:
    assert read_template(_template(text), statement=False) is None


def test_a_fragment_is_never_read_as_a_utility_statement() -> None:
    # ``SET name = '{}'`` may be the tail of an UPDATE: as a fragment it is only that.
    reading = read_template(_template("SET name = '{}'"), statement=False)
    assert reading is not None and reading.statement is Statement.FRAGMENT


@pytest.mark.parametrize(("sql", "written"), [
    ("INSERT INTO users (email, password) VALUES (%s, %s)",
     (("email", Marker(position=0)), ("password", Marker(position=1)))),
    ("INSERT INTO users (email, password) VALUES (?, crypt(?, gen_salt('bf')))",
     (("email", Marker(position=0)),)),
    ("UPDATE users SET password = :pw WHERE id = :id", (("password", Marker(name="pw")),)),
    ("UPDATE users SET passwd = %(pw)s, name = $2 WHERE id = $1",
     (("passwd", Marker(name="pw")), ("name", Marker(position=1)))),
    ("REPLACE INTO users (name, pwd) VALUES (?, ?)",
     (("name", Marker(position=0)), ("pwd", Marker(position=1)))),
    ("INSERT INTO users VALUES (?, ?)", ()),  # columns not named
    ("SELECT * FROM users WHERE password = ?", ()),
])
def test_columns_written(sql: str, written: tuple) -> None:
    assert columns_written(sql) == written


def test_columns_written_from_holes_and_unparseable_text() -> None:
    assert columns_written(["INSERT INTO users (name, password) VALUES ('", H, "', '", H,
                            "')"]) == (("name", Marker(hole=0)), ("password", Marker(hole=1)))
    assert columns_written("INSERT INTO users (name, password) VALUES (") is None


@pytest.mark.parametrize(("sql", "compared"), [
    ("SELECT id FROM users WHERE email = %s AND password = %s",
     (("email", Marker(position=0)), ("password", Marker(position=1)))),
    ("SELECT 1 FROM users WHERE username = $1 AND password = $2",
     (("username", Marker(position=0)), ("password", Marker(position=1)))),
    ("SELECT * FROM users WHERE password = crypt(?, password)", ()),
    ("SELECT * FROM users WHERE password_hash = md5(?)", ()),
])
def test_columns_compared(sql: str, compared: tuple) -> None:
    assert columns_compared(sql) == compared


@pytest.mark.parametrize(("sql", "unbounded"), [
    ("SELECT * FROM orders WHERE customer_id = %s", True),
    ("SELECT a, count(*) FROM t GROUP BY a", True),
    ("SELECT a FROM t UNION SELECT a FROM u", True),
    ("SELECT * FROM t OFFSET 20", True),
    ("SELECT * FROM t LIMIT 20", False),
    ("SELECT * FROM t LIMIT ?", False),
    ("SELECT TOP 10 * FROM t", False),
    ("SELECT * FROM t ORDER BY id FETCH FIRST 5 ROWS ONLY", False),
    ("SELECT * FROM t WHERE ROWNUM <= 10", False),
    ("SELECT count(*) FROM t", False),
    ("SELECT max(a), min(a) FROM t", False),
    ("SELECT 1 FROM t", True),  # a row per row of t, not an aggregate
    ("SELECT ? FROM books WHERE author_id = %s", True),  # an interpolated column list
    ("SELECT EXISTS (SELECT 1 FROM t WHERE a = ?)", False),
    ("SELECT now()", False),
    ("INSERT INTO t (a) VALUES (1)", None),
    ("SELECT * FROM", None),
    ("copy the file", None),
])
def test_unbounded_rows(sql: str, unbounded: bool | None) -> None:
    assert unbounded_rows(sql) is unbounded


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=8), st.booleans())
def test_reading_any_text_never_raises(pieces: list[str | None], statement: bool) -> None:
    reading = read_template(pieces, statement)
    if reading is not None:
        assert len(reading.slots) == sum(1 for p in pieces if p is None)
    text = "".join(p or "?" for p in pieces)
    assert unbounded_rows(text) in (True, False, None)
    columns_written(text)
    columns_compared(text)


# ---------------------------------------------------------------------- shapes
def _built(*pieces: str | Shape) -> Shape:
    parts = [p for p in pieces if isinstance(p, Shape)]
    return compose(parts, pieces=tuple(pieces))


COMPUTED = unsafe()  # a value the code computes (an attribute, a helper's result)
CLIENT = unsafe(request=True)


def test_a_computed_name_no_longer_counts() -> None:
    assert seal(_built("SELECT * FROM ", COMPUTED, " WHERE id = %s"), True).safe


def test_a_computed_value_still_counts_and_is_a_value() -> None:
    shape = seal(_built("SELECT * FROM t WHERE id = ", COMPUTED), True)
    assert shape.built and shape.value_slot


def test_a_name_chosen_by_the_client_counts() -> None:
    shape = seal(_built("SELECT * FROM t ORDER BY ", CLIENT), True)
    assert shape.built and shape.request


def test_a_name_handed_in_is_left_to_its_callers() -> None:
    shape = seal(_built("SELECT * FROM ", PASSED_IN, " WHERE id = %s"), True)
    assert shape.built and shape.names_only and not shape.value_slot


def test_a_utility_statement_counts_only_client_input() -> None:
    assert seal(_built("CREATE DATABASE ", COMPUTED), True).safe
    assert seal(_built("SET LOCAL TIME ZONE '", COMPUTED, "'"), True).safe
    assert seal(_built("KILL ", CLIENT), True).request


def test_a_statement_kind_needs_a_whole_statement() -> None:
    # The same text as a piece of a statement is only read for its slots.
    shape = seal(_built("SET name = '", COMPUTED, "'"), statement=False)
    assert shape.built


def test_text_that_does_not_parse_keeps_its_shape() -> None:
    shape = _built("please ", COMPUTED, " now")
    assert seal(shape, True) is shape


def test_a_fragment_never_raises_the_value_position() -> None:
    # The parser reads a value inside quotes; the text before the hole (``'["``) does not
    # say so, and a fragment's reading may only lower what was known.
    shape = seal(_built("'[\"", PASSED_IN, "\"]'"), statement=False)
    assert shape.built and not shape.value_slot
    statement = seal(_built("SELECT * FROM t WHERE tags @> '[\"", PASSED_IN, "\"]'"), True)
    assert statement.value_slot


def test_safe_holes_are_left_alone() -> None:
    assert seal(_built("SELECT * FROM t WHERE id = ", SAFE), True).safe


# ---------------------------------------------------------------------- Python formatting
def test_percent_formatting_places_each_argument() -> None:
    a, b = unsafe(), unsafe(request=True)
    pieces = percent_pieces(("SELECT * FROM %s WHERE n = '%s' AND k = %d%%",), [a, b, a])
    assert pieces == ("SELECT * FROM ", a, " WHERE n = '", b, "' AND k = ", SAFE, "%")
    assert percent_pieces(("a = %(x)s",), {"x": a}) == ("a = ", a)
    assert percent_pieces(("a = %s AND b = %s",), [a]) is None  # too few arguments


def test_str_format_places_each_argument() -> None:
    a, b = unsafe(), unsafe(request=True)
    pieces = format_pieces(("SELECT * FROM {} WHERE n = '{name}' LIMIT {0:d} {{x}}",),
                           [a], {"name": b}, None)
    assert pieces == ("SELECT * FROM ", a, " WHERE n = '", b, "' LIMIT ", SAFE, " {x}")
    assert format_pieces(("{missing}",), [], {}, None) is None
    assert format_pieces(("{",), [], {}, None) is None


def test_join_of_a_comprehension_reads_like_one_element() -> None:
    element = _built(":", COMPUTED)
    assert join_pieces(Shape(text=", ", pieces=(", ",)), None, element) == (":", COMPUTED)
    items = [Shape(text="a", pieces=("a",)), COMPUTED]
    assert join_pieces(Shape(text=", ", pieces=(", ",)), items, None) == ("a, ", COMPUTED)


# ---------------------------------------------------------------------- on fixtures
def test_confidence_of_parsed_sql_findings() -> None:
    from pathlib import Path

    from backend_audit.config import Config
    from backend_audit.pipeline import ScanOptions, scan

    fixture = Path(__file__).parent / "fixtures" / "sql-injection" / "flask_reports_parsed.py"
    report = scan([fixture], Config(min_confidence="low"), ScanOptions(select=("BA301",),
                                                                        jobs=1))
    found = {f.region.start_line: str(f.confidence) for f in report.findings}
    lines = fixture.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if text in line)

    # A sort key, a table, a schema name the client picks: high, like a value it picks.
    assert found[line_of("ORDER BY {sort}")] == "high"
    assert found[line_of("DROP TABLE IF EXISTS {table}")] == "high"
    assert found[line_of("SET search_path TO {tenant}")] == "high"
    # A function's argument the parser cannot class keeps the reading without it.
    assert found[line_of("pg_terminate_backend({pid})")] == "low"
