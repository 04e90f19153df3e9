"""The base of checks of the form "a source reaches this call's argument".

Defines no rule (``TaintedSinkCheck`` carries no ``rule_id``, so check discovery skips
it). A subclass names its ``spec`` (flow/specs.py) and implements ``sink_args``. Client
input found in the module is reported at once; a value that carries input only if
another function's callers or results do (``Reach.needs``) is reported as a candidate
that ``resolve`` keeps once the function summaries of the whole scan confirm one of
its needs (flow/needs.py).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.locals import Flow
from backend_audit.flow.needs import needs_data, settle
from backend_audit.flow.specs import INJECTION, Spec
from backend_audit.flow.taint import Reach, Taint, route_input_params
from backend_audit.visitor import Candidate, Check


class TaintedSinkCheck(Check):
    """Subclasses implement ``sink_args``: the arguments of ``call`` that must not carry
    client input (empty when ``call`` is not a sink). They may change the ``spec``, the
    parameters that count as input (``input_params``) and the attributes that sanitise
    (``sanitising_attribute``)."""

    spec: ClassVar[Spec] = INJECTION

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        raise NotImplementedError

    def input_params(self, at: cst.CSTNode) -> set[str]:
        return route_input_params(self.ctx)

    def sanitising_attribute(self, attr: cst.Attribute, flow: Flow) -> bool:
        return False

    def taint(self, at: cst.CSTNode) -> Taint:
        return Taint(self.ctx, self.spec, params=self.input_params(at), at=at,
                     sanitising_attribute=self.sanitising_attribute)

    def visit_Call(self, node: cst.Call) -> None:
        args = self.sink_args(node)
        if not args:
            return
        taint = self.taint(node)
        pending: list[Reach] = []
        for arg in args:
            found = taint.reach(arg)
            if found.source is not None and self.accept(arg, found.source):
                self.report(node)
                return
            if found.needs and self.accept(arg, None):
                pending.append(found)
        if pending:
            self.report(node, **needs_data(pending, self.spec))

    def accept(self, arg: cst.BaseExpression, source: cst.BaseExpression | None) -> bool:
        """Last word on a tainted argument (e.g. leave upload filenames to BA1201);
        ``source`` is None when the input comes through another function."""
        return True

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        return settle(candidate, project)
