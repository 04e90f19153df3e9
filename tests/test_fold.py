"""The evaluator's value walk (flow/fold.py), read with a small domain that builds the
text a value holds: literal text as it is, ``<name>`` for a parameter nothing binds,
``#`` for a number, ``?`` for what it cannot read, alternatives as ``a|b``."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import string_value
from backend_audit.config import Config
from backend_audit.engines.walk import descendants, walk
from backend_audit.flow.fold import Walk, start


class Text:
    """Strings built by ``+`` and f-strings; a call of the module is followed."""

    unknown = "?"
    nothing = ""
    number = "#"

    def build(self, expr: cst.BaseExpression, walk: Walk[str]) -> str:
        text = string_value(expr)
        if text is not None:
            return text
        if isinstance(expr, cst.Name):
            return walk.name(expr.value, expr)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self.grow(walk.value(expr.left), walk.value(expr.right))
        if isinstance(expr, cst.FormattedString):
            return "".join(p.value if isinstance(p, cst.FormattedStringText) else
                           walk.value(p.expression) for p in expr.parts)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and \
                expr.value.value == "self":
            body, stored = walk.class_field(expr.attr.value)
            return self.join(body + stored)
        if isinstance(expr, cst.Call):
            callee = walk.callee(expr)
            if callee is not None:
                return walk.returns(callee, expr)
        return self.unknown

    def join(self, values: list[str]) -> str:
        return "|".join(sorted(set(values)))

    def grow(self, before: str, added: str) -> str:
        return before + added

    def bound(self, value: str) -> str:
        return value

    def param(self, name: str, walk: Walk[str]) -> str:
        return f"<{name}>"

    def free(self, name: str, walk: Walk[str]) -> str:
        module = walk.at(None, walk.budget)
        return module.name(name, None) if module.flow.values_of(name) else "?"

    def guards(self, walk: Walk[str]) -> frozenset[str]:
        return frozenset()


MODULE = '''
TABLE = "users"


def wrap(part):
    return "(" + part + ")"


def build(kind):
    return "SELECT " + kind, [kind]


class Repo:
    def __init__(self):
        self.table = "orders"

    def view(self, where):
        sink(self.table)
'''


def _text(body: str) -> str:
    """The text of the argument of the last ``sink(...)`` in ``view``."""
    source = MODULE + "\n\ndef view(where, flag):\n" + \
        textwrap.indent(textwrap.dedent(body), "    ")
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, Config())
    walk(module, cst.CSTVisitor())
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][-1]
    sink = [c for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Name) and c.func.value == "sink"][-1]
    return start(ctx, Text(), fn).value(sink.args[0].value)


@pytest.mark.parametrize(("body", "text"), [
    # source order: a copy keeps what the name held then; a later value replaces
    ('q = "a"\ncopy = q\nq += "b"\nsink(copy)', "a"),
    ('q = "a"\nq = "b"\nsink(q)', "b"),
    ('q = "a"\nif flag:\n    q = "b"\nsink(q)', "a|b"),
    # growth: optional steps read as taken, in order; a rewrite reads the old value
    ('q = "S"\nif flag:\n    q += " W"\nif where:\n    q += " O"\nsink(q)', "S W O"),
    ('q = "S"\nq = q + "!"\nsink(q)', "S!"),
    ('q = f"x={where}"\nsink(q)', "x=<where>"),
    # branches that never run give nothing
    ('if 7 * 42 > 1000:\n    q = "dead"\nelse:\n    q = "live"\nsink(q)', "live"),
    # helpers of the module, parameters bound; one element of a returned tuple
    ('sink(wrap("a"))', "(a)"),
    ("sink(wrap(where))", "(<where>)"),
    ('q, params = build("id")\nsink(q)', "SELECT id"),
    # counted loops; module-level names; what nothing shows
    ("for i in range(3):\n    sink(i)", "#"),
    ("sink(TABLE)", "users"),
    ("sink(unknown_call())", "?"),
])
def test_walk_builds(body: str, text: str) -> None:
    assert _text(body) == text


def test_class_fields() -> None:
    source = MODULE
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, Config())
    walk(module, cst.CSTVisitor())
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][0]
    sink = [c for c in descendants(fn, cst.Call)][-1]
    assert start(ctx, Text(), fn).value(sink.args[0].value) == "orders"
