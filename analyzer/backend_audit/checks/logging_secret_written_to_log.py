"""BA1102: a password, token or secret is written to the logs."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name, string_value
from backend_audit.checks.base import Check

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


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[_\W]+", spaced.lower()) if w]


def is_secret_name(name: str) -> bool:
    words = _words(name)
    if not words:
        return False
    return words[-1] in SECRET_WORDS or (
        words[-1] == "key" and len(words) > 1 and words[-2] in KEY_QUALIFIERS)


def secret_in(expr: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression | None:
    """A secret-named value among the parts ``expr`` is built from."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, cst.Name):
        return expr if is_secret_name(expr.value) else None
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
        callee = dotted_name(expr.func) or ""
        if callee.split(".")[-1] in SAFE_CALLS:
            return None
        parts = [a.value for a in expr.args]
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("format", "join"):
            parts.append(expr.func.value)
    else:
        return None
    for part in parts:
        found = secret_in(part, depth + 1)
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
            if secret_in(arg.value) is not None:
                self.report(node)
                return
