"""BA602: a JWT is issued with no ``exp`` claim (or flask-jwt-extended expiry switched off)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, string_value
from backend_audit.engines.walk import walk
from backend_audit.visitor import Check

# Qualified encoders and the position of their payload argument.
ENCODERS = {"jwt.encode": 0, "jose.jwt.encode": 0, "authlib.jose.jwt.encode": 1}
TOKEN_FACTORIES = frozenset({
    "flask_jwt_extended.create_access_token", "flask_jwt_extended.create_refresh_token",
})


class _ExpiryMentions(cst.CSTVisitor):
    """Finds any ``"exp"`` key, ``exp=`` keyword or ``exp`` attribute in a scope."""

    def __init__(self) -> None:
        self.found = False

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if string_value(node) == "exp":
            self.found = True

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == "exp":
            self.found = True


class JwtIssuedWithoutExpiry(Check):
    rule_id = "BA602"
    skips_migrations = True  # a migration serves no request

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        if qual in TOKEN_FACTORIES:
            arg = get_arg(node, "expires_delta")
            if arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "False":
                self.report(node)
            return
        if qual not in ENCODERS:
            return
        position = ENCODERS[qual]
        arg = get_arg(node, "payload", position) or get_arg(node, "claims", position)
        if arg is None or not self._payload_is_known_dict(arg.value):
            return
        scope = self.ctx.current_function or self.ctx.module
        mentions = _ExpiryMentions()
        walk(scope, mentions)
        if not mentions.found:
            self.report(node)

    def _payload_is_known_dict(self, expr: cst.BaseExpression) -> bool:
        """True when every value the payload may hold is a dict we can see in full."""
        values = [expr]
        if isinstance(expr, cst.Name):
            values = self.ctx.flow().values_of(expr.value)
        if not values:
            return False
        for value in values:
            if isinstance(value, cst.Dict):
                if any(isinstance(e, cst.StarredDictElement) for e in value.elements):
                    return False
            elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and \
                    value.func.value == "dict":
                if any(a.star for a in value.args):
                    return False
            else:
                return False
        return True
