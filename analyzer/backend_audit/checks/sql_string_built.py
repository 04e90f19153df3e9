"""BA301: SQL text built by formatting or concatenation reaches a database call."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.dataflow import is_dynamic_string, is_literal, string_parts
from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.checks.base import Check

SQL_WORDS = re.compile(
    r"^\s*(select|insert|update|delete|with|create|drop|alter|replace|merge|truncate|pragma|"
    r"grant|revoke|exec|call)\b|\b(from|where|values|set|into|order\s+by|group\s+by|join)\b",
    re.IGNORECASE,
)
# Method names that always take SQL text first.
STRICT_SINKS = {"execute", "executemany", "executescript", "exec_driver_sql", "read_sql",
                "read_sql_query", "mogrify"}
# Names that take SQL only in database code: need SQL words in the built string.
LOOSE_SINKS = {"raw", "fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one", "fetch_val",
               "execute_many", "executemany", "copy_expert", "RawSQL", "text", "extra"}


class SqlStringBuilt(Check):
    rule_id = "BA301"

    def visit_Call(self, node: cst.Call) -> None:
        name = last_name(node.func)
        if name is None or name not in STRICT_SINKS | LOOSE_SINKS or not node.args:
            return
        if name == "text" and not self.ctx.imports.is_from(node.func, "sqlalchemy"):
            return
        arg = get_arg(node, "sql", 0) or get_arg(node, "query", 0) or get_arg(node, "statement", 0)
        if arg is None:
            return
        built = self._built_sql(arg.value, strict=name in STRICT_SINKS)
        if built is not None:
            self.report(node, confidence="high" if built else "medium")

    def _built_sql(self, expr: cst.BaseExpression, strict: bool) -> bool | None:
        """True/False (confidence) when ``expr`` is SQL assembled from non-literal parts."""
        flow = self.ctx.flow()
        dynamic = False
        has_sql_words = False
        for node in self._expand(flow, expr, 0, set()):
            if is_dynamic_string(node) and not self._only_constants(node, flow):
                dynamic = True
            text = self._literal_text(node)
            if text and SQL_WORDS.search(text):
                has_sql_words = True
        if not dynamic:
            return None
        if strict or has_sql_words:
            return has_sql_words
        return None

    def _expand(self, flow, expr, depth, seen):
        """The expression, and every expression a local name in it was assigned from."""
        if depth > 10:
            return
        yield expr
        if isinstance(expr, cst.Name):
            if expr.value in seen:
                return
            for value in flow.values_of(expr.value):
                yield from self._expand(flow, value, depth + 1, seen | {expr.value})
            return
        if isinstance(expr, cst.Call):
            helper = self.ctx.local_function(expr)
            if helper is not None and depth < 4:
                helper_flow = self.ctx.flow(helper)
                for ret in helper_flow.returns:
                    yield from self._expand(helper_flow, ret, depth + 1, set())
                return
        for part in string_parts(expr):
            if part is not expr:
                yield from self._expand(flow, part, depth + 1, seen)

    def _literal_text(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.FormattedString):
            return "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        return string_value(node)

    def _only_constants(self, node: cst.BaseExpression, flow) -> bool:
        """Formatting with module-level UPPER_CASE constants or literals only is not injection."""
        parts = [p for p in string_parts(node) if p is not node]
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            parts = [node.right] if not isinstance(node.right, cst.Tuple) else \
                [e.value for e in node.right.elements]

        def constant(p: cst.BaseExpression) -> bool:
            if is_literal(p):
                return True
            if isinstance(p, cst.Name) and p.value.isupper() and p.value not in flow.values:
                return True
            if isinstance(p, (cst.FormattedString, cst.SimpleString, cst.ConcatenatedString)):
                return not is_dynamic_string(p)
            return False

        return bool(parts) and all(constant(p) for p in parts)
