"""Checks a handler makes on client input before it uses it, over the shared taint.

Defines no rule. Used by the SSRF, XXE, LDAP and XPath checks: a value compared with an
allow-list (``urlparse(url).hostname in ALLOWED_HOSTS``), tested with ``startswith`` /
``endswith`` / an anchored regular expression / ``isalnum()``, or passed to a function
whose name says it validates (``validate_url(url)``, ``is_safe_url(url)``,
``url_has_allowed_host_and_scheme(url, ...)``) counts as checked in the whole function,
as do the names it was derived from (``parsed = urlparse(url)``). Like the SQL checks'
allow-lists this is flow-insensitive: a check anywhere in the scope counts, which is what
early-return guards (``if host not in ALLOWED: abort(400)``) look like.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import walk
from backend_audit.flow.locals import Flow, string_parts
from backend_audit.flow.taint import Taint

# Words in a callee's name that say it checks its argument.
_VALIDATOR_WORDS = frozenset({
    "valid", "validate", "validated", "validator", "safe", "allowed", "allow", "allowlist",
    "allowlisted", "whitelist", "whitelisted", "trusted", "verify", "sanitize", "sanitise",
    "sanitized", "sanitised", "ssrf", "permitted", "check",
})
_NOT_VALIDATORS = frozenset({"check_output", "check_call", "safe_join", "mark_safe",
                             "safe_substitute", "safe_load", "safe_dump"})
# A ``startswith`` on these alone pins only the scheme, not the host.
_SCHEME_ONLY = re.compile(r"(?i)^[a-z][a-z0-9+.-]*(:(//)?)?$")
# Attributes of a parsed URL that do not say where the request goes.
_NOT_HOST_ATTRS = frozenset({"scheme", "path", "query", "fragment", "params", "port"})
_IS_METHODS = frozenset({"isalnum", "isdigit", "isdecimal", "isnumeric", "isidentifier",
                         "isalpha"})
# ``if ip.is_private: abort(403)`` on the address a host name resolves to.
_ADDRESS_TESTS = frozenset({"is_private", "is_loopback", "is_global", "is_reserved",
                            "is_link_local", "is_multicast", "is_unspecified"})
_ALLOW_LIST_NAME = re.compile(r"(?i)allow|white|trust|permit|valid|safe|known|hosts|domains|"
                              r"origins|choices|options|services")
# Methods that read one field of a container.
_FIELD_READS = frozenset({"get", "getlist", "pop", "setdefault", "getone", "get_all"})
_MAX_CLOSURE = 50
_MAX_DEPTH = 12


def _name_words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return {w for w in spaced.split("_") if w}


def is_validator_call(call: cst.Call) -> bool:
    name = last_name(call.func)
    if not name or name in _NOT_VALIDATORS:
        return False
    words = _name_words(name)
    if "check" in words and not name.lower().startswith("check"):
        words.discard("check")
    return bool(words & _VALIDATOR_WORDS)


def _is_empty_or_none(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
        return True
    return string_value(expr) == ""


def _scheme_only(args: list[cst.Arg]) -> bool:
    """``startswith("https://")`` or ``startswith(("http://", "https://"))``."""
    values: list[str] = []
    for arg in args[:1]:
        v = arg.value
        items = [e.value for e in v.elements] if isinstance(v, (cst.Tuple, cst.List)) else [v]
        for item in items:
            text = string_value(item)
            if text is None:
                return False
            values.append(text)
    return bool(values) and all(_SCHEME_ONLY.match(t) for t in values)


def _fixed_collection(expr: cst.BaseExpression, depth: int = 0) -> bool:
    """An allow-list: a literal collection, a constant or a name that says it is one
    (``ALLOWED_HOSTS``, ``settings.webhook_domains``), not a cache or a request field."""
    if depth > 3:
        return False
    if isinstance(expr, (cst.Set, cst.List, cst.Tuple, cst.Dict)):
        return True
    if isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("keys", "values"):
            return _fixed_collection(func.value, depth + 1)
        if last_name(func) in ("frozenset", "set", "tuple", "list") and expr.args:
            return _fixed_collection(expr.args[0].value, depth + 1)
        return False
    name = last_name(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
    if not name:
        return False
    letters = name.strip("_")
    return (letters.isupper() and any(c.isalpha() for c in letters)) or \
        bool(_ALLOW_LIST_NAME.search(name))


def _subjects(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The expressions a test checks against something fixed."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _subjects(test.expression)
    if isinstance(test, cst.BooleanOperation):
        return _subjects(test.left) + _subjects(test.right)
    out: list[cst.BaseExpression] = []
    if isinstance(test, cst.Attribute) and test.attr.value in _ADDRESS_TESTS:
        return [test.value]
    if isinstance(test, cst.Comparison):
        left = test.left
        for comp in test.comparisons:
            op = comp.operator
            if isinstance(op, (cst.In, cst.NotIn)) and _fixed_collection(comp.comparator):
                out.append(left)
            elif isinstance(op, (cst.Equal, cst.NotEqual)) and \
                    not _is_empty_or_none(comp.comparator) and not _is_empty_or_none(left):
                out.extend((left, comp.comparator))
            left = comp.comparator
        return [s for s in out if not (isinstance(s, cst.Attribute) and
                                       s.attr.value in _NOT_HOST_ATTRS)]
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute):
        method = test.func.attr.value
        if method in ("startswith", "endswith") and not _scheme_only(list(test.args)):
            out.append(test.func.value)
        elif method in ("fullmatch", "match"):
            receiver = test.func.value
            args = [a.value for a in test.args if a.keyword is None]
            if isinstance(receiver, cst.Name) and receiver.value == "re":
                out.extend(args[1:2])
            else:
                out.extend(args[:1])
        elif method in _IS_METHODS:
            out.append(test.func.value)
    return out


def _root_names(expr: cst.BaseExpression, depth: int = 0) -> set[str]:
    """Names a checked expression speaks for: ``url`` in ``urlparse(url).hostname``,
    ``host`` in ``host.lower()``; not ``data`` in ``data["kind"]`` (one field of it)."""
    if depth > 8:
        return set()
    if isinstance(expr, cst.Name):
        return {expr.value}
    if isinstance(expr, cst.Attribute):
        return _root_names(expr.value, depth + 1)
    if isinstance(expr, cst.Await):
        return _root_names(expr.expression, depth + 1)
    if isinstance(expr, cst.BooleanOperation):  # ``urlparse(url).hostname or ""``
        return _root_names(expr.left, depth + 1) | _root_names(expr.right, depth + 1)
    if isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _FIELD_READS:
            return set()  # ``data.get("kind")``: one field says nothing of the others
        found: set[str] = set()
        if isinstance(expr.func, cst.Attribute):
            found |= _root_names(expr.func.value, depth + 1)
        for arg in expr.args:
            found |= _root_names(arg.value, depth + 1)
        return found
    return set()


def guarded_names(scope: cst.CSTNode, flow: Flow) -> frozenset[str]:
    """Names ``scope`` checks (see the module docstring), closed over derivations."""
    subjects: list[cst.BaseExpression] = []

    class _Tests(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is scope

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return node is scope

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_If(self, node: cst.If) -> None:
            subjects.extend(_subjects(node.test))

        def visit_While(self, node: cst.While) -> None:
            subjects.extend(_subjects(node.test))

        def visit_Assert(self, node: cst.Assert) -> None:
            subjects.extend(_subjects(node.test))

        def visit_IfExp(self, node: cst.IfExp) -> None:
            subjects.extend(_subjects(node.test))

        def visit_CompIf(self, node: cst.CompIf) -> None:
            subjects.extend(_subjects(node.test))

        def visit_Call(self, node: cst.Call) -> None:
            if is_validator_call(node):
                subjects.extend(a.value for a in node.args)

    walk(scope, _Tests())
    names: set[str] = set()
    for subject in subjects:
        names |= _root_names(subject)
    # ``parsed = urlparse(url)`` / ``host = parsed.hostname``: checking the derived value
    # checks what it came from.
    todo = list(names)
    while todo and len(names) < _MAX_CLOSURE:
        name = todo.pop()
        for value in flow.values_of(name):
            if isinstance(value, (cst.Call, cst.Attribute, cst.Await, cst.BooleanOperation)):
                for root in _root_names(value) - names:
                    names.add(root)
                    todo.append(root)
    return frozenset(names)


class GuardedTaint:
    """The shared taint (``Taint.source``), stopped by names the scope checks and handed
    on through ``wrappers`` (calls whose result carries their argument, such as
    ``io.BytesIO(data)``). Names, string building, attribute and item access are walked
    here so a checked name stops the walk; every other expression is the shared taint's
    to judge (its sanitisers and pass-through calls)."""

    def __init__(self, ctx: ModuleContext, wrappers: frozenset[str] = frozenset(),
                 escapes: re.Pattern[str] | None = None, guards: bool = True,
                 stops: Callable[[cst.Call], bool] | None = None) -> None:
        self.ctx = ctx
        self.taint = Taint(ctx)
        self.flow = ctx.flow()
        self.guarded = guarded_names(ctx.current_function or ctx.module, self.flow) \
            if guards else frozenset()
        self.wrappers = wrappers
        self.escapes = escapes  # callee names that escape for the sink at hand
        self.stops = stops  # other calls that do (``name.replace("'", "")`` for XPath)

    def source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The client-input expression ``expr`` is built from, or None."""
        return self._walk(expr, 0, frozenset())

    def _walk(self, expr: cst.BaseExpression, depth: int,
              seen: frozenset[str]) -> cst.BaseExpression | None:
        if depth > _MAX_DEPTH:
            return None
        if request_input(expr, self.ctx.imports) is not None:
            return expr
        if isinstance(expr, cst.Name):
            name = expr.value
            if name in self.guarded or name in seen:
                return None
            values = [*self.flow.values_of(name), *self.flow.items_of(name)]
            if not values:
                return self.taint.source(expr)  # a route parameter, or nothing
            return self._first(values, depth, seen | {name})
        if isinstance(expr, cst.Await):
            return self._walk(expr.expression, depth + 1, seen)
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            return self._walk(expr.value, depth + 1, seen)
        if isinstance(expr, cst.Call):
            callee = last_name(expr.func) or ""
            if (self.escapes is not None and self.escapes.search(callee)) or \
                    (self.stops is not None and self.stops(expr)):
                return None
            if callee in self.wrappers:
                return self._first([a.value for a in expr.args], depth, seen)
            found = self.taint.source(expr)
            if found is None:
                return None  # a sanitiser, or a call that does not hand input on
            parts = [a.value for a in expr.args]
            if isinstance(expr.func, cst.Attribute):
                parts.insert(0, expr.func.value)
            return self._first(parts, depth, seen) if parts else found
        parts = [p for p in string_parts(expr) if p is not expr]
        if isinstance(expr, (cst.BooleanOperation, cst.BinaryOperation)) and not parts:
            parts = [expr.left, expr.right]
        if parts:
            return self._first(parts, depth, seen)
        return self.taint.source(expr)

    def _first(self, parts: list[cst.BaseExpression], depth: int,
               seen: frozenset[str]) -> cst.BaseExpression | None:
        for part in parts:
            found = self._walk(part, depth + 1, seen)
            if found is not None:
                return found
        return None
