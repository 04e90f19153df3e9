"""Records function summaries for the taint evaluator across modules.

Fact ``taint-returns``: ``{"name": "app.wrappers.RequestArgs.get", "source": bool,
"needs": [need...], "clean_for": [spec names]}`` for every top-level function and method
whose result carries client input (``source``) or would under ``needs`` (its own
parameters: "returns what parameter k holds"; other modules' functions).

Fact ``taint-call``: ``{"callee": "app.services.ping.run", "index": k | None,
"keyword": name | None, "source": bool, "needs": [...], "clean_for": [...]}`` for every
argument of a call to a project function (of this module or, through an import,
another) that carries client input or would under ``needs``.

``clean_for`` names the specs (flow/specs.py) under which the value is found clean, so
a value ``shlex.quote``-d before it is passed on does not count for command injection
and still counts for the others; ``narrowed`` (when present) gives, by spec name, the
``source`` and ``needs`` of a spec that cleans part of the value (``prefix +
name.split(".")[-1]`` carries ``prefix`` and not ``name`` into a path). Settled by
flow/needs.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.test_context import is_test_path
from backend_audit.engines.walk import descendants
from backend_audit.flow.calls import local_callee
from backend_audit.flow.locals import is_literal
from backend_audit.flow.specs import CROSS_MODULE, SUMMARY, Guarding, Spec
from backend_audit.flow.taint import (
    Need,
    Reach,
    Taint,
    module_indexes,
    outside_callee,
    qualified_name,
)
from backend_audit.visitor import Collector

# Fact keys this collector produces (read by flow/needs.py).
RETURNS_FACT = "taint-returns"
CALL_FACT = "taint-call"


def _needs_json(found: Reach) -> list[dict]:
    return [n.to_json() for n in sorted(found.needs, key=Need.order)]


class TaintSummaries(Collector):
    words = ("def ",)
    skips_migrations = True  # no handler calls a migration's functions
    source_pattern = r"(?:^|\r)\ufeff?[ \t\f]*(?:async(?:\s|\\)+)?def(?:\s|\\)"

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        # A test calls the project's functions with values of its own, never a request's.
        self.skip = is_test_path(ctx.path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # The engine has already pushed ``node`` on the function stack.
        ctx = self.ctx
        if self.skip or len(ctx.function_stack) > 1 or len(ctx.class_stack) > 1:
            return
        indexes = module_indexes(ctx)
        owner = indexes.functions.owner(node)
        if ctx.class_stack and owner is None:
            return
        if ctx.routes.route_for(node) is None:
            self._returns(node, qualified_name(ctx, node, owner))
        self._calls(node)

    def _returns(self, fn: cst.FunctionDef, name: str) -> None:
        flow = self.ctx.flow(fn)
        answers: list[tuple[Reach, dict[str, Reach]]] = []
        loose = Taint(self.ctx, SUMMARY, scope=fn)
        for value in flow.returns:
            if is_literal(value) or not loose.reach(value):
                continue
            taint = Taint(self.ctx, SUMMARY, scope=fn, at=value)
            reach = taint.reach(value)
            if reach:
                answers.append((reach, self._by_question(fn, value, value, taint, reach)))
        if not answers:
            return
        found = _union(r for r, _ in answers)
        # a spec's answer for the function: its own where it differs, else the summary's
        by_spec = {spec: _union(own.get(spec, r) for r, own in answers)
                   for spec in sorted({s for _, own in answers for s in own})}
        self.ctx.add_fact(RETURNS_FACT, {
            "name": name, "source": found.source is not None, "needs": _needs_json(found),
            **_differences(found, by_spec),
        })

    def _calls(self, fn: cst.FunctionDef) -> None:
        ctx = self.ctx
        indexes = module_indexes(ctx)
        loose = Taint(ctx, SUMMARY, scope=fn)
        nested = {id(c) for inner in descendants(fn, cst.FunctionDef, cst.Lambda)
                  if inner is not fn for c in descendants(inner, cst.Call)}
        owner, within = indexes.functions.owner(fn), indexes.within(fn)
        for call in descendants(fn, cst.Call):
            if id(call) in nested or all(a.star or is_literal(a.value) for a in call.args):
                continue
            callee = local_callee(call, indexes.functions, owner, within)
            if callee is not None:
                name = qualified_name(ctx, callee.function, callee.owner)
            else:
                name = outside_callee(loose, call)
            if name is None:
                continue
            tainted = [(i, a) for i, a in enumerate(call.args)
                       if not a.star and loose.reach(a.value)]
            if not tainted:
                continue
            taint = Taint(ctx, SUMMARY, scope=fn, at=call)
            for index, arg in tainted:
                found = taint.reach(arg.value)
                if not found:
                    continue
                keyword = arg.keyword.value if arg.keyword is not None else None
                ctx.add_fact(CALL_FACT, {
                    "callee": name, "index": index if keyword is None else None,
                    "keyword": keyword, "source": found.source is not None,
                    "needs": _needs_json(found),
                    **_differences(found, self._by_question(fn, arg.value, call, taint, found)),
                })

    def _by_question(self, fn: cst.FunctionDef, value: cst.BaseExpression, at: cst.CSTNode,
                     summary: Taint, found: Reach) -> dict[str, Reach]:
        """The answers of the specs that clean more of ``value`` than the summary does (a
        falsy answer: clean), by spec name. A spec is asked only when the summary's walk
        met something it may clean with (one of its sanitisers, a shape one of its stops
        matches, or a name its guards check)."""
        calls, names = summary.seen_calls, summary.seen_names
        answers: dict[str, Reach] = {}
        for spec, same in _QUESTIONS:
            maybe = bool(calls & (spec.sanitisers | _last_names(spec.sanitiser_qualnames)))
            maybe = maybe or (spec.sanitiser_pattern is not None and
                              any(spec.sanitiser_pattern.search(c) for c in calls))
            maybe = maybe or (bool(spec.stops) and ("replace" in calls or summary.seen_subscript))
            if spec.guards is Guarding.ANYWHERE and not maybe:
                maybe = bool(names & module_indexes(self.ctx).guards(
                    self.ctx, spec, fn, at, self.ctx.flow(fn)))
            if not maybe:
                continue
            own = Taint(self.ctx, spec, scope=fn, at=at).reach(value)
            if not own or (own.source is None and found.source is not None) or \
                    own.needs < found.needs:
                answers.update((name, own) for name in same)
        return {spec.name: answers[spec.name] for spec in CROSS_MODULE if spec.name in answers}


def _union(found: Iterable[Reach]) -> Reach:
    """What several values carry together (a source found keeps a value's needs)."""
    reaches = list(found)
    source = next((r.source for r in reaches if r.source is not None), None)
    return Reach(source, frozenset(n for r in reaches for n in r.needs))


def _differences(found: Reach, by_spec: dict[str, Reach]) -> dict[str, object]:
    """``clean_for``: the specs under which the value is clean; ``narrowed``: those under
    which it carries less than ``found`` (a source no more, or fewer needs)."""
    clean = [spec for spec, own in by_spec.items() if not own]
    narrowed = {spec: {"source": own.source is not None, "needs": _needs_json(own)}
                for spec, own in by_spec.items()
                if own and (own.source is not None, own.needs) !=
                (found.source is not None, found.needs)}
    out: dict[str, object] = {"clean_for": clean}
    if narrowed:
        out["narrowed"] = narrowed
    return out


def _questions() -> tuple[tuple[Spec, tuple[str, ...]], ...]:
    """The cross-module specs, those that ask the same question under different names
    together (a spec's answer depends on its sources, sanitisers, guards...; its name
    only labels it): each question is asked once."""
    groups: dict[Spec, tuple[Spec, list[str]]] = {}
    for spec in CROSS_MODULE:
        groups.setdefault(spec.but(name=""), (spec, []))[1].append(spec.name)
    return tuple((spec, tuple(names)) for spec, names in groups.values())


_QUESTIONS = _questions()


def _last_names(qualnames: frozenset[str]) -> frozenset[str]:
    return frozenset(q.rsplit(".", 1)[-1] for q in qualnames)
