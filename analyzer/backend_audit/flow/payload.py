"""Where does a handler's raw client input go, and is it validated on the way?

``PayloadFlow`` analyses one function. A *payload* is a read of client input
(``request.get_json()``, ``request.POST``, ``await request.json()``, a FastAPI
parameter typed ``dict``...) identified by a key (``body``, ``form``, ``query``,
``path`` or ``param:<name>``); a field read by a literal name gets its own key
(``query#sort``). Which payloads an expression carries is the evaluator's value walk
(flow/fold.py) read with the payload domain (flow/payload_values.py): local names in
source order, ``.get``/subscripts, loops and comprehensions, ``dict(...)``/``{**x}``,
string building, query expressions and same-module helpers; type conversion, mapping
lookups and validator calls (``validator_call``, below) carry nothing.

Validation evidence for a payload or a field: a validating decorator, a validator
consuming it (schema ``load``, pydantic model, serializer/form, ``jsonschema.validate``,
a function whose name or body says it validates, ``Config.validators``), a guard clause
on its shape (``if "x" not in data: abort(400)``) or a test that holds a value to an
allow-list, a pattern or a type. The analysis is flow-insensitive: evidence anywhere in
the function counts for the whole function.

Sinks: model constructors, ORM/collection writes, attribute/``setattr`` writes on
persisted objects, queries (ORM lookups, raw SQL with the value in the text or bound)
and calls of helpers/services that store or query with what they are given; never a
redirect (its target is the open-redirect question, BA808). Facts from other modules
that could settle a sink or supply evidence travel as *requirements* to ``resolve``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from backend_audit.appmodel.closed_types import is_fixed_collection
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value
from backend_audit.appmodel.requests import (
    TORNADO_READERS,
    request_input,
)
from backend_audit.engines.walk import descendants
from backend_audit.flow import payload_vocab as V
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    Callee,
    argument_slots,
    bind_arguments,
    is_capword,
    param_names,
    positional_names,
)
from backend_audit.flow.fold import Walk
from backend_audit.flow.locals import Flow
from backend_audit.flow.payload_shapes import (
    FunctionBody,
    calls_in,
    catches_bad_input,
    catches_validation_error,
    chain_has,
    constrained,
    expressions_in,
    first_arg_is_class,
    function_body,
    goes_on_when,
    handles_missing_row,
    is_lookup_name,
    is_plain_container,
    is_query_receiver,
    is_write_name,
    row_key_args,
    row_written,
    sql_text_arg,
    subscripts_in,
)
from backend_audit.flow.payload_values import (
    EMPTY,
    Judge,
    PayloadValues,
    Taint,
    field_of,
    field_receiver,
    is_third_party,
    literal_key,
    text_calls,
    whole,
)
from backend_audit.flow.sinks import REDIRECTS
from backend_audit.sql.columns import helper_runs_sql, is_sql_text
from backend_audit.sql.parse import columns_written

CONSTRUCTED = -1  # forward position: the parameter builds an instance of the callee
SKIP_PARAMS = frozenset({"self", "cls", "request", "req"})


def base_key(key: str) -> str:
    """``query`` for ``query#sort``: the payload a field key belongs to."""
    return key.split("#", 1)[0]


def is_open(key: str, validated: set[str]) -> bool:
    """Neither the field nor its whole payload has validation evidence."""
    return key not in validated and base_key(key) not in validated


def matches_config(names: tuple[str, ...], node: cst.BaseExpression, ctx: ModuleContext) -> bool:
    if not names:
        return False
    candidates = {dotted_name(node), last_name(node), ctx.imported_callee(node)}
    return any(n in candidates or (n.rsplit(".", 1)[-1] == last_name(node) and "." not in n)
               for n in names)


def is_verb_name(name: str | None) -> bool:
    if not name:
        return False
    parts = [p for p in name.lower().split("_") if p]
    return bool(parts) and parts[0] in V.SERVICE_VERBS


def classify_bases(bases: list[str]) -> str | None:
    """``validator``/``model`` from base names already known to a library, else None."""
    for base in bases:
        last = base.rsplit(".", 1)[-1]
        if base.startswith(V.VALIDATOR_MODULES) and last not in ("Model",):
            return "validator"
        if base.startswith(V.MODEL_MODULES):
            return "model"
        if last in V.VALIDATOR_BASES:
            return "validator"
        if last in V.MODEL_BASES:
            return "model"
    return None


def guess_kind_by_name(qual: str) -> str | None:
    """Last resort for a class nothing else is known about: its module and its name."""
    parts = qual.split(".")
    name, modules = parts[-1], [p.lower() for p in parts[:-1]]
    if any(m in V.SCHEMA_MODULE_WORDS for m in modules) or name.endswith(V.VALIDATOR_SUFFIXES):
        return "validator"
    if any(m in V.MODEL_MODULE_WORDS for m in modules):
        return "model"
    return None


@dataclass(frozen=True)
class ClassInfo:
    kind: str | None  # validator | model | other | None (unknown here)
    qualname: str | None  # absolute name, for facts from other modules


def class_info(ctx: ModuleContext, func: cst.BaseExpression,
               budget: Budget | None = None) -> ClassInfo:
    """What a CapWords callee is: a schema, a model, something else, or unknown."""
    name = last_name(func)
    if isinstance(func, cst.Name):
        local = ctx.functions.classes.get(func.value)
        if local is not None:
            return _local_class_info(ctx, local, budget)
        if _is_model_factory_result(ctx, func.value):
            return ClassInfo("model", f"{ctx.module_name}.{func.value}")
    qual = ctx.imported_callee(func)
    if name in V.QUERY_EXPRESSIONS and (qual or "").startswith("django") or \
            (qual or "").startswith(V.QUERY_EXPRESSION_MODULES):
        return ClassInfo("other", qual)
    if qual is None:
        return ClassInfo("other", None)  # builtins and names we cannot place
    last = qual.rsplit(".", 1)[-1]
    if qual.startswith(V.VALIDATOR_MODULES):
        return ClassInfo("validator", qual)
    if qual.startswith(V.MODEL_MODULES) or qual.startswith("django.contrib.auth.models"):
        return ClassInfo("model", qual)
    if name and name.endswith(("Error", "Exception", "Response", "Warning")):
        return ClassInfo("other", qual)
    if is_third_party(qual):
        return ClassInfo("other", qual)
    del last
    return ClassInfo(None, qual)


def _is_model_factory_result(ctx: ModuleContext, name: str) -> bool:
    """``User = get_user_model()`` / ``apps.get_model(...)`` at module level."""
    for value in payload_values(ctx).walk(None).held(name, None):
        if isinstance(value, cst.Call) and last_name(value.func) in V.MODEL_FACTORIES:
            return True
    return False



def class_bases(ctx: ModuleContext, node: cst.ClassDef) -> list[str]:
    out = []
    for base in node.bases:
        out.append(ctx.imported_callee(base.value) or dotted_name(base.value) or "")
    return out


def local_class_kind(ctx: ModuleContext, node: cst.ClassDef,
                     budget: Budget | None = None) -> str | None:
    """Kind of a class defined in this module, following local base classes."""
    budget = budget or Budget()
    if budget.exhausted:
        return None
    for kw in node.keywords:
        if kw.keyword and kw.keyword.value == "table" and dotted_name(kw.value) == "True":
            return "model"  # SQLModel(table=True)
    locals_ = ctx.functions.classes
    for base in node.bases:
        if isinstance(base.value, cst.Name) and base.value.value in locals_ and \
                locals_[base.value.value] is not node:
            kind = local_class_kind(ctx, locals_[base.value.value], budget.deeper())
            if kind:
                return kind
    return classify_bases(class_bases(ctx, node))


def _local_class_info(ctx: ModuleContext, node: cst.ClassDef,
                      budget: Budget | None) -> ClassInfo:
    qual = f"{ctx.module_name}.{node.name.value}"
    return ClassInfo(local_class_kind(ctx, node, budget), qual)


@dataclass
class Sink:
    node: cst.CSTNode
    taint: Taint
    what: str
    definite: bool
    requirement: dict[str, Any] | None = None  # settled by facts in resolve
    lookup: bool = False  # the value only selects rows (a bound query parameter)
    target: str | None = None  # the object whose attributes are set, one write per object
    origin: cst.CSTNode | None = None  # the call or assignment itself (``node`` is its line)
    # A lookup by a raw primary key that raises, uncaught, when the value matches no row
    # or is no key at all: bad input is a server error, whatever the ORM binds.
    raises: bool = False
    # The keys spliced into SQL text or run, opened, deserialised (V.DANGEROUS_CALLS):
    # more than stored, whoever hands them on.
    danger: frozenset[str] = frozenset()
    # The value becomes a row or a field of one: a model built from it, a model's
    # attribute set to it, a manager's ``create(...)`` given it.
    row: bool = False

    @property
    def whole(self) -> bool:
        return any(w for _, w in self.taint)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.taint)


@dataclass
class FunctionSummary:
    validates: bool
    stores: frozenset[str]  # parameter names whose value reaches storage or SQL text
    params: tuple[str, ...]  # every named parameter, a method's ``self``/``cls`` aside
    lookups: frozenset[str] = frozenset()  # ... that only reach a query as a bound value
    # Parameters handed to a function of another module: (param, callee, position,
    # keyword), settled in ``resolve`` once that function's facts are known.
    forwards: tuple[tuple[str, str, int | None, str | None], ...] = ()
    positional: tuple[str, ...] = ()  # the parameters a call fills by position, in order
    dangers: frozenset[str] = frozenset()  # ... of ``stores`` spliced into SQL text or run
    rows: frozenset[str] = frozenset()  # ... of ``stores`` written as a row or a field of one


def summarize(ctx: ModuleContext, fn: cst.FunctionDef, budget: Budget | None = None,
              owner: cst.ClassDef | None = None) -> FunctionSummary:
    """Does ``fn`` validate what it gets, and which of its parameters does it store?
    ``owner`` is the class ``fn`` is a method of (by default the top-level class of
    this module it is defined in); ``budget`` the one of the flow inside ``fn``."""
    key = ("_validation_summary", id(fn))
    cached = ctx.__dict__.setdefault("_validation_summaries", {}).get(key)
    if cached is not None:
        return cached
    owner = owner or ctx.functions.owner(fn)
    params = tuple(param_names(fn, bound=owner is not None))
    positional = tuple(positional_names(fn, bound=owner is not None))
    ctx.__dict__["_validation_summaries"][key] = FunctionSummary(False, frozenset(), params,
                                                                 positional=positional)
    model_self = owner is not None and local_class_kind(ctx, owner) == "model"
    flow = PayloadFlow(ctx, fn, {p: f"param:{p}" for p in params if p not in SKIP_PARAMS},
                       budget if budget is not None else Budget().call(),
                       model_self=model_self)
    # A check on one parameter (``if balance < amount: raise``) does not make the function
    # a validator of the others: every parameter it takes needs evidence of its own.
    checked = {base_key(k) for k in flow.validated}
    validates = flow.validated_all or _calls_a_validator(ctx, fn) or bool(flow.validated) and \
        all(f"param:{p}" in checked for p in params if p not in SKIP_PARAMS)

    def reached(lookup: bool) -> frozenset[str]:
        return frozenset(base_key(k).split(":", 1)[1] for s in flow.sinks
                         if s.definite and s.lookup == lookup for k in s.keys
                         if k.startswith("param:") and is_open(k, flow.validated))

    stores = reached(False)
    dangers = frozenset(base_key(k).split(":", 1)[1] for s in flow.sinks
                        if s.definite for k in s.danger
                        if k.startswith("param:") and is_open(k, flow.validated))
    rows = frozenset(base_key(k).split(":", 1)[1] for s in flow.sinks
                     if s.definite and s.row for k in s.keys
                     if k.startswith("param:") and is_open(k, flow.validated))
    summary = FunctionSummary(validates, stores, params, reached(True) - stores,
                              _forwards(flow), positional, dangers & stores, rows & stores)
    ctx.__dict__["_validation_summaries"][key] = summary
    return summary


def _forwards(flow: PayloadFlow) -> tuple[tuple[str, str, int | None, str | None], ...]:
    out: list[tuple[str, str, int | None, str | None]] = []

    def params_in(expr: cst.BaseExpression) -> set[str]:
        return {base_key(k).split(":", 1)[1] for k, _ in flow.taint(expr)
                if k.startswith("param:") and is_open(k, flow.validated)}

    for sink in flow.sinks:
        req = sink.requirement
        call = sink.origin
        if req is None or not isinstance(call, cst.Call):
            continue
        if req["type"] in ("model", "not-validator"):
            # ``Order(**row)`` of a class another module defines: stored if it is a model.
            out += [(p, req["name"], CONSTRUCTED, None)
                    for p in sorted(set().union(*(params_in(a.value) for a in call.args)))]
            continue
        if req["type"] != "stores":
            continue
        for arg, slot in argument_slots(call):
            if isinstance(slot, int):
                out += [(p, req["name"], slot, None) for p in sorted(params_in(arg.value))]
            elif isinstance(slot, str):
                out += [(p, req["name"], None, slot) for p in sorted(params_in(arg.value))]
    return tuple(out)


def _calls_a_validator(ctx: ModuleContext, fn: cst.FunctionDef) -> bool:
    """A validator call anywhere inside ``fn``, nested wrappers of decorators included."""
    cache: dict[int, bool] = ctx.__dict__.setdefault("_validation_calls_validator", {})
    found = cache.get(id(fn))
    if found is None:
        # ``raise InvalidInput("...")`` names a failed check, not the check: the test of
        # the ``if`` around it says what was checked (a presence test is not a check of
        # the value's type, length or form), and the flow reads that test.
        raised = {id(r.exc) for r in descendants(fn, cst.Raise) if isinstance(r.exc, cst.Call)}
        found = cache[id(fn)] = any(_is_validator_like(ctx, call)
                                    for call in function_body(ctx, fn).all_calls
                                    if id(call) not in raised)
    return found


def _is_validator_like(ctx: ModuleContext, call: cst.Call) -> bool:
    qual = ctx.imported_callee(call.func) or ""
    if qual.split(".")[0] in V.NOT_VALIDATOR_MODULES:
        return False
    name = last_name(call.func)
    if name in V.VALIDATOR_METHODS or (name and V.VALIDATOR_NAME.search(name)) or \
            qual.startswith(("jsonschema", "fastjsonschema", "cerberus", "voluptuous")):
        return True
    return is_capword(name) and bool(call.args) and \
        class_info(ctx, call.func).kind == "validator"


@dataclass
class PayloadFlow:
    ctx: ModuleContext
    fn: cst.FunctionDef
    params: dict[str, str]  # parameter name -> payload key
    budget: Budget = field(default_factory=Budget)  # its calls: helpers this deep
    model_self: bool = False  # a method of a model: ``self.x = ...`` writes a row
    validated: set[str] = field(default_factory=set)
    validated_all: bool = False
    # Keys tested only for being there (``if not email``, ``"month" in data``): not
    # evidence (``_Walker._presence``), kept to tell such a handler from one that tests nothing.
    present: set[str] = field(default_factory=set)
    unless: list[str] = field(default_factory=list)  # imported names that may validate
    sinks: list[Sink] = field(default_factory=list)
    reads_input: bool = field(init=False)  # False: no expression here can carry input
    body: FunctionBody = field(init=False, repr=False)
    _memo: dict[int, Taint] = field(default_factory=dict)
    _walk: Walk[Taint] | None = field(default=None, init=False, repr=False)
    _flow: Flow | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.body = function_body(self.ctx, self.fn)
        self.reads_input = bool(self.params) or self._may_read_input()
        walker = _Walker(self)
        if self.reads_input:
            walker.run()
        else:
            walker.run_without_input()

    @property
    def flow(self) -> Flow:
        # Built on first use: a function that cannot see input never needs it.
        if self._flow is None:
            self._flow = self.ctx.flow(self.fn)
        return self._flow

    def _may_read_input(self) -> bool:
        """Some expression under the function can carry client input: it names the
        request (``request``, ``req``, ``self.request``, an alias of Flask's), Flask-RESTX's
        ``payload``, or calls a same-module function (which may read the request itself
        or be summarised as a side effect)."""
        names = self.body.names
        if not names.isdisjoint(_INPUT_NAMES) or not names.isdisjoint(_request_aliases(self.ctx)):
            return True
        return any(self.ctx.local_function(call, self.fn) is not None
                   for call in self.body.all_calls)

    # ------------------------------------------------------------ taint
    def taint(self, expr: cst.BaseExpression) -> Taint:
        """The payloads ``expr`` carries, read on the evaluator's walk of the function
        (flow/payload_values.py)."""
        key = id(expr)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self.walk.with_budget(
                Budget(0, self.budget.calls)).value(expr)
        return found

    @property
    def walk(self) -> Walk[Taint]:
        """The evaluator's walk of the function, the flow's parameters bound (built on
        first use: a function that cannot see input never needs it)."""
        if self._walk is None:
            walk = payload_values(self.ctx).walk(self.fn)
            bound = {name: whole(key) for name, key in self.params.items()}
            # A flow inside a call followed (a summary asked for a validator call) keeps
            # its answers with its walk; a handler's own flow in the module's.
            self._walk = walk.with_kept_bindings(bound) if bound or self.budget.calls \
                else walk
        return self._walk

    # ------------------------------------------------------------ validators
    def is_validator_call(self, call: cst.Call) -> bool:
        return validator_call(self.ctx, self.fn, call, self.budget)

    def consumed(self, call: cst.Call) -> Taint:
        out: set[tuple[str, bool]] = set()
        for arg in call.args:
            out |= self.taint(arg.value)
        return frozenset(out)


_INPUT_NAMES = frozenset({"request", "req", "payload", *TORNADO_READERS})


def validator_call(ctx: ModuleContext, fn: cst.FunctionDef | None, call: cst.Call,
                   budget: Budget) -> bool:
    """``call`` (read in ``fn``) validates what it is given; ``budget`` the flow's, for
    a same-module helper whose summary says it validates."""
    cache: dict[int, bool | None] = ctx.__dict__.setdefault("_validation_named", {})
    named = cache.get(id(call), cache)
    if named is cache:
        named = cache[id(call)] = _named_validator(ctx, call)
    if named is not None:
        return bool(named)
    helper = ctx.local_function(call, fn)
    if helper is not None and helper is not fn and budget.may_call:
        return summarize(ctx, helper, budget.call()).validates
    return False


def _named_validator(ctx: ModuleContext, call: cst.Call) -> bool | None:
    """What the callee's name, module or class says (asked once per call); None: it
    says nothing, a helper of the module may still validate."""
    func = call.func
    name = last_name(func)
    qual = ctx.imported_callee(func) or ""
    if qual.split(".")[0] in V.NOT_VALIDATOR_MODULES:
        return False
    if matches_config(ctx.config.validators, func, ctx):
        return True
    if qual.startswith(("jsonschema", "fastjsonschema", "cerberus", "voluptuous")):
        return True
    if name in V.VALIDATOR_METHODS or (name and V.VALIDATOR_NAME.search(name)):
        return True
    if is_capword(name):
        info = class_info(ctx, func)
        return info.kind == "validator" or (
            info.kind is None and info.qualname is not None and
            guess_kind_by_name(info.qualname) == "validator")
    return None


def _request_aliases(ctx: ModuleContext) -> frozenset[str]:
    """Names this module imports a request object under (``from flask import request as r``)."""
    cached = ctx.__dict__.get("_validation_request_aliases")
    if cached is None:
        cached = frozenset(alias for alias, qual in ctx.imports.names.items()
                           if qual.endswith("request"))
        ctx.__dict__["_validation_request_aliases"] = cached
    return cached


def _helper_returns(ctx: ModuleContext, helper: cst.FunctionDef, budget: Budget) -> Taint:
    """What a helper that reads the request itself returns: nothing when it cannot see
    input or has evidence for some of it."""
    inner = PayloadFlow(ctx, helper, {}, budget)
    if not inner.reads_input or inner.validated or inner.validated_all:
        return EMPTY
    return frozenset().union(*(inner.taint(r) for r in inner.flow.returns))


def payload_values(ctx: ModuleContext) -> PayloadValues:
    """The payload domain of the evaluator's walk for ``ctx`` (one per module)."""
    found = ctx.__dict__.get("_payload_values")
    if found is None:
        found = ctx.__dict__["_payload_values"] = PayloadValues(ctx, Judge(
            validator_call=lambda call, walk: validator_call(ctx, walk.function, call,
                                                             walk.budget),
            model_class=lambda func: class_info(ctx, func).kind == "model",
            helper_returns=lambda helper, walk: _helper_returns(ctx, helper,
                                                                walk.budget.call())))
    return found


def _writes_columns(text: cst.BaseExpression | None) -> bool:
    """``INSERT INTO t (a, b) VALUES (?, ?)`` / ``UPDATE t SET a = ?``: the statement
    writes its bound parameters into columns, so they are stored, not only looked up."""
    sql = string_value(text)
    return bool(sql and columns_written(sql))


class _Walker:
    """Evidence, then sinks in source order, from the function's ``FunctionBody``. What
    a value carries is the payload domain's answer (``PayloadFlow.taint``); what a name
    holds where it is read and which class an object is, the walk's (flow/fold.py
    ``Walk.held``/``instance_class``); which function a call runs and which argument
    fills which parameter, flow/calls.py's. The walker only records evidence and sinks."""

    def __init__(self, pf: PayloadFlow) -> None:
        self.pf = pf
        self.ctx = pf.ctx
        body = pf.body
        self.calls = body.calls
        self.assigns = body.assigns
        self.guards = body.guards
        self.tries = body.tries
        self.tests = body.tests  # conditions that do not branch a block
        self.persisted_names = body.persisted_names
        self.persisted_calls = body.persisted_calls
        self.has_persist = body.has_persist
        self.order = body.order
        # Findings go on the first line of the statement a sink sits in (a call nested in
        # ``return jsonify(\n repo.find(x))`` is reported on the ``return`` line).
        self.line_of = body.line_of

    def run(self) -> None:
        self._decorators()
        self._evidence()
        self._sinks()

    def run_without_input(self) -> None:
        """``run`` for a function where nothing can carry client input: every taint is
        empty, so only decorators and ``validate_on_submit`` can give evidence."""
        self._decorators()
        if any(last_name(call.func) == "validate_on_submit" for call in self.calls):
            self.pf.validated.update({"form", "body"})

    # evidence -----------------------------------------------------------
    def _decorators(self) -> None:
        route = self.ctx.routes.route_for(self.pf.fn)
        decorators = list(self.pf.fn.decorators)
        if route is not None and route.view_class is not None:
            decorators += list(route.view_class.decorators)
        for dec in decorators:
            expr = dec.decorator
            callee = expr.func if isinstance(expr, cst.Call) else expr
            name = last_name(callee)
            if name is None:
                continue
            if name in V.VALIDATING_DECORATORS or V.VALIDATOR_DECORATOR_NAME.search(name) or \
                    matches_config(self.ctx.config.validators, callee, self.ctx):
                self.pf.validated_all = True
            elif name == "expect" and isinstance(expr, cst.Call) and \
                    dotted_name((get_arg(expr, "validate") or _NO).value) == "True":
                self.pf.validated_all = True
            else:
                helper = self.ctx.local_function(callee, self.pf.fn) if isinstance(
                    callee, cst.Name) else None
                if helper is not None and helper is not self.pf.fn:
                    if _calls_a_validator(self.ctx, helper):
                        self.pf.validated_all = True
                elif isinstance(callee, (cst.Name, cst.Attribute)):
                    qual = self.ctx.imported_callee(callee)
                    if qual:
                        self.pf.unless.append(qual)

    def _evidence(self) -> None:
        pf = self.pf
        for call in self.calls:
            name = last_name(call.func)
            if name == "validate_on_submit":
                pf.validated.update({"form", "body"})
            consumed = pf.consumed(call)
            if isinstance(call.func, cst.Attribute) and name in V.VALIDATOR_METHODS:
                consumed |= pf.taint(call.func.value)
            if not consumed:
                continue
            if pf.is_validator_call(call):
                pf.validated.update(k for k, _ in self._validated_by(call, consumed))
            elif isinstance(call.func, (cst.Name, cst.Attribute)) and \
                    self.ctx.local_function(call, pf.fn) is None:
                qual = self.ctx.imported_callee(call.func)
                if qual and not is_third_party(qual):
                    pf.unless.append(qual)
        for test, node in self.guards:
            if pf.body.guard_exits(node) or self._replaced_when_rejected(node):
                pf.validated.update(self._checked_keys(test, Budget()))
            else:
                self._record_presence(test)  # ``if "q" in request.GET: use(...)``
        # ``if status in STATES: qs = qs.filter(status=status)``: an allow-list, pattern or
        # type test constrains the value whether or not it exits.
        # A branch that puts a server value in place of the rejected one is an exit.
        tests = [*((t, False if self._replaced_when_rejected(node) else goes_on_when(node))
                   for t, node in self.guards),
                 *((t, None) for t in self.tests)]
        for test, holds in tests:
            for checked in constrained(test, holds):
                pf.validated.update(k for k, whole in pf.taint(checked) if not whole)
        for node in self.tries:
            if catches_bad_input(node):
                keys: set[str] = set()
                for stmt_call in calls_in(node.body):
                    if last_name(stmt_call.func) in V.CONVERTERS:
                        keys |= {k for k, _ in pf.consumed(stmt_call)}
                pf.validated.update(keys)
                # ``try: name = data["name"] except KeyError: return 400``: the field is
                # there, no more (a presence test).
                for sub in subscripts_in(node.body):
                    pf.present.update(k for k, _ in pf.taint(sub))
            if catches_validation_error(node):
                for stmt_call in calls_in(node.body):
                    if not is_write_name(last_name(stmt_call.func)) and \
                            not is_lookup_name(last_name(stmt_call.func)):
                        pf.validated.update(k for k, _ in pf.consumed(stmt_call))

    def _validated_by(self, call: cst.Call, consumed: Taint) -> Taint:
        """What a validator call vouches for.

        A form, serializer or schema *object* bound straight to the request
        (``TicketForm(request.POST)``) validates its own fields, which the handler
        then reads from ``cleaned_data``; a raw ``request.POST.get("pin")`` elsewhere
        is outside it. A payload handed over through a variable is vouched for whole.
        """
        if not is_capword(last_name(call.func)):
            return consumed
        out: set[tuple[str, bool]] = set()
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.BooleanOperation):  # ``request.POST or None``
                value = value.left
            direct = not isinstance(value, cst.Name) and \
                request_input(value, self.ctx.imports) is not None
            if not direct:
                out |= self.pf.taint(arg.value)
        return frozenset(out)

    def _replaced_when_rejected(self, node: cst.If | cst.While) -> bool:
        """``if not nxt or urlsplit(nxt).netloc: nxt = url_for("index")``: the branch puts
        a value of the server's own in place of the one the test rejects, so after it the
        name holds that value or one that passed the test, as after an early return."""
        if not isinstance(node, cst.If) or node.orelse is not None or \
                not isinstance(node.body, cst.IndentedBlock):
            return False
        replaced: set[str] = set()
        for stmt in node.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                return False
            for small in stmt.body:
                if not isinstance(small, cst.Assign) or len(small.targets) != 1 or \
                        not isinstance(small.targets[0].target, cst.Name) or \
                        self.pf.taint(small.value):
                    return False
                replaced.add(small.targets[0].target.value)
        tested = {n.value for n in descendants(node.test, cst.Name)}
        return bool(replaced) and replaced <= tested

    def _checked_keys(self, test: cst.BaseExpression, budget: Budget) -> set[str]:
        """Payload keys whose shape ``test`` inspects (bare ``if not data`` does not count)."""
        pf = self.pf
        if isinstance(test, cst.BooleanOperation):
            return self._checked_keys(test.left, budget) | self._checked_keys(test.right, budget)
        inner = test.expression if isinstance(test, cst.UnaryOperation) else test
        if isinstance(inner, cst.Comparison) and len(inner.comparisons) == 1 and \
                isinstance(inner.comparisons[0].operator, (cst.In, cst.NotIn)) and \
                is_fixed_collection(inner.comparisons[0].comparator) and \
                not pf.taint(inner.comparisons[0].comparator):  # ``request.GET`` is no constant
            # Membership in a fixed collection: an allow-list or a deny-list, which
            # ``constrained`` tells apart by the side of the test the code goes on with.
            return set()
        present = self._presence(inner)
        if present is not None:
            # It is there, or it is not empty: nothing about its type, length or form.
            pf.present.update(k for k, _ in present)
            return set()
        if isinstance(inner, cst.Comparison) and all(
                isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in inner.comparisons) \
                and all(pf.taint(o) for o in (inner.left, *(c.comparator for c in
                                                            inner.comparisons))):
            return set()  # ``password != confirmation``: the two agree, neither is checked
        if isinstance(inner, cst.Comparison) and all(
                isinstance(c.operator, (cst.Is, cst.IsNot)) for c in inner.comparisons):
            inner = inner.left
        if isinstance(inner, (cst.Name, cst.Attribute, cst.Call)):
            t = pf.taint(inner)
            if t and all(w for _, w in t):
                return set()  # only "is there a payload at all"
            if t and all(base_key(k) == "body" for k, _ in t):
                # ``if data.get("password"):``: a JSON value is there and truthy, and may
                # still be a number, a list or an object.
                return set()
        keys: set[str] = set()
        nodes = expressions_in(test)
        # ``data.get("x")`` and ``data["x"]`` test the field: ``data`` is not tested whole.
        read_from: set[int] = set()
        for n in nodes:
            receiver = field_receiver(n)
            if receiver is not None:
                read_from |= {id(receiver), id(n.func) if isinstance(n, cst.Call) else 0}
        for node in nodes:
            t = pf.taint(node)
            if t and id(node) in read_from:
                continue
            keys |= {k for k, _ in t}
            if not t and isinstance(node, cst.Name) and not budget.exhausted:
                # ``missing = [k for k in REQUIRED if k not in data]`` before ``if missing:``
                for value in pf.walk.held(node.value, node):
                    found = self._presence(value)
                    if found is not None:  # ``missing = [k for k in REQUIRED if k not in data]``
                        pf.present.update(k for k, _ in found)
                        continue
                    if isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp,
                                          cst.DictComp, cst.BinaryOperation, cst.Comparison,
                                          cst.BooleanOperation)) or (
                            isinstance(value, cst.Call) and
                            not is_lookup_name(last_name(value.func)) and
                            not is_write_name(last_name(value.func)) and
                            not pf.is_validator_call(value) and
                            not helper_runs_sql(value, self.ctx, pf.fn)):
                        keys |= self._checked_keys(value, budget.deeper())
        return keys

    def _record_presence(self, test: cst.BaseExpression) -> None:
        """The key-presence tests among the parts of the test of a branch that does not
        exit (``if "q" in request.GET: ...``): ``PayloadFlow.present``."""
        if isinstance(test, cst.BooleanOperation):
            self._record_presence(test.left)
            self._record_presence(test.right)
            return
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and
                isinstance(test.comparisons[0].operator, (cst.In, cst.NotIn))):
            return
        found = self._presence(test)
        if found is not None:
            self.pf.present.update(k for k, _ in found)

    def _presence(self, test: cst.BaseExpression) -> Taint | None:
        """What ``test`` only asks to be there (a presence test) or None: it asks more.

        Presence tests: the truthiness of a value or field read (``if not email``,
        ``if data.get("name")``), ``x is None``, ``x == ""``, a key looked up among a
        payload's keys (``"month" in request.data``, ``key not in data``), and the
        required-keys idioms built on those (``[k for k in REQUIRED if k not in data]``,
        ``all(k in data for k in REQUIRED)``, ``set(REQUIRED) - data.keys()``,
        ``REQUIRED <= data.keys()``). They prove the value is there, not that it is a
        string of a bounded length, a number or one of the expected values."""
        pf = self.pf
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self._presence(test.expression)
        if isinstance(test, (cst.Name, cst.Attribute, cst.Subscript)) or (
                isinstance(test, cst.Call) and _reads_a_field(test)):
            taint = pf.taint(test)
            # ``if not data``: the payload is there; none of its fields was looked at.
            return frozenset(t for t in taint if not t[1]) if taint else None
        if isinstance(test, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            conditions = [c for f in _comp_fors(test.for_in) for c in f.ifs]
            found = [self._presence(c.test) for c in conditions]
            if found and all(f is not None for f in found):
                return frozenset().union(*found)
            return self._presence(test.elt) if not conditions else None
        if isinstance(test, cst.Call) and last_name(test.func) in ("all", "any") and \
                len(test.args) == 1:
            return self._presence(test.args[0].value)
        if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and \
                test.func.attr.value in ("issubset", "issuperset", "difference") and \
                len(test.args) == 1:
            keys = self._key_set(test.args[0].value) or self._key_set(test.func.value)
            return field_of(keys) if keys is not None else None
        if isinstance(test, cst.BinaryOperation) and isinstance(test.operator, cst.Subtract):
            keys = self._key_set(test.left) or self._key_set(test.right)
            return field_of(keys) if keys is not None else None
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        comp = test.comparisons[0]
        left, right, op = test.left, comp.comparator, comp.operator
        if isinstance(op, (cst.Is, cst.IsNot, cst.Equal, cst.NotEqual)):
            for value, other in ((left, right), (right, left)):
                if _empty_constant(other) and pf.taint(value):
                    return self._presence(value)
            return None
        if isinstance(op, (cst.In, cst.NotIn)) and not pf.taint(left):
            keys = self._key_set(right)
            return field_of(keys, literal_key(left)) if keys is not None else None
        if isinstance(op, (cst.LessThanEqual, cst.GreaterThanEqual, cst.LessThan,
                           cst.GreaterThan)):
            keys = self._key_set(left) or self._key_set(right)
            return field_of(keys) if keys is not None else None
        return None

    def _key_set(self, expr: cst.BaseExpression) -> Taint | None:
        """A whole payload, its ``.keys()`` or ``set(payload)``: the keys it was sent with."""
        while isinstance(expr, cst.Call) and (
                last_name(expr.func) in ("set", "frozenset", "list") and len(expr.args) == 1
                or isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "keys"):
            expr = expr.args[0].value if expr.args else expr.func.value  # type: ignore[union-attr]
        taint = self.pf.taint(expr)
        return taint if taint and all(w for _, w in taint) else None

    # sinks ----------------------------------------------------------------
    def _sinks(self) -> None:
        for node in self.order:
            if isinstance(node, cst.Call):
                self._call_sink(node)
            else:
                self._assign_sink(node)

    def _add(self, node: cst.CSTNode, taint: Taint, what: str, definite: bool,
             requirement: dict[str, Any] | None = None, lookup: bool = False,
             danger: Taint = EMPTY, row: bool = False) -> None:
        if lookup:
            # Path segments are matched by the router: selecting rows by one is the
            # point of the URL. They count only when stored or spliced into SQL text.
            taint = _without_path(taint)
        if taint:
            line = self.line_of.get(id(node), node)
            self.pf.sinks.append(Sink(line, taint, what, definite, requirement, lookup,
                                      origin=node,
                                      danger=frozenset(k for k, _ in danger & taint),
                                      row=row))

    def _call_sink(self, call: cst.Call) -> None:
        pf = self.pf
        func = call.func
        name = last_name(func)
        if name is None or pf.is_validator_call(call):
            return
        what = f"{dotted_name(func) or name}(...)"
        taint = pf.consumed(call)
        if name in V.SQL_RUNNERS and call.args and self._sql_sink(call, taint, what, name):
            return
        if not taint:
            return
        if self.ctx.imported_callee(func) in REDIRECTS:
            # A redirect is the open-redirect question (BA808, with its host checks),
            # not a schema's: its target is the client's URL or a route name whose
            # arguments (``redirect("profile", year)``) the route's converters match.
            return
        if self._dangerous(call):
            self._add(call, taint, what, True, danger=taint)
            return
        receiver = func.value if isinstance(func, cst.Attribute) else None
        if name in ("get", "__getitem__") and isinstance(receiver, cst.Call) and \
                isinstance(receiver.func, cst.Name) and \
                receiver.func.value in ("globals", "locals", "vars") and \
                self.ctx.local_callee(receiver, pf.fn) is None:
            # ``globals().get(name)``: the client picks which object of the module runs.
            self._add(call, taint, f"{receiver.func.value}().{name}(...)", True, danger=taint)
            return
        written = self._file_write(call)
        if written is not None:
            self._add(call, pf.taint(written), what, True)
            return
        if name == "setattr" and len(call.args) >= 3:
            target = call.args[0].value
            if not (isinstance(target, cst.Name) and target.value in V.NON_MODEL_OBJECTS):
                self._add(call, pf.taint(call.args[2].value), what, True)
            return
        if is_capword(name):
            self._constructor_sink(call, taint, what)
            return
        receiver = func.value if isinstance(func, cst.Attribute) else None
        if receiver is not None and name in V.STORE_METHODS:
            if pf.taint(receiver):
                return  # a method of the payload itself
            self._add(call, taint, what, True, row=True)
            return
        if receiver is not None and name == "update" and \
                is_query_receiver(receiver, self._held(receiver)):
            self._add(call, taint, what, True)
            return
        if receiver is not None and name == "values" and chain_has(receiver, V.CORE_STATEMENTS):
            self._add(call, taint, what, True)
            return
        if name in V.QUERY_METHODS and receiver is not None or name in (
                "get_object_or_404", "get_list_or_404"):
            if receiver is not None and pf.taint(receiver):
                return
            if name == "get" and not any(a.star == "**" for a in call.args) and not (
                    receiver is not None and chain_has(receiver, V.QUERY_RECEIVER_WORDS)) \
                    and not first_arg_is_class(call):
                return  # MAPPING.get(key): a dictionary lookup, not a query
            self._add(call, taint, what, True, lookup=True)
            keys = row_key_args(call)
            if keys and self.pf.sinks and self.pf.sinks[-1].origin is call and \
                    any(_without_path(pf.taint(k)) for k in keys) and \
                    row_written(call, self.calls, self._held) and \
                    not handles_missing_row(call, self.tries):
                self.pf.sinks[-1].raises = True
                self.pf.sinks[-1].what += " (uncaught when the key matches no row)"
            return
        self._helper_sink(call, taint, what, name)

    def _dangerous(self, call: cst.Call) -> bool:
        """Raw input run, deserialised, opened or redirected to (V.DANGEROUS_CALLS)."""
        qual = self.ctx.imported_callee(call.func)
        if qual is not None:
            return qual in V.DANGEROUS_CALLS
        return isinstance(call.func, cst.Name) and call.func.value in V.DANGEROUS_BUILTINS \
            and self.ctx.local_callee(call, self.pf.fn) is None

    def _file_write(self, call: cst.Call) -> cst.BaseExpression | None:
        """What ``call`` writes to a file opened for writing in this function
        (``f.write(x)``, ``json.dump(x, f)`` after ``with open(path, "a") as f``), or None."""
        func = call.func
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if isinstance(func, cst.Attribute) and func.attr.value in V.FILE_WRITE_METHODS:
            target, value = func.value, positional[0] if positional else None
        elif ".".join((self.ctx.imported_callee(func) or "").split(".")[-2:]) in \
                V.FILE_DUMPERS and len(positional) >= 2:  # ``flask.json.dump`` too
            target, value = positional[1], positional[0]
        else:
            return None
        if value is None or not isinstance(target, cst.Name):
            return None
        return value if any(self._opens_for_writing(v) for v in self._held(target)) else None

    def _opens_for_writing(self, expr: cst.BaseExpression) -> bool:
        """``open(path, "w")``, ``io.open(p, mode="ab")``, ``path.open("a+")``."""
        if not isinstance(expr, cst.Call):
            return False
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value == "open" and \
                self.ctx.imported_callee(func) is None:
            mode = get_arg(expr, "mode", 0)  # pathlib: ``Path.open(mode=...)``
        elif (self.ctx.imported_callee(func) or dotted_name(func)) in V.FILE_OPENERS:
            mode = get_arg(expr, "mode", 1)
        else:
            return False
        text = string_value(mode.value) if mode is not None else None
        return bool(text and _WRITE_MODE.fullmatch(text))

    def _helper_sink(self, call: cst.Call, taint: Taint, what: str, name: str) -> None:
        pf = self.pf
        if name in V.PERSIST_METHODS and not self._project_method(call.func):
            return  # session.add(obj): the object's construction is the sink
        if helper_runs_sql(call, self.ctx, pf.fn):
            # ``execute_query("UPDATE users SET bio = %s ...", (bio, uid))``: a project
            # helper handed the statement itself; what the text says settles the sink.
            self._sql_sink(call, taint, what, name)
            return
        helper = self.ctx.local_callee(call, pf.fn)
        if helper is not None and not helper.constructor:
            if helper.function is pf.fn or not pf.budget.may_call:
                return
            summary = summarize(self.ctx, helper.function, pf.budget.call())
            looked_up = _without_path(self._stored_args(call, helper, summary.lookups))
            stored = self._stored_args(call, helper, summary.stores)
            if stored:
                self._add(call, stored | looked_up, what, True,
                          danger=self._stored_args(call, helper, summary.dangers),
                          row=bool(self._stored_args(call, helper, summary.rows)))
            elif looked_up:
                # The helper only selects rows with them (bound query parameters).
                self._add(call, looked_up, what, True, lookup=True)
            elif is_verb_name(name) and _whole_args(pf, call):
                self._add(call, _whole_args(pf, call), what, False)
            return
        if isinstance(call.func, cst.Attribute) and pf.taint(call.func.value):
            return  # data.get(...), payload.items() and the like
        callee = call.func
        if name == "delay" and isinstance(callee, cst.Attribute):
            callee = callee.value  # a Celery task runs its function with the same arguments
            name = last_name(callee) or name
        qual = self.ctx.imported_callee(callee) or self._method_name(callee)
        whole = _whole_args(pf, call)
        if qual and not is_third_party(qual):
            slots = argument_slots(call)
            requirement = {
                "type": "stores", "name": qual,
                # ``NoteService.add(...)`` counts only where its summary stores the value.
                "verb": is_verb_name(name) and bool(whole) and name not in V.PERSIST_METHODS,
                "positions": [i for a, i in slots if isinstance(i, int) and self._open(a.value)],
                "keywords": [k for a, k in slots if isinstance(k, str) and self._open(a.value)],
                "lookup_positions": [i for a, i in slots if isinstance(i, int)
                                     and self._open(a.value, lookup=True)],
                "lookup_keywords": [k for a, k in slots if isinstance(k, str)
                                    and self._open(a.value, lookup=True)],
                "star": any(a.star == "**" and self._open(a.value) for a in call.args)}
            first = call.args[0] if call.args else None
            if first is not None and first.keyword is None and not first.star and \
                    string_value(first.value) is not None:
                # ``set_config("site_name", name)``: the call names the setting it writes.
                requirement["setting"] = True
            self._add(call, taint, what, False, requirement)
        elif is_verb_name(name) and whole:
            self._add(call, whole, what, False)

    def _sql_sink(self, call: cst.Call, taint: Taint, what: str, name: str) -> bool:
        """A call that runs SQL: text or bound parameter alike, the value reaches the
        database as sent. True when ``call`` is one (tainted or not)."""
        if name in V.SQL_RUNNERS_NEEDING_TEXT and not is_sql_text(
                self.ctx, self.pf.fn, call.args[0].value):
            return False
        text = sql_text_arg(call)
        text_taint = self._sql_text_taint(text) if text is not None else EMPTY
        self._add(call, taint | text_taint, what, True,
                  lookup=not text_taint and not _writes_columns(text), danger=text_taint)
        return True

    def _sql_text_taint(self, text: cst.BaseExpression) -> Taint:
        """Client values in SQL text, also through project helpers that build a clause
        from them (``"... WHERE " + where_clause(filters)``)."""
        pf = self.pf
        out = set(pf.taint(text))
        for leaf in text_calls(self.ctx, pf.fn, text):
            if pf.is_validator_call(leaf) or last_name(leaf.func) in V.CONVERTERS:
                continue
            qual = self.ctx.imported_callee(leaf.func)
            if self.ctx.local_function(leaf, pf.fn) is not None or (
                    qual and not is_third_party(qual)):
                out |= field_of(pf.consumed(leaf))
        return frozenset(out)

    def _open(self, expr: cst.BaseExpression, lookup: bool = False) -> bool:
        taint = self.pf.taint(expr)
        return any(is_open(k, self.pf.validated)
                   for k, _ in (_without_path(taint) if lookup else taint))

    def _project_method(self, func: cst.BaseExpression) -> bool:
        """``NoteService.add(text, uid)``, ``repo.save(data)`` with ``repo = NoteRepo()``:
        a method of a class of the project, which may store its arguments itself, unlike
        ``db.session.add(obj)`` (a session of an imported library or module object)."""
        if not isinstance(func, cst.Attribute):
            return False
        qual = self.ctx.imported_callee(func) or self._method_name(func)
        if qual is None or is_third_party(qual):
            return False
        owner = qual.rsplit(".", 2)
        return len(owner) == 3 and owner[1][:1].isupper()

    def _method_name(self, func: cst.BaseExpression) -> str | None:
        """``app.repos.OrderRepo.search`` for ``repo.search`` where ``repo = OrderRepo(db)``
        (the walk's ``instance_class``), or ``app.models.Order.apply_coupon`` for
        ``order.apply_coupon`` where ``order = Order.objects.get(...)``: a method of a
        class the scan may know."""
        if not isinstance(func, cst.Attribute):
            return None
        owner = self.pf.walk.instance_class(func.value)
        info = class_info(self.ctx, owner) if owner is not None else None
        return f"{info.qualname}.{func.attr.value}" if info and info.qualname else None

    def _held(self, expr: cst.BaseExpression) -> list[cst.BaseExpression]:
        """What a name holds where ``expr`` reads it (the walk's ``held``)."""
        return self.pf.walk.held(expr.value, expr) if isinstance(expr, cst.Name) else []

    def _stored_args(self, call: cst.Call, helper: Callee, reached: frozenset[str]) -> Taint:
        """What the arguments bound to the helper's ``reached`` parameters carry."""
        binding = bind_arguments(helper.function, call, helper.bound)
        out: set[tuple[str, bool]] = set()
        for param in reached:
            for arg in binding.sources(param):
                out |= self.pf.taint(arg)
        return frozenset(out)

    def _constructor_sink(self, call: cst.Call, taint: Taint, what: str) -> None:
        info = class_info(self.ctx, call.func)
        if info.kind in ("validator", "other"):
            return
        if info.kind is None and len(call.args) == 1 and call.args[0].keyword is None and \
                not call.args[0].star:
            return  # ``Status(value)``: a value type parsing its argument, not a row
        persisted = id(call) in self.persisted_calls or any(
            v is call for name in self.persisted_names for v in self._held(name))
        if info.kind == "model":
            # A row only once it is saved (``session.add(note)``, ``note.save()``): an
            # ORM expression or field class taken for a model is never.
            self._add(call, taint, what, True, row=persisted)
        elif info.qualname is not None:
            need = "not-validator" if persisted else "model"
            self._add(call, taint, what, persisted, {"type": need, "name": info.qualname})

    def _assign_sink(self, node: cst.Assign) -> None:
        if not self.has_persist and not self.pf.model_self:
            return
        for t in node.targets:
            target = t.target
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and \
                    (target.value.value not in V.NON_MODEL_OBJECTS or
                     self.pf.model_self and target.value.value == "self") and \
                    not self.pf.taint(target.value) and \
                    not is_plain_container(self._held(target.value)):
                before = len(self.pf.sinks)
                self._add(node, self.pf.taint(node.value),
                          f"{target.value.value}.{target.attr.value}", True, row=True)
                if len(self.pf.sinks) > before:
                    self.pf.sinks[-1].target = target.value.value


_NO = cst.Arg(cst.Name("None"))
_WRITE_MODE = re.compile(r"[rbt]*[wax][rbt+]*|[rbt]*\+[rbt]*")  # a mode that writes


def _reads_a_field(call: cst.Call) -> bool:
    """``data.get("x")``, ``request.args.get("x", "").strip()``: a field read, maybe
    trimmed or case-folded, as opposed to a check on it (``is_email(x)``)."""
    inner: cst.BaseExpression = call
    while isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and \
            inner.func.attr.value in ("strip", "lstrip", "rstrip", "lower", "upper",
                                      "casefold"):
        inner = inner.func.value
    return isinstance(inner, (cst.Name, cst.Attribute, cst.Subscript)) or (
        isinstance(inner, cst.Call) and field_receiver(inner) is not None)


def _comp_fors(node: cst.BaseCompFor) -> list[cst.CompFor]:
    out = []
    current: cst.CompFor | None = node  # type: ignore[assignment]
    while current is not None:
        out.append(current)
        current = current.inner_for_in
    return out


def _empty_constant(expr: cst.BaseExpression) -> bool:
    """``None``, ``""``, ``[]``, ``{}``: what a missing or empty value compares equal to."""
    if isinstance(expr, cst.Name):
        return expr.value == "None"
    if isinstance(expr, (cst.List, cst.Dict, cst.Tuple)):
        return not expr.elements
    return isinstance(expr, cst.SimpleString) and string_value(expr) == ""


def _whole_args(pf: PayloadFlow, call: cst.Call) -> Taint:
    return frozenset(t for a in call.args for t in pf.taint(a.value) if t[1])


def _without_path(taint: Taint) -> Taint:
    return frozenset(t for t in taint if base_key(t[0]) != "path")


