"""BA103: a bound DRF serializer or Django/WTForms form is used without a checked is_valid()."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from backend_audit.appmodel.names import dotted_name, get_arg, last_name
from backend_audit.engines.walk import descendants, own_returns, walk
from backend_audit.flow.passwords import is_credential_check
from backend_audit.flow.payload import class_info
from backend_audit.flow.payload_shapes import function_body
from backend_audit.visitor import Check

VALIDATE_CALLS = frozenset({"is_valid", "validate", "validate_on_submit"})
# Reads of a bound serializer/form that assume validation happened.
USES = frozenset({"save", "validated_data", "cleaned_data", "populate_obj", "data",
                  "initial_data"})
SERIALIZER_FACTORIES = frozenset({"get_serializer", "serializer_class"})
# What is_valid() leaves behind whatever it answered: the fields that passed (Django's
# ``cleaned_data``; DRF's ``validated_data``, empty when validation failed).
VALIDATED_READS = frozenset({"cleaned_data", "validated_data"})


@dataclass
class _Bound:
    kind: str  # serializer | form
    checked: bool = False  # is_valid() whose result is used, or raise_exception=True
    ignored: cst.Call | None = None  # is_valid() as a bare statement
    uses: list[cst.CSTNode] = field(default_factory=list)
    bypass: list[cst.CSTNode] = field(default_factory=list)  # initial_data / raw form.data
    # Raw reads once a checked is_valid() has passed: fields the serializer does not
    # take (read-only nested ids), read back after the payload's shape was checked.
    late_bypass: list[cst.CSTNode] = field(default_factory=list)


class SerializerOrFormUnvalidated(Check):
    rule_id = "BA103"
    requires_frameworks = frozenset({"drf", "django", "flask"})

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # Nothing to follow unless the function binds a serializer or form somewhere
        # (the shared body index answers that without another pass).
        if not any(self.bound_kind(call) for call in function_body(self.ctx, node).assigned_calls):
            return
        bound: dict[str, _Bound] = {}
        walk(node.body, _Finder(self, bound))
        if any(state.uses or state.bypass or state.late_bypass for state in bound.values()):
            checks = _PasswordChecks(node.body)
            for state in bound.values():
                state.uses = [u for u in state.uses if not checks.only_checked(u)]
                state.bypass = [b for b in state.bypass if not checks.only_checked(b)]
                state.late_bypass = [b for b in state.late_bypass if not checks.only_checked(b)]
        returned = {r.value.value for r in own_returns(node.body)
                    if isinstance(r.value, cst.Name)}
        for name, state in bound.items():
            if state.bypass or state.late_bypass:
                self.report((state.bypass or state.late_bypass)[0],
                            confidence="high" if state.bypass else "low",
                            message="Raw input is read back from a bound serializer/form "
                                    "(initial_data, or form.data instead of cleaned_data), "
                                    "bypassing its validation.")
            elif state.checked:
                continue
            elif state.ignored is not None:
                if state.uses and all(isinstance(u, cst.Attribute) and u.attr.value in
                                      VALIDATED_READS for u in state.uses):
                    continue  # only the validated values are read: invalid ones are dropped
                self.report(state.ignored, confidence="high",
                            message="The result of is_valid() is ignored: invalid input goes "
                                    "on to be saved. Use is_valid(raise_exception=True) or "
                                    "branch on its result.")
            elif name in returned and all(isinstance(u, cst.Attribute) and
                                          u.attr.value == "data" for u in state.uses):
                # A form factory: it reads a field to pick a default or the choices and
                # hands the form back; its callers validate it before using it.
                continue
            elif state.uses:
                self.report(state.uses[0], confidence="high")

    def bound_kind(self, call: cst.Call) -> str | None:
        """``serializer``/``form`` when ``call`` builds one bound to client data."""
        name = last_name(call.func)
        if name is None:
            return None
        has_data = get_arg(call, "data") is not None
        if name in SERIALIZER_FACTORIES or (isinstance(call.func, cst.Call) and
                                            last_name(call.func.func) ==
                                            "get_serializer_class"):
            return "serializer" if has_data else None
        if not name[:1].isupper():
            return None
        kind = None
        if name.endswith("Serializer"):
            kind = "serializer"
        elif name.endswith("Form"):
            kind = "form"
        else:
            info = class_info(self.ctx, call.func)
            if info.kind == "validator" and info.qualname:
                kind = "serializer" if "serializer" in info.qualname.lower() else None
        if kind == "serializer":
            return kind if has_data else None
        if kind == "form":
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if has_data or positional or "flask" in self.ctx.frameworks:
                return kind
        return None


class _Finder(cst.CSTVisitor):
    def __init__(self, check: SerializerOrFormUnvalidated, bound: dict[str, _Bound]) -> None:
        self.check = check
        self.bound = bound
        self._bare: set[int] = set()
        self._used: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call):
            kind = self.check.bound_kind(node.value)
            if kind:
                for t in node.targets:
                    if isinstance(t.target, cst.Name):
                        self.bound[t.target.value] = _Bound(kind)

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self._bare.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        state = self.bound.get(func.value.value)
        if state is None or func.attr.value not in VALIDATE_CALLS:
            return
        raises = get_arg(node, "raise_exception")
        if raises is not None and dotted_name(raises.value) != "False":
            state.checked = True
        elif id(node) in self._bare:
            state.ignored = state.ignored or node
        else:
            state.checked = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        base = node.value
        if attr == "data" and isinstance(base, cst.Attribute) and \
                isinstance(base.value, cst.Name):
            state = self.bound.get(base.value.value)  # form.email.data (WTForms)
            if state is not None and state.kind == "form":
                state.uses.append(node)
            return
        if not isinstance(base, cst.Name) or attr not in USES:
            return
        state = self.bound.get(base.value)
        if state is None:
            return
        if attr == "initial_data" or (
                attr == "data" and state.kind == "form" and
                "flask" not in self.check.ctx.frameworks):
            (state.late_bypass if state.checked else state.bypass).append(node)
        else:
            state.uses.append(node)


class _PasswordChecks:
    """The password checks of a function body (``authenticate(...)``,
    ``user.check_password(pw)``) and what they are handed.

    A raw field read whose value goes nowhere else is compared with the stored
    credential and kept nowhere: a wrong or malformed one fails the check, which is
    all validating it would do (a login or "confirm your password" form read before,
    or without, ``is_valid()``)."""

    def __init__(self, body: cst.BaseSuite) -> None:
        self.body = body
        self.checked = {id(arg.value) for call in descendants(body, cst.Call)
                        if is_credential_check(call) for arg in call.args}
        self._tested: set[int] | None = None
        self._not_reads: set[int] | None = None

    def only_checked(self, read: cst.CSTNode) -> bool:
        """The value read at ``read`` (``form.data.get("password")``, ``form.password.data``)
        goes only into password checks: directly, or through one local name that is
        otherwise only tested for being there (``if not password``)."""
        if not self.checked:
            return False
        value = self._value_at(read)
        if id(value) in self.checked:
            return True
        name = self._assigned_name(value)
        if name is None:
            return False
        loads = self._loads(name)
        if self._tested is None:
            self._tested = set()
            for test in descendants(self.body, cst.If, cst.While, cst.IfExp):
                _bare_names(test.test, self._tested)
        return any(id(n) in self.checked for n in loads) and \
            all(id(n) in self.checked or id(n) in self._tested for n in loads)

    def _value_at(self, read: cst.CSTNode) -> cst.CSTNode:
        """``form.data["password"]`` or ``form.data.get("password")`` for ``form.data``;
        the read itself otherwise."""
        for sub in descendants(self.body, cst.Subscript):
            if sub.value is read:
                return sub
        for call in descendants(self.body, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.value is read and func.attr.value == "get":
                return call
        return read

    def _assigned_name(self, value: cst.CSTNode) -> str | None:
        for assign in descendants(self.body, cst.Assign):
            if assign.value is value and len(assign.targets) == 1 and \
                    isinstance(assign.targets[0].target, cst.Name):
                return assign.targets[0].target.value
        return None

    def _loads(self, name: str) -> list[cst.Name]:
        """Where ``name`` is read: not an attribute's or keyword's own name, not a target
        of an assignment (an augmented one counts: it reads the value)."""
        not_reads = self._not_reads
        if not_reads is None:  # the same for every read of the body: found once
            not_reads = self._not_reads = set()
            for attr in descendants(self.body, cst.Attribute):
                not_reads.add(id(attr.attr))
            for arg in descendants(self.body, cst.Arg):
                if arg.keyword is not None:
                    not_reads.add(id(arg.keyword))
            for target in descendants(self.body, cst.AssignTarget):
                not_reads.add(id(target.target))
        return [n for n in descendants(self.body, cst.Name)
                if n.value == name and id(n) not in not_reads]


def _bare_names(test: cst.BaseExpression, out: set[int]) -> None:
    """The names a condition only tests for being there: ``x``, ``not x``, ``a and not b``."""
    if isinstance(test, cst.Name):
        out.add(id(test))
    elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        _bare_names(test.expression, out)
    elif isinstance(test, cst.BooleanOperation):
        _bare_names(test.left, out)
        _bare_names(test.right, out)
