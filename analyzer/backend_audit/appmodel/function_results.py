"""What a function answers: whether ``None`` is one of its declared results (``-> X |
None``, ``Optional[X]``) or a value it returns on a path of its own, whether it answers
yes or no, and whether it tears an object down. Defines no rule."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import dotted_name
from backend_audit.engines.walk import own_returns


def allows_none(annotation: cst.BaseExpression) -> bool:
    """``X | None``, ``Optional[X]``, ``Union[X, None]``, ``None``."""
    if isinstance(annotation, cst.Name):
        return annotation.value == "None"
    if isinstance(annotation, cst.BinaryOperation) and \
            isinstance(annotation.operator, cst.BitOr):
        return allows_none(annotation.left) or allows_none(annotation.right)
    if isinstance(annotation, cst.Subscript):
        kind = dotted_name(annotation.value).rsplit(".", 1)[-1]
        return kind == "Optional" or kind == "Union" and any(
            isinstance(e.slice, cst.Index) and allows_none(e.slice.value)
            for e in annotation.slice)
    return False


def declares_none(fn: cst.FunctionDef) -> bool:
    """The signature says callers may get ``None`` back."""
    return fn.returns is not None and allows_none(fn.returns.annotation)


def is_none_return(ret: cst.Return) -> bool:
    """``return`` or ``return None``."""
    return ret.value is None or isinstance(ret.value, cst.Name) and ret.value.value == "None"


def answers_none(block: cst.BaseSuite) -> bool:
    """Does ``block`` (an except clause's body) answer None and nothing else: simple
    statements that return None or assign it, what a lookup that finds nothing answers?"""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    if not all(isinstance(s, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
               for s in statements):
        return False
    answers = [small for s in statements for small in s.body
               if isinstance(small, (cst.Return, cst.Assign))]
    return bool(answers) and all(
        is_none_return(a) if isinstance(a, cst.Return) else
        isinstance(a.value, cst.Name) and a.value.value == "None" for a in answers)


def can_complete(block: cst.BaseSuite) -> bool:
    """May control leave ``block`` at its end (it does not end in a return or raise)?
    Loops and branches are taken as completing: the question is asked to learn whether
    the statement after a block is reached on an ordinary path, and "maybe" is "yes"."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    last = statements[-1] if statements else None
    small = last.body if isinstance(last, (cst.SimpleStatementLine,
                                           cst.SimpleStatementSuite)) else ()
    return not any(isinstance(s, (cst.Return, cst.Raise)) for s in small)


def _truth_value(expr: cst.BaseExpression) -> bool:
    """``True``, ``False``, a comparison, ``not x``, or ``and``/``or`` of those."""
    if isinstance(expr, cst.Name):
        return expr.value in ("True", "False")
    if isinstance(expr, cst.BooleanOperation):
        return _truth_value(expr.left) and _truth_value(expr.right)
    return isinstance(expr, cst.Comparison) or \
        isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not)


def answers_yes_or_no(fn: cst.FunctionDef, besides: cst.CSTNode | None = None) -> bool:
    """Does every ``return`` of ``fn`` outside ``besides`` give a truth value
    (``return "meta.json" in names``, ``return True``)? Then ``False`` is an answer its
    callers test, not a value that hides a failure."""
    skip = set(map(id, own_returns(besides))) if besides is not None else set()
    values = [r.value for r in own_returns(fn.body) if id(r) not in skip]
    return bool(values) and all(v is not None and _truth_value(v) for v in values)


# Methods Python calls to tear an object or a context down.
TEARDOWN_METHODS = frozenset({"__del__", "__exit__", "__aexit__"})


def is_teardown(fn: cst.FunctionDef) -> bool:
    return fn.name.value in TEARDOWN_METHODS
