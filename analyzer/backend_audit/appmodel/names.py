"""Small helpers to read names and literals off libcst nodes."""

from __future__ import annotations

import libcst as cst


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def call_name(call: cst.Call) -> str | None:
    """Dotted name of what is called, as written (``cur.execute``)."""
    return dotted_name(call.func)


def last_name(node: cst.BaseExpression | None) -> str | None:
    """Last component of a callee: ``execute`` for ``self.db.cursor().execute``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Call):
        return last_name(node.func)
    return None


def receiver(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``cur`` for ``cur.execute``; None for a bare name."""
    if isinstance(node, cst.Attribute):
        return node.value
    return None


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non-f) string literal, concatenations included."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - malformed literal in scanned code
            return None
        return value if isinstance(value, str) else value.decode("latin-1")
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


def int_value(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = int_value(node.expression)
        return -inner if inner is not None else None
    return None


def get_arg(call: cst.Call, keyword: str | None = None, position: int | None = None) -> cst.Arg | None:
    """The argument passed by keyword, or else at a positional index."""
    if keyword is not None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                return arg
    if position is not None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if position < len(positional):
            return positional[position]
    return None


def string_list(node: cst.BaseExpression | None) -> list[str] | None:
    """Values of a list/tuple/set literal of strings, or None."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for el in node.elements:
            v = string_value(el.value)
            if v is None:
                return None
            out.append(v)
        return out
    return None


def decorator_call(dec: cst.Decorator) -> tuple[cst.BaseExpression, cst.Call | None]:
    """(callee expression, Call or None) for ``@x`` / ``@x(...)``."""
    if isinstance(dec.decorator, cst.Call):
        return dec.decorator.func, dec.decorator
    return dec.decorator, None


def is_password_name(name: str | None) -> bool:
    if not name:
        return False
    low = name.lower()
    return any(w in low for w in ("password", "passwd", "pwd", "passphrase")) and not any(
        w in low for w in ("hash", "_hashed", "hashed_", "digest", "reset", "forgot", "policy",
                           "length", "min_", "max_", "field", "label", "placeholder", "url",
                           "validator", "form", "required", "expired", "changed_at")
    )
