"""Password values as data for the one taint evaluator (flow/taint.py): is a value a
plaintext password? Shared by the BA2xx checks (not a check itself).

Two specs over the one walk. ``PLAINTEXT``: a password-like name (a parameter, a local
given a value that is not a placeholder, a global), a ``["password"]`` /
``.get("password")`` / ``getenv("DB_PASSWORD")`` lookup or a ``.password`` attribute
is a source; string methods hand it on (``strip``, ``encode``...), same-module helpers
are followed with their parameters bound, and a call nothing describes hands it on
*wrapped* (``Kind.WRAPPED``: the check lowers its confidence). A hasher cleans it: a
call whose name says it hashes (``generate_password_hash``, ``make_password``,
``pwd_context.hash``, ``bcrypt.hashpw``...) or one the user taught through
``Config.password_hashers``; so does a predicate (``check_password(pw)``), and a
name given a hash anywhere in its function (``password = hash(password)``, also
through a helper: ``HASH_OF`` answers that) holds no plaintext.
"""

from __future__ import annotations

import enum
import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import (
    get_arg,
    is_password_name,
    last_name,
    name_words,
    string_value,
)
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import callee_name, local_callee
from backend_audit.flow.locals import Flow
from backend_audit.flow.specs import Guarding, Sources, Spec, Verdict
from backend_audit.flow.taint import Reach, Taint

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
# Calls that answer a question about a password (a flag, a length), not the password.
_PREDICATES = re.compile(r"(?i)check|verify|validate|len|compare|match|strength|"
                         r"is_|has_|authenticate|login")

# Calls that check a password against the stored credential and answer yes or no
# (Django's ``authenticate``/``check_password``, werkzeug's ``check_password_hash``,
# bcrypt's ``checkpw``); ``verify`` counts on a hasher (``pwd_context.verify``).
_CREDENTIAL_CHECKS = frozenset({"authenticate", "check_password", "check_password_hash",
                                "verify_password", "checkpw"})
_VERIFIER_RECEIVER = re.compile(r"(?i)pwd|passw|hash|crypt|context")


# Last words of an object or mapping that holds the deployment's configuration.
_CONFIG_HOLDERS = frozenset({"cfg", "conf", "config", "configuration", "settings", "environ"})


class Kind(enum.Enum):
    PLAIN = "plain"  # a plaintext password for sure
    WRAPPED = "wrapped"  # a plaintext password passed through an unknown call


def read_from_configuration(expr: cst.BaseExpression, flow: Flow | None = None) -> bool:
    """A value of the deployment's configuration: ``settings.ADMIN_PASSWORD``,
    ``self.cfg.password``, ``app.config["DB_PASSWORD"]``, ``config.get("password")``,
    ``os.getenv(...)``, or a local given only such values (``flow``: its function)."""
    if isinstance(expr, cst.Name) and flow is not None:
        values = flow.values_of(expr.value)
        return bool(values) and all(read_from_configuration(v) for v in values)
    if isinstance(expr, cst.Call):
        if last_name(expr.func) == "getenv":
            return True
        holder = expr.func.value if isinstance(expr.func, cst.Attribute) and \
            last_name(expr.func) in _LOOKUP_METHODS else None
    elif isinstance(expr, (cst.Attribute, cst.Subscript)):
        holder = expr.value
    else:
        return False
    words = name_words(last_name(holder) or "") if holder is not None else []
    return bool(words) and words[-1] in _CONFIG_HOLDERS


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


def is_credential_check(call: cst.Call) -> bool:
    """``call`` checks a password against the stored credential (``authenticate(...)``,
    ``user.check_password(pw)``, ``pwd_context.verify(pw, hashed)``): it answers, it
    keeps nothing."""
    name = last_name(call.func)
    if name in _CREDENTIAL_CHECKS:
        return True
    if name != "verify" or not isinstance(call.func, cst.Attribute):
        return False
    owner = last_name(call.func.value)  # ``PasswordHasher().verify``: the class
    return bool(owner and _VERIFIER_RECEIVER.search(owner))


def hasher_call(call: cst.Call, ctx: ModuleContext) -> bool:
    """``call`` hashes (``is_hasher_name`` of what it calls)."""
    return is_hasher_name(callee_name(call, ctx.imports, ctx.path), ctx)


def subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)
    return None


def _project_helper(call: cst.Call, taint: Taint) -> bool:
    """``call`` runs a function of the module the evaluator follows (bound parameters and
    all): what it returns says more than its name."""
    frame = taint.frame
    callee = local_callee(call, taint.indexes.functions, frame.owner,
                          taint.indexes.within(frame.fn))
    return callee is not None and not callee.constructor


def _is_placeholder(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value == "None":
        return True
    return string_value(expr) == ""


def _lookup_key(call: cst.Call, last: str | None) -> tuple[bool, str | None]:
    """(is a lookup by key, the key) for ``x.get("password")``, ``os.getenv("DB_PASSWORD")``
    and ``getattr(obj, "password")``."""
    if last in _LOOKUP_METHODS and isinstance(call.func, cst.Attribute) and call.args:
        return True, string_value(call.args[0].value)
    if last == "getenv" and call.args:
        return True, string_value(call.args[0].value)
    if last == "getattr" and len(call.args) >= 2:
        return True, string_value(call.args[1].value)
    return False, None


def _named(name: str | None) -> Verdict:
    return Verdict.SOURCE if is_password_value_name(name) else Verdict.CLEAN


class PlaintextSources(Sources):
    """A plaintext password (see the module docstring)."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        if isinstance(expr, cst.Name):
            return self._name(expr.value, taint)
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "data" and isinstance(expr.value, cst.Attribute) and \
                    is_password_value_name(expr.value.attr.value):
                return Verdict.SOURCE  # WTForms: form.password.data
            return _named(expr.attr.value)
        if isinstance(expr, cst.Subscript):
            key = subscript_key(expr)
            if key is not None:
                return _named(key)
            named = isinstance(expr.value, cst.Name) and is_password_value_name(expr.value.value)
            return None if named else Verdict.CLEAN  # ``passwords[i]``: the list's values
        if isinstance(expr, cst.Call):
            return self._call(expr, taint)
        return None

    @staticmethod
    def _name(name: str, taint: Taint) -> Verdict | None:
        values = taint.frame.scope.flow.values_of(name)
        if any(_hashed(v, taint) for v in values):
            return Verdict.CLEAN  # given a hash somewhere: give it the benefit of the doubt
        if not is_password_value_name(name):
            return None  # follow what it was given
        # A password-named local holds a password (even a generated one) unless every
        # assignment is an empty placeholder.
        if values and all(_is_placeholder(v) for v in values):
            return Verdict.CLEAN
        return Verdict.SOURCE

    @staticmethod
    def _call(call: cst.Call, taint: Taint) -> Verdict | None:
        if _project_helper(call, taint):
            return None  # a "hash" helper that returns ``"fakehashed" + pw`` hashes nothing
        if is_hasher_name(callee_name(call, taint.ctx.imports, taint.ctx.path), taint.ctx):
            return Verdict.CLEAN
        last = last_name(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) \
            else None
        if isinstance(call.func, cst.Attribute) and last in _PASSTHROUGH_METHODS:
            return None
        lookup, key = _lookup_key(call, last)
        if lookup:
            return _named(key)
        if last in _PASSTHROUGH_FUNCS and call.args:
            return None
        if _PREDICATES.search(last or ""):
            return Verdict.CLEAN
        return None


class HashSources(Sources):
    """A hash of a password: what a hasher returns, through names, string methods and
    helpers of the module."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        if isinstance(expr, cst.Call):
            if _project_helper(expr, taint):
                return None
            if is_hasher_name(callee_name(expr, taint.ctx.imports, taint.ctx.path), taint.ctx):
                return Verdict.SOURCE
            return None if last_name(expr.func) in PLAINTEXT.passthrough else Verdict.CLEAN
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            return Verdict.CLEAN
        return None


PLAINTEXT = Spec(
    "password-plaintext", sources=PlaintextSources(), sanitisers=frozenset(),
    passthrough=_PASSTHROUGH_METHODS | _PASSTHROUGH_FUNCS, receiver_only=_PASSTHROUGH_METHODS,
    guards=Guarding.NONE, across_modules=False, opaque_calls=True, containers=False)
HASH_OF = PLAINTEXT.but(name="password-hash", sources=HashSources(), opaque_calls=False)


def _hashed(value: cst.BaseExpression, taint: Taint) -> bool:
    """Is ``value`` (given to a name in the function the walk is in) a hash?"""
    key = ("hashed", id(value))
    found = taint.memo.get(key)
    if found is None:
        found = taint.memo[key] = Taint(taint.ctx, HASH_OF, params=(),
                                        scope=taint.frame.fn).source(value) is not None
    return bool(found)


class PasswordValues:
    """Asks the taint evaluator, for expressions of one module, whether they hold a
    plaintext password (``PLAINTEXT``)."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self._taints: dict[int, Taint] = {}

    def kind(self, expr: cst.BaseExpression, flow: Flow | None = None) -> Kind | None:
        """PLAIN / WRAPPED for a value that holds a plaintext password, else None.
        ``flow``: the function (or module body) ``expr`` is read in (default: where the
        traversal is)."""
        found = self._reach(expr, flow)
        if found.source is None:
            return None
        return Kind.WRAPPED if found.wrapped else Kind.PLAIN

    def origin(self, expr: cst.BaseExpression,
               flow: Flow | None = None) -> cst.BaseExpression | None:
        """Where the plaintext password ``expr`` holds is read (a name, an attribute, a
        lookup), or None."""
        return self._reach(expr, flow).source

    def _reach(self, expr: cst.BaseExpression, flow: Flow | None) -> Reach:
        scope = flow.scope if flow is not None else self.ctx.current_function
        fn = scope if isinstance(scope, cst.FunctionDef) else None
        taint = self._taints.get(id(fn))
        if taint is None:
            taint = self._taints[id(fn)] = Taint(self.ctx, PLAINTEXT, params=(), scope=fn)
        return taint.reach(expr)


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
