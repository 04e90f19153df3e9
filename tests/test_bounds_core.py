"""The unbounded-query reading (sql/bounds.py) on the evaluator's value walk
(flow/fold.py): which queries' rows a view returns, with names read in source order,
branches that never run skipped, the module's helpers and methods followed with their
arguments bound, ``self`` fields, cursors, and one budget."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.config import Config
from backend_audit.engines.walk import descendants, walk
from backend_audit.sql.bounds import QueryAnalyzer

MODULE = '''
from flask import jsonify
from app.models import Item, db


class ItemRepo:
    def __init__(self, session):
        self.session = session

    def everything(self):
        return Item.query.order_by(Item.name).all()

    def newest(self):
        return Item.query.order_by(Item.id.desc()).limit(20).all()


class Catalogue:
    def __init__(self):
        self.repo = ItemRepo(db.session)

    def listing(self):
        return self.repo.everything()


def as_json(rows):
    return {"items": [row.to_dict() for row in rows]}


def first_of(query):
    return query.first()
'''


def _hits(body: str) -> list[str]:
    """The code of every query whose rows ``view`` returns unbounded."""
    source = MODULE + "\n\ndef view(flag):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    module = cst.parse_module(source)
    ctx = ModuleContext("app/views.py", source, module, Config())
    walk(module, cst.CSTVisitor())
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][-1]
    return [module.code_for_node(h.node) for h in QueryAnalyzer(ctx).hits(fn)]


@pytest.mark.parametrize(("body", "hits"), [
    # a helper of the module with the query bound to its parameter, through a comprehension
    ("return jsonify(as_json(Item.query.all()))", ["Item.query.all()"]),
    ("return jsonify(first_of(Item.query))", []),
    # methods of a class of the module: on a new object, on a name, through a self field
    ("return jsonify(ItemRepo(db.session).everything())",
     ["Item.query.order_by(Item.name).all()"]),
    ("repo = ItemRepo(db.session)\nreturn jsonify(as_json(repo.newest()))", []),
    ("return jsonify(as_json(Catalogue().listing()))",
     ["Item.query.order_by(Item.name).all()"]),
    # names in source order: a limit applied after the rows were read bounds nothing
    ("q = Item.query\nrows = q.all()\nq = q.limit(5)\nreturn jsonify(as_json(rows))",
     ["q.all()"]),
    # a limit on a path that may run counts; one in a branch that never runs does not
    ("q = Item.query\nif flag:\n    q = q.limit(5)\nreturn jsonify(as_json(q.all()))", []),
    ("q = Item.query\nif 7 * 42 > 1000:\n    q = q.limit(5)\nreturn jsonify(as_json(q.all()))",
     ["q.all()"]),
    # a cursor's rows come from the SQL it executed
    ('cur = db.cursor()\ncur.execute("SELECT * FROM items")\nreturn jsonify(cur.fetchall())',
     ['cur.execute("SELECT * FROM items")']),
    ('cur = db.cursor()\ncur.execute("SELECT * FROM items LIMIT 50")\n'
     "return jsonify(cur.fetchall())", []),
    # rows appended to a list, and a running total that is no rows
    ("out = []\nfor item in Item.query.all():\n    out.append(item.to_dict())\n"
     "return jsonify(out)", ["Item.query.all()"]),
    ("total = 0\nfor item in Item.query.all():\n    total += item.price\n"
     "return jsonify(total)", []),
])
def test_rows_returned(body: str, hits: list[str]) -> None:
    assert _hits(body) == hits


def test_one_budget_bounds_a_long_chain_of_names() -> None:
    """Past the budget (flow/budget.py) the walk claims nothing rather than guess."""
    chain = "a0 = Item.query.all()\n" + "".join(f"a{i} = a{i - 1}\n" for i in range(1, 40))
    assert _hits(chain + "return jsonify(as_json(a39))") == []
    assert _hits(chain.splitlines()[0] + "\nreturn jsonify(as_json(a0))") == \
        ["Item.query.all()"]
