"""Branches whose test is a constant: ``x if 7 * 18 + num > 200 else param``, ``match``
on a string the code fixed itself.

Defines no rule. Used by the taint evaluator (flow/taint.py, flow/reaching.py) so that a
value assigned only in a branch that can never run (``num = 106`` above the test) does
not count as reaching a sink. Only integer arithmetic over literals and local names
bound once to a literal is evaluated; anything else is unknown and both branches count.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.names import int_value, string_value
from backend_audit.engines.walk import descendants
from backend_audit.flow.budget import Budget
from backend_audit.flow.locals import Flow

_ARITHMETIC: dict[type, Callable[[int, int], int]] = {
    cst.Add: operator.add, cst.Subtract: operator.sub, cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv, cst.Modulo: operator.mod,
}
_COMPARE: dict[type, Callable[[int, int], bool]] = {
    cst.GreaterThan: operator.gt, cst.GreaterThanEqual: operator.ge,
    cst.LessThan: operator.lt, cst.LessThanEqual: operator.le,
    cst.Equal: operator.eq, cst.NotEqual: operator.ne,
}


def constant_truth(test: cst.BaseExpression, flow: Flow) -> bool | None:
    """The value of a branch test that does not depend on input, or None."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        compare = _COMPARE.get(type(comp.operator))
        left, right = _number(test.left, flow, Budget()), _number(comp.comparator, flow, Budget())
        if compare is not None and left is not None and right is not None:
            return compare(left, right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = constant_truth(test.expression, flow)
        return None if inner is None else not inner
    return None


def _only_value(name: cst.Name, flow: Flow) -> cst.BaseExpression | None:
    """The one value a local name is ever given (not a parameter, never ``+=``-ed)."""
    values = flow.values_of(name.value)
    if len(values) == 1 and name.value not in flow.params and \
            not flow.is_augmented(name.value):
        return values[0]
    return None


def _number(expr: cst.BaseExpression, flow: Flow, budget: Budget) -> int | None:
    if budget.exhausted:
        return None
    budget = budget.deeper()
    value = int_value(expr)
    if value is not None:
        return value
    if isinstance(expr, cst.Name):
        only = _only_value(expr, flow)
        return int_value(only) if only is not None else None
    if isinstance(expr, cst.BinaryOperation):
        apply = _ARITHMETIC.get(type(expr.operator))
        left, right = _number(expr.left, flow, budget), _number(expr.right, flow, budget)
        if apply is None or left is None or right is None:
            return None
        try:
            return apply(left, right)
        except ZeroDivisionError:
            return None
    return None


def dead_values(scope: cst.CSTNode, flow: Flow) -> frozenset[int]:
    """ids of the values assigned inside ``if`` branches and ``match`` cases of ``scope``
    that never run."""
    dead: set[int] = set()
    for node in descendants(scope, cst.If):
        truth = constant_truth(node.test, flow)
        if truth is None:
            continue
        branch = node.orelse if truth else node.body
        if branch is not None:
            _assigned_in(branch, dead)
    for match in descendants(scope, cst.Match):
        subject = _text(match.subject, flow, Budget())
        if subject is None:
            continue
        taken = False
        for case in match.cases:
            if taken or case.guard is not None:
                if taken:
                    _assigned_in(case.body, dead)
                continue
            verdict = _case_matches(case.pattern, subject)
            if verdict is None:
                break  # a pattern we cannot read: leave this case and the rest alone
            if verdict:
                taken = True
            else:
                _assigned_in(case.body, dead)
    return frozenset(dead)


def _assigned_in(branch: cst.CSTNode, dead: set[int]) -> None:
    for assign in descendants(branch, cst.Assign, cst.AnnAssign, cst.AugAssign):
        if assign.value is not None:
            dead.add(id(assign.value))


def _text(expr: cst.BaseExpression, flow: Flow, budget: Budget) -> str | None:
    """A string the expression always holds (``possible[1]`` with ``possible = "ABC"``)."""
    if budget.exhausted:
        return None
    budget = budget.deeper()
    value = string_value(expr)
    if value is not None:
        return value
    if isinstance(expr, cst.Name):
        only = _only_value(expr, flow)
        return _text(only, flow, budget) if only is not None else None
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and \
            isinstance(expr.slice[0].slice, cst.Index):
        whole = _text(expr.value, flow, budget)
        index = _number(expr.slice[0].slice.value, flow, budget)
        if whole is not None and index is not None and -len(whole) <= index < len(whole):
            return whole[index]
    return None


def _case_matches(pattern: cst.MatchPattern, subject: str) -> bool | None:
    if isinstance(pattern, cst.MatchValue):
        value = string_value(pattern.value)
        return None if value is None else value == subject
    if isinstance(pattern, cst.MatchOr):
        verdicts = [_case_matches(p.pattern, subject) for p in pattern.patterns]
        if True in verdicts:
            return True
        return None if None in verdicts else False
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
        return True  # ``case _`` / ``case name``
    return None
