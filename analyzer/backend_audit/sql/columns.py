"""Which Python expression each column of a database call's SQL receives.

``cur.execute("UPDATE users SET password = %s WHERE id = %s", (new_password, uid))``
writes ``new_password`` to the column ``password``; ``cur.execute(f"SELECT ... WHERE
password = '{pw}'")`` compares ``pw`` with it. The SQL is read by the parser
(``sql.parse``): bind markers of every style are matched with the call's parameters (a
tuple or list by position, a dict by name, or the extra positional arguments of
asyncpg-style calls), holes of an f-string with the expressions interpolated there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.flow.locals import Flow
from backend_audit.sql.parse import Marker, columns_compared, columns_written

# Calls that run SQL with parameters: DB-API cursors, SQLAlchemy connections and
# sessions, async drivers.
RUNNERS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetch_all",
                     "fetch_one", "fetch_val", "execute_fetchall", "exec_driver_sql"})
_PARAMS_KEYWORDS = ("params", "parameters", "args", "vars", "values")
# Names of helpers that, by their name, run the SQL they are given.
SQLISH_NAME = re.compile(r"^(?!(log|print|debug|warn|format|build|render|describe|explain|"
                         r"trace|record|cache|parse|validate|make|compose|to)_)"
                         r".*(^|_)(sql|query|queries|execute|exec|fetch|fetchall|fetchone|select|"
                         r"raw|db)($|_)", re.IGNORECASE)


def runs_sql(name: str | None) -> bool:
    """A call that runs the SQL text it is given first: a driver's runner, or a helper
    named for it (``execute_query(sql, params)``, ``db_fetchall(sql)``); the text itself
    must still parse as SQL for any column to be read."""
    return bool(name) and (name in RUNNERS or bool(SQLISH_NAME.search(name)))


@dataclass(frozen=True)
class CallSql:
    """The SQL a call runs: its template (text, ``None`` for each hole), the expressions
    that fill the holes, and the call's parameters."""

    pieces: tuple[str | None, ...]
    holes: tuple[cst.BaseExpression, ...]
    call: cst.Call
    params: cst.BaseExpression | None


def _single_value(expr: cst.BaseExpression, flows: tuple[Flow, ...]) -> cst.BaseExpression:
    """A local name's one assigned value (the function's, else the module's)."""
    if isinstance(expr, cst.Name):
        for flow in flows:
            values = flow.values_of(expr.value)
            if values:
                return values[0] if len(values) == 1 and not flow.is_augmented(
                    expr.value) else expr
    return expr


def _template(expr: cst.BaseExpression
              ) -> tuple[tuple[str | None, ...], tuple[cst.BaseExpression, ...]] | None:
    """A string literal or f-string (implicitly concatenated ones too) as pieces and the
    expressions interpolated in its holes."""
    text = string_value(expr)
    if text is not None:
        return (text,), ()
    if isinstance(expr, cst.FormattedString):
        pieces = tuple(p.value if isinstance(p, cst.FormattedStringText) else None
                       for p in expr.parts)
        holes = tuple(p.expression for p in expr.parts
                      if isinstance(p, cst.FormattedStringExpression))
        return pieces, holes
    if isinstance(expr, cst.ConcatenatedString):
        left, right = _template(expr.left), _template(expr.right)
        if left is None or right is None:
            return None
        return left[0] + right[0], left[1] + right[1]
    return None


def call_sql(call: cst.Call, flows: tuple[Flow, ...]) -> CallSql | None:
    """The SQL of a runner call (``execute(sql, params)``, or a helper named for running
    SQL: ``execute_query(sql, params)``) when it is a string literal, an f-string, or
    ``text(...)`` of one, written there or assigned once to a name."""
    if not runs_sql(last_name(call.func)) or not call.args:
        return None
    sql = _single_value(call.args[0].value, flows)
    if isinstance(sql, cst.Call) and last_name(sql.func) == "text" and sql.args:
        sql = _single_value(sql.args[0].value, flows)
    template = _template(sql)
    if template is None:
        return None
    pieces, holes = template
    params = None
    for keyword in _PARAMS_KEYWORDS:
        arg = get_arg(call, keyword)
        if arg is not None:
            params = arg.value
            break
    if params is None:
        positional = [a for a in call.args[1:] if a.keyword is None and not a.star]
        params = positional[0].value if len(positional) == 1 else None
    return CallSql(pieces, holes, call, params)


def _filler(sql: CallSql, marker: Marker, flows: tuple[Flow, ...]
            ) -> cst.BaseExpression | None:
    """The expression that fills ``marker`` in the running call."""
    if marker.hole is not None:
        return sql.holes[marker.hole] if marker.hole < len(sql.holes) else None
    extra = [a.value for a in sql.call.args[1:] if a.keyword is None and not a.star]
    if marker.position is not None and len(extra) > 1:
        return extra[marker.position] if marker.position < len(extra) else None
    params = _single_value(sql.params, flows) if sql.params is not None else None
    if marker.position is not None and isinstance(params, (cst.Tuple, cst.List)):
        elements = params.elements
        if any(isinstance(e, cst.StarredElement) for e in elements[:marker.position + 1]):
            return None
        return elements[marker.position].value if marker.position < len(elements) else None
    if marker.position == 0 and params is not None and not isinstance(
            params, (cst.Tuple, cst.List, cst.Dict, cst.Name, cst.Call)):
        return params  # ``execute(sql, value)``: one value for one marker
    if marker.name is not None and isinstance(params, cst.Dict):
        for element in params.elements:
            if isinstance(element, cst.DictElement) and \
                    string_value(element.key) == marker.name:
                return element.value
    if marker.name is not None and isinstance(params, cst.Call) and \
            last_name(params.func) == "dict":
        arg = get_arg(params, marker.name)
        return arg.value if arg is not None else None
    return None


Reader = Callable[[tuple[str | None, ...]], tuple[tuple[str, Marker], ...] | None]


def _columns(call: cst.Call, flows: tuple[Flow, ...], read: Reader
             ) -> list[tuple[str, cst.BaseExpression]] | None:
    sql = call_sql(call, flows)
    if sql is None:
        return None
    found = read(sql.pieces)
    if found is None:
        return None
    out: list[tuple[str, cst.BaseExpression]] = []
    for column, marker in found:
        filler = _filler(sql, marker, flows)
        if filler is not None:
            out.append((column, filler))
    return out


def written_columns(call: cst.Call, flows: tuple[Flow, ...]
                    ) -> list[tuple[str, cst.BaseExpression]] | None:
    """``(column, expression)`` for each column an ``INSERT``/``UPDATE`` run by ``call``
    writes straight from a parameter or an interpolated value. None when the call's SQL
    is not known text that parses (callers keep their own reading then)."""
    return _columns(call, flows, columns_written)


def compared_columns(call: cst.Call, flows: tuple[Flow, ...]
                     ) -> list[tuple[str, cst.BaseExpression]] | None:
    """``(column, expression)`` for each column the SQL run by ``call`` compares for
    equality with a parameter or an interpolated value (``WHERE password = ?``). None
    when the call's SQL is not known text that parses."""
    return _columns(call, flows, columns_compared)
