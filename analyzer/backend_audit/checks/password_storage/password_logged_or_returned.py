"""BA206: a password (or its stored hash) is written to a log or sent in a response."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.logging_scope import is_cli_function, is_script_file
from backend_audit.appmodel.names import dotted_name, get_arg, is_password_name, string_value
from backend_audit.appmodel.password_models import record_model_facts
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.budget import Budget
from backend_audit.flow.passwords import (
    Kind,
    PasswordValues,
    dict_password_values,
    is_password_column,
)
from backend_audit.visitor import Candidate, Check

_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                          "log", "fatal", "msg"})
_LOGGER = re.compile(r"(?i)(^|\.|_)(log|logger|logging|logs|audit_log|structlog)$")
_RESPONSES = frozenset({"jsonify", "JsonResponse", "JSONResponse", "ORJSONResponse",
                        "UJSONResponse", "json_response", "make_response", "Response",
                        "HttpResponse"})
_REVEALS = re.compile(r"(?i)credential|secret|reveal")
_SERIALIZER_BASES = ("ModelSerializer", "HyperlinkedModelSerializer")
# Model methods whose dict ends up in API responses.
_SERIALIZE_METHOD = re.compile(r"(to|as)_(dict|json|api|response)$|serialize$|__json__$|"
                               r"to_representation$|json(_\w+)?$")


class PasswordLoggedOrReturned(Check):
    rule_id = "BA206"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.values = PasswordValues(ctx)

    def visit_Module(self, node: cst.Module) -> None:
        record_model_facts(self.ctx)

    # -- logs and response constructors ------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = dotted_name(func) or ""
        last = name.rsplit(".", 1)[-1]
        if last in _LOG_METHODS and isinstance(func, cst.Attribute) and \
                _LOGGER.search(dotted_name(func.value) or ""):
            self._logged(node)
        elif isinstance(func, cst.Name) and func.value == "print" and \
                "print" not in self.ctx.imports.names and not self._terminal():
            self._logged(node)  # a server's stdout is its log (containers, systemd)
        elif last in _RESPONSES:
            for arg in node.args:
                if arg.keyword is not None and is_password_column(arg.keyword.value) and \
                        _not_literal(arg.value) or self._dict_leaks(arg.value):
                    self.report(node, confidence=self._response_confidence())
                    return

    def _terminal(self) -> bool:
        """``print`` that writes to whoever ran a script or command, not to a server's
        log: an executable script (``#!``), a module body with no routes, a file in a
        scripts/commands folder, or a CLI command function."""
        return self.ctx.source.startswith("#!") or \
            (not self.ctx.function_stack and not self.ctx.routes.routes) or \
            is_script_file(self.ctx.path) or \
            any(is_cli_function(fn) for fn in self.ctx.function_stack)

    def _response_confidence(self) -> str:
        """An endpoint whose name says it hands out a stored credential (``RoleView
        Credentials.get``, ``reveal_secret``) does so on purpose, for a vault, a service
        account or an integration: whether its callers should see it is a design
        question, reported at the audit level."""
        names = [fn.name.value for fn in self.ctx.function_stack] + \
            [cls.name.value for cls in self.ctx.class_stack]
        return "low" if any(_REVEALS.search(n) for n in names) else "high"

    def _logged(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value not in ("extra",):
                continue
            if self.values.kind(arg.value) is Kind.PLAIN or self._dict_leaks(arg.value):
                self.report(node, confidence="high")
                return

    def _dict_leaks(self, expr: cst.BaseExpression, budget: Budget | None = None) -> bool:
        """A dict literal (possibly behind a local name or nested) with a password key."""
        budget = budget or Budget()
        if budget.exhausted:
            return False
        deeper = budget.deeper()
        if isinstance(expr, cst.Name):
            return any(self._dict_leaks(v, deeper)
                       for v in self.ctx.flow().values_of(expr.value))
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self._dict_leaks(expr.elt, deeper)  # ``[{... "password": u.password}]``
        if isinstance(expr, (cst.List, cst.Tuple)):
            return any(self._dict_leaks(el.value, deeper) for el in expr.elements)
        if isinstance(expr, cst.Call) and dotted_name(expr.func) == "dict":
            return any(a.keyword is not None and is_password_column(a.keyword.value)
                       and _not_literal(a.value) for a in expr.args)
        if not isinstance(expr, cst.Dict):
            return False
        if any(_not_literal(el.value) for el, _ in dict_password_values(expr)):
            return True
        return any(self._dict_leaks(el.value, deeper) for el in expr.elements
                   if isinstance(el, cst.DictElement) and
                   isinstance(el.value, (cst.Dict, cst.Name)))

    # -- dicts returned from routes --------------------------------------------------------

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.ctx.current_function
        serializer = fn is not None and bool(self.ctx.class_stack) and \
            _SERIALIZE_METHOD.match(fn.name.value) is not None
        if node.value is None or (self.ctx.current_route() is None and not serializer):
            return
        value = node.value
        if isinstance(value, cst.Tuple) and value.elements:
            value = value.elements[0].value  # ``return {...}, 201``
        if self._dict_leaks(value):
            self.report(node, confidence=self._response_confidence())

    # -- DRF serializers and FastAPI response models ------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [(dotted_name(a.value) or "").rsplit(".", 1)[-1] for a in node.bases]
        if not any(b in _SERIALIZER_BASES for b in bases) or \
                not isinstance(node.body, cst.IndentedBlock):
            return
        write_only = set()
        meta: cst.ClassDef | None = None
        for stmt in node.body.body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta":
                meta = stmt
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and \
                            isinstance(small.targets[0].target, cst.Name):
                        wo = get_arg(small.value, "write_only")
                        if wo is not None and dotted_name(wo.value) == "True":
                            write_only.add(small.targets[0].target.value)
        if meta is None or not isinstance(meta.body, cst.IndentedBlock):
            return
        fields: list[tuple[cst.BaseExpression, str]] = []
        for stmt in meta.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.Assign) or \
                        not isinstance(small.targets[0].target, cst.Name):
                    continue
                key = small.targets[0].target.value
                if key == "fields" and isinstance(small.value, (cst.List, cst.Tuple)):
                    for el in small.value.elements:
                        text = string_value(el.value)
                        if is_password_name(text):
                            fields.append((el.value, text or ""))
                elif key == "extra_kwargs" and isinstance(small.value, cst.Dict):
                    for el in small.value.elements:
                        if isinstance(el, cst.DictElement) and \
                                "write_only" in self.ctx.module.code_for_node(el.value) and \
                                "True" in self.ctx.module.code_for_node(el.value):
                            write_only.add(string_value(el.key) or "")
        for value, text in fields:
            if text not in write_only:
                self.report(value, confidence="high")

    def visit_Decorator(self, node: cst.Decorator) -> None:
        call = node.decorator
        if not isinstance(call, cst.Call) or "fastapi" not in self.ctx.frameworks:
            return
        model = get_arg(call, "response_model")
        if model is None:
            return
        inner = model.value
        while isinstance(inner, cst.Subscript) and len(inner.slice) == 1 and \
                isinstance(inner.slice[0].slice, cst.Index):
            inner = inner.slice[0].slice.value  # list[UserOut], Optional[UserOut]
        name = dotted_name(inner)
        if name and name[:1].isupper() or name and "." in name:
            self.report(model, confidence="high", schema=name.rsplit(".", 1)[-1])

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        schema = candidate.data.get("schema")
        if schema is None:
            return candidate
        for fact in project.values("password.schema"):
            if fact.get("name") == schema:
                exposed = set(fact.get("fields", [])) - set(fact.get("write_only", []))
                if exposed:
                    return candidate
        return None


def _not_literal(expr: cst.BaseExpression) -> bool:
    if string_value(expr) is not None or isinstance(expr, (cst.Integer, cst.Float)):
        return False
    if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
        return False
    if isinstance(expr, (cst.Comparison, cst.UnaryOperation, cst.BooleanOperation)):
        return False
    if isinstance(expr, cst.Call) and dotted_name(expr.func) in ("bool", "len"):
        return False
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        # ``"password": []`` filled with the password rules shown on a sign-up form: a
        # password is one string, not a collection of them.
        return any(_not_literal(el.value) for el in expr.elements)
    if isinstance(expr, cst.Dict):
        return False  # its own keys are looked at by _dict_leaks
    return True
