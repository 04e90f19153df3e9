"""BA1102: a password, token or secret is written to the logs."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name, name_words, string_value
from backend_audit.flow.locals import Flow
from backend_audit.visitor import Check

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                         "log", "msg"})
LOGGER_NAME = re.compile(r"(^|\.)_?(log|logger|logging|structlog|\w+_log|\w+_logger)$",
                         re.IGNORECASE)
SECRET_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "apikey",
                          "authorization", "credentials", "passphrase", "otp", "cvv",
                          "pin"})
KEY_QUALIFIERS = frozenset({"api", "secret", "private", "signing", "access"})
# Calls that turn a secret into something safe to log.
SAFE_CALLS = frozenset({"len", "bool", "mask", "redact", "hash", "type", "hexdigest", "sha256",
                        "fingerprint", "mask_token", "mask_secret", "obfuscate", "isinstance"})
MAX_DEPTH = 8


def is_secret_name(name: str) -> bool:
    words = name_words(name)
    if not words:
        return False
    return words[-1] in SECRET_WORDS or (
        words[-1] == "key" and len(words) > 1 and words[-2] in KEY_QUALIFIERS)


def secret_in(expr: cst.BaseExpression, flow: Flow, depth: int = 0,
              seen: frozenset[str] = frozenset()) -> cst.BaseExpression | None:
    """A secret-named value among the parts ``expr`` is built from, following local names
    to what they were assigned (``key = user.rotate_api_key()``)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, cst.Name):
        if is_secret_name(expr.value):
            return expr
        if expr.value in seen:
            return None
        for value in flow.values_of(expr.value):
            if secret_in(value, flow, depth + 1, seen | {expr.value}) is not None:
                return expr
        return None
    if isinstance(expr, cst.Attribute):
        return expr if is_secret_name(expr.attr.value) else None
    if isinstance(expr, cst.Subscript):
        if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            key = string_value(expr.slice[0].slice.value)
            if key is not None:
                return expr if is_secret_name(key) else None
        return None
    if isinstance(expr, cst.FormattedString):
        parts = [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)]
    elif isinstance(expr, cst.BinaryOperation):
        parts = [expr.left, expr.right]
    elif isinstance(expr, (cst.Tuple, cst.List)):
        parts = [e.value for e in expr.elements]
    elif isinstance(expr, cst.Dict):
        parts = [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
    elif isinstance(expr, cst.Call):
        return _secret_call(expr, flow, depth, seen)
    else:
        return None
    return _first(parts, flow, depth, seen)


def _secret_call(call: cst.Call, flow: Flow, depth: int,
                 seen: frozenset[str]) -> cst.BaseExpression | None:
    callee = (dotted_name(call.func) or "").split(".")[-1]
    if callee in SAFE_CALLS:
        return None
    if callee and is_secret_name(callee):
        return call  # create_access_token(user), user.rotate_api_key()
    if callee == "get" and call.args and is_secret_name(string_value(call.args[0].value) or ""):
        return call  # headers.get("Authorization")
    parts = [a.value for a in call.args]
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("format", "join"):
        parts.append(call.func.value)
    return _first(parts, flow, depth, seen)


def _first(parts: list[cst.BaseExpression], flow: Flow, depth: int,
           seen: frozenset[str]) -> cst.BaseExpression | None:
    for part in parts:
        found = secret_in(part, flow, depth + 1, seen)
        if found is not None:
            return found
    return None


class SecretWrittenToLog(Check):
    rule_id = "BA1102"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
            return
        receiver = dotted_name(func.value) or ""
        if not LOGGER_NAME.search(receiver):
            return
        for arg in node.args:
            if secret_in(arg.value, self.ctx.flow()) is not None:
                self.report(node)
                return
