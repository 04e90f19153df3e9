"""The one taint evaluator: does a value carry a source to a sink?

Defines no rule. ``Taint(ctx, spec)`` answers for one function (or a module body) with
the sources, sanitisers and propagators of ``spec`` (flow/specs.py). It follows:

- local names, in source order (flow/reaching.py): assignments and augmented ones
  (``copy = s; s += x`` leaves ``copy`` alone), unpacking, ``for``/``with``/walrus
  targets, comprehensions, ``x = request.form.get("a") or ""``, ``await``; values given
  in branches that never run do not count, and a later assignment replaces earlier ones;
- containers and objects: list/dict/set/tuple building, ``append``/``extend``/
  ``update``/``setdefault``/``set`` and item stores (``opts["k"] = x``, also
  ``configparser``'s ``config.set(s, k, x)`` / ``config[s][k] = x``), reads through
  ``get``/``pop``/subscripts, attributes of a tainted object and fields given to an
  object (``job.cmd = x``; ``self.cmd = x`` in any method of the class);
- string building (f-strings, ``%``, ``format``, ``+``, ``join``), decoding and
  encoding (``base64``, ``unquote_plus``, ``encode``/``decode``) and the other calls
  ``spec.passthrough`` lists;
- functions of the module (``calls.local_callee``: helpers, ``self.`` methods; and
  methods of an object whose class ``calls.object_class`` infers, the one receiver
  inference every walker asks: a constructor, a row fetch, ``self.repo`` set by the
  class, an annotated parameter, the module's object), with their parameters bound to
  the call's arguments; constant conditions folded (``x if 7 * 18 > 200 else y``).

What cannot be settled in one module becomes a ``Need``: a parameter of a function that
is not a route handler (``PARAM``: does some caller pass client input?), the result of
a project function another module defines (``RETURNS``: does it return client input?)
or one that hands an argument back (``THROUGH``). ``Reach`` holds either the source
expression found or the needs that would make the value tainted; flow/needs.py settles
needs against the function summaries of the whole scan. Guards (flow/guards.py) vet the
names they test; sanitisers stop the walk. One ``Budget`` (flow/budget.py) bounds each
question.

Value domains (issue 11 item 2). The walk is the same for every question; what a value
*is* for a question is its spec's sources: client input, an uploaded file, a secret, a
plaintext password (flow/passwords.py ``PLAINTEXT``), a password's hash (``HASH_OF``).
A check that tells several kinds apart asks one spec per kind over the one walk. The
answer is graded: a source reached directly (``Reach.final``), only through a call the
spec knows nothing of (``Reach.wrapped``, for specs with ``opaque_calls``: the password
check's lower confidence), or under needs. Sources may read the assignments of the
function the walk is in (``Taint.frame``: "a password-named local given a hash anywhere
holds a hash") and keep answers for the question in ``Taint.memo``.

Some questions need the value itself, built from its parts, not the first source: the
SQL text a query runs. flow/fold.py is the evaluator's second answer: a ``Domain``
(sql/values.py for SQL text) builds the value from the parts a ``Walk`` resolves with
this module's machinery (``module_indexes``: source-order scopes, the module's
functions and class fields; flow/calls.py binding; one budget). The payloads a value
carries, whole or one field, are a ``Domain`` too (flow/payload_values.py). Walker still
apart: query bounds (sql/bounds.py: the queries a response holds); it fits a ``Domain``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name
from backend_audit.appmodel.routes import typed_path_params
from backend_audit.engines.walk import descendants
from backend_audit.flow.branches import constant_truth
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    SELF_NAMES,
    Binding,
    Callee,
    ModuleFunctions,
    bind_arguments,
    class_method,
    held,
    imported_callee,
    imported_method,
    local_callee,
    method_kind,
    object_class,
    param_index,
)
from backend_audit.flow.guards import checked_names, guarded_names
from backend_audit.flow.locals import Flow, string_parts
from backend_audit.flow.reaching import Scope, build_scope, field_key
from backend_audit.flow.specs import (
    INJECTION,
    LIBRARY_PACKAGES,
    WITH_DEFAULT,
    Guarding,
    Spec,
    Verdict,
    allow_list_substitution,
)

PARAM, RETURNS, THROUGH = "param", "returns", "through"
MAX_NEEDS = 8  # alternatives kept for one value: more say nothing a few do not
# Handler parameters that are framework objects, not client values.
NON_INPUT_PARAMS = frozenset({
    "self", "cls", "request", "req", "db", "session", "background_tasks", "response",
    "current_user", "user", "settings", "config", "args", "kwargs", "pk_url_kwarg",
    "resp", "context",  # Falcon's response object; Pyramid's (context, request) views
})
# Route templates: ``<int:id>``/``<path:p>`` (Flask, Quart, Django) and ``{p}``/``{p:path}``
# (FastAPI, Starlette, aiohttp).
_ANGLE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_CURLY_PARAM = re.compile(r"\{(\w+)(?::([^}]*))?\}")
_STDLIB = frozenset(sys.stdlib_module_names)


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class Need:
    """A condition, settled with the summaries of the whole scan, under which a value
    carries a source (see the module docstring)."""

    kind: str  # PARAM, RETURNS or THROUGH
    function: str  # qualified name of the function
    index: int | None = None  # the parameter's position among a call's arguments
    name: str | None = None  # the parameter's name (or the keyword it is passed by)
    inner: tuple[Need, ...] = ()  # THROUGH: what the argument needs (none: a source)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "function": self.function}
        if self.index is not None:
            out["index"] = self.index
        if self.name is not None:
            out["name"] = self.name
        if self.inner:
            out["inner"] = [n.to_json() for n in self.inner]
        return out

    def order(self) -> tuple:
        """A total order of needs: which few are kept of many never depends on the order
        they were found in."""
        return (self.kind, self.function, -1 if self.index is None else self.index,
                self.name or "", tuple(n.order() for n in self.inner))

    @staticmethod
    def from_json(data: dict[str, Any]) -> Need:
        return Need(data["kind"], data["function"], data.get("index"), data.get("name"),
                    tuple(Need.from_json(n) for n in data.get("inner", ())))


@dataclass(frozen=True)
class Reach:
    """What a value carries: the source expression found in this module, or the needs
    under which it would carry one."""

    source: cst.BaseExpression | None = None
    needs: frozenset[Need] = frozenset()
    # The source reaches only through a call the spec knows nothing of
    # (``Spec.opaque_calls``): a weaker answer, kept while a direct one may follow.
    wrapped: bool = False

    def __bool__(self) -> bool:
        return self.source is not None or bool(self.needs)

    @property
    def final(self) -> bool:
        """A source reached directly: no other path can say more."""
        return self.source is not None and not self.wrapped


NOTHING = Reach()


def _either(results: Iterable[Reach | None]) -> Reach:
    """The first direct source among ``results``, else the first wrapped one, else all
    their needs (bounded)."""
    needs: set[Need] = set()
    wrapped: Reach | None = None
    for result in results:
        if result is None:
            continue
        if result.final:
            return result
        if result.source is not None:
            wrapped = wrapped or result
            continue
        needs.update(result.needs)
    return wrapped or Reach(None, _bounded(needs))


def _bounded(needs: set[Need]) -> frozenset[Need]:
    """At most ``MAX_NEEDS`` of ``needs``, the first in their total order."""
    if len(needs) <= MAX_NEEDS:
        return frozenset(needs)
    return frozenset(sorted(needs, key=Need.order)[:MAX_NEEDS])


# ---------------------------------------------------------------------- route inputs
def route_input_params(ctx: ModuleContext, fn: cst.FunctionDef | None = None) -> set[str]:
    """Parameters of a route handler (default: the enclosing one) that hold client
    values."""
    if fn is None:
        fn = ctx.current_function
        route = ctx.current_route()
    else:
        route = ctx.routes.route_for(fn)
    if fn is None or route is None or route.function is not fn:
        return set()
    out: set[str] = set()
    params = fn.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        name = param.name.value
        if name in NON_INPUT_PARAMS and id(param.name) not in ctx.imports.not_requests:
            continue  # (``request: PingIn`` is the body, whatever its name)
        if isinstance(param.default, cst.Call) and \
                last_name(param.default.func) in ("Depends", "Security"):
            continue
        if param.annotation is not None and _not_free_text(param.annotation.annotation):
            continue
        out.add(name)
    if route.graphql is not None:
        out &= route.graphql.argument_names()  # only schema-declared arguments are the client's
    return out - typed_path_params(route.path)


def single_segment_params(ctx: ModuleContext) -> set[str]:
    """Path parameters of the enclosing route that match one URL segment only.

    Routers match the decoded path, so ``<name>`` (Flask, Django ``<str:name>``) and
    ``{name}`` (FastAPI, Starlette, aiohttp) never hold a ``/``; ``<path:name>``,
    ``{name:path}`` and regex parameters may.
    """
    route = ctx.current_route()
    path = route.path if route is not None else None
    if not path:
        return set()
    out = {name for conv, name in _ANGLE_PARAM.findall(path)
           if conv in ("", "string", "str", "slug", "int", "float", "uuid", "any")}
    for name, conv in _CURLY_PARAM.findall(path):
        if conv in ("", "str", "int", "float", "uuid") or (
                conv and "/" not in conv and "." not in conv and "\\S" not in conv and
                "path" not in conv):
            out.add(name)
    return out


def _not_free_text(expr: cst.BaseExpression) -> bool:
    """Dependencies (``Annotated[Session, Depends(get_db)]``), framework objects and
    typed values (``int``, ``UUID``) that cannot carry an injection payload."""
    if isinstance(expr, cst.Subscript):
        for el in expr.slice:
            if isinstance(el.slice, cst.Index) and isinstance(el.slice.value, cst.Call) and \
                    last_name(el.slice.value.func) in ("Depends", "Security"):
                return True
    name = last_name(expr)
    if isinstance(expr, cst.Subscript) and last_name(expr.value) == "Annotated":
        first = expr.slice[0].slice
        if isinstance(first, cst.Index):
            return _not_free_text(first.value)
    return name in ("Request", "HttpRequest", "Session", "AsyncSession", "BackgroundTasks",
                    "Response", "WebSocket", "int", "float", "bool", "UUID", "datetime",
                    "date", "Decimal", "PositiveInt", "conint")


def code_key(ctx: ModuleContext, expr: cst.CSTNode) -> str:
    """The source text of ``expr`` without whitespace, to compare two expressions."""
    return re.sub(r"\s+", "", ctx.module.code_for_node(expr))


def qualified_name(ctx: ModuleContext, fn: cst.FunctionDef,
                   owner: cst.ClassDef | None) -> str:
    middle = f"{owner.name.value}." if owner is not None else ""
    prefix = f"{ctx.module_name}." if ctx.module_name else ""
    return f"{prefix}{middle}{fn.name.value}"


# ---------------------------------------------------------------------- per module
class ModuleIndexes:
    """What the evaluator computes once per module: its functions and the source order
    of each scope it walks (kept for the two most recent modules)."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.functions = ModuleFunctions(module)
        self.scopes: dict[int, Scope] = {}
        self.fields: dict[int, dict[str, list[tuple[cst.FunctionDef, cst.BaseExpression]]]] = {}
        self._guards: dict[tuple[int, int, tuple[str, ...]], frozenset[str]] = {}
        self._nests: dict[int, bool] = {}
        self._class_flows: dict[int, Flow] = {}

    def guards(self, ctx: ModuleContext, spec: Spec, node: cst.FunctionDef | cst.Module,
               at: cst.CSTNode | None, flow: Flow) -> frozenset[str]:
        """The names guards vet (flow/guards.py) for a sink at ``at``: the same for every
        sink of one statement."""
        kind = spec.guards
        if kind is Guarding.NONE or (kind is Guarding.DOMINATING and at is None):
            return frozenset()
        if kind is Guarding.ANYWHERE:
            key: tuple[int, int, tuple[str, ...]] = (id(node), -1, ())
        else:
            assert at is not None
            scope = self.scope(node, flow)
            pos = scope.position(at)
            key = (id(node), scope.statement_at(pos) if pos is not None else -2 - id(at),
                   spec.guard_fragments)
        found = self._guards.get(key)
        if found is None:
            found = checked_names(node, flow) if kind is Guarding.ANYWHERE else \
                guarded_names(node, at, flow, ctx.imports, spec.guard_fragments)
            self._guards[key] = found
        return found

    def within(self, fn: cst.FunctionDef | None) -> list[cst.FunctionDef]:
        """``fn`` when it defines functions of its own (a call in it may reach one)."""
        if fn is None:
            return []
        nests = self._nests.get(id(fn))
        if nests is None:
            nests = self._nests[id(fn)] = any(
                inner is not fn for inner in descendants(fn, cst.FunctionDef))
        return [fn] if nests else []

    def scope(self, node: cst.FunctionDef | cst.Module, flow: Flow) -> Scope:
        found = self.scopes.get(id(node))
        if found is None:
            found = self.scopes[id(node)] = build_scope(node, flow)
        return found

    def class_fields(self, ctx: ModuleContext, cls: cst.ClassDef
                     ) -> dict[str, list[tuple[cst.FunctionDef, cst.BaseExpression]]]:
        """``self.<field>`` -> (method, value) for every ``self.field = value`` in the
        methods of ``cls``."""
        found = self.fields.get(id(cls))
        if found is None:
            found = {}
            body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
            for method in body:
                if isinstance(method, cst.FunctionDef):
                    scope = self.scope(method, ctx.flow(method))
                    for key, values in scope.fields.items():
                        if key.startswith("self.") and key.count(".") == 1:
                            found.setdefault(key, []).extend((method, v) for v in values)
            self.fields[id(cls)] = found
        return found


    def class_flow(self, cls: cst.ClassDef) -> Flow:
        """The assignments of the class body (``model = Order``)."""
        flow = self._class_flows.get(id(cls))
        if flow is None:
            flow = self._class_flows[id(cls)] = Flow(cls)
        return flow

    def self_values(self, ctx: ModuleContext, cls: cst.ClassDef,
                    attr: str) -> list[cst.BaseExpression]:
        """The values ``self.attr`` is given: in the class body and in its methods."""
        fields = self.class_fields(ctx, cls).get(f"self.{attr}", ())
        return [*self.class_flow(cls).values_of(attr), *(v for _, v in fields)]


_INDEXES: list[ModuleIndexes] = []


def module_indexes(ctx: ModuleContext) -> ModuleIndexes:
    for indexes in _INDEXES:
        if indexes.module is ctx.module:
            return indexes
    indexes = ModuleIndexes(ctx.module)
    _INDEXES.insert(0, indexes)
    del _INDEXES[2:]
    return indexes


# ---------------------------------------------------------------------- frames
@dataclass(frozen=True)
class _Instance:
    """An object built from a class of the module: ``self`` in its methods."""

    cls: cst.ClassDef
    constructor: cst.Call | None  # None: an object we know only the class of
    frame: _Frame | None  # where the constructor is called


@dataclass(frozen=True)
class _Frame:
    """Where a walk is: the function whose names it reads, and how to go back to its
    caller for a parameter."""

    scope: Scope
    fn: cst.FunctionDef | None
    owner: cst.ClassDef | None
    qualname: str | None
    inputs: frozenset[str]  # parameters that hold client input (route handlers)
    guarded: frozenset[str]
    binding: Binding | None = None
    caller: _Frame | None = None
    instance: _Instance | None = None
    open_params: bool = False  # other parameters become ``PARAM`` needs
    functions: frozenset[int] = field(default_factory=frozenset)  # ids on the chain


class Taint:
    """Taint queries for one function (default: the enclosing one) or module body.

    ``spec`` says what is a source, a sanitiser and a propagator; ``params`` overrides
    which parameters are sources (default: a route handler's client values); ``at`` is
    the sink, so guards before it count; ``sanitising_attribute`` says which attributes
    clean (``Path(name).name``); ``cleared`` holds expressions (by ``code_key``) a check
    of the function has vetted.
    """

    def __init__(self, ctx: ModuleContext, spec: Spec = INJECTION, *,
                 params: Iterable[str] | None = None, at: cst.CSTNode | None = None,
                 scope: cst.FunctionDef | None = None,
                 sanitising_attribute: Callable[[cst.Attribute, Flow], bool] | None = None,
                 cleared: frozenset[str] = frozenset()) -> None:
        self.ctx = ctx
        self.spec = spec
        self.indexes = module_indexes(ctx)
        fn = scope if scope is not None else ctx.current_function
        node: cst.FunctionDef | cst.Module = fn if fn is not None else ctx.module
        self.flow = ctx.flow(node)
        if params is None:
            params = route_input_params(ctx, scope) if spec.sources.route_params else ()
        self.sanitising_attribute = sanitising_attribute
        self.cleared = cleared
        owner = self.indexes.functions.owner(fn) if fn is not None else None
        is_route = fn is not None and ctx.routes.route_for(fn) is not None
        self.root = _Frame(
            self.indexes.scope(node, self.flow), fn, owner,
            qualified_name(ctx, fn, owner) if fn is not None else None,
            frozenset(params), self._guards(node, at, self.flow),
            open_params=spec.across_modules and fn is not None and not is_route,
            functions=frozenset({id(fn)}) if fn is not None else frozenset())
        self._transformed: dict[str, bool] = {}
        # The frame the walk is in when it asks ``spec.sources`` (sources that read a
        # name's assignments read them in that function), and their per-question memo.
        self.frame = self.root
        self.memo: dict[object, object] = {}
        # What the walks so far looked at (a cheap hint for what a spec may clean).
        self.seen_calls: set[str] = set()
        self.seen_names: set[str] = set()
        self.seen_subscript = False

    @property
    def guarded(self) -> frozenset[str]:
        return self.root.guarded

    def _guards(self, node: cst.FunctionDef | cst.Module, at: cst.CSTNode | None,
                flow: Flow) -> frozenset[str]:
        return self.indexes.guards(self.ctx, self.spec, node, at, flow)

    # ------------------------------------------------------------------ questions
    def source(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The source expression ``expr`` is built from in this module, or None."""
        return self.reach(expr).source

    def reach(self, expr: cst.BaseExpression, budget: Budget | None = None) -> Reach:
        """The source ``expr`` is built from, else the needs under which it would be."""
        return self._walk(expr, self.root, budget or Budget(), frozenset()) or NOTHING

    # ------------------------------------------------------------------ the walk
    def _walk(self, expr: cst.BaseExpression, frame: _Frame, budget: Budget,
              path: frozenset[int]) -> Reach | None:
        if budget.exhausted:
            return None
        budget = budget.deeper()
        spec = self.spec
        if self.cleared and frame is self.root and code_key(self.ctx, expr) in self.cleared:
            return None
        if isinstance(expr, cst.Call):
            self.seen_calls.add(last_name(expr.func) or "")
            if self._sanitiser(expr):  # before the sources: ``request_input`` reads
                return None  # through ``int(...)``
        self.frame = frame
        verdict = spec.sources.match(expr, self)
        if verdict is Verdict.SOURCE:
            return Reach(expr)
        if verdict is Verdict.CLEAN:
            return None
        if spec.stops and any(stop(expr) for stop in spec.stops):
            return None
        if isinstance(expr, cst.Name):
            self.seen_names.add(expr.value)
            return self._name(expr.value, expr, frame, budget, path)
        if isinstance(expr, cst.Await):
            return self._walk(expr.expression, frame, budget, path)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, frame, budget, path)
        if isinstance(expr, cst.Subscript):
            self.seen_subscript = True
            return self._walk(expr.value, frame, budget, path)
        if isinstance(expr, cst.Call):
            return self._call(expr, frame, budget, path)
        if isinstance(expr, cst.NamedExpr):
            return self._walk(expr.value, frame, budget, path)
        if isinstance(expr, cst.BooleanOperation):
            return self._any([expr.left, expr.right], frame, budget, path)
        if isinstance(expr, cst.IfExp):
            truth = constant_truth(expr.test, frame.scope.flow)
            if truth is not None:
                return self._walk(expr.body if truth else expr.orelse, frame, budget, path)
            return self._any([expr.body, expr.orelse], frame, budget, path)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self._any([expr.left, expr.right], frame, budget, path)  # Path / name
        if not spec.string_building or not spec.containers and isinstance(expr, _CONTAINERS):
            return None
        return self._any(_built_from(expr), frame, budget, path)

    def _any(self, parts: Iterable[cst.BaseExpression], frame: _Frame, budget: Budget,
             path: frozenset[int]) -> Reach | None:
        found = _either(self._walk(p, frame, budget, path) for p in parts)
        return found or None

    def _sanitiser(self, call: cst.Call) -> bool:
        spec = self.spec
        name = last_name(call.func) or ""
        return name in spec.sanitisers or \
            (spec.sanitiser_pattern is not None and bool(spec.sanitiser_pattern.search(name))
             and name not in spec.passthrough) or \
            (bool(spec.sanitiser_qualnames) and
             self.ctx.imports.qualname(call.func) in spec.sanitiser_qualnames) or \
            allow_list_substitution(call, self.ctx.imports)

    # ------------------------------------------------------------------ names
    def _name(self, name: str, use: cst.BaseExpression, frame: _Frame, budget: Budget,
              path: frozenset[int]) -> Reach | None:
        if name in frame.guarded or budget.exhausted:
            return None
        # ``s += x`` reads ``s`` again from here, not through ``_walk``: a step of work,
        # or thirty ``flag |= ...`` in a row are followed down 2**30 paths.
        budget.spend()
        if self.spec.replaced_by_transform and frame is self.root and self.transformed_here(name):
            return None
        scope = frame.scope
        defs, entry = scope.reaching_name(name, use)
        results: list[Reach | None] = []
        if entry and name in scope.flow.params:
            results.append(self._param(name, use, frame, budget, path))
            if results[-1] is not None and results[-1].final:
                return results[-1]
        augmented = {id(v) for v in scope.flow.values_of("__aug__" + name)}
        for d in defs:
            if id(d.value) in path:
                continue
            inner = path | {id(d.value)}
            found = self._walk(d.value, frame, budget, inner)
            if id(d.value) in augmented and not (found and found.final):
                # ``s += x``: ``s`` also keeps what it held before
                found = _either([found, self._name(name, d.value, frame, budget, inner)])
            if found is not None and found.final:
                return found
            results.append(found)
        return _either(results) or None

    def transformed_here(self, name: str) -> bool:
        """``name = escape(name)`` / ``next = safe_url(next)``: a value replaced by what a
        transforming call makes of it, anywhere in the function (the replacement is
        taken to happen before the sink)."""
        if name not in self._transformed:
            spec = self.spec
            found = False
            for value in self.flow.values_of(name):
                if isinstance(value, cst.Await):
                    value = value.expression
                if not isinstance(value, cst.Call) or last_name(value.func) in \
                        spec.passthrough or last_name(value.func) in _SHAPING:
                    continue
                if any(isinstance(n, cst.Name) and n.value == name
                       for a in value.args for n in descendants(a.value, cst.Name)):
                    found = True
                    break
            self._transformed[name] = found
        return self._transformed[name]

    def _param(self, name: str, use: cst.BaseExpression, frame: _Frame, budget: Budget,
               path: frozenset[int]) -> Reach | None:
        if name in frame.inputs:
            return Reach(use if isinstance(use, cst.Name) else cst.Name(name))
        if frame.binding is not None and frame.caller is not None:
            return self._any(frame.binding.sources(name), frame.caller, budget, path)
        if frame.open_params and frame.qualname is not None and frame.fn is not None:
            bound = frame.owner is not None and method_kind(frame.fn) != "staticmethod"
            if bound and name in SELF_NAMES:
                return None
            index = param_index(frame.fn, name, bound)
            return Reach(needs=frozenset({Need(PARAM, frame.qualname, index, name)}))
        return None

    # ------------------------------------------------------------------ attributes
    def _attribute(self, expr: cst.Attribute, frame: _Frame, budget: Budget,
                   path: frozenset[int]) -> Reach | None:
        if self.sanitising_attribute is not None and \
                self.sanitising_attribute(expr, frame.scope.flow):
            return None
        results: list[Reach | None] = []
        key = field_key(expr)
        if key is not None:
            defs, _ = frame.scope.reaching(frame.scope.field_values(key), expr)
            for d in defs:
                if id(d.value) not in path:
                    results.append(self._walk(d.value, frame, budget, path | {id(d.value)}))
            if key.startswith("self.") and key.count(".") == 1 and frame.owner is not None:
                results.append(self._class_field(key, frame, budget, path))
        attrs = self.spec.attributes
        if attrs is None or expr.attr.value in attrs:
            results.append(self._walk(expr.value, frame, budget, path))
        return _either(results) or None

    def _class_field(self, key: str, frame: _Frame, budget: Budget,
                     path: frozenset[int]) -> Reach | None:
        """``self.cmd`` given a value in another method of the class."""
        owner = frame.owner
        assert owner is not None
        results: list[Reach | None] = []
        for method, value in self.indexes.class_fields(self.ctx, owner).get(key, ()):
            if method is frame.fn or id(value) in path or not budget.may_call:
                continue
            inner = self._method_frame(method, owner, frame)
            if inner is not None:
                results.append(self._walk(value, inner, budget.call().fresh_depth(),
                                          path | {id(value)}))
        return _either(results) or None

    def _method_frame(self, method: cst.FunctionDef, owner: cst.ClassDef,
                      frame: _Frame) -> _Frame | None:
        """The frame of another method of the class whose object ``frame`` reads."""
        if id(method) in frame.functions:
            return None
        instance = frame.instance
        binding = caller = None
        if method.name.value == "__init__" and instance is not None and \
                instance.cls is owner and instance.constructor is not None:
            binding = bind_arguments(method, instance.constructor, True)
            caller = instance.frame
        route = self.ctx.routes.route_for(method) is not None
        return _Frame(
            self.indexes.scope(method, self.ctx.flow(method)), method, owner,
            qualified_name(self.ctx, method, owner),
            frozenset(route_input_params(self.ctx, method)) if route else frozenset(),
            frozenset(), binding, caller, instance,
            open_params=binding is None and frame.open_params and not route,
            functions=frame.functions | {id(method)})

    # ------------------------------------------------------------------ calls
    def _call(self, call: cst.Call, frame: _Frame, budget: Budget,
              path: frozenset[int]) -> Reach | None:
        spec = self.spec
        name = last_name(call.func) or ""
        method = isinstance(call.func, cst.Attribute)
        args = [a.value for a in call.args]
        if name in spec.wrappers:
            return self._any(args, frame, budget, path)
        if name in spec.passthrough or (method and name == "join"):
            parts = args
            if method and name in spec.receiver_only:
                parts = args[1:2] if name in WITH_DEFAULT else []
            if isinstance(call.func, cst.Attribute):
                parts = [call.func.value, *parts]
            return self._any(parts, frame, budget, path)
        return self._project_call(call, frame, budget, path)

    def _project_call(self, call: cst.Call, frame: _Frame, budget: Budget,
                      path: frozenset[int]) -> Reach | None:
        if not budget.may_call:
            return self._opaque(call, frame, budget, path)
        functions = self.indexes.functions
        callee = local_callee(call, functions, frame.owner, self.indexes.within(frame.fn))
        instance = frame.instance if callee is not None and callee.owner is frame.owner \
            else None
        if callee is None:
            callee, instance = self._object_method(call, frame)
        if callee is not None:
            if callee.constructor:  # the object as a whole is no value a sink takes
                return self._opaque(call, frame, budget, path)
            return self._inline(callee, call, frame, budget.call(), path, instance)
        if not self.spec.across_modules:
            return self._opaque(call, frame, budget, path)
        qual = imported_callee(call, self.ctx.imports, self.ctx.path) or \
            self._imported_method(call, frame)
        if qual is None or not project_function(qual):
            return None
        needs = {Need(RETURNS, qual)}
        for index, arg in enumerate(call.args):
            if arg.star:
                continue
            found = self._walk(arg.value, frame, budget, path)
            if not found:
                continue
            inner = () if found.source is not None else \
                tuple(sorted(found.needs, key=Need.order)[:MAX_NEEDS])
            keyword = arg.keyword.value if arg.keyword is not None else None
            needs.add(Need(THROUGH, qual, index if keyword is None else None, keyword, inner))
            if found.source is not None and len(needs) >= MAX_NEEDS:
                break
        return Reach(needs=_bounded(needs))

    def _opaque(self, call: cst.Call, frame: _Frame, budget: Budget,
                path: frozenset[int]) -> Reach | None:
        """A call the spec knows nothing of: what its arguments carry, wrapped, when the
        spec says such calls hand their arguments on (``Spec.opaque_calls``)."""
        if not self.spec.opaque_calls:
            return None
        found = self._any([a.value for a in call.args], frame, budget, path)
        if found is None or found.source is None:
            return None
        return Reach(found.source, wrapped=True)

    def _inline(self, callee: Callee, call: cst.Call, frame: _Frame, budget: Budget,
                path: frozenset[int], instance: _Instance | None) -> Reach | None:
        """What a function of the module returns, its parameters bound to ``call``."""
        fn = callee.function
        if id(fn) in frame.functions:
            return None
        flow = self.ctx.flow(fn)
        scope = self.indexes.scope(fn, flow)
        binding = bind_arguments(fn, call, callee.bound)
        qual = qualified_name(self.ctx, fn, callee.owner)
        results: list[Reach | None] = []
        for value in flow.returns:
            guarded = self.indexes.guards(self.ctx, self.spec, fn, value, flow)
            inner = _Frame(scope, fn, callee.owner, qual, frozenset(), guarded, binding,
                           frame, instance, functions=frame.functions | {id(fn)})
            found = self._walk(value, inner, budget.fresh_depth(), path)
            if found is not None and found.final:
                return found
            results.append(found)
        return _either(results) or None

    def _object_class(self, receiver: cst.BaseExpression,
                      frame: _Frame) -> cst.BaseExpression | None:
        """The class of the object ``receiver`` holds where ``frame`` reads it
        (``flow.calls.object_class``)."""
        ctx, indexes = self.ctx, self.indexes
        module = indexes.scope(ctx.module, ctx.flow(ctx.module))
        owner = frame.owner
        return object_class(receiver, frame.scope, frame.fn,
                            lambda name: held(module, name, None),
                            lambda attr: indexes.self_values(ctx, owner, attr) if owner else [])

    def _object_method(self, call: cst.Call, frame: _Frame
                       ) -> tuple[Callee | None, _Instance | None]:
        """``w = Wrapper(request); w.param("q")`` with ``Wrapper`` a class of the module:
        its method, and the object (its constructor call, when the receiver names one)."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None, None
        functions = self.indexes.functions
        made = self._object_class(func.value, frame)
        callee = class_method(made, func.attr.value, functions)
        if callee is None:
            return None, None
        assert isinstance(made, cst.Name)
        receiver = func.value
        values = [receiver] if isinstance(receiver, cst.Call) else \
            held(frame.scope, receiver.value, call) if isinstance(receiver, cst.Name) else []
        ctor = next((v for v in values if isinstance(v, cst.Call) and
                     isinstance(v.func, cst.Name) and v.func.value == made.value), None)
        return callee, _Instance(functions.classes[made.value], ctor, frame)

    def _imported_method(self, call: cst.Call, frame: _Frame) -> str | None:
        """``w = RequestWrapper(request); w.param("q")`` with the class imported:
        ``helpers.RequestWrapper.param``."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        return imported_method(self._object_class(func.value, frame), func.attr.value,
                               self.ctx.imports, self.ctx.path)


# Calls that reshape a value but keep what it says (``x = x.strip()``, ``"".join(x)``).
_SHAPING = frozenset({"join", "format", "strip", "lower", "upper", "replace", "str",
                      "unquote", "unquote_plus", "decode", "encode", "urljoin"})


_CONTAINERS = (cst.Tuple, cst.List, cst.Set, cst.Dict, cst.ListComp, cst.SetComp,
               cst.DictComp, cst.GeneratorExp, cst.StarredElement)


def _built_from(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The direct parts of a string or container an expression builds."""
    if isinstance(expr, cst.DictComp):
        return [expr.key, expr.value]
    if isinstance(expr, cst.StarredElement):
        return [expr.value]
    return [p for p in string_parts(expr) if p is not expr]


def project_function(qual: str) -> bool:
    """May ``qual`` (an imported name) be a function of the scanned project?"""
    top = qual.split(".")[0]
    return top not in _STDLIB and top not in LIBRARY_PACKAGES


def outside_callee(taint: Taint, call: cst.Call) -> str | None:
    """The qualified name of the project function ``call`` reaches outside the module's
    own functions: an import (not the standard library's), a method of an object built
    from an imported class, or a method of an object built from a class of the module."""
    qual = imported_callee(call, taint.ctx.imports, taint.ctx.path) or \
        taint._imported_method(call, taint.root)
    if qual is not None:
        return qual if project_function(qual) else None
    callee, _ = taint._object_method(call, taint.root)
    if callee is None:
        return None
    return qualified_name(taint.ctx, callee.function, callee.owner)
