"""Records what the project's own functions and models say about row bounds.

Facts (values are dicts):

- ``pagination-helper`` ``{"name", "class"}``: a function that applies limit/offset,
  a slice or ``.paginate()`` to a query it receives as a parameter
  (``def paginate(query, page): return query.limit(n).offset(...)``).
- ``unbounded-query-function`` ``{"name", "class"}``: a function or service method
  that returns every row of a query (``def list_products(db): return db.query(P).all()``).
- ``unique-column`` ``{"model", "column"}``: a model column declared unique or primary
  key, so an equality filter on it selects one row.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import dotted_name, get_arg, last_name
from backend_audit.checks._query_bounds import QueryAnalyzer, is_paging_name
from backend_audit.checks.base import Collector

# Calls that page what they receive.
_WINDOW_METHODS = frozenset({"limit", "offset", "slice", "paginate", "skip", "fetch",
                             "page", "get_page"})


class PaginationFactsCollector(Collector):
    words = ("def ", "class ")

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._analyzer: QueryAnalyzer | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self.ctx.function_stack) > 1 or len(self.ctx.class_stack) > 1:
            return  # nested functions are not callable from other modules
        class_name = self.ctx.class_stack[-1].name.value if self.ctx.class_stack else None
        value = {"name": node.name.value, "class": class_name}
        if self._pages_a_parameter(node):
            self.ctx.add_fact("pagination-helper", value)
            return
        if self.ctx.routes.route_for(node) is not None:
            return
        if self._analyzer is None:
            self._analyzer = QueryAnalyzer(self.ctx)
        scope = self._analyzer.scope(node, class_name)
        for ret in scope.flow.returns:
            query = self._analyzer.classify(ret, scope)
            if query is not None and not query.bounded and query.kind != "via" \
                    and not query.passed:
                self.ctx.add_fact("unbounded-query-function", {**value, "model": query.model})
                return

    def _pages_a_parameter(self, fn: cst.FunctionDef) -> bool:
        flow = self.ctx.flow(fn)
        params = flow.params - {"self", "cls"}
        if not params:
            return False

        def from_param(expr: cst.BaseExpression, depth: int = 0) -> bool:
            while isinstance(expr, (cst.Call, cst.Attribute, cst.Subscript, cst.Await)):
                if isinstance(expr, cst.Call):
                    expr = expr.func
                elif isinstance(expr, cst.Await):
                    expr = expr.expression
                else:
                    expr = expr.value
            if not isinstance(expr, cst.Name) or depth > 4:
                return False
            if expr.value in params:
                return True
            return any(from_param(v, depth + 1) for v in flow.values_of(expr.value))

        found = False

        class _Windows(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                nonlocal found
                name = last_name(call.func)
                if isinstance(call.func, cst.Attribute) and name in _WINDOW_METHODS and \
                        from_param(call.func.value):
                    found = True
                elif (is_paging_name(name) or name == "Paginator") and \
                        any(from_param(a.value) for a in call.args):
                    found = True

            def visit_Subscript(self, sub: cst.Subscript) -> None:
                nonlocal found
                if any(isinstance(el.slice, cst.Slice) for el in sub.slice) and \
                        from_param(sub.value):
                    found = True

        fn.body.visit(_Windows())
        return found

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


def _declares_unique(call: cst.Call) -> bool:
    for key in ("unique", "primary_key"):
        arg = get_arg(call, key)
        if arg is not None and dotted_name(arg.value) == "True":
            return True
    return last_name(call.func) in ("OneToOneField",)
