"""What a password-storage check needs to know about a value: is it a plaintext password,
a hash, or something else? Shared by the BA2xx checks (not a check itself).

A value is *plaintext* when, following local assignments, string methods and
same-module helpers, it reaches a password-like name, a ``["password"]`` /
``.get("password")`` lookup or a ``.password`` attribute without passing through a
hasher. A hasher is any call whose name says it hashes (``generate_password_hash``,
``make_password``, ``pwd_context.hash``, ``bcrypt.hashpw``, ``ph.hash``...) or one the
user taught through ``Config.password_hashers``.
"""

from __future__ import annotations

import enum
import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import get_arg, is_password_name, last_name, string_value
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import callee_name
from backend_audit.flow.locals import Flow

# A call whose last name contains one of these transforms the password into something
# that is not the password (a hash, a ciphertext, a derived key).
_HASHER_WORDS = ("hash", "crypt", "digest", "kdf", "derive", "scrypt", "argon", "pbkdf",
                 "make_password", "protect")
# Calls that hand back (a form of) their receiver or first argument unchanged.
_PASSTHROUGH_METHODS = frozenset({"strip", "lstrip", "rstrip", "encode", "decode", "lower",
                                  "upper", "casefold", "replace", "format", "normalize"})
_PASSTHROUGH_FUNCS = frozenset({"str", "bytes", "bytearray", "escape", "normalize"})
_LOOKUP_METHODS = frozenset({"get", "pop", "getlist", "getone", "get_one", "setdefault"})
# A column/key name that holds a password or its hash (storage side of an assignment).
_COLUMN_WORDS = ("password", "passwd", "pwd", "passphrase")
_NOT_A_COLUMN = ("reset", "forgot", "token", "salt", "policy", "length", "changed", "expire",
                 "context", "ctx", "strength", "hint", "_at", "_on", "updated", "count",
                 "attempt", "history", "url", "form", "field", "label", "require",
                 "validator", "hasher", "_set", "must_change", "needs_", "protected", "enabled",
                 "_mode", "type", "status", "rule", "prompt", "error", "message", "msg", "help",
                 "invalid", "wrong", "incorrect", "mismatch", "input", "widget")
# Names of flags and counters about a password, not the password itself.
_NOT_A_VALUE = re.compile(r"(^|_)(min|max|is|has|ok|valid|matches|match|needs|must|should|can|"
                          r"was|enabled|count|len)(_|$)")


class Kind(enum.Enum):
    PLAIN = "plain"  # a plaintext password for sure
    WRAPPED = "wrapped"  # a plaintext password passed through an unknown call
    HASHED = "hashed"


def is_password_column(name: str | None) -> bool:
    """A field/key/column that stores a password or its hash (``password``, ``pwd_hash``)."""
    if not name:
        return False
    low = name.lower()
    return any(w in low for w in _COLUMN_WORDS) and not any(
        w in low for w in _NOT_A_COLUMN) and not _NOT_A_VALUE.search(low)


def is_password_value_name(name: str | None) -> bool:
    """A variable/attribute/key that holds a password (not ``password_ok``)."""
    return is_password_name(name) and not _NOT_A_VALUE.search((name or "").lower())


def is_hasher_name(name: str | None, ctx: ModuleContext) -> bool:
    """True for a call that hashes: by its name, or taught by ``Config.password_hashers``."""
    if not name:
        return False
    last = name.rsplit(".", 1)[-1]
    for taught in ctx.config.password_hashers:
        if taught == name or taught.rsplit(".", 1)[-1] == last:
            return True
    low = last.lower()
    if low in ("check_password", "verify", "set_unusable_password", "check_password_hash"):
        return False
    return any(w in low for w in _HASHER_WORDS) or low == "set_password"


def hasher_call(call: cst.Call, ctx: ModuleContext) -> bool:
    """``call`` hashes (``is_hasher_name`` of what it calls)."""
    return is_hasher_name(callee_name(call, ctx.imports, ctx.path), ctx)


def subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)
    return None


class PasswordValues:
    """Classifies expressions of one module as plaintext passwords or hashes."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def kind(self, expr: cst.BaseExpression, flow: Flow | None = None) -> Kind | None:
        """PLAIN / WRAPPED / HASHED for a password-carrying value, None if it carries none."""
        return self._kind(expr, flow or self.ctx.flow(), Budget(), frozenset())

    def _kind(self, expr: cst.BaseExpression, flow: Flow, budget: Budget,
              seen: frozenset[str]) -> Kind | None:
        if budget.exhausted:
            return None
        deeper = budget.deeper()
        if isinstance(expr, cst.Await):
            return self._kind(expr.expression, flow, deeper, seen)
        if isinstance(expr, cst.Name):
            return self._name(expr.value, flow, budget, seen)
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "data" and isinstance(expr.value, cst.Attribute) and \
                    is_password_value_name(expr.value.attr.value):
                return Kind.PLAIN  # WTForms: form.password.data
            return Kind.PLAIN if is_password_value_name(expr.attr.value) else None
        if isinstance(expr, cst.Subscript):
            key = subscript_key(expr)
            if key is not None:
                return Kind.PLAIN if is_password_value_name(key) else None
            return self._kind(expr.value, flow, deeper, seen) if isinstance(
                expr.value, cst.Name) and is_password_value_name(expr.value.value) else None
        if isinstance(expr, cst.Call):
            return self._call(expr, flow, budget, seen)
        if isinstance(expr, (cst.FormattedString, cst.BinaryOperation, cst.IfExp,
                             cst.ConcatenatedString)):
            parts = _parts(expr)
            kinds = [self._kind(p, flow, deeper, seen) for p in parts]
            return _strongest(kinds)
        return None

    def _name(self, name: str, flow: Flow, budget: Budget,
              seen: frozenset[str]) -> Kind | None:
        if name in seen:
            return None
        values = flow.values_of(name)
        if not values:
            return Kind.PLAIN if is_password_value_name(name) else None
        kinds = [self._kind(v, flow, budget.deeper(), seen | {name}) for v in values]
        if Kind.HASHED in kinds:
            return Kind.HASHED  # reassigned from a hasher somewhere: give it the benefit
        if is_password_value_name(name):
            # A password-named local holds a password (even a generated one) unless every
            # assignment is an empty placeholder.
            if all(_is_placeholder(v) for v in values):
                return None
            return Kind.PLAIN
        return _strongest(kinds)

    def _call(self, call: cst.Call, flow: Flow, budget: Budget,
              seen: frozenset[str]) -> Kind | None:
        name = callee_name(call, self.ctx.imports, self.ctx.path)
        last = last_name(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) \
            else None
        scope = flow.scope if isinstance(flow.scope, cst.FunctionDef) else None
        helper = self.ctx.local_function(call, scope)
        deeper = budget.deeper()
        if helper is not None and budget.may_call:
            # Trust what a same-module helper returns over its name: a "hash" helper that
            # returns ``"fakehashed" + password`` is not a hasher.
            helper_flow = self.ctx.flow(helper)
            inside = budget.call()
            found = _strongest([self._kind(r, helper_flow, inside, frozenset())
                                for r in helper_flow.returns])
            if found is not None:
                return found
        if is_hasher_name(name, self.ctx):
            return Kind.HASHED
        if isinstance(call.func, cst.Attribute):
            if last in _PASSTHROUGH_METHODS:
                return self._kind(call.func.value, flow, deeper, seen)
            if last in _LOOKUP_METHODS and call.args:
                key = string_value(call.args[0].value)
                return Kind.PLAIN if is_password_value_name(key) else None
        if last == "getenv" and call.args:
            return Kind.PLAIN if is_password_value_name(string_value(call.args[0].value)) else None
        if last == "getattr" and len(call.args) >= 2:
            return Kind.PLAIN if is_password_value_name(string_value(call.args[1].value)) else None
        if last in _PASSTHROUGH_FUNCS and call.args:
            return self._kind(call.args[0].value, flow, deeper, seen)
        if helper is not None:
            return None
        if _PREDICATES.search(last or ""):
            return None
        inner = [self._kind(a.value, flow, deeper, seen) for a in call.args]
        return Kind.WRAPPED if Kind.PLAIN in inner or Kind.WRAPPED in inner else None

    def is_plain(self, expr: cst.BaseExpression, flow: Flow | None = None) -> bool:
        return self.kind(expr, flow) in (Kind.PLAIN, Kind.WRAPPED)


_PREDICATES = re.compile(r"(?i)check|verify|validate|len|compare|match|strength|"
                                  r"is_|has_|authenticate|login")


def _is_placeholder(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value == "None":
        return True
    return string_value(expr) == ""


def _parts(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(expr, cst.FormattedString):
        return [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)]
    if isinstance(expr, cst.BinaryOperation):
        return [expr.left, expr.right]
    if isinstance(expr, cst.IfExp):
        return [expr.body, expr.orelse]
    return []


def _strongest(kinds: list[Kind | None]) -> Kind | None:
    for k in (Kind.PLAIN, Kind.WRAPPED, Kind.HASHED):
        if k in kinds:
            return k
    return None


def confidence_of(kind: Kind) -> str:
    return "high" if kind is Kind.PLAIN else "low"


def dict_password_values(node: cst.Dict) -> list[tuple[cst.DictElement, str]]:
    """``(element, key)`` of the password-like keys of a dict literal."""
    out = []
    for el in node.elements:
        if isinstance(el, cst.DictElement):
            key = string_value(el.key)
            if is_password_column(key):
                out.append((el, key or ""))
    return out


def kwarg(call: cst.Call, name: str) -> cst.BaseExpression | None:
    arg = get_arg(call, name)
    return arg.value if arg is not None else None


def string_constant(ctx: ModuleContext, expr: cst.BaseExpression,
                    budget: Budget | None = None) -> tuple[str | None, str | None]:
    """``(value, None)`` for a literal or a constant of this module; ``(None, name)`` for a
    setting or imported constant to look up in the project facts; ``(None, None)`` else."""
    budget = budget or Budget()
    text = string_value(expr)
    if text is not None or budget.exhausted:
        return text, None
    if isinstance(expr, cst.Name):
        for flow in (ctx.flow(), ctx.flow(ctx.module)):
            values = flow.values_of(expr.value)
            if len(values) == 1:
                return string_constant(ctx, values[0], budget.deeper())
        return (None, expr.value) if expr.value in ctx.imports.names else (None, None)
    if isinstance(expr, cst.Attribute) and expr.attr.value.isupper():
        return None, expr.attr.value
    if isinstance(expr, cst.Subscript):
        return None, subscript_key(expr)
    return None, None


def setting_strings(project_values: list[dict], name: str) -> list[str]:
    """String values recorded for setting ``name`` (fact ``setting``)."""
    return [v["value"] for v in project_values
            if v.get("name") == name and isinstance(v.get("value"), str)]
