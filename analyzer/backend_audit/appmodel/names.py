"""Small helpers to read names and literals off libcst nodes."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

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
        return _string_literal(node.value)
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


def target_name(target: cst.BaseExpression) -> str | None:
    """The name an assignment target stores under: ``token``, ``user.token``,
    ``data["token"]``."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and \
            isinstance(target.slice[0].slice, cst.Index):
        return string_value(target.slice[0].slice.value)
    return None


def get_arg(call: cst.Call, keyword: str | None = None,
            position: int | None = None) -> cst.Arg | None:
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
                           "length", "field", "label", "placeholder", "url",
                           "validator", "form", "required", "expired", "changed_at")
    ) and not _MIN_MAX.search(low)  # min_password_length, not admin_password


_MIN_MAX = re.compile(r"(^|_)(min|max)_")


_UNKNOWN = object()


def literal_value(node: cst.BaseExpression | None, depth: int = 0):
    """A Python value for a literal expression (str, int, float, bool, None, and lists,
    tuples, sets and dicts of those); names become ``"<name:a.b>"`` strings; anything
    else returns the ``UNKNOWN`` marker."""
    if node is None or depth > 20:
        return _UNKNOWN
    s = string_value(node)
    if s is not None:
        return s
    i = int_value(node)
    if i is not None:
        return i
    if isinstance(node, cst.Float):
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return _UNKNOWN
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [literal_value(e.value, depth + 1) if not isinstance(e, cst.StarredElement)
                else "<starred>" for e in node.elements]
    if isinstance(node, cst.Dict):
        out = {}
        for e in node.elements:
            if isinstance(e, cst.DictElement):
                k = literal_value(e.key, depth + 1)
                if isinstance(k, (str, int, float, bool)) or k is None:
                    out[k] = literal_value(e.value, depth + 1)
        return out
    name = dotted_name(node)
    if name is not None:
        return f"<name:{name}>"
    if isinstance(node, cst.Call):
        callee = dotted_name(node.func)
        if callee is not None:
            return f"<call:{callee}>"
    return _UNKNOWN


def is_unknown(value) -> bool:
    return value is _UNKNOWN


def jsonable(value):
    """``literal_value`` output with the UNKNOWN marker replaced by ``"<expr>"``."""
    if value is _UNKNOWN:
        return "<expr>"
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def block_assignments(statements) -> dict[str, cst.BaseExpression]:
    """``name = value`` / ``name: T = value`` among a block's statements (a module body or
    a class body), last one winning."""
    out: dict[str, cst.BaseExpression] = {}
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for t in small.targets:
                    if isinstance(t.target, cst.Name):
                        out[t.target.value] = small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None and \
                    isinstance(small.target, cst.Name):
                out[small.target.value] = small.value
    return out


def name_words(name: str) -> list[str]:
    """Lower-case words of an identifier: ``apiKey`` / ``API_KEY`` -> ``["api", "key"]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[_\W]+", spaced.lower()) if w]


@lru_cache(maxsize=8192)
def _string_literal(raw: str) -> str | None:
    """The value of a string literal's source text (``evaluated_value``, which runs the
    stdlib parser on every literal; most need no more than their quotes removed)."""
    start = next((i for i, ch in enumerate(raw) if ch in "'\""), len(raw))
    prefix = raw[:start].lower()
    triple = raw[start:start + 3]
    quote = triple if triple in ('"""', "\'\'\'") else raw[start:start + 1]
    body = raw[start + len(quote):len(raw) - len(quote)]
    if prefix in ("", "u", "r") and quote and raw.endswith(quote) and \
            len(raw) >= start + 2 * len(quote) and not any(c in body for c in "\\\r"):
        return body
    try:
        value = ast.literal_eval(raw)
    except Exception:  # noqa: BLE001 - malformed literal in scanned code
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None
