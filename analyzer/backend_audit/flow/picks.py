"""Random picks (``random.choice``, ``choices``, ``sample``): does a pick make a new value,
or choose one of a collection of existing ones?

``"".join(random.choice(ALPHABET) for _ in range(32))`` builds a token out of characters;
``random.choice(range(10**6))`` makes a number; ``random.choice(mirrors)`` or
``random.choice(api_keys)`` hands back one of the items it was given, which are exactly
as secret (or as public) as before. Used by the predictable-value spec (flow/specs.py).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.flow.budget import Budget

PICKS = frozenset({"choice", "choices", "sample"})
# Calls that hand back a collection of existing things: matches of a pattern, the words
# of a text, a mapping's keys or values, rows, file names.
_COLLECTION_CALLS = frozenset({"findall", "split", "rsplit", "splitlines", "keys", "values",
                               "items", "readlines", "fetchall", "all", "listdir", "glob",
                               "getlist"})
# Calls that copy a collection (or a string, into its characters) without changing it.
_COPIES = frozenset({"list", "tuple", "set", "frozenset", "sorted"})


def single_pick(call: cst.Call) -> bool:
    """One item picked (``choice(x)``, ``choices(x)``, ``sample(x, 1)``), not a run of
    them that builds a string or a list."""
    name = last_name(call.func)
    if name == "choice":
        return get_arg(call, "size", 1) is None  # numpy.random.choice(a, size=16)
    k = get_arg(call, "k", 1 if name == "sample" else None)
    if k is None:
        return name == "choices"
    return isinstance(k.value, cst.Integer) and k.value.value == "1"


def picks_existing_item(call: cst.Call,
                        values_of: Callable[[str], list[cst.BaseExpression]]) -> bool:
    """Is ``call`` a single pick out of a collection of existing items (not characters to
    build a string from, not a range of numbers)? ``values_of``: what a name is given."""
    population = get_arg(call, "population", 0) or get_arg(call, "seq") or \
        get_arg(call, "a")
    return population is not None and single_pick(call) and \
        _existing_items(population.value, values_of, Budget())


def _existing_items(expr: cst.BaseExpression,
                    values_of: Callable[[str], list[cst.BaseExpression]],
                    budget: Budget) -> bool:
    """Evidently a collection of whole items. Text, ``string.*`` alphabets, ranges and
    anything unknown (a parameter, an attribute) are not."""
    if budget.exhausted:
        return False
    budget = budget.deeper()
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return bool(expr.elements) and not all(_one_symbol(e.value) for e in expr.elements)
    if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.Dict,
                         cst.DictComp)):
        return True
    if isinstance(expr, cst.Call):
        name = last_name(expr.func)
        if name in _COPIES and isinstance(expr.func, cst.Name):
            return bool(expr.args) and _existing_items(expr.args[0].value, values_of, budget)
        return name in _COLLECTION_CALLS and isinstance(expr.func, cst.Attribute)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _existing_items(expr.left, values_of, budget) and \
            _existing_items(expr.right, values_of, budget)
    if isinstance(expr, cst.Name):
        values = values_of(expr.value)
        return bool(values) and all(_existing_items(v, values_of, budget) for v in values)
    return False


def _one_symbol(expr: cst.BaseExpression) -> bool:
    """A character or a digit: an element of an alphabet, not an item."""
    text = string_value(expr)
    if text is not None:
        return len(text) == 1
    return isinstance(expr, cst.Integer) and len(expr.value) == 1
