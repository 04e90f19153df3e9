"""BA202: a submitted password is checked with ``==``/``!=`` against a stored or
configured password instead of verifying it against a hash in constant time."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.appmodel.test_context import is_test_double
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import param_annotation
from backend_audit.flow.locals import Flow
from backend_audit.flow.passwords import Kind, PasswordValues, is_password_column, subscript_key
from backend_audit.sql.columns import compared_columns
from backend_audit.visitor import Check

# Objects that carry what the client just sent (forms, bodies, schemas, serializers).
_INPUT_BASE = re.compile(r"(?i)^(request|req|form|data|payload|body|credentials|creds|login|"
                         r"params|args|json|cleaned_data|validated_data|attrs|serializer|"
                         r"form_data|input|user_in|obj_in|item|values|kwargs|options|opts)$|"
                         r"(_in|_data|_form|_request|_req|_payload|_body|_schema|_creds|"
                         r"credentials)$")
# Annotations of parameters that hold a client payload (pydantic bodies, forms).
_INPUT_ANNOTATION = re.compile(r"(Login|Create|Register|SignUp|Signup|In|Request|Schema|Form|"
                               r"Payload|Body|Credentials|Input|Update|Change|Reset)\w*$")
_CONFIG_BASE = re.compile(r"(?i)(^|\.)(settings|config|conf|environ)$")
# A name that says it holds what was stored or configured, not what was typed.
_STORED_NAME = re.compile(r"(?i)stored|saved|db_|_db|expected|correct|real|admin|master|"
                          r"existing|record|hashed")
_CONFIRMATION = re.compile(r"(?i)confirm|repeat|retype|again|verify|verification|[_a-z]2$|"
                           r"new_|_new|old_|_old")


class PasswordComparedPlaintext(Check):
    rule_id = "BA202"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.values = PasswordValues(ctx)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if any(is_test_double(c.name.value) for c in self.ctx.class_stack):
            return  # a fake hasher for the test suite compares plain text on purpose
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                verdict = self._verdict(left, target.comparator)
                if verdict is not None:
                    self.report(node, confidence=verdict)
                    return
            left = target.comparator

    def visit_Call(self, node: cst.Call) -> None:
        """``cur.execute("SELECT ... WHERE username = %s AND password = %s", (u, pw))``:
        the database compares a password column with what the client typed, so the
        column holds the password in plaintext."""
        if any(is_test_double(c.name.value) for c in self.ctx.class_stack):
            return
        flow = self.ctx.flow()
        compared = compared_columns(node, self.ctx)
        for column, value in compared or ():
            if not is_password_column(column) or self._role(value, flow) != "input":
                continue
            kind = self.values.kind(value, flow)
            if kind in (Kind.PLAIN, Kind.WRAPPED):
                self.report(node, confidence="high" if kind is Kind.PLAIN else "medium",
                            column=column)
                return

    def _verdict(self, a: cst.BaseExpression, b: cst.BaseExpression) -> str | None:
        flow = self.ctx.flow()
        roles = (self._role(a, flow), self._role(b, flow))
        kinds = (self.values.kind(a, flow), self.values.kind(b, flow))
        plain = tuple(k in (Kind.PLAIN, Kind.WRAPPED) for k in kinds)
        for i in (0, 1):
            j = 1 - i
            if roles[i] != "input" or not plain[i]:
                continue
            if roles[j] == "literal":
                return "high"
            if roles[j] in ("stored", "config") and plain[j]:
                return "high" if kinds[i] is Kind.PLAIN and kinds[j] is Kind.PLAIN else "medium"
            if roles[j] == "stored" and kinds[j] is None and self._row_value((a, b)[j]):
                return "medium"
        return None

    def _row_value(self, expr: cst.BaseExpression) -> bool:
        """``row[1]`` or ``stored`` (a name that says it was stored): not itself named like a
        password, but what a submitted password is checked against."""
        if isinstance(expr, cst.Name):
            return bool(self._stored_name(expr.value))
        return isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and \
            isinstance(expr.slice[0].slice, cst.Index) and \
            isinstance(expr.slice[0].slice.value, cst.Integer)

    def _role(self, expr: cst.BaseExpression, flow: Flow,
              budget: Budget | None = None) -> str | None:
        """``input`` (typed by the client), ``stored``/``config`` or ``literal``."""
        budget = Budget() if budget is None else budget
        if budget.exhausted:
            return None
        text = string_value(expr)
        if text is not None:
            return "literal" if text else None
        if isinstance(expr, cst.Name):
            if expr.value in ("None", "True", "False"):
                return None
            values = flow.values_of(expr.value)
            if values:
                roles = [self._role(v, flow, budget.deeper()) for v in values]
                return next((r for r in ("stored", "config", "input") if r in roles), None)
            if expr.value.isupper():
                return "config"
            return "stored" if self._stored_name(expr.value) else "input"
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "data" and isinstance(expr.value, cst.Attribute):
                return "input"  # WTForms field
            return self._base_role(expr.value, flow, budget)
        if isinstance(expr, cst.Subscript):
            if request_input(expr, self.ctx.imports) is not None:
                return "input"
            return self._base_role(expr.value, flow, budget)
        if isinstance(expr, cst.Call):
            if request_input(expr, self.ctx.imports) is not None:
                return "input"
            name = dotted_name(expr.func) or ""
            if name.endswith(("getenv", "environ.get")):
                return "config"
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in (
                    "get", "strip", "encode", "decode", "lower", "upper"):
                if func.attr.value == "get" and isinstance(func.value, (cst.Name, cst.Attribute)):
                    return self._base_role(func.value, flow, budget)
                return self._role(func.value, flow, budget.deeper())
        if isinstance(expr, cst.Await):
            return self._role(expr.expression, flow, budget.deeper())
        return None

    def _base_role(self, base: cst.BaseExpression, flow: Flow, budget: Budget) -> str:
        """The role of a container a password is read from (``auth.get("password")``,
        ``row["password"]``): what the local was given when the function says (``auth =
        request.get_json()`` is client input whatever its name), else what its name
        says."""
        if isinstance(base, cst.Subscript) and subscript_key(base) is not None:
            base = base.value
        if isinstance(base, cst.Name) and not budget.exhausted:
            given = [self._role(v, flow, budget.deeper())
                     for v in flow.values_of(base.value)]
            if given and all(role == "input" for role in given):
                return "input"
        name = dotted_name(base)
        if name is None:
            return "stored"
        if name.startswith("self.request") or name in ("self.cleaned_data", "self.data",
                                                       "self.initial_data"):
            return "input"
        if _CONFIG_BASE.search(name) or name.endswith(".config"):
            return "config"
        last = name.rsplit(".", 1)[-1]
        if _INPUT_BASE.search(last):
            return "input"
        annotation = self._annotation_of(name)
        if annotation is not None and _INPUT_ANNOTATION.search(annotation):
            return "input"
        return "stored"

    def _annotation_of(self, name: str) -> str | None:
        fn = self.ctx.current_function
        return dotted_name(param_annotation(fn, name)) if fn is not None else None

    @staticmethod
    def _stored_name(name: str) -> bool | None:
        """True for ``stored_password``, False for ``confirm_password``, else None."""
        if _CONFIRMATION.search(name):
            return False
        if _STORED_NAME.search(name):
            return True
        return None
