"""What a value that ends up in SQL text is made of: literal, safe, or chosen by someone.

``SqlValues.shape(expr)`` walks an expression the way a reviewer reads it: through local
names (``q = "..."; q += f"..."``), appended clause lists, same-module helper functions
(with the caller's arguments bound to the helper's parameters), comprehensions and
conditional expressions, and decides whether the resulting string was *built* from a
part that is neither a literal nor a constant nor otherwise safe (an int, a value picked
from a constant allow-list, a quoted identifier). It also says whether such a part comes
from the client, which sets the confidence of a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import libcst as cst

from backend_audit.appmodel.closed_types import is_closed_type, module_closed_types
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import walk
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    Callee,
    ModuleFunctions,
    bind_arguments,
    local_callee,
    param_index,
)
from backend_audit.flow.locals import Flow, checked_in_test
from backend_audit.sql.pyformat import format_pieces, join_pieces, percent_pieces
from backend_audit.sql.shape import (
    PASSED_IN,
    SAFE,
    Shape,
    binds_only,
    compose,
    concat,
    in_value_slot,
    join,
    pieces_of,
    seal,
    template_value_slot,
    unsafe,
)

# Calls whose result cannot carry SQL syntax whatever their argument.
COERCIONS = frozenset({"int", "float", "bool", "len", "abs", "round", "Decimal", "UUID",
                       "uuid4", "hash", "ord", "sum", "isoformat", "date",
                       "datetime", "fromisoformat", "strptime", "timedelta", "time", "hex",
                       # Falcon's typed query getters (``req.get_param_as_int("limit")``)
                       "get_param_as_int", "get_param_as_float", "get_param_as_bool",
                       "get_param_as_uuid", "get_param_as_date", "get_param_as_datetime"})
# Quoting and escaping functions of drivers and psycopg's composition objects.
QUOTING = frozenset({"quote_ident", "escape_string", "escape_literal", "escape_identifier",
                     "Identifier", "Literal", "Placeholder", "bindparam", "quoted_name",
                     "quote_name", "mogrify", "literal"})
# ``conn.escape(x)`` (pymysql, MySQLdb) quotes a value; ``html.escape`` does not.
DB_ESCAPERS = ("conn", "connection", "db", "cursor", "cur")
PASS_THROUGH = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold",
                          "capitalize", "replace", "items", "keys", "values", "copy", "split",
                          "splitlines", "encode", "decode", "dict", "list", "tuple", "sorted",
                          "set", "str", "repr", "reversed", "iter", "getlist", "to_dict",
                          "SQL", "Composed", "removeprefix", "removesuffix"})
LOOKUPS = frozenset({"get", "pop", "setdefault"})
# Annotations of parameters whose values cannot carry SQL text.
SAFE_ANNOTATIONS = frozenset({"int", "float", "bool", "Decimal", "UUID", "date", "datetime",
                              "time", "timedelta", "PositiveInt", "NonNegativeInt", "conint",
                              "confloat", "StrictInt", "StrictFloat", "StrictBool", "UUID4",
                              "PositiveFloat", "Literal", "IntEnum"})
# Deployment configuration: chosen by whoever deploys the app, not by a client.
CONFIG_ROOTS = frozenset({"settings", "config", "app.config", "current_app.config", "os.environ",
                          "conf", "django.conf.settings"})
CONFIG_CALLS = frozenset({"os.getenv", "os.environ.get", "getenv"})
# Imported names that hold per-request (client-influenced) state.
REQUEST_GLOBALS = frozenset({"flask.g", "flask.session", "flask_login.current_user",
                             "flask.request"})
IDENTIFIER_ATTRS = frozenset({"db_table", "__tablename__", "__name__", "model_name",
                              "table_name", "tablename"})
# ``queryset.query.sql_with_params()``, ``compiler.as_sql()``, ``where.as_sql(...)``: SQL
# text Django compiled, with every value a placeholder and the values returned apart.
ORM_COMPILED = frozenset({"as_sql", "sql_with_params"})
# Primary keys of records (not of request payloads, which stay client input).
PRIMARY_KEYS = frozenset({"id", "pk"})
# Django/DRF class-based views keep the URL's captured values here.
URL_KWARGS = frozenset({"self.kwargs", "self.args"})
_FLASK_SAFE_CONVERTER = re.compile(r"<(int|float|uuid):(\w+)>")


@dataclass
class Scope:
    flow: Flow
    function: cst.FunctionDef | None
    class_def: cst.ClassDef | None
    bindings: dict[str, Shape] = field(default_factory=dict)
    guarded: set[str] = field(default_factory=set)
    # Comprehension variables: scoped to their comprehension, unlike the flow's names.
    locals: dict[str, Shape] = field(default_factory=dict)


class SqlValues:
    """Evaluates expressions of one module; one instance per module context."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self._class_of: dict[int, cst.ClassDef] = {}
        for stmt in ctx.module.body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                for inner in stmt.body.body:
                    if isinstance(inner, cst.FunctionDef):
                        self._class_of[id(inner)] = stmt
        self._index: ModuleIndex | None = None
        self._scopes: dict[int, Scope] = {}
        self._module_scope: Scope | None = None
        self._param_cache: dict[tuple[int, str], Shape] = {}
        self._shapes: dict[tuple[int, int], Shape] = {}
        self._functions: ModuleFunctions | None = None
        self._active_params: set[tuple[int, str]] = set()
        self.closed_types = module_closed_types(ctx.module)

    # ------------------------------------------------------------------ scopes
    def current_scope(self) -> Scope:
        """The scope the traversal is in: the innermost function, else the module."""
        return self.scope(self.ctx.current_function)

    def scope(self, function: cst.FunctionDef | None) -> Scope:
        """The scope of ``function``; ``None`` is the module body."""
        if function is None:
            if self._module_scope is None:
                self._module_scope = Scope(self.ctx.flow(self.ctx.module), None, None)
                self._module_scope.guarded = self._guards(0)
            return self._module_scope
        if id(function) not in self._scopes:
            sc = Scope(self.ctx.flow(function), function, self._class_of.get(id(function)))
            sc.guarded = self._guards(id(function))
            self._scopes[id(function)] = sc
        return self._scopes[id(function)]

    @property
    def index(self) -> ModuleIndex:
        if self._index is None:
            self._index = index_module(self.ctx.module)
        return self._index

    def _guards(self, key: int) -> set[str]:
        """Names a scope checks against a constant allow-list (flow-insensitively)."""
        found: set[str] = set()
        for test in self.index.tests.get(key, []):
            found |= checked_in_test(test, self.is_constant_collection)
        return found

    def class_of(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        return self._class_of.get(id(function))

    # ------------------------------------------------------------------ constants
    def is_constant_collection(self, expr: cst.BaseExpression) -> bool:
        """A collection fixed by the code: a literal of literals, or an UPPER_CASE name."""
        if isinstance(expr, (cst.Set, cst.List, cst.Tuple)):
            return all(self._is_plain_literal(e.value) for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return all(isinstance(e, cst.DictElement) and self._is_plain_literal(e.key)
                       for e in expr.elements)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("keys", "values"):
            return self.is_constant_collection(expr.func.value)
        if isinstance(expr, cst.Call) and last_name(expr.func) in ("frozenset", "set", "tuple"):
            return bool(expr.args) and self.is_constant_collection(expr.args[0].value)
        if isinstance(expr, cst.Name):
            if _is_constant_name(expr.value):
                return True
            values = self.ctx.flow(self.ctx.module).values_of(expr.value)
            return bool(values) and all(self.is_constant_collection(v) for v in values)
        if isinstance(expr, cst.Attribute):
            return _is_constant_name(expr.attr.value)
        return False

    @staticmethod
    def _is_plain_literal(expr: cst.BaseExpression) -> bool:
        return isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString))

    # ------------------------------------------------------------------ shapes
    def shape(self, expr: cst.BaseExpression, scope: Scope | None = None,
              budget: Budget | None = None, seen: frozenset[str] = frozenset()) -> Shape:
        """What ``expr`` is made of. ``budget``: where the question stands (None starts
        one); past it the rest counts as unknown (never as safe)."""
        scope = scope or self.current_scope()
        budget = Budget() if budget is None else budget
        if budget.exhausted:
            return unsafe()
        budget.spend()
        # Only the long-lived scopes of functions and the module are safe to key by id,
        # and only for answers found without crossing into a helper.
        cacheable = not seen and budget.calls == 0 and (
            scope is self._module_scope or self._scopes.get(id(scope.function)) is scope)
        key = (id(expr), id(scope))
        if cacheable and key in self._shapes:
            return self._shapes[key]
        result = self._shape(expr, scope, budget, seen)
        if cacheable and not budget.exhausted:
            self._shapes[key] = result
        return result

    def statement(self, expr: cst.BaseExpression, scope: Scope, whole: bool = True) -> Shape:
        """The shape of the SQL text a call runs, read by the SQL parser (``seal``):
        ``whole``, the text is a statement. A name given one of several statements
        (``if ...: sql = "DESCRIBE ..." else: sql = "DESCRIBE ..."``) has each read as a
        whole statement."""
        if whole and isinstance(expr, cst.Name) and expr.value not in scope.guarded and \
                expr.value not in scope.locals:
            name = expr.value
            values = scope.flow.values_of(name)
            if len(values) > 1 and not scope.flow.items_of(name) and \
                    not scope.flow.is_augmented(name) and \
                    not any(_mentions(v, name) for v in values):
                return join([seal(self._bound_value(name, v, scope, Budget(), frozenset({name})),
                                  statement=True) for v in values])
        return seal(self.shape(expr, scope), whole)

    def _shape(self, expr: cst.BaseExpression, scope: Scope, budget: Budget,
               seen: frozenset[str]) -> Shape:
        s = string_value(expr)
        if s is not None:
            return Shape(text=s, pieces=(s,))
        if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)):
            return SAFE
        d = budget.deeper()
        if isinstance(expr, cst.FormattedString):
            text = "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
            parts, before, slot = [], "", False
            groups: list[tuple[str | Shape, ...] | None] = []
            for p in expr.parts:
                if isinstance(p, cst.FormattedStringText):
                    before += p.value
                    groups.append((p.value,))
                    continue
                part = self._fstring_part(p, scope, d, seen)
                slot |= not part.safe and in_value_slot(before) and not binds_only(part)
                parts.append(part)
                groups.append(pieces_of(part))
                before = ""
            return compose(parts, text, slot, pieces=concat(*groups))
        if isinstance(expr, cst.ConcatenatedString):
            left = self.shape(expr.left, scope, d, seen)
            right = self.shape(expr.right, scope, d, seen)
            return compose([left, right], pieces=concat(pieces_of(left), pieces_of(right)))
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, scope, d, seen)
        if isinstance(expr, cst.Name):
            return self._name(expr.value, scope, d, seen)
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            return join([self.shape(e.value, scope, d, seen) for e in expr.elements])
        if isinstance(expr, cst.Dict):
            out = []
            for e in expr.elements:
                if isinstance(e, cst.DictElement):
                    out += [self.shape(e.key, scope, d, seen), self.shape(e.value, scope, d, seen)]
                else:
                    out.append(self.shape(e.value, scope, d, seen))
            return join(out)
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self._comprehension(expr, expr.elt, scope, d, seen)
        if isinstance(expr, cst.DictComp):
            return join([self._comprehension(expr, expr.key, scope, d, seen),
                         self._comprehension(expr, expr.value, scope, d, seen)])
        if isinstance(expr, cst.IfExp):
            checked = checked_in_test(expr.test, self.is_constant_collection)
            body_scope = _with_guards(scope, checked) if checked else scope
            return join([self.shape(expr.body, body_scope, d, seen),
                         self.shape(expr.orelse, scope, d, seen)])
        if isinstance(expr, cst.BooleanOperation):
            return join([self.shape(expr.left, scope, d, seen),
                         self.shape(expr.right, scope, d, seen)])
        if isinstance(expr, (cst.Await, cst.StarredElement)):
            inner = expr.expression if isinstance(expr, cst.Await) else expr.value
            return self.shape(inner, scope, d, seen)
        if isinstance(expr, (cst.Comparison, cst.UnaryOperation)):
            return SAFE  # booleans and negated numbers
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, scope, d, seen)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, scope, d, seen)
        if isinstance(expr, cst.Call):
            return self._call(expr, scope, d, seen)
        if isinstance(expr, cst.NamedExpr):
            return self.shape(expr.value, scope, d, seen)
        return unsafe()

    def _fstring_part(self, part: cst.FormattedStringExpression, scope: Scope, budget: Budget,
                      seen: frozenset[str]) -> Shape:
        spec = "".join(p.value for p in (part.format_spec or [])
                       if isinstance(p, cst.FormattedStringText))
        if spec and spec[-1] in "dfieEgGxXob%":
            return SAFE  # ``{limit:d}`` raises on anything but a number
        return self.shape(part.expression, scope, budget, seen)

    def _binary(self, expr: cst.BinaryOperation, scope: Scope, budget: Budget,
                seen: frozenset[str]) -> Shape:
        op = expr.operator
        if isinstance(op, cst.Multiply):
            # ``"?" * len(ids)`` / ``["%s"] * n``: the count cannot add text.
            for side in (expr.left, expr.right):
                if isinstance(side, (cst.SimpleString, cst.List, cst.Tuple)):
                    return self.shape(side, scope, budget, seen)
            return SAFE
        if isinstance(op, cst.Modulo):
            left = self.shape(expr.left, scope, budget, seen)
            if not left.text and not left.built:
                return SAFE  # arithmetic
            if _numeric_directives_only(expr.left):
                return left
            right = self.shape(expr.right, scope, budget, seen)
            return compose([left, right], value_slot=template_value_slot(left.text),
                           pieces=self._percent(left, expr.right, right, scope, budget, seen))
        if isinstance(op, cst.Add):
            left = self.shape(expr.left, scope, budget, seen)
            right = self.shape(expr.right, scope, budget, seen)
            if not (left.text or right.text or left.built or right.built):
                return join([left, right])  # perhaps numbers; nothing string-like seen
            return compose([left, right], value_slot=not right.safe and in_value_slot(left.text),
                           pieces=concat(pieces_of(left), pieces_of(right)))
        return SAFE  # other arithmetic yields numbers

    def _comprehension(self, comp: cst.BaseExpression, elt: cst.BaseExpression,
                       scope: Scope, budget: Budget, seen: frozenset[str]) -> Shape:
        # Each ``for`` binds its targets for this comprehension only; ``if`` filters guard.
        inner = scope
        node = comp.for_in  # type: ignore[attr-defined]
        while node is not None:
            bound = dict(inner.locals)
            targets = node.target.elements if isinstance(node.target, cst.Tuple) else \
                [cst.Element(node.target)]
            iterable = self.shape(node.iter, inner, budget, seen)
            numbered = isinstance(node.iter, cst.Call) and last_name(node.iter.func) in (
                "range", "enumerate")
            for index, element in enumerate(targets):
                if isinstance(element.value, cst.Name):
                    numeric = numbered and (index == 0 or last_name(node.iter.func) == "range")
                    bound[element.value.value] = SAFE if numeric else replace(
                        iterable, built=False)
            inner = Scope(inner.flow, inner.function, inner.class_def, inner.bindings,
                          inner.guarded, bound)
            checked: set[str] = set()
            for cond in node.ifs:
                checked |= checked_in_test(cond.test, self.is_constant_collection)
            if checked:
                inner = _with_guards(inner, checked)
            node = node.inner_for_in
        return self.shape(elt, inner, budget, seen)

    def _name(self, name: str, scope: Scope, budget: Budget, seen: frozenset[str]) -> Shape:
        if name in scope.guarded or name in ("None", "True", "False"):
            return SAFE
        if name in scope.locals:
            return scope.locals[name]
        values = scope.flow.values_of(name) + scope.flow.items_of(name)
        if values and name not in seen:
            # A reassigned parameter (``limit = int(limit)``) is judged by what it now holds.
            inner = seen | {name}
            grown = self._grown(name, values, scope, budget, inner)
            if grown is not None:
                return grown
            return join([self._bound_value(name, v, scope, budget, inner) for v in values])
        if name in scope.bindings:
            return scope.bindings[name]
        if name in scope.flow.params:
            return self._param(name, scope)
        if values:
            return SAFE  # ``q = q + ...``: the other assignments decide
        return self._global(name, scope, budget, seen)

    def _grown(self, name: str, values: list[cst.BaseExpression], scope: Scope, budget: Budget,
               seen: frozenset[str]) -> Shape | None:
        """A string assigned once, then grown or rewritten from itself
        (``q = "SELECT ..."; q += " WHERE ..."``, ``sql = sql.format(...)``,
        ``q = q + " AND ..."``): its text in order, read as if every step ran (where a
        hole sits does not depend on which optional clauses are there). None unless the
        name is one string so built."""
        appended = {id(v) for v in scope.flow.values_of("__aug__" + name)}
        if len(values) < 2 or scope.flow.items_of(name) or id(values[0]) in appended or \
                _mentions(values[0], name):
            return None
        current = self._bound_value(name, values[0], scope, budget, seen)
        for value in values[1:]:
            if current.pieces is None or not current.text:
                return None
            if id(value) in appended:
                part = self._bound_value(name, value, scope, budget, seen)
                current = compose([current, part],
                                  pieces=concat(current.pieces, pieces_of(part)))
            elif _mentions(value, name):
                inner = Scope(scope.flow, scope.function, scope.class_def, scope.bindings,
                              scope.guarded, {**scope.locals, name: current})
                current = self.shape(value, inner, budget, seen)
            else:
                return None
        return current

    def _bound_value(self, name: str, value: cst.BaseExpression, scope: Scope, budget: Budget,
                     seen: frozenset[str]) -> Shape:
        # ``for i in range(n)`` / ``for i, col in enumerate(cols)`` bind numbers.
        if isinstance(value, cst.Call) and last_name(value.func) == "range":
            return SAFE
        index = scope.flow.position_in(name, value)
        if index is not None:
            return self._element(value, index, scope, budget, seen)
        return self.shape(value, scope, budget, seen)

    def _element(self, value: cst.BaseExpression, index: int, scope: Scope, budget: Budget,
                 seen: frozenset[str]) -> Shape:
        """``sql, params = build(...)``: ``sql`` is the first element of what build returns."""
        if isinstance(value, cst.Call) and last_name(value.func) == "enumerate" and index == 0:
            return SAFE
        if isinstance(value, cst.Call):
            helper = self._local_helper(value, scope)
            if helper is not None and budget.may_call:
                inner = self._helper_scope(helper, value, scope, budget, seen)
                called = budget.call()
                shapes = []
                for ret in inner.flow.returns:
                    if isinstance(ret, (cst.Tuple, cst.List)) and index < len(ret.elements):
                        shapes.append(self.shape(ret.elements[index].value, inner, called))
                    else:
                        shapes.append(self.shape(ret, inner, called))
                return join(shapes)
        if isinstance(value, (cst.Tuple, cst.List)) and index < len(value.elements):
            return self.shape(value.elements[index].value, scope, budget, seen)
        return self.shape(value, scope, budget, seen)

    def _global(self, name: str, scope: Scope, budget: Budget, seen: frozenset[str]) -> Shape:
        if _is_constant_name(name):
            # Safe whatever it holds; its text still tells whether a template is SQL.
            values = self.scope(None).flow.values_of(name)
            if values and name not in seen and scope.function is not None:
                held = join([self.shape(v, self.scope(None), budget, seen | {name})
                             for v in values])
                known = held.pieces is not None and all(
                    isinstance(p, str) or p.safe for p in held.pieces)
                return Shape(text=held.text, pieces=held.pieces if known else None)
            return SAFE
        qual = self.ctx.imports.names.get(name)
        if qual is not None:
            return unsafe() if qual in REQUEST_GLOBALS else SAFE
        if scope.function is None:
            return unsafe()
        module_scope = self.scope(None)
        values = module_scope.flow.values_of(name)
        if values and name not in seen:
            return join([self.shape(v, module_scope, budget, seen | {name}) for v in values])
        if name in self.ctx.module_functions:
            return SAFE  # a function object
        return PASSED_IN  # a free variable: a closure's enclosing parameter, say

    # ------------------------------------------------------------------ parameters
    def _param(self, name: str, scope: Scope) -> Shape:
        fn = scope.function
        if fn is None:
            return unsafe()
        param = _find_param(fn, name)
        if param is not None and _safe_annotation(param.annotation, self.closed_types):
            return SAFE
        if name in ("self", "cls"):
            return SAFE
        route = self.ctx.routes.route_for(fn)
        if route is not None:
            if route.path and any(m.group(2) == name
                                  for m in _FLASK_SAFE_CONVERTER.finditer(route.path)):
                return SAFE
            return unsafe(request=True)
        key = (id(fn), name)
        if key in self._param_cache:
            return self._param_cache[key]
        if key in self._active_params:
            return SAFE  # recursion: the other call sites decide
        self._active_params.add(key)
        try:
            result = self._param_from_callers(fn, name)
        finally:
            self._active_params.discard(key)
        self._param_cache[key] = result
        return result

    def _param_from_callers(self, fn: cst.FunctionDef, name: str) -> Shape:
        """A helper's parameter is what its same-module callers pass (if there are any)."""
        sites = self.call_sites(fn)
        bound = self.class_of(fn) is not None
        index = param_index(fn, name, bound)
        if not sites and not bound and fn in self.ctx.module_functions.values():
            param = _find_param(fn, name)
            typed = annotation_name(param.annotation) if param is not None else None
            key = f"{fn.name.value}|{name}|{index}|{typed or ''}"
            return Shape(safe=False, params=frozenset({key}), passed_in=True)
        if not sites or fn.name.value.startswith("__") and fn.name.value != "__init__":
            return PASSED_IN
        shapes = []
        for call, caller in sites:
            arg = get_arg(call, name, index)
            if arg is None:
                p = _find_param(fn, name)
                if p is not None and p.default is not None:
                    shapes.append(self.shape(p.default, self.scope(fn), Budget()))
                    continue
                return PASSED_IN  # passed through *args/**kwargs: cannot tell
            shapes.append(self.shape(arg.value, self.scope(caller), Budget()))
        result = join(shapes)
        # What the callers pass is a value, not a string built here (nor read here).
        return replace(result, built=False, raw_request=False)

    def call_sites(self, fn: cst.FunctionDef) -> list[tuple[cst.Call, cst.FunctionDef | None]]:
        sites = self.index.call_sites
        cls = self.class_of(fn)
        if cls is not None and fn.name.value == "__init__":
            return sites.get(cls.name.value, [])  # ``Repo("users")``
        key = f"self.{fn.name.value}" if cls is not None else fn.name.value
        return sites.get(key, [])

    def shape_of_returns(self, fn: cst.FunctionDef) -> Shape:
        """What ``fn`` returns when called from another module with unknown arguments."""
        base = self.scope(fn)
        bindings = {}
        for pname in base.flow.params:
            param = _find_param(fn, pname)
            if pname not in ("self", "cls"):
                safe = param is not None and _safe_annotation(param.annotation,
                                                              self.closed_types)
                bindings[pname] = SAFE if safe else PASSED_IN
        inner = Scope(base.flow, fn, base.class_def, bindings, base.guarded)
        return join([self.shape(r, inner) for r in base.flow.returns])

    # ------------------------------------------------------------------ other nodes
    def _subscript(self, expr: cst.Subscript, scope: Scope, budget: Budget,
                   seen: frozenset[str]) -> Shape:
        if request_input(expr, self.ctx.imports) or dotted_name(expr.value) in URL_KWARGS:
            return unsafe(request=True)
        base = expr.value
        if self.is_constant_collection(base) or dotted_name(base) in CONFIG_ROOTS:
            return SAFE  # a lookup in a fixed mapping yields one of its values
        base_shape = self.shape(base, scope, budget, seen)
        return replace(base_shape, built=False)

    def _attribute(self, expr: cst.Attribute, scope: Scope, budget: Budget,
                   seen: frozenset[str]) -> Shape:
        if request_input(expr, self.ctx.imports):
            return unsafe(request=True)
        attr = expr.attr.value
        if _is_constant_name(attr) or attr in IDENTIFIER_ATTRS:
            return SAFE
        dotted = dotted_name(expr) or ""
        if any(dotted == r or dotted.startswith(r + ".") for r in CONFIG_ROOTS):
            return SAFE
        qual = self.ctx.imports.qualname(expr.value)
        if qual is not None and (qual in REQUEST_GLOBALS or qual.startswith("flask.g")):
            return unsafe()
        if self.ctx.imports.qualname(expr) in OUTSIDE_INPUT or \
                self._command_line(expr.value, scope):
            return COMMAND_LINE  # ``sys.argv``, ``args.table`` of ``parser.parse_args()``
        root = expr.value
        if isinstance(root, cst.Name) and root.value in ("self", "cls"):
            return self._class_attribute(attr, scope, budget, seen)
        if isinstance(root, cst.Attribute) and _is_constant_name(root.attr.value) and \
                attr in ("value", "name"):
            return SAFE  # ``Status.ACTIVE.value``
        base = self.shape(root, scope, budget, seen)
        if base.safe:
            return SAFE  # a module, a constant object, a column of a model's table
        if base.request:
            return replace(base, built=False)  # a field of a request model or payload
        if base.params and not base.other and attr in ("value", "name"):
            return base  # ``status.value`` of an enumeration parameter: its callers decide
        if attr in PRIMARY_KEYS:
            return SAFE  # ``user.id`` of a record: a number or a UUID, not text
        return unsafe()

    def _command_line(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """``args`` of ``args = parser.parse_args()``."""
        if not isinstance(expr, cst.Name):
            return False
        values = scope.flow.values_of(expr.value)
        return bool(values) and all(isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute)
                                    and v.func.attr.value in ARGUMENT_PARSING for v in values)

    def _class_attribute(self, attr: str, scope: Scope, budget: Budget,
                         seen: frozenset[str]) -> Shape:
        """``self.attr``: what the class body, or its methods' ``self.attr = ...``, assign."""
        cls = scope.class_def
        if cls is None or not isinstance(cls.body, cst.IndentedBlock) or \
                f"self.{attr}" in seen:
            return unsafe()
        seen = seen | {f"self.{attr}"}
        shapes: list[Shape] = []
        module_scope = self.scope(None)
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for target, value in _assignments(stmt):
                    if isinstance(target, cst.Name) and target.value == attr:
                        shapes.append(self.shape(value, module_scope, budget, seen))
            elif isinstance(stmt, cst.FunctionDef):
                method_scope = self.scope(stmt)
                for target, value in self.index.self_assignments.get(id(stmt), []):
                    if target == attr:
                        shapes.append(replace(self.shape(value, method_scope, budget, seen),
                                              built=False, raw_request=False))
        return join(shapes) if shapes else unsafe()

    def _call(self, call: cst.Call, scope: Scope, budget: Budget, seen: frozenset[str]) -> Shape:
        func = call.func
        name = last_name(func) or ""
        if name in COERCIONS or name in QUOTING:
            return SAFE
        if name in ARGUMENT_PARSING and isinstance(func, cst.Attribute):
            return COMMAND_LINE
        if name in ORM_COMPILED and isinstance(func, cst.Attribute):
            return SAFE  # Django's compiled SQL: values are placeholders, returned apart
        if name == "escape" and isinstance(func, cst.Attribute) and \
                (last_name(func.value) or "").lower().endswith(DB_ESCAPERS):
            return SAFE
        if name == "map" and len(call.args) == 2:
            mapper = last_name(call.args[0].value)
            if mapper in COERCIONS:
                return SAFE  # ``map(int, ids)``
            return self.shape(call.args[1].value, scope, budget, seen)
        coerced = get_arg(call, "type")
        if name in LOOKUPS and coerced is not None and last_name(coerced.value) in COERCIONS:
            return SAFE  # Werkzeug's ``request.args.get("page", 1, type=int)``
        if request_input(call, self.ctx.imports) or (
                name in LOOKUPS and isinstance(func, cst.Attribute)
                and dotted_name(func.value) in URL_KWARGS):
            return unsafe(request=True)
        qual = self.ctx.imports.qualname(func)
        dotted = dotted_name(func) or ""
        args = [a.value for a in call.args]
        if isinstance(func, cst.Attribute):
            receiver = func.value
            if name in ("format", "format_map"):
                return self._format(call, name, receiver, scope, budget, seen)
            if name == "join" and len(args) == 1 and call.args[0].keyword is None and \
                    not call.args[0].star:
                # ``str.join`` takes one iterable (SQLAlchemy's ``select.join`` takes more)
                return self._join(receiver, args[0], scope, budget, seen)
            if name in LOOKUPS:
                if self.is_constant_collection(receiver) or dotted_name(receiver) in CONFIG_ROOTS:
                    default = [self.shape(a, scope, budget, seen) for a in args[1:2]]
                    return join(default)
                if qual in CONFIG_CALLS or dotted in CONFIG_CALLS:
                    return SAFE
                if isinstance(receiver, cst.Name) and receiver.value not in \
                        self.ctx.imports.names:
                    # ``filters.get("status")`` on a local dict or payload
                    return replace(self.shape(receiver, scope, budget, seen), built=False)
        if qual in CONFIG_CALLS or dotted in CONFIG_CALLS:
            return SAFE
        if qual is not None and qual.startswith(("sqlalchemy", "django.db")):
            return SAFE  # an expression object; its own raw text is checked where it is made
        if name in PASS_THROUGH:
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            if isinstance(func, cst.Attribute) and name != "SQL":
                # ``x.strip()``, ``x.replace(a, b)``: the receiver, and what replaces
                parts = [self.shape(func.value, scope, budget, seen)]
                if name == "replace":
                    parts += [self.shape(a, scope, budget, seen) for a in positional[1:2]]
                return join(parts)
            return join([self.shape(a, scope, budget, seen) for a in positional[:1]])
        helper = self._local_helper(call, scope)
        if helper is not None:
            return self._helper_result(helper, call, scope, budget, seen)
        if qual is not None and not qual.startswith(("flask", "django", "fastapi")):
            return unsafe(reason_call=qual)
        return unsafe()

    def _format(self, call: cst.Call, method: str, receiver: cst.BaseExpression,
                scope: Scope, budget: Budget, seen: frozenset[str]) -> Shape:
        template = self.shape(receiver, scope, budget, seen)
        positional: list[Shape] = []
        keywords: dict[str, Shape] = {}
        rest: list[Shape] = []
        for arg in call.args:
            shape = self.shape(arg.value, scope, budget, seen)
            if method == "format_map" and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    key = string_value(element.key) if isinstance(
                        element, cst.DictElement) else None
                    if key is None:
                        rest.append(self.shape(element.value, scope, budget, seen))
                    else:
                        keywords[key] = self.shape(element.value, scope, budget, seen)
            elif arg.star or method == "format_map":
                rest.append(shape)
            elif arg.keyword is not None:
                keywords[arg.keyword.value] = shape
            else:
                positional.append(shape)
        parts = [*positional, *keywords.values(), *rest]
        pieces = None
        if template.pieces is not None:
            pieces = format_pieces(template.pieces, positional, keywords,
                                   join(rest) if rest else None)
        return compose([template, *parts], value_slot=template_value_slot(template.text),
                       pieces=pieces)

    def _percent(self, left: Shape, right_expr: cst.BaseExpression, right: Shape,
                 scope: Scope, budget: Budget, seen: frozenset[str]
                 ) -> tuple[str | Shape, ...] | None:
        """The pieces of ``template % args`` (see ``percent_pieces``)."""
        if left.pieces is None:
            return None
        args: list[Shape] | dict[str, Shape] | Shape = right
        if isinstance(right_expr, cst.Tuple) and not any(
                isinstance(e, cst.StarredElement) for e in right_expr.elements):
            args = [self.shape(e.value, scope, budget, seen) for e in right_expr.elements]
        elif isinstance(right_expr, cst.Dict):
            mapping: dict[str, Shape] = {}
            for element in right_expr.elements:
                key = string_value(element.key) if isinstance(element, cst.DictElement) \
                    else None
                if key is None:
                    return None
                mapping[key] = self.shape(element.value, scope, budget, seen)
            args = mapping
        return percent_pieces(left.pieces, args)

    def _join(self, receiver: cst.BaseExpression, iterable: cst.BaseExpression, scope: Scope,
              budget: Budget, seen: frozenset[str]) -> Shape:
        separator = self.shape(receiver, scope, budget, seen)
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)) and not any(
                isinstance(e, cst.StarredElement) for e in iterable.elements):
            items = [self.shape(e.value, scope, budget, seen) for e in iterable.elements]
            return compose([separator, *items], pieces=join_pieces(separator, items, None))
        element = self.shape(iterable, scope, budget, seen)
        return compose([separator, element], pieces=join_pieces(separator, None, element))

    @property
    def functions(self) -> ModuleFunctions:
        if self._functions is None:
            self._functions = ModuleFunctions(self.ctx.module)
        return self._functions

    def local_callee(self, call: cst.Call, cls: cst.ClassDef | None) -> Callee | None:
        """The module's function or method ``call`` runs (a constructor is not followed:
        ``__init__`` returns no text)."""
        callee = local_callee(call, self.functions, cls)
        return None if callee is None or callee.constructor else callee

    def _local_helper(self, call: cst.Call, scope: Scope) -> Callee | None:
        return self.local_callee(call, scope.class_def)

    def _helper_scope(self, helper: Callee, call: cst.Call, scope: Scope,
                      budget: Budget, seen: frozenset[str]) -> Scope:
        """The helper's scope with the caller's arguments bound to its parameters."""
        base = self.scope(helper.function)
        bindings: dict[str, Shape] = {}
        binding = bind_arguments(helper.function, call, helper.bound)
        for pname in base.flow.params:
            arg = binding.argument(pname)
            if arg is not None and pname not in ("self", "cls"):
                bindings[pname] = replace(self.shape(arg, scope, budget, seen), built=False)
        return Scope(base.flow, helper.function, base.class_def, bindings, base.guarded)

    def _helper_result(self, helper: Callee, call: cst.Call, scope: Scope,
                       budget: Budget, seen: frozenset[str]) -> Shape:
        if not budget.may_call or helper.function is scope.function:
            return unsafe()
        inner = self._helper_scope(helper, call, scope, budget, seen)
        if not inner.flow.returns:
            return SAFE
        called = budget.call()
        return join([self.shape(r, inner, called) for r in inner.flow.returns])


# ---------------------------------------------------------------------- helpers
def _assignments(
    stmt: cst.SimpleStatementLine,
) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    out: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            out += [(t.target, small.value) for t in small.targets]
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            out.append((small.target, small.value))
    return out


OUTSIDE_INPUT = frozenset({"sys.argv", "sys.stdin"})
ARGUMENT_PARSING = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args"})
# Command-line input: not a constant, and handed in from outside the program.
COMMAND_LINE = Shape(safe=False, other=True, passed_in=True)


def _is_constant_name(name: str) -> bool:
    letters = name.strip("_")
    return bool(letters) and letters.upper() == letters and any(c.isalpha() for c in letters)


def _with_guards(scope: Scope, names: set[str]) -> Scope:
    return Scope(scope.flow, scope.function, scope.class_def, scope.bindings,
                 scope.guarded | names, scope.locals)


def _mentions(expr: cst.BaseExpression, name: str) -> bool:
    """Does ``expr`` read the local ``name`` (outside nested functions)?"""
    found = False

    class _Reads(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or node.value == name

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    expr.visit(_Reads())
    return found


def _numeric_directives_only(fmt: cst.BaseExpression) -> bool:
    text = string_value(fmt)
    if text is None:
        return False
    directives = re.findall(r"%(?:\([^)]*\))?[-+ #0]*\d*(?:\.\d+)?([a-zA-Z%])", text)
    real = [d for d in directives if d != "%"]
    return bool(real) and all(d in "difeEgGxXo" for d in real)


def _find_param(fn: cst.FunctionDef, name: str) -> cst.Param | None:
    p = fn.params
    for param in (*p.posonly_params, *p.params, *p.kwonly_params):
        if param.name.value == name:
            return param
    return None


def _safe_annotation(annotation: cst.Annotation | None,
                     closed: frozenset[str] = frozenset()) -> bool:
    if annotation is None:
        return False
    return _safe_type(annotation.annotation, closed)


def _safe_type(node: cst.BaseExpression, closed: frozenset[str] = frozenset()) -> bool:
    """A type whose values cannot carry SQL text: numbers, dates, ``Literal``, this
    module's closed types (``closed``: ``Literal`` aliases, enumerations), and unions,
    ``Optional`` and ``Annotated`` of them."""
    return is_closed_type(node, SAFE_ANNOTATIONS | closed)


def annotation_name(annotation: cst.Annotation | None) -> str | None:
    """The plain name a parameter is annotated with (``CountField``, ``Optional[Sort]``
    gives ``Sort``): another module may define it as a closed type."""
    if annotation is None:
        return None
    node = annotation.annotation
    if isinstance(node, cst.Subscript) and last_name(node.value) in ("Optional",
                                                                     "Annotated"):
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        node = elements[0] if elements else node
    if isinstance(node, cst.BinaryOperation) and _is_none(node.right):
        node = node.left
    return last_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


@dataclass
class ModuleIndex:
    """What the checks need about every function of a module, from one walk of it."""

    # Calls by callee as written (``helper``, ``self.helper``, ``Repo``), with the caller.
    call_sites: dict[str, list[tuple[cst.Call, cst.FunctionDef | None]]] = field(
        default_factory=dict)
    # Calls made directly in each function (keyed by id), nested functions excluded.
    calls_in: dict[int, list[cst.Call]] = field(default_factory=dict)
    # ``self.x = value`` in each method (keyed by id).
    self_assignments: dict[int, list[tuple[str, cst.BaseExpression]]] = field(
        default_factory=dict)
    # if/while/assert/comprehension tests of each function (keyed by id; 0 is the module).
    tests: dict[int, list[cst.BaseExpression]] = field(default_factory=dict)


def index_module(module: cst.Module) -> ModuleIndex:
    index = ModuleIndex()
    stack: list[cst.FunctionDef] = []

    def key() -> int:
        return id(stack[-1]) if stack else 0

    class _Index(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            stack.append(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            stack.pop()

        def visit_Call(self, node: cst.Call) -> None:
            index.calls_in.setdefault(key(), []).append(node)
            callee = dotted_name(node.func)
            if callee is not None:
                if callee.startswith("cls."):
                    callee = "self." + callee[4:]
                index.call_sites.setdefault(callee, []).append(
                    (node, stack[-1] if stack else None))

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            if not stack:
                return
            for target, value in _assignments(node):
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                        and target.value.value == "self":
                    index.self_assignments.setdefault(key(), []).append(
                        (target.attr.value, value))

        def visit_If(self, node: cst.If) -> None:
            index.tests.setdefault(key(), []).append(node.test)

        def visit_While(self, node: cst.While) -> None:
            index.tests.setdefault(key(), []).append(node.test)

        def visit_Assert(self, node: cst.Assert) -> None:
            index.tests.setdefault(key(), []).append(node.test)

        def visit_CompIf(self, node: cst.CompIf) -> None:
            index.tests.setdefault(key(), []).append(node.test)

    walk(module, _Index())
    return index
