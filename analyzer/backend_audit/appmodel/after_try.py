"""What runs after a ``try``: the statement that follows it, also when the try ends a
branch of an ``if`` or the body of a ``with``, and whether that statement tests what
the try was to compute. Used to weigh a fallback a broad except answers with. Defines
no rule."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.best_effort import assigned_names
from backend_audit.engines.walk import descendants


def _last_try(block: cst.BaseSuite) -> list[cst.Try]:
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return []
    return tries_ending(block.body[-1])


def tries_ending(stmt: cst.BaseStatement) -> list[cst.Try]:
    """``stmt`` if it is a try, else the tries that end its branches (``if``/``elif``/
    ``else``, ``with``): what runs after any of them is the statement after ``stmt``."""
    if isinstance(stmt, cst.Try):
        return [stmt]
    if isinstance(stmt, cst.With):
        return _last_try(stmt.body)
    if not isinstance(stmt, cst.If):
        return []
    found = _last_try(stmt.body)
    if isinstance(stmt.orelse, cst.If):
        found += tries_ending(stmt.orelse)
    elif isinstance(stmt.orelse, cst.Else):
        found += _last_try(stmt.orelse.body)
    return found


def tested_after(body: cst.BaseSuite, after: cst.BaseStatement | None) -> bool:
    """``try: mime = sniff(path)`` then ``if not mime:`` (or ``label = user.email if user
    else "unknown"``): the statement after the try tests what the try was to compute, so
    a failure takes the fallback branch."""
    if isinstance(after, cst.If):
        tests: list[cst.BaseExpression] = [after.test]
    elif isinstance(after, cst.SimpleStatementLine):
        tests = [e.test for e in descendants(after, cst.IfExp)]
    else:
        return False
    return bool(assigned_names(body) &
                {n.value for test in tests for n in descendants(test, cst.Name)})
