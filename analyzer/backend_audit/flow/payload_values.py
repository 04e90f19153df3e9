"""Payload values: which client payloads a value carries, on the evaluator's value walk.

Defines no rule. ``PayloadValues`` is a ``Domain`` of flow/fold.py (the walk the SQL
text shapes use): the walk resolves local names in source order (reaching definitions,
dead branches skipped, ``s += x`` grown, ``a, b = f()`` one element, ``append``ed
items), parameters a followed call binds and the module's functions; this module says
what each expression carries. A value is a set of ``(key, whole)``: the payload key
(``body``, ``form``, ``query``, ``path``, a handler parameter's ``param:<name>``) and
whether it is the whole payload or a part of it. A field read by a literal name gets its
own key (``query#sort``), so evidence about one field does not clear its siblings.

Sources (read from the request, appmodel/requests.py; Flask-RESTX's ``ns.payload``;
the parameters a ``PayloadFlow`` names, bound on its walk) and propagators (field
reads, string building, decoders, containers, query expressions, objects built from
fields) are below; type conversions, mapping lookups and validator calls carry nothing.
What a validator is and what a class is come from flow/payload.py (``Judge``), which
also answers for a helper that reads the request itself whether it validates it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.appmodel.requests import (
    FIELD_READERS,
    REQUEST_READERS,
    TORNADO_READERS,
    request_input,
)
from backend_audit.appmodel.routes import typed_path_params
from backend_audit.flow import payload_vocab as V
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import Callee, is_capword
from backend_audit.flow.fold import Walk, start
from backend_audit.flow.locals import is_literal, string_parts
from backend_audit.flow.payload_shapes import (
    comp_fors,
    comp_tests,
    function_body,
)
from backend_audit.flow.reaching import Definition

# (payload key, is the whole payload); see the module docstring.
Taint = frozenset[tuple[str, bool]]
EMPTY: Taint = frozenset()

RESTX_PACKAGES = ("flask_restx", "flask_restplus")


def field_of(t: Taint, name: str | None = None) -> Taint:
    """A part of what ``t`` carries (``name``: the field read by that literal name)."""
    return frozenset((f"{k}#{name}" if whole and name and "#" not in k else k, False)
                     for k, whole in t)


def whole(key: str) -> Taint:
    return frozenset({(key, True)})


def literal_key(node: cst.BaseExpression | None) -> str | None:
    value = string_value(node) if node is not None else None
    return value if value and value.isidentifier() else None


def field_receiver(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """What ``expr`` reads one field of, as the domain reads it: ``data`` for
    ``data["x"]``, ``data.get("x")``, ``data.pop("x", None)``; None for anything else."""
    if isinstance(expr, cst.Subscript):
        return expr.value
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in V.FIELD_METHODS:
        return expr.func.value
    return None


def is_third_party(qual: str) -> bool:
    return qual.split(".")[0] in V.THIRD_PARTY_OTHER


@dataclass(frozen=True)
class Judge:
    """What flow/payload.py answers for the walk: is ``call`` a validator (seen from the
    walk it is read in), is ``func`` a model class, and what does a helper that reads
    the request itself return (nothing when it validates what it reads)."""

    validator_call: Callable[[cst.Call, Walk[Taint]], bool]
    model_class: Callable[[cst.BaseExpression], bool]
    helper_returns: Callable[[cst.FunctionDef, Walk[Taint]], Taint]


@dataclass
class PayloadValues:
    """The payload domain of one module context (see the module docstring)."""

    ctx: ModuleContext
    judge: Judge
    unknown: Taint = EMPTY
    nothing: Taint = EMPTY
    number: Taint = EMPTY
    _returned: dict[tuple[int, int], Taint] = field(default_factory=dict)

    def walk(self, fn: cst.FunctionDef) -> Walk[Taint]:
        return start(self.ctx, self, fn)

    # ------------------------------------------------------------------ Domain
    def join(self, values: list[Taint]) -> Taint:
        return frozenset().union(*values)

    def grow(self, before: Taint, added: Taint) -> Taint:
        return before | added

    def bound(self, value: Taint) -> Taint:
        return value

    def param(self, name: str, walk: Walk[Taint]) -> Taint:
        return EMPTY  # the parameters a flow treats as payloads are bound on its walk

    def free(self, name: str, walk: Walk[Taint]) -> Taint:
        return EMPTY

    def guards(self, walk: Walk[Taint]) -> frozenset[str]:
        return frozenset()  # evidence is the flow's question (flow/payload.py), not the walk's

    def build(self, expr: cst.BaseExpression, walk: Walk[Taint]) -> Taint:
        # Read inside a name's definitions (a path), the walk keeps no answers; one the
        # function's own walk found whole is the value there too (a cycle's cut only
        # ever gives less).
        if walk.path and not walk.locals:
            kept = walk.kept if walk.kept is not None else walk.state.answers \
                if walk.bindings is None and walk.budget.calls == 0 else None
            found = kept.get((id(expr), id(walk.function))) if kept else None
            if found is not None:
                return found
        if isinstance(expr, cst.Name):
            return self._name(expr, walk)
        if isinstance(expr, (cst.Await, cst.NamedExpr)):
            return walk.value(expr.expression if isinstance(expr, cst.Await) else expr.value)
        if isinstance(expr, cst.Attribute):
            if is_restx_payload(expr, walk):
                return whole("body")
            kind = request_input(expr, self.ctx.imports)
            if kind is not None and not _bottle_field(expr, self.ctx):
                return whole(kind) if kind in V.PAYLOAD_KINDS else EMPTY
            return field_of(walk.value(expr.value), expr.attr.value)
        if isinstance(expr, cst.Subscript):
            index = expr.slice[0].slice if len(expr.slice) == 1 else None
            name = literal_key(index.value) if isinstance(index, cst.Index) else None
            return self._field(walk.value(expr.value), name, walk)
        if isinstance(expr, cst.Comparison):
            # ``User.email == email`` inside ``.where()``/``.filter()`` carries the value;
            # ``flag == "on"`` against literals is a plain boolean.
            operands = [expr.left, *(c.comparator for c in expr.comparisons)]
            values = [walk.value(o) for o in operands]
            if all(is_literal(o) or v for o, v in zip(operands, values, strict=True)):
                return EMPTY
            return field_of(self.join(values))
        if isinstance(expr, cst.Call):
            return self._call(expr, walk)
        if isinstance(expr, cst.Dict):
            out: set[tuple[str, bool]] = set()
            for el in expr.elements:
                if isinstance(el, cst.StarredDictElement):
                    out |= walk.value(el.value)
                else:
                    out |= field_of(walk.value(el.value))
            return frozenset(out)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return self.join([walk.value(el.value) for el in expr.elements])
        if isinstance(expr, cst.BinaryOperation):
            both = walk.value(expr.left) | walk.value(expr.right)
            return both if isinstance(expr.operator, cst.BitOr) else field_of(both)
        if isinstance(expr, cst.FormattedString):
            return field_of(self.join([walk.value(p.expression) for p in expr.parts
                                       if isinstance(p, cst.FormattedStringExpression)]))
        if isinstance(expr, cst.BooleanOperation):
            return walk.value(expr.left) | walk.value(expr.right)
        if isinstance(expr, cst.IfExp):
            return walk.value(expr.body) | walk.value(expr.orelse)
        if isinstance(expr, cst.DictComp):
            if comp_tests(expr.for_in, expr.value):
                return EMPTY  # each value checked (``if v in ALLOWED``, ``isinstance``)
            if any(f.ifs for f in comp_fors(expr.for_in)):
                # Keys filtered against an allow-list: no mass assignment, but the
                # values are still whatever the client sent.
                return field_of(walk.value(expr.value))
            return walk.value(expr.key) | walk.value(expr.value)
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            if comp_tests(expr.for_in, expr.elt):
                return EMPTY
            return walk.value(expr.elt)
        return EMPTY

    def _field(self, receiver: Taint, name: str | None, walk: Walk[Taint]) -> Taint:
        """Field ``name`` of ``receiver``; ``request.view_args["id"]`` under a route whose
        template says ``<int:id>`` holds a number the router already parsed."""
        found = field_of(receiver, name)
        if name and ("path", True) in receiver and walk.function is not None:
            route = self.ctx.routes.route_for(walk.function)
            if route is not None and name in typed_path_params(route.path):
                found -= {(f"path#{name}", False)}
        return found

    def _name(self, expr: cst.Name, walk: Walk[Taint]) -> Taint:
        """The walk's reaching values, and what ``d.update(x)`` / ``d["k"] = x`` put into
        the name before the read, since its last plain assignment (flow/reaching.py: a
        stored item is a field of it)."""
        found = walk.name(expr.value, expr)
        if walk.function is None:
            return found
        extras = function_body(self.ctx, walk.function).extras.get(expr.value)
        if not extras:
            return found
        # The scope's definitions of the name that reach the read: plain assignments
        # replace earlier values, stores add to them, dead branches are left out; a store
        # the scope does not list (``d.update(**x)``) takes effect where it is written.
        scope = walk.scope
        known = {id(v) for v in walk.flow.values_of(expr.value)} | {id(v) for v, _ in extras}
        defs = [d for d in scope.definitions(expr.value) if id(d.value) in known]
        stores = {id(v) for v in scope.mutations.get(expr.value, ())}
        defs += [Definition(v, scope.end(v), None) for v, _ in extras if id(v) not in stores]
        reached = {id(d.value) for d in scope.reaching(defs, expr)[0]}
        for value, item in extras:
            if id(value) in reached:
                found |= field_of(walk.value(value)) if item else walk.value(value)
        return found

    def _args(self, call: cst.Call, walk: Walk[Taint]) -> Taint:
        return self.join([walk.value(a.value) for a in call.args])

    def _call(self, call: cst.Call, walk: Walk[Taint]) -> Taint:
        func = call.func
        name = last_name(func)
        qual = self.ctx.imported_callee(func) or ""
        if isinstance(func, cst.Attribute) and (name in REQUEST_READERS or
                                                name in TORNADO_READERS):
            kind = request_input(call, self.ctx.imports)
            if kind is not None:
                if kind not in V.PAYLOAD_KINDS:
                    return EMPTY
                if name in FIELD_READERS:  # ``req.get_param("q")``: one named field
                    return field_of(whole(kind),
                                    literal_key(call.args[0].value if call.args else None))
                return whole(kind)
        if name in V.CONVERTERS or get_arg(call, "type") is not None or \
                self.judge.validator_call(call, walk):
            return EMPTY
        if isinstance(func, cst.Attribute):
            method = self._method(call, func, name, walk)
            if method is not None:
                return method
        if qual in V.LOADERS or (isinstance(func, cst.Name) and func.value in V.PASS_FUNCTIONS):
            return self._args(call, walk)
        if isinstance(func, cst.Name) and func.value in V.TEXT_FUNCTIONS:
            return field_of(self._args(call, walk))
        if qual.startswith(V.QUERY_BUILDER_MODULES):
            # ``text(sql)``, ``and_(...)``, ``func.lower(x)``: query pieces carry their values.
            return field_of(self._args(call, walk))
        if is_capword(name):
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if len(positional) == len(call.args) == 1 and not self.judge.model_class(func):
                # ``Status(value)``, ``ObjectId(value)``: a value type that parses its
                # one argument or raises.
                return EMPTY
            # An object built from raw fields (``StockItem(**row)``) carries them on.
            return field_of(self._args(call, walk))
        return self._helper(call, walk)

    def _method(self, call: cst.Call, func: cst.Attribute, name: str | None,
                walk: Walk[Taint]) -> Taint | None:
        """A method of a payload (or of a query expression) that hands it on."""
        receiver = walk.value(func.value)
        if field_receiver(call) is not None:
            first = call.args[0].value if call.args else None
            return self._field(receiver, literal_key(first), walk)
        if name in ("format", "format_map"):
            return field_of(receiver | self._args(call, walk))
        if name in V.TEXT_METHODS:
            return field_of(receiver)
        if not receiver and name in V.SQL_EXPR_METHODS:
            # ``Product.name.ilike(f"%{q}%")``, ``Order.status.in_(states)``
            return field_of(self._args(call, walk))
        if name in V.WHOLE_METHODS:
            return receiver
        if name == "join":
            return field_of(self._args(call, walk))
        return None

    def _helper(self, call: cst.Call, walk: Walk[Taint]) -> Taint:
        """``filters = read_filters(request)``: a function of the module that reads the
        request itself returns what it read, unless it validates it (its parameters,
        given nothing here, carry nothing: the same for every call). One given client
        values consumes them (its summary says where they go)."""
        callee: Callee | None = self.ctx.local_callee(call, walk.function)
        if callee is None or callee.constructor or not walk.budget.may_call or \
                self._args(call, walk):
            return EMPTY
        key = (id(callee.function), walk.budget.calls)
        found = self._returned.get(key)
        if found is None:
            self._returned[key] = EMPTY  # a helper reached again on its own path
            found = self._returned[key] = self.judge.helper_returns(callee.function, walk)
        return found


class TextCalls:
    """A third small domain on the same walk: the calls some text is built from in the
    walked function, each taken whole (names followed in source order, string building
    taken apart: ``+``, ``%``, f-strings, ``format``, ``join``, containers). Asked of
    the statement a runner is given, for the project helpers that build a clause of it
    (``"... WHERE " + where_clause(filters)``)."""

    unknown: frozenset[cst.Call] = frozenset()
    nothing: frozenset[cst.Call] = frozenset()
    number: frozenset[cst.Call] = frozenset()

    def build(self, node: cst.BaseExpression, walk: Walk[frozenset[cst.Call]]
              ) -> frozenset[cst.Call]:
        if isinstance(node, cst.Name):
            return walk.name(node.value, node)
        parts = string_parts(node)
        if parts == [node]:
            return frozenset({node}) if isinstance(node, cst.Call) else frozenset()
        return self.join([walk.value(part) for part in parts])

    def join(self, values: list[frozenset[cst.Call]]) -> frozenset[cst.Call]:
        return frozenset().union(*values)

    def grow(self, before: frozenset[cst.Call], added: frozenset[cst.Call]
             ) -> frozenset[cst.Call]:
        return before | added

    def bound(self, value: frozenset[cst.Call]) -> frozenset[cst.Call]:
        return value

    def param(self, name: str, walk: Walk[frozenset[cst.Call]]) -> frozenset[cst.Call]:
        return frozenset()

    def free(self, name: str, walk: Walk[frozenset[cst.Call]]) -> frozenset[cst.Call]:
        return frozenset()

    def guards(self, walk: Walk[frozenset[cst.Call]]) -> frozenset[str]:
        return frozenset()


def text_calls(ctx: ModuleContext, fn: cst.FunctionDef,
               expr: cst.BaseExpression) -> frozenset[cst.Call]:
    """The calls text ``expr`` (read in ``fn``) is built from (``TextCalls``)."""
    domain = ctx.__dict__.get("_payload_text_calls")
    if domain is None:
        domain = ctx.__dict__["_payload_text_calls"] = TextCalls()
    return start(ctx, domain, fn).with_budget(Budget()).value(expr)


def _bottle_field(expr: cst.Attribute, ctx: ModuleContext) -> bool:
    """``request.query.genre``: Bottle's FormsDict reads one field by attribute (other
    frameworks' payload attributes are methods: ``request.GET.urlencode``)."""
    inner = expr.value
    return isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Name) and \
        ctx.imported_callee(inner.value) == "bottle.request" and \
        request_input(inner, ctx.imports) is not None


def is_restx_payload(expr: cst.Attribute, walk: Walk[Taint]) -> bool:
    """``ns.payload`` / ``api.payload`` / ``self.api.payload``: Flask-RESTX's request body.
    The receiver must be a ``Namespace``/``Api`` this module builds, or (imported from the
    project) be used where Flask-RESTX is imported."""
    if expr.attr.value != "payload":
        return False
    ctx = walk.ctx
    owner = expr.value
    if isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name):
        return owner.value.value == "self" and owner.attr.value == "api" and \
            _uses_restx(ctx)
    if not isinstance(owner, cst.Name):
        return False
    made = walk.instance_class(owner)
    if made is not None and last_name(made) in ("Namespace", "Api") and \
            (ctx.imported_callee(made) or "").startswith(RESTX_PACKAGES):
        return True
    qual = ctx.imported_callee(owner)
    return qual is not None and not qual.startswith(RESTX_PACKAGES) and \
        not is_third_party(qual) and _uses_restx(ctx)


def _uses_restx(ctx: ModuleContext) -> bool:
    return any(q.startswith(RESTX_PACKAGES) for q in ctx.imports.names.values())
