"""What a value that ends up in SQL text is made of: literal, safe, or chosen by someone.

``SqlValues`` is a domain of the evaluator's value walk (flow/fold.py): the walk
resolves local names in source order (``q = "..."; q += f"..."`` grows the text, an
optional clause read as taken), appended clause lists, same-module helpers with the
caller's arguments bound, ``self`` fields and module-level names; this module says what
each expression builds (f-strings, ``%``, ``format``, ``+``, ``join``, comprehensions,
conditional expressions, calls it knows) and what a parameter, a global or a name
vetted against a constant allow-list is. A value is *built* from a part that is
neither a literal nor a constant nor otherwise safe (an int, a value picked from a
constant allow-list, a quoted identifier); whether such a part comes from the client
sets the confidence of a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import libcst as cst

from backend_audit.appmodel.closed_types import (
    is_allow_list,
    is_closed_type,
    is_constant_name,
    is_fixed_collection,
    module_closed_types,
)
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import walk
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    SELF_NAMES,
    Callee,
    find_param,
    local_callee,
    param_index,
)
from backend_audit.flow.fold import Walk, start
from backend_audit.flow.locals import checked_in_test
from backend_audit.flow.taint import module_indexes
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


class SqlValues:
    """The SQL shape of values in one module (one instance per module context): a
    ``Domain`` of the evaluator's value walk (flow/fold.py). The walk resolves names,
    parameters bound by a followed call, the module's helpers and ``self`` fields; this
    class says what each expression builds and what a parameter, a global or a guarded
    name is for SQL."""

    unknown = unsafe()
    nothing = SAFE
    number = SAFE

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self._index: ModuleIndex | None = None
        self._param_cache: dict[tuple[int, str], Shape] = {}
        self._active_params: set[tuple[int, str]] = set()
        self.closed_types = module_closed_types(ctx.module)

    # ------------------------------------------------------------------ walks
    def current_scope(self) -> Walk[Shape]:
        """The walk the traversal is in: the innermost function, else the module."""
        return self.scope(self.ctx.current_function)

    def scope(self, function: cst.FunctionDef | None) -> Walk[Shape]:
        """The walk of ``function``; ``None`` is the module body."""
        return start(self.ctx, self, function)

    @property
    def index(self) -> ModuleIndex:
        if self._index is None:
            self._index = index_module(self.ctx.module)
        return self._index

    def guards(self, walk: Walk[Shape]) -> frozenset[str]:
        """Names a function checks against a constant allow-list (flow-insensitively)."""
        found: set[str] = set()
        key = id(walk.function) if walk.function is not None else 0
        for test in self.index.tests.get(key, []):
            found |= checked_in_test(test, self.is_allow_list)
        return frozenset(found)

    def class_of(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        return self.scope(function).class_def

    def owner(self, function: cst.FunctionDef | None) -> cst.ClassDef | None:
        """The class ``function`` is a method of (its walk's ``class_def``), without
        building the walk."""
        return module_indexes(self.ctx).functions.owner(function) \
            if function is not None else None

    def local_callee(self, call: cst.Call, cls: cst.ClassDef | None) -> Callee | None:
        """The module's function or method ``call`` runs (a constructor is not followed:
        ``__init__`` returns no text)."""
        callee = local_callee(call, self.ctx.functions, cls)
        return None if callee is None or callee.constructor else callee

    # ------------------------------------------------------------------ constants
    def is_constant_collection(self, expr: cst.BaseExpression) -> bool:
        """A collection fixed by the code (``is_fixed_collection``; a module-level name
        read by what the module assigns it): a lookup in it yields one of its values."""
        return is_fixed_collection(expr, self.ctx.flow(self.ctx.module).values_of)

    def is_allow_list(self, expr: cst.BaseExpression) -> bool:
        """One that is not a deny-list (``is_allow_list``): a value tested against it is
        held to its items."""
        return is_allow_list(expr, self.ctx.flow(self.ctx.module).values_of)

    # ------------------------------------------------------------------ questions
    def shape(self, expr: cst.BaseExpression, scope: Walk[Shape] | None = None,
              budget: Budget | None = None) -> Shape:
        """What ``expr`` is made of. ``budget``: where the question stands (None starts
        one); past it the rest counts as unknown (never as safe)."""
        walk = scope or self.current_scope()
        return walk.with_budget(Budget() if budget is None else budget).value(expr)

    def statement(self, expr: cst.BaseExpression, scope: Walk[Shape],
                  whole: bool = True) -> Shape:
        """The shape of the SQL text a call runs, read by the SQL parser (``seal``):
        ``whole``, the text is a statement. A name given one of several statements
        (``if ...: sql = "DESCRIBE ..." else: sql = "DESCRIBE ..."``) has each read as a
        whole statement."""
        if whole and isinstance(expr, cst.Name) and expr.value not in scope.guarded and \
                expr.value not in scope.locals:
            name = expr.value
            defs, entry = scope.reaching(name, expr)
            if len(defs) > 1 and not (entry and name in scope.flow.params) and \
                    not scope.flow.items_of(name) and \
                    not scope.flow.is_augmented(name) and \
                    not any(_mentions(d.value, name) for d in defs):
                walk = scope.with_budget(Budget())
                return join([seal(walk.definition(name, d.value), statement=True)
                             for d in defs])
        return seal(self.shape(expr, scope), whole)

    def shape_of_returns(self, fn: cst.FunctionDef) -> Shape:
        """What ``fn`` returns when called from another module with unknown arguments."""
        walk = self.scope(fn)
        bindings = {}
        for pname in walk.flow.params:
            param = find_param(fn, pname)
            if pname not in SELF_NAMES:
                safe = param is not None and _safe_annotation(param.annotation,
                                                              self.closed_types)
                bindings[pname] = SAFE if safe else PASSED_IN
        inner = walk.with_bindings(bindings)
        return join([self.shape(r, inner) for r in walk.flow.returns])

    # ------------------------------------------------------------------ the domain
    def join(self, values: list[Shape]) -> Shape:
        return join(values)

    def grow(self, before: Shape, added: Shape) -> Shape:
        return compose([before, added], pieces=concat(pieces_of(before), pieces_of(added)))

    def bound(self, value: Shape) -> Shape:
        return replace(value, built=False)

    def build(self, expr: cst.BaseExpression, walk: Walk[Shape]) -> Shape:
        s = string_value(expr)
        if s is not None:
            return Shape(text=s, pieces=(s,))
        if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)):
            return SAFE
        if isinstance(expr, cst.FormattedString):
            text = "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
            parts, before, slot = [], "", False
            groups: list[tuple[str | Shape, ...] | None] = []
            for p in expr.parts:
                if isinstance(p, cst.FormattedStringText):
                    before += p.value
                    groups.append((p.value,))
                    continue
                part = self._fstring_part(p, walk)
                slot |= not part.safe and in_value_slot(before) and not binds_only(part)
                parts.append(part)
                groups.append(pieces_of(part))
                before = ""
            return compose(parts, text, slot, pieces=concat(*groups))
        if isinstance(expr, cst.ConcatenatedString):
            left = walk.value(expr.left)
            right = walk.value(expr.right)
            return compose([left, right], pieces=concat(pieces_of(left), pieces_of(right)))
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, walk)
        if isinstance(expr, cst.Name):
            if expr.value in walk.guarded or expr.value in ("None", "True", "False"):
                return SAFE
            return walk.name(expr.value, expr)
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            return join([walk.value(e.value) for e in expr.elements])
        if isinstance(expr, cst.Dict):
            out = []
            for e in expr.elements:
                if isinstance(e, cst.DictElement):
                    out += [walk.value(e.key), walk.value(e.value)]
                else:
                    out.append(walk.value(e.value))
            return join(out)
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self._comprehension(expr, expr.elt, walk)
        if isinstance(expr, cst.DictComp):
            return join([self._comprehension(expr, expr.key, walk),
                         self._comprehension(expr, expr.value, walk)])
        if isinstance(expr, cst.IfExp):
            checked = checked_in_test(expr.test, self.is_allow_list)
            body = walk.with_guards(checked) if checked else walk
            return join([body.value(expr.body), walk.value(expr.orelse)])
        if isinstance(expr, cst.BooleanOperation):
            return join([walk.value(expr.left), walk.value(expr.right)])
        if isinstance(expr, (cst.Await, cst.StarredElement)):
            inner = expr.expression if isinstance(expr, cst.Await) else expr.value
            return walk.value(inner)
        if isinstance(expr, (cst.Comparison, cst.UnaryOperation)):
            return SAFE  # booleans and negated numbers
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, walk)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, walk)
        if isinstance(expr, cst.Call):
            return self._call(expr, walk)
        if isinstance(expr, cst.NamedExpr):
            return walk.value(expr.value)
        return unsafe()

    def _fstring_part(self, part: cst.FormattedStringExpression, walk: Walk[Shape]) -> Shape:
        spec = "".join(p.value for p in (part.format_spec or [])
                       if isinstance(p, cst.FormattedStringText))
        if spec and spec[-1] in "dfieEgGxXob%":
            return SAFE  # ``{limit:d}`` raises on anything but a number
        return walk.value(part.expression)

    def _binary(self, expr: cst.BinaryOperation, walk: Walk[Shape]) -> Shape:
        op = expr.operator
        if isinstance(op, cst.Multiply):
            # ``"?" * len(ids)`` / ``["%s"] * n``: the count cannot add text.
            for side in (expr.left, expr.right):
                if isinstance(side, (cst.SimpleString, cst.List, cst.Tuple)):
                    return walk.value(side)
            return SAFE
        if isinstance(op, cst.Modulo):
            left = walk.value(expr.left)
            if not left.text and not left.built:
                return SAFE  # arithmetic
            if _numeric_directives_only(expr.left):
                return left
            right = walk.value(expr.right)
            return compose([left, right], value_slot=template_value_slot(left.text),
                           pieces=self._percent(left, expr.right, right, walk))
        if isinstance(op, cst.Add):
            left = walk.value(expr.left)
            right = walk.value(expr.right)
            if not (left.text or right.text or left.built or right.built):
                return join([left, right])  # perhaps numbers; nothing string-like seen
            return compose([left, right], value_slot=not right.safe and in_value_slot(left.text),
                           pieces=concat(pieces_of(left), pieces_of(right)))
        return SAFE  # other arithmetic yields numbers

    def _comprehension(self, comp: cst.BaseExpression, elt: cst.BaseExpression,
                       walk: Walk[Shape]) -> Shape:
        # Each ``for`` binds its targets for this comprehension only; ``if`` filters guard.
        inner = walk
        node = comp.for_in  # type: ignore[attr-defined]
        while node is not None:
            bound: dict[str, Shape] = {}
            targets = node.target.elements if isinstance(node.target, cst.Tuple) else \
                [cst.Element(node.target)]
            iterable = inner.value(node.iter)
            numbered = isinstance(node.iter, cst.Call) and last_name(node.iter.func) in (
                "range", "enumerate")
            for index, element in enumerate(targets):
                if isinstance(element.value, cst.Name):
                    numeric = numbered and (index == 0 or last_name(node.iter.func) == "range")
                    bound[element.value.value] = SAFE if numeric else replace(
                        iterable, built=False)
            inner = inner.with_locals(bound)
            checked: set[str] = set()
            for cond in node.ifs:
                checked |= checked_in_test(cond.test, self.is_allow_list)
            if checked:
                inner = inner.with_guards(checked)
            node = node.inner_for_in
        return inner.value(elt)

    def free(self, name: str, walk: Walk[Shape]) -> Shape:
        """A name the function never assigns: a constant, an import, a module-level
        value, a function, or a closure's free variable."""
        module = walk.at(None, walk.budget)
        if is_constant_name(name):
            # Safe whatever it holds; its text still tells whether a template is SQL.
            if walk.function is not None and module.flow.values_of(name):
                held = module.name(name, None)
                known = held.pieces is not None and all(
                    isinstance(p, str) or p.safe for p in held.pieces)
                return Shape(text=held.text, pieces=held.pieces if known else None)
            return SAFE
        qual = self.ctx.imports.names.get(name)
        if qual is not None:
            return unsafe() if qual in REQUEST_GLOBALS else SAFE
        if walk.function is None:
            return unsafe()
        if module.flow.values_of(name):
            return module.name(name, None)
        if name in self.ctx.module_functions:
            return SAFE  # a function object
        return PASSED_IN  # a free variable: a closure's enclosing parameter, say

    # ------------------------------------------------------------------ parameters
    def param(self, name: str, walk: Walk[Shape]) -> Shape:
        fn = walk.function
        if fn is None:
            return unsafe()
        param = find_param(fn, name)
        if param is not None and _safe_annotation(param.annotation, self.closed_types):
            return SAFE
        if name in SELF_NAMES:
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
            result = self._param_from_callers(fn, name, walk)
        finally:
            self._active_params.discard(key)
        self._param_cache[key] = result
        return result

    def _param_from_callers(self, fn: cst.FunctionDef, name: str, walk: Walk[Shape]) -> Shape:
        """A helper's parameter is what its same-module callers pass (if there are any)."""
        sites = self.call_sites(fn)
        bound = walk.class_def is not None
        index = param_index(fn, name, bound)
        if not sites and not bound and fn in self.ctx.module_functions.values():
            param = find_param(fn, name)
            typed = annotation_name(param.annotation) if param is not None else None
            key = f"{fn.name.value}|{name}|{index}|{typed or ''}"
            return Shape(safe=False, params=frozenset({key}), passed_in=True)
        if not sites or fn.name.value.startswith("__") and fn.name.value != "__init__":
            return PASSED_IN
        shapes = []
        for call, caller in sites:
            arg = get_arg(call, name, index)
            if arg is None:
                p = find_param(fn, name)
                if p is not None and p.default is not None:
                    shapes.append(self.shape(p.default, self.scope(fn)))
                    continue
                return PASSED_IN  # passed through *args/**kwargs: cannot tell
            shapes.append(self.shape(arg.value, self.scope(caller)))
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

    # ------------------------------------------------------------------ other nodes
    def _subscript(self, expr: cst.Subscript, walk: Walk[Shape]) -> Shape:
        if request_input(expr, self.ctx.imports) or dotted_name(expr.value) in URL_KWARGS:
            return unsafe(request=True)
        base = expr.value
        if self.is_constant_collection(base) or dotted_name(base) in CONFIG_ROOTS:
            return SAFE  # a lookup in a fixed mapping yields one of its values
        return replace(walk.value(base), built=False)

    def _attribute(self, expr: cst.Attribute, walk: Walk[Shape]) -> Shape:
        if request_input(expr, self.ctx.imports):
            return unsafe(request=True)
        attr = expr.attr.value
        if is_constant_name(attr) or attr in IDENTIFIER_ATTRS:
            return SAFE
        dotted = dotted_name(expr) or ""
        if any(dotted == r or dotted.startswith(r + ".") for r in CONFIG_ROOTS):
            return SAFE
        qual = self.ctx.imports.qualname(expr.value)
        if qual is not None and (qual in REQUEST_GLOBALS or qual.startswith("flask.g")):
            return unsafe()
        if self.ctx.imports.qualname(expr) in OUTSIDE_INPUT or \
                _command_line(expr.value, walk):
            return COMMAND_LINE  # ``sys.argv``, ``args.table`` of ``parser.parse_args()``
        root = expr.value
        if isinstance(root, cst.Name) and root.value in SELF_NAMES:
            body, stored = walk.class_field(attr)
            shapes = body + [replace(s, built=False, raw_request=False) for s in stored]
            return join(shapes) if shapes else unsafe()
        if isinstance(root, cst.Attribute) and is_constant_name(root.attr.value) and \
                attr in ("value", "name"):
            return SAFE  # ``Status.ACTIVE.value``
        base = walk.value(root)
        if base.safe:
            return SAFE  # a module, a constant object, a column of a model's table
        if base.request:
            return replace(base, built=False)  # a field of a request model or payload
        if base.params and not base.other and attr in ("value", "name"):
            return base  # ``status.value`` of an enumeration parameter: its callers decide
        if attr in PRIMARY_KEYS:
            return SAFE  # ``user.id`` of a record: a number or a UUID, not text
        return unsafe()

    def _call(self, call: cst.Call, walk: Walk[Shape]) -> Shape:
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
            return walk.value(call.args[1].value)
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
                return self._format(call, name, receiver, walk)
            if name == "join" and len(args) == 1 and call.args[0].keyword is None and \
                    not call.args[0].star:
                # ``str.join`` takes one iterable (SQLAlchemy's ``select.join`` takes more)
                return self._join(receiver, args[0], walk)
            if name in LOOKUPS:
                if self.is_constant_collection(receiver) or dotted_name(receiver) in CONFIG_ROOTS:
                    return join([walk.value(a) for a in args[1:2]])
                if qual in CONFIG_CALLS or dotted in CONFIG_CALLS:
                    return SAFE
                if isinstance(receiver, cst.Name) and receiver.value not in \
                        self.ctx.imports.names:
                    # ``filters.get("status")`` on a local dict or payload
                    return replace(walk.value(receiver), built=False)
        if qual in CONFIG_CALLS or dotted in CONFIG_CALLS:
            return SAFE
        if qual is not None and qual.startswith(("sqlalchemy", "django.db")):
            return SAFE  # an expression object; its own raw text is checked where it is made
        if name in PASS_THROUGH:
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            if isinstance(func, cst.Attribute) and name != "SQL":
                # ``x.strip()``, ``x.replace(a, b)``: the receiver, and what replaces
                parts = [walk.value(func.value)]
                if name == "replace":
                    parts += [walk.value(a) for a in positional[1:2]]
                return join(parts)
            return join([walk.value(a) for a in positional[:1]])
        callee = walk.callee(call)
        if callee is not None:
            return walk.returns(callee, call)
        if qual is not None and not qual.startswith(("flask", "django", "fastapi")):
            return unsafe(reason_call=qual)
        return unsafe()

    def _format(self, call: cst.Call, method: str, receiver: cst.BaseExpression,
                walk: Walk[Shape]) -> Shape:
        template = walk.value(receiver)
        positional: list[Shape] = []
        keywords: dict[str, Shape] = {}
        rest: list[Shape] = []
        for arg in call.args:
            shape = walk.value(arg.value)
            if method == "format_map" and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    key = string_value(element.key) if isinstance(
                        element, cst.DictElement) else None
                    if key is None:
                        rest.append(walk.value(element.value))
                    else:
                        keywords[key] = walk.value(element.value)
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
                 walk: Walk[Shape]) -> tuple[str | Shape, ...] | None:
        """The pieces of ``template % args`` (see ``percent_pieces``)."""
        if left.pieces is None:
            return None
        args: list[Shape] | dict[str, Shape] | Shape = right
        if isinstance(right_expr, cst.Tuple) and not any(
                isinstance(e, cst.StarredElement) for e in right_expr.elements):
            args = [walk.value(e.value) for e in right_expr.elements]
        elif isinstance(right_expr, cst.Dict):
            mapping: dict[str, Shape] = {}
            for element in right_expr.elements:
                key = string_value(element.key) if isinstance(element, cst.DictElement) \
                    else None
                if key is None:
                    return None
                mapping[key] = walk.value(element.value)
            args = mapping
        return percent_pieces(left.pieces, args)

    def _join(self, receiver: cst.BaseExpression, iterable: cst.BaseExpression,
              walk: Walk[Shape]) -> Shape:
        separator = walk.value(receiver)
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)) and not any(
                isinstance(e, cst.StarredElement) for e in iterable.elements):
            items = [walk.value(e.value) for e in iterable.elements]
            return compose([separator, *items], pieces=join_pieces(separator, items, None))
        element = walk.value(iterable)
        return compose([separator, element], pieces=join_pieces(separator, None, element))


def _command_line(expr: cst.BaseExpression, walk: Walk[Shape]) -> bool:
    """``args`` of ``args = parser.parse_args()``."""
    if not isinstance(expr, cst.Name):
        return False
    values = walk.flow.values_of(expr.value)
    return bool(values) and all(isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute)
                                and v.func.attr.value in ARGUMENT_PARSING for v in values)


# ---------------------------------------------------------------------- helpers
OUTSIDE_INPUT = frozenset({"sys.argv", "sys.stdin"})
ARGUMENT_PARSING = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args"})
# Command-line input: not a constant, and handed in from outside the program.
COMMAND_LINE = Shape(safe=False, other=True, passed_in=True)


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
