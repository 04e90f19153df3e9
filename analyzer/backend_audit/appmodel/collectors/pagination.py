"""Records what the project's own functions and models say about row bounds.

Facts (values are dicts):

- ``pagination-helper`` ``{"name", "class"}``: a function that applies limit/offset,
  a slice or ``.paginate()`` to a query it receives as a parameter
  (``def paginate(query, page): return query.limit(n).offset(...)``).
- ``unique-column`` ``{"model", "column"}``: a model column declared unique or primary
  key, so an equality filter on it selects one row.
- ``rest-framework-key`` ``{"key", "value"}``: ``REST_FRAMEWORK["PAGE_SIZE"] = 50`` or
  ``REST_FRAMEWORK.update({...})`` in a settings module (the settings collector records
  only whole ``REST_FRAMEWORK = {...}`` assignments).
"""

from __future__ import annotations

from collections import deque

import libcst as cst

from backend_audit.appmodel.collectors.row_summaries import callable_from_outside, function_key
from backend_audit.appmodel.names import (
    dotted_name,
    get_arg,
    jsonable,
    last_name,
    literal_value,
    string_value,
)
from backend_audit.sql.bounds import is_paging_name
from backend_audit.visitor import Collector

# Calls that page what they receive.
_WINDOW_METHODS = frozenset({"limit", "offset", "slice", "paginate", "skip", "fetch",
                             "page", "get_page"})
# A cheap text test so modules with no paging cost one substring search.
_WINDOW_WORDS = ("limit", "offset", "paginat", "Paginator", ".slice(", ".skip(", "page")


def _root_name(expr: cst.BaseExpression) -> str | None:
    """``query`` in ``query.filter(...).limit(n)[a:b]``."""
    while isinstance(expr, (cst.Call, cst.Attribute, cst.Subscript, cst.Await)):
        if isinstance(expr, cst.Call):
            expr = expr.func
        elif isinstance(expr, cst.Await):
            expr = expr.expression
        else:
            expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


class PaginationFactsCollector(Collector):
    # Each fact needs one of these: a window (helpers, see ``_windows``), a unique or
    # primary-key column, or the REST_FRAMEWORK setting.
    words = (*_WINDOW_WORDS, "unique", "primary_key", "OneToOneField", "REST_FRAMEWORK")
    skips_migrations = True  # models, not their migrations, declare unique columns

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._windows = any(w in ctx.source for w in _WINDOW_WORDS)
        self._helpers: set[int] = set()  # functions already recorded as pagination helpers

    # Pagination helpers are found in the engine's single traversal: a window applied
    # to a value that comes from one of the function's parameters.
    def _window_call(self, call: cst.Call) -> None:
        fn = self._helper_candidate()
        if fn is None:
            return
        name = last_name(call.func)
        if isinstance(call.func, cst.Attribute) and name in _WINDOW_METHODS and \
                self._from_param(fn, call.func.value):
            self._record_helper(fn)
        # ``db.paginate(query, page=...)`` (Flask-SQLAlchemy 3), ``Paginator(qs, 25)``
        elif (is_paging_name(name) or name == "Paginator") and \
                any(self._from_param(fn, a.value) for a in call.args):
            self._record_helper(fn)

    def visit_Subscript(self, sub: cst.Subscript) -> None:
        fn = self._helper_candidate()
        # ``qs[offset:offset + limit]``; a literal ``text[:50]`` is not paging
        if fn is not None and any(isinstance(el.slice, cst.Slice) and
                                  not _literal_bounds(el.slice) for el in sub.slice) and \
                self._from_param(fn, sub.value):
            self._record_helper(fn)

    def _helper_candidate(self) -> cst.FunctionDef | None:
        if not self._windows:
            return None
        fn = callable_from_outside(self.ctx)
        return None if fn is None or id(fn) in self._helpers else fn

    def _record_helper(self, fn: cst.FunctionDef) -> None:
        self._helpers.add(id(fn))
        self.ctx.add_fact("pagination-helper", function_key(self.ctx))

    def _from_param(self, fn: cst.FunctionDef, expr: cst.BaseExpression) -> bool:
        """Is ``expr`` (a call chain) built on one of ``fn``'s parameters, through at most
        four assignments? A breadth-first walk over names, each name once and each answer
        remembered: a query rebuilt a hundred times (``stmt = stmt.where(...)``) made the
        old recursion over every assignment of every name exponential (a 4,900-line
        module took minutes)."""
        name = _root_name(expr)
        if name is None or name in ("self", "cls"):
            return False
        memo = self.__dict__.setdefault("_derived", {})
        key = (id(fn), name)
        if key not in memo:
            flow = self.ctx.flow(fn)
            found = False
            seen = {name}
            frontier = deque([(name, 0)])
            while frontier:
                current, depth = frontier.popleft()
                if current in flow.params:
                    found = True
                    break
                if depth >= 4:
                    continue
                for value in flow.values_of(current):
                    root = _root_name(value)
                    if root is not None and root not in seen and root not in ("self", "cls"):
                        seen.add(root)
                        frontier.append((root, depth + 1))
            memo[key] = found
        return memo[key]

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.function_stack or self.ctx.class_stack or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, cst.Subscript) and dotted_name(target.value) == "REST_FRAMEWORK" \
                and isinstance(target.slice[0].slice, cst.Index):
            key = string_value(target.slice[0].slice.value)
            if key:
                self._rest_framework_key(key, node.value)

    def visit_Call(self, call: cst.Call) -> None:
        self._window_call(call)
        if dotted_name(call.func) == "REST_FRAMEWORK.update" and not self.ctx.function_stack:
            for arg in call.args:
                if isinstance(arg.value, cst.Dict):
                    for el in arg.value.elements:
                        key = string_value(el.key) if isinstance(el, cst.DictElement) else None
                        if key:
                            self._rest_framework_key(key, el.value)

    def _rest_framework_key(self, key: str, value: cst.BaseExpression) -> None:
        self.ctx.add_fact("rest-framework-key", {"key": key,
                                                 "value": jsonable(literal_value(value))})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for stmt in body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                target: cst.BaseExpression | None = None
                value: cst.BaseExpression | None = None
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign):
                    target, value = small.target, small.value
                if isinstance(target, cst.Name) and isinstance(value, cst.Call) and \
                        _declares_unique(value):
                    self.ctx.add_fact("unique-column", {"model": node.name.value,
                                                        "column": target.value})


def _literal_bounds(sl: cst.Slice) -> bool:
    return all(b is None or isinstance(b, (cst.Integer, cst.UnaryOperation))
               for b in (sl.lower, sl.upper))


def _declares_unique(call: cst.Call) -> bool:
    for key in ("unique", "primary_key"):
        arg = get_arg(call, key)
        if arg is not None and dotted_name(arg.value) == "True":
            return True
    return last_name(call.func) in ("OneToOneField",)
