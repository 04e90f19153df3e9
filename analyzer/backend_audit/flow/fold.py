"""The evaluator's second answer: a value a spec builds from the parts it walks.

Defines no rule. ``Taint`` (flow/taint.py) answers which source a value carries; some
questions need the value itself, built from its parts: the SQL text a query runs is
literal text, placeholders and holes in order (sql/values.py). A ``Domain`` says what
each kind of expression builds from its parts (string building, containers, calls it
knows) and how alternatives join; it asks a ``Walk`` for the value of each part. The
``Walk`` is where the evaluator stands, and resolves what no expression shows by itself,
with the same machinery as ``Taint``:

- a local name, by the assignments that reach the read in source order
  (flow/reaching.py, branches that never run skipped, ``a, b = f()`` one element);
  ``s += x`` grows the value ``s`` held there (``Domain.grow``), and a text grown by
  optional steps is read as if every step ran (where a hole sits does not depend on
  which optional clauses are there); a container holds what is appended to it;
- a parameter, by the argument the call being followed binds to it
  (``flow.calls.bind_arguments``), else as the domain says (``Domain.param``: a route's
  client value, what the module's own callers pass...);
- a function of the module (``flow.calls.local_callee``), by what it returns with its
  parameters bound to the call's arguments; ``self.x``, by what the class body and its
  methods assign; a module-level name, by the module's assignments.

The walk also answers which object a name holds where it is read (``held``,
``instance_class``: ``repo = OrderRepo(db)`` in the function or at module level,
``self.repo`` set by the class, a parameter annotated with a class), so the method
``repo.search(...)`` runs is found the same way by every check.

One ``Budget`` (flow/budget.py) bounds each question; past it the domain's ``unknown``
stands for the rest. Answers found without crossing into a helper are kept per module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    SELF_NAMES,
    Callee,
    bind_arguments,
    held,
    local_callee,
    object_class,
)
from backend_audit.flow.locals import Flow
from backend_audit.flow.reaching import Definition, Scope
from backend_audit.flow.taint import ModuleIndexes, module_indexes

V = TypeVar("V")


class Domain(Protocol[V]):
    """What a spec builds (see the module docstring)."""

    unknown: V  # past the budget, or nothing to go on: never taken as harmless
    nothing: V  # no value at all (a function without ``return``; a cycle's other end)
    number: V  # a count or an index

    def build(self, expr: cst.BaseExpression, walk: Walk[V]) -> V: ...

    def join(self, values: list[V]) -> V: ...

    def grow(self, before: V, added: V) -> V: ...

    def bound(self, value: V) -> V:
        """An argument bound to a parameter, or a value stored in a field: a value
        handed over, no longer built where it is read."""
        ...

    def param(self, name: str, walk: Walk[V]) -> V:
        """A parameter no call being followed binds."""
        ...

    def free(self, name: str, walk: Walk[V]) -> V:
        """A name the function never assigns: a global, an import, a closure's."""
        ...

    def guards(self, walk: Walk[V]) -> frozenset[str]:
        """Names the function vets before use (they read as harmless)."""
        ...


@dataclass
class _Module(Generic[V]):
    """Per module: the evaluator's indexes and the answers kept."""

    ctx: ModuleContext
    domain: Domain[V]
    indexes: ModuleIndexes
    answers: dict[tuple[int, int], V] = field(default_factory=dict)
    walks: dict[int, Walk[V]] = field(default_factory=dict)  # by id of the function


class Walk(Generic[V]):
    """Where the evaluator stands in one function (or the module body). Immutable; a
    plain slotted class, as a walk makes one per step."""

    __slots__ = ("bindings", "budget", "class_def", "flow", "function", "guarded", "kept",
                 "locals", "path", "scope", "state")

    def __init__(self, state: _Module[V], function: cst.FunctionDef | None,
                 class_def: cst.ClassDef | None, flow: Flow, scope: Scope) -> None:
        self.state = state
        self.function = function
        self.class_def = class_def
        self.flow = flow
        self.scope = scope
        self.guarded: frozenset[str] = frozenset()
        self.bindings: Mapping[str, V] | None = None  # parameters the followed call binds
        self.locals: Mapping[str, V] = {}  # comprehension variables
        self.budget = Budget()
        self.path: frozenset[int] = frozenset()  # values being walked (a cycle's end)
        self.kept: dict[tuple[int, int], V] | None = None  # see ``with_kept_bindings``

    def _with(self, **changes: object) -> Walk[V]:
        # Written out slot by slot: a walk makes one per step, and a loop over the
        # slots with ``getattr`` cost more than the steps themselves.
        out: Walk[V] = object.__new__(Walk)
        out.bindings = self.bindings
        out.budget = self.budget
        out.class_def = self.class_def
        out.flow = self.flow
        out.function = self.function
        out.guarded = self.guarded
        out.kept = self.kept
        out.locals = self.locals
        out.path = self.path
        out.scope = self.scope
        out.state = self.state
        for slot, value in changes.items():
            setattr(out, slot, value)
        return out

    # ------------------------------------------------------------------ places
    @property
    def ctx(self) -> ModuleContext:
        return self.state.ctx

    @property
    def domain(self) -> Domain[V]:
        return self.state.domain

    @property
    def base(self) -> bool:
        """The function's own walk, outside any call followed: answers found here are
        kept."""
        own = self.state.walks.get(id(self.function))
        return own is not None and self.bindings is None and not self.locals and \
            not self.path and self.guarded is own.guarded and self.budget.calls == 0

    def at(self, function: cst.FunctionDef | None, budget: Budget | None = None) -> Walk[V]:
        """The walk of another function of the module (None: the module body)."""
        found = start(self.ctx, self.domain, function)
        return found if budget is None else found._with(budget=budget)

    def with_locals(self, names: Mapping[str, V]) -> Walk[V]:
        return self._with(locals={**self.locals, **names})

    def with_guards(self, names: frozenset[str] | set[str]) -> Walk[V]:
        return self._with(guarded=self.guarded | names, kept=None)

    def with_bindings(self, bindings: Mapping[str, V]) -> Walk[V]:
        return self._with(bindings=bindings, kept=None)

    def with_kept_bindings(self, bindings: Mapping[str, V]) -> Walk[V]:
        """``with_bindings`` for many questions about one function under the same
        bindings (a function summary's parameters): the answers found in the function
        itself, outside any call followed, are kept with this walk."""
        return self._with(bindings=bindings, kept={})

    def with_budget(self, budget: Budget) -> Walk[V]:
        return self._with(budget=budget)

    # ------------------------------------------------------------------ values
    def value(self, expr: cst.BaseExpression) -> V:
        """What ``expr`` builds, read by the domain."""
        budget = self.budget
        if budget.exhausted:
            return self.domain.unknown
        budget.spend()
        answers = self.state.answers if self.base else \
            self.kept if self.kept is not None and not self.locals and not self.path else None
        key = (id(expr), id(self.function))
        if answers is not None and key in answers:
            return answers[key]
        result = self.domain.build(expr, self._with(budget=budget.deeper()))
        if answers is not None and not budget.exhausted:
            answers[key] = result
        return result

    def reaching(self, name: str, use: cst.CSTNode | None) -> tuple[list[Definition], bool]:
        """The definitions of ``name`` that reach ``use`` (a container's appended items
        among them: a dict's stored values are not what iterating it yields), and
        whether the value it had on entry still does."""
        return self.scope.reaching_name(name, use, "items")

    def name(self, name: str, use: cst.CSTNode | None) -> V:
        """A name read at ``use`` (None: wherever the walk ends)."""
        if name in self.locals:
            return self.locals[name]
        # Each read is a step of the question's work: a chain of ``x += ...`` reads every
        # earlier step again, and without this charge a spent question went on doing so.
        if self.budget.exhausted:
            return self.domain.unknown
        self.budget.spend()
        defs, entry = self.reaching(name, use)
        if not defs:
            if name in self.flow.params:
                return self.parameter(name)
            if self.flow.values_of(name) or self.flow.items_of(name):
                return self.domain.nothing  # given a value only after this read
            return self.domain.free(name, self)
        grown = {id(v) for v in self.flow.values_of("__aug__" + name)}
        defs = _every_step(self, name, defs, grown)
        values: list[V] = []
        for d in defs:
            if id(d.value) in self.path:
                continue
            inner = self._with(path=self.path | {id(d.value)})
            found = inner.definition(name, d.value)
            if id(d.value) in grown:
                found = self.domain.grow(inner.name(name, d.value), found)
            values.append(found)
        if entry and name in self.flow.params:
            values.append(self.parameter(name))
        return self.domain.join(values) if values else self.domain.nothing

    def definition(self, name: str, value: cst.BaseExpression) -> V:
        """What ``name`` takes from one value it is given (``a, b = f()``: an element;
        ``for i in range(n)``, ``for i, x in enumerate(xs)``: ``i`` a number)."""
        counted = last_name(value.func) if isinstance(value, cst.Call) else None
        if counted == "range":
            return self.domain.number
        index = self.flow.position_in(name, value)
        if index is None:
            return self.value(value)
        if counted == "enumerate" and index == 0:
            return self.domain.number
        if isinstance(value, cst.Call):
            callee = self.callee(value)
            if callee is not None and self.budget.may_call:
                return self.returns(callee, value, index)
        if isinstance(value, (cst.Tuple, cst.List)) and index < len(value.elements):
            return self.value(value.elements[index].value)
        return self.value(value)

    def parameter(self, name: str) -> V:
        if self.bindings is not None and name in self.bindings:
            return self.bindings[name]
        return self.domain.param(name, self)

    # ------------------------------------------------------------------ calls
    def callee(self, call: cst.Call) -> Callee | None:
        """The module's function or method ``call`` runs (a constructor is not followed:
        ``__init__`` returns no value)."""
        callee = local_callee(call, self.state.indexes.functions, self.class_def)
        return None if callee is None or callee.constructor else callee

    def returns(self, callee: Callee, call: cst.Call, element: int | None = None) -> V:
        """What ``callee`` returns with its parameters bound to ``call``'s arguments
        (``element``: that element of a returned tuple)."""
        fn = callee.function
        if fn is self.function or not self.budget.may_call:
            return self.domain.unknown
        binding = bind_arguments(fn, call, callee.bound)
        bound: dict[str, V] = {}
        for pname in self.ctx.flow(fn).params:
            arg = binding.argument(pname)
            if arg is not None and pname not in SELF_NAMES:
                bound[pname] = self.domain.bound(self.value(arg))
        inner = self.at(fn, self.budget.call()).with_bindings(bound)
        if not inner.flow.returns:
            return self.domain.nothing
        values = []
        for ret in inner.flow.returns:
            if element is not None and isinstance(ret, (cst.Tuple, cst.List)) and \
                    element < len(ret.elements):
                ret = ret.elements[element].value
            values.append(inner.value(ret))
        return self.domain.join(values)

    # ------------------------------------------------------------------ objects
    def held(self, name: str, use: cst.CSTNode | None) -> list[cst.BaseExpression]:
        """The expressions ``name`` is assigned from that reach ``use`` (None: the end of
        the walked scope): ``flow.calls.held``."""
        return held(self.scope, name, use)

    def instance_class(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The class, as written, of the object ``expr`` holds where the walk reads it
        (``flow.calls.object_class``: a constructor or row fetch, a name's reaching
        values, else the module's object; ``self.x`` from the class body and methods; a
        parameter's annotation)."""
        return object_class(expr, self.scope, self.function,
                            lambda name: self.at(None).held(name, None), self.self_values)

    def self_values(self, attr: str) -> list[cst.BaseExpression]:
        """The values ``self.attr`` is given: in the class body and in its methods."""
        cls = self.class_def
        return self.state.indexes.self_values(self.ctx, cls, attr) if cls is not None else []

    def class_field(self, attr: str) -> tuple[list[V], list[V]]:
        """``self.attr``: what the class body assigns, and what ``self.attr = ...`` in
        its methods does."""
        cls = self.class_def
        if cls is None or not isinstance(cls.body, cst.IndentedBlock):
            return [], []
        flow = self.state.indexes.class_flow(cls)
        module = self.at(None, self.budget)
        body = [module.value(v) for v in flow.values_of(attr) if id(v) not in self.path]
        stored = []
        fields = self.state.indexes.class_fields(self.ctx, cls).get(f"self.{attr}", ())
        for method, value in fields:
            if id(value) not in self.path:
                inner = self.at(method, self.budget)._with(path=self.path | {id(value)})
                stored.append(inner.value(value))
        return body, stored


def _every_step(walk: Walk[V], name: str, defs: list[Definition],
                grown: set[int]) -> list[Definition]:
    """Among the definitions reaching a read, drop those a reaching ``name += ...``
    grows from: an optional step is read as taken."""
    steps = [d for d in defs if id(d.value) in grown]
    if not steps:
        return defs
    before: set[int] = set()
    for d in steps:
        earlier, _ = walk.reaching(name, d.value)
        before.update(id(e.value) for e in earlier)
    return [d for d in defs if id(d.value) not in before] or defs


def start(ctx: ModuleContext, domain: Domain[V],
          function: cst.FunctionDef | None) -> Walk[V]:
    """The walk of ``function`` (None: the module body) for ``domain``'s questions; one
    state per (module, domain)."""
    state = _state(ctx, domain)
    found = state.walks.get(id(function))
    if found is not None:
        return found
    node: cst.FunctionDef | cst.Module = function if function is not None else ctx.module
    flow = ctx.flow(node)
    owner = state.indexes.functions.owner(function) if function is not None else None
    walk = Walk(state, function, owner, flow, state.indexes.scope(node, flow))
    state.walks[id(function)] = walk
    walk.guarded = domain.guards(walk)
    return walk


_STATES: list[_Module] = []  # type: ignore[type-arg]
_KEPT_STATES = 6  # SQL text, query rows, payloads and the payload flow's two small ones


def _state(ctx: ModuleContext, domain: Domain[V]) -> _Module[V]:
    for state in _STATES:
        if state.ctx is ctx and state.domain is domain:
            return state
    state = _Module(ctx, domain, module_indexes(ctx))
    _STATES.insert(0, state)
    # Several domains walk the same module in one traversal (SQL text, payloads): keep
    # each one's state while the module is being checked.
    del _STATES[_KEPT_STATES:]
    return state
