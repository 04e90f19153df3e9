"""Flow-insensitive value tracking inside one function (or module body).

``Flow`` records every expression assigned to each local name: plain, annotated and
augmented assignments, tuple unpacking, ``for`` targets, ``with ... as`` and walrus.
Checks ask what a name may hold (``values_of``) or walk an expression down to the
leaves it is built from (``leaves``), crossing names, string formatting, ``+``,
``%``, ``.format``, ``join``, containers and subscripts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst

from backend_audit.appmodel.names import string_value
from backend_audit.engines.walk import walk
from backend_audit.flow.budget import Budget


class _AssignCollector(cst.CSTVisitor):
    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.values: dict[str, list[cst.BaseExpression]] = {}
        self.items: dict[str, list[cst.BaseExpression]] = {}
        # ``a, b = f()``: (name, id(value)) -> the position the name takes in the value.
        self.positions: dict[tuple[str, int], int] = {}
        self.returns: list[cst.BaseExpression] = []

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.values.setdefault(target.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements):
                for t, v in zip(elements, value.elements, strict=True):
                    self._bind(t.value, v.value)
            else:
                for index, t in enumerate(elements):
                    self._bind(t.value, value)
                    if isinstance(t.value, cst.Name) and not isinstance(t, cst.StarredElement):
                        self.positions[(t.value.value, id(value))] = index
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root  # nested functions have their own flow

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return node is self.root

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._bind(t.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        # ``q += x`` means q may now hold ``q + x``: record x as a part of q.
        self._bind(node.target, node.value)
        if isinstance(node.target, cst.Name):
            self.values.setdefault("__aug__" + node.target.value, []).append(node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, node.item)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(node.target, node.iter)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.returns.append(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        # ``parts.append(x)`` / ``extend`` / ``insert`` / ``add``: x becomes an item of parts.
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        method = func.attr.value
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        index = 1 if method == "insert" else 0
        if method in ("append", "extend", "insert", "add") and len(positional) > index:
            self.items.setdefault(func.value.value, []).append(positional[index])


class Flow:
    """Assignments of one scope. Build with ``Flow(function_def)`` or ``Flow(module)``."""

    def __init__(self, scope: cst.FunctionDef | cst.Module | cst.ClassDef) -> None:
        collector = _AssignCollector(scope)
        walk(scope, collector)
        self.scope = scope
        self.values = collector.values
        self.items = collector.items
        self.positions = collector.positions
        self.returns = collector.returns
        self.params: set[str] = set()
        if isinstance(scope, cst.FunctionDef):
            p = scope.params
            for param in (*p.posonly_params, *p.params, *p.kwonly_params):
                self.params.add(param.name.value)
            for star in (p.star_arg, p.star_kwarg):
                if isinstance(star, cst.Param):
                    self.params.add(star.name.value)

    def values_of(self, name: str) -> list[cst.BaseExpression]:
        return self.values.get(name, [])

    def position_in(self, name: str, value: cst.BaseExpression) -> int | None:
        """For ``a, b = value``: the index ``name`` takes from ``value`` (else None)."""
        return self.positions.get((name, id(value)))

    def items_of(self, name: str) -> list[cst.BaseExpression]:
        """What ``name.append(...)``/``extend``/``insert``/``add`` put into the name."""
        return self.items.get(name, [])

    def is_augmented(self, name: str) -> bool:
        return ("__aug__" + name) in self.values

    def leaves(self, expr: cst.BaseExpression, budget: Budget | None = None,
               seen: set[str] | None = None) -> Iterator[cst.BaseExpression]:
        """Yield the expressions ``expr`` is built from, following local names.

        A Name with no local assignment (a parameter, a global) is yielded itself.
        Calls are yielded whole (callers decide what a call means), as are literals.
        So is whatever lies beyond the budget.
        """
        seen = set() if seen is None else seen
        budget = budget or Budget()
        if budget.exhausted:
            yield expr
            return
        if isinstance(expr, cst.Name):
            if expr.value in seen:
                return
            vals = self.values.get(expr.value, []) + self.items.get(expr.value, [])
            if not vals:
                yield expr
                return
            seen = seen | {expr.value}
            for v in vals:
                yield from self.leaves(v, budget.deeper(), seen)
            return
        for part in string_parts(expr):
            if part is expr:
                yield expr
            else:
                yield from self.leaves(part, budget.deeper(), seen)


def string_parts(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Direct parts a string-ish expression is built from; ``[expr]`` for a leaf."""
    if isinstance(expr, cst.FormattedString):
        parts: list[cst.BaseExpression] = []
        for p in expr.parts:
            if isinstance(p, cst.FormattedStringExpression):
                parts.append(p.expression)
        return parts
    if isinstance(expr, cst.BinaryOperation) and isinstance(
        expr.operator, (cst.Add, cst.Modulo)
    ):
        return [expr.left, expr.right]
    if isinstance(expr, cst.ConcatenatedString):
        return [expr.left, expr.right]
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return [e.value for e in expr.elements]
    if isinstance(expr, cst.Dict):
        return [e.value for e in expr.elements
                if isinstance(e, (cst.DictElement, cst.StarredDictElement))]
    if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return [expr.elt, expr.for_in.iter]
    if isinstance(expr, cst.IfExp):
        return [expr.body, expr.orelse]
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        attr = expr.func.attr.value
        if attr == "format" or attr == "format_map":
            return [expr.func.value, *(a.value for a in expr.args)]
        if attr == "join":
            return [expr.func.value, *(a.value for a in expr.args)]
        if attr in ("strip", "lower", "upper", "replace", "lstrip", "rstrip", "title"):
            return [expr.func.value]
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and \
            expr.func.value in ("str", "repr") and expr.args:
        return [expr.args[0].value]
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
        return [expr.value]
    return [expr]


def is_literal(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)) or (
        isinstance(expr, cst.Name) and expr.value in ("None", "True", "False")
    ) or (isinstance(expr, cst.ConcatenatedString) and string_value(expr) is not None)


def is_dynamic_string(expr: cst.BaseExpression) -> bool:
    """True if ``expr`` itself is a string built by formatting with a non-literal part."""
    if isinstance(expr, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringExpression) and not is_literal(p.expression)
                   for p in expr.parts)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return _is_stringish(expr.left) and not _all_literal(expr.right)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return (_is_stringish(expr.left) or _is_stringish(expr.right)) and not (
            _all_literal(expr.left) and _all_literal(expr.right))
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("format", "format_map"):
        return _is_stringish(expr.func.value) and not all(_all_literal(a.value) for a in expr.args)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value == "join":
        return _is_stringish(expr.func.value)
    return False


def _is_stringish(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)) or (
        isinstance(expr, cst.BinaryOperation) and (
            _is_stringish(expr.left) or _is_stringish(expr.right)))


def _all_literal(expr: cst.BaseExpression) -> bool:
    if is_literal(expr):
        return True
    if isinstance(expr, (cst.Tuple, cst.List)):
        return all(_all_literal(e.value) for e in expr.elements)
    return False


def any_leaf(flow: Flow, expr: cst.BaseExpression,
             predicate: Callable[[cst.BaseExpression], bool]) -> cst.BaseExpression | None:
    """The first leaf of ``expr`` (following names) for which ``predicate`` holds."""
    for leaf in flow.leaves(expr):
        if predicate(leaf):
            return leaf
    return None


_CHECKING_METHODS = frozenset({"fullmatch", "match", "isidentifier", "isdigit", "isalnum",
                               "isdecimal", "isnumeric"})


def _root_name(expr: cst.BaseExpression) -> str | None:
    """``col`` for ``col``, ``col.lower()``, ``col.strip().lower()``."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("lower", "upper", "strip", "casefold", "title"):
        expr = expr.func.value
    return expr.value if isinstance(expr, cst.Name) else None


def _checked_names(test: cst.BaseExpression,
                   is_constant: Callable[[cst.BaseExpression], bool]) -> set[str]:
    names: set[str] = set()
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _checked_names(test.expression, is_constant)
    if isinstance(test, cst.BooleanOperation):
        return _checked_names(test.left, is_constant) | _checked_names(test.right, is_constant)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        if isinstance(comp.operator, (cst.In, cst.NotIn)) and is_constant(comp.comparator):
            name = _root_name(test.left)
            if name is not None:
                names.add(name)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and \
            test.func.attr.value in _CHECKING_METHODS:
        # ``SAFE_NAME.fullmatch(col)``, ``re.fullmatch(r"...", col)``, ``col.isidentifier()``
        if test.func.attr.value.startswith("is"):
            name = _root_name(test.func.value)
            if name is not None:
                names.add(name)
        else:
            for arg in test.args:
                name = _root_name(arg.value)
                if name is not None:
                    names.add(name)
    return names


def allow_listed_names(scope: cst.CSTNode,
                       is_constant: Callable[[cst.BaseExpression], bool]) -> set[str]:
    """Names a scope checks against a constant allow-list (``if col not in ALLOWED:``,
    ``assert col in {...}``, ``if not SAFE.fullmatch(col):``), in if/elif/assert/while
    tests, conditional expressions and comprehension filters. Flow-insensitive: a name
    checked anywhere in the scope counts as checked throughout it."""
    found: set[str] = set()

    class _Tests(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is scope

        def visit_If(self, node: cst.If) -> None:
            found.update(_checked_names(node.test, is_constant))

        def visit_While(self, node: cst.While) -> None:
            found.update(_checked_names(node.test, is_constant))

        def visit_Assert(self, node: cst.Assert) -> None:
            found.update(_checked_names(node.test, is_constant))

        def visit_CompIf(self, node: cst.CompIf) -> None:
            found.update(_checked_names(node.test, is_constant))

    walk(scope, _Tests())
    return found


def checked_in_test(test: cst.BaseExpression,
                    is_constant: Callable[[cst.BaseExpression], bool]) -> set[str]:
    """Names a single test expression checks against a constant allow-list."""
    return _checked_names(test, is_constant)
