"""Payload values (flow/payload_values.py) on the evaluator's value walk (flow/fold.py):
which client payloads a value of a handler carries, whole or one field, read in source
order; what a helper reading the request itself returns; which parameters a function
summary says it stores."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name
from backend_audit.config import Config
from backend_audit.engines.walk import descendants, walk
from backend_audit.flow.fold import start
from backend_audit.flow.payload import PayloadFlow, payload_values, summarize
from backend_audit.flow.payload_values import text_calls
from backend_audit.sql.columns import is_sql_text
from backend_audit.sql.values import SqlValues

HELPERS = '''
from flask import request
from marshmallow import Schema

from .models import Order
from .repos import AccountRepo, OrderRepo

shared = AccountRepo()


class Service:
    audit = AuditLog()

    def __init__(self, db):
        self.repo = OrderRepo(db)

    def place(self, data):
        self.repo.run(data)
        self.audit.run(data)


def read_filters():
    return request.args.get("status")


def read_checked():
    status = request.args.get("status")
    if status not in ("open", "closed"):
        raise ValueError(status)
    return status


def store(order_id, note, flag):
    row = Order.query.get(order_id)
    row.note = note
    Order.query.session.add(row)
    return flag
'''


def _module(body: str, params: str = "") -> tuple[ModuleContext, cst.FunctionDef]:
    source = HELPERS + f"\n\ndef view({params}):\n" + \
        textwrap.indent(textwrap.dedent(body), "    ")
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, Config())
    walk(module, cst.CSTVisitor())
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][-1]
    return ctx, fn


def _carried(body: str, params: dict[str, str] | None = None) -> set[str]:
    """The payload keys (``*`` marks a whole payload) the argument of the last
    ``sink(...)`` in ``view`` carries."""
    ctx, fn = _module(body, ", ".join(params or {}))
    sink = [c for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Name) and c.func.value == "sink"][-1]
    flow = PayloadFlow(ctx, fn, params or {})
    return {key + ("*" if whole else "") for key, whole in flow.taint(sink.args[0].value)}


@pytest.mark.parametrize(("body", "keys"), [
    # sources: a whole payload, one field by its literal name, a field of a field
    ("sink(request.get_json())", {"body*"}),
    ('sink(request.args.get("q"))', {"query#q"}),
    ('data = request.get_json()\nsink(data["user"]["name"])', {"body#user"}),
    # source order: a later value replaces the text, a copy keeps it
    ('ids = request.args.get("ids")\nids = [int(i) for i in ids.split(",")]\nsink(ids)',
     set()),
    ('q = request.args.get("q")\ncopy = q\nq = "fixed"\nsink(copy)', {"query#q"}),
    # text stays text: str(), string methods, f-strings, decoding
    ('ids = request.args.get("ids")\nsink([str(i) for i in ids.split(",")])', {"query#ids"}),
    ('sink(f"%{request.form.get(\'name\')}%")', {"form#name"}),
    ('import json\nsink(json.loads(request.form["state"]))', {"form#state"}),
    # containers: items appended or stored are fields of the container
    ('row = {}\nrow["email"] = request.form["email"]\nsink(row)', {"form#email"}),
    ('parts = []\nparts.append(request.args.get("q"))\nsink(parts)', {"query#q"}),
    ("data = dict(request.form)\ndata.update(request.args)\nsink(data)", {"form*", "query*"}),
    ("opts = {}\nopts.update(**request.args)\nsink(opts)", {"query*"}),
    # ... in source order: a store after the read, or before the name is rebound, is not
    # in the value read
    ('row = {}\nsink(row)\nrow["email"] = request.form["email"]', set()),
    ('row = {}\nrow["email"] = request.form["email"]\nrow = {}\nsink(row)', set()),
    ('row = {}\nfor k in KEYS:\n    sink(row)\n    row[k] = request.form[k]', {"form"}),
    # what carries nothing: conversions, validators, comparisons with literals
    ('sink(int(request.args.get("page")))', set()),
    ("sink(Schema().load(request.get_json()))", set()),
    ('sink(request.form.get("flag") == "on")', set()),
    # helpers of the module: one that reads the request returns it, unless it checks it
    ("sink(read_filters())", {"query#status"}),
    ("sink(read_checked())", set()),
])
def test_payload_values(body: str, keys: set[str]) -> None:
    assert _carried(body) == keys


def test_parameters_are_payloads_bound_on_the_walk() -> None:
    assert _carried("sink(payload)", {"payload": "param:payload"}) == {"param:payload*"}
    assert _carried("payload = {}\nsink(payload)", {"payload": "param:payload"}) == set()
    assert _carried("sink(other)", {"payload": "param:payload", "other": "bare:other"}) == \
        {"bare:other*"}


def test_summary_stores_what_reaches_a_row() -> None:
    ctx, _ = _module("pass")
    fn = ctx.functions.functions["store"]
    summary = summarize(ctx, fn)
    assert summary.stores == frozenset({"note"})
    assert summary.lookups == frozenset({"order_id"})
    assert summary.params == ("order_id", "note", "flag")


def test_domains_keep_their_walks_side_by_side() -> None:
    """The SQL text domain and the payload domain walk one module in one traversal:
    neither throws the other's state away."""
    ctx, fn = _module('sink(request.args.get("q"))')
    sql = SqlValues(ctx)
    payloads = payload_values(ctx)
    assert payloads is payload_values(ctx)
    first = start(ctx, sql, fn)
    assert start(ctx, payloads, fn) is payloads.walk(fn)
    assert start(ctx, sql, fn) is first


@pytest.mark.parametrize(("body", "sql"), [
    ('q = "SELECT * FROM orders WHERE id = :id"\nsink(q)', True),
    ('sink(f"select * from {table}")', True),
    ('sink(text(clause))', True),
    ('sink("jobs")', False),
    # source order: the name holds a queue name by the time it is run
    ('q = "SELECT 1"\nq = "jobs"\nsink(q)', False),
    ('q = "jobs"\nif flag:\n    q = "DELETE FROM jobs"\nsink(q)', True),
])
def test_statement_text_reads_as_sql(body: str, sql: bool) -> None:
    ctx, fn = _module(body, "table, clause, flag")
    call = [c for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Name) and c.func.value == "sink"][-1]
    assert is_sql_text(ctx, fn, call.args[0].value) is sql


def _receivers(ctx: ModuleContext, fn: cst.FunctionDef) -> list[str | None]:
    """The class the walk says each ``<receiver>.run(...)`` in ``fn`` is called on."""
    walk = payload_values(ctx).walk(fn)
    return [dotted_name(walk.instance_class(c.func.value)) if walk.instance_class(
                c.func.value) is not None else None
            for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Attribute) and c.func.attr.value == "run"]


@pytest.mark.parametrize(("body", "params", "cls"), [
    ("repo = OrderRepo(db)\nrepo.run(1)", "db", "OrderRepo"),
    ("OrderRepo(db).run(1)", "db", "OrderRepo"),
    ("repo = await make_repo()\nrepo.run(1)", "", None),
    # a row fetch returns an object of the model it names
    ("order = Order.objects.get(pk=1)\norder.run()", "", "Order"),
    ("order = Order.query.filter_by(id=1).first()\norder.run()", "", "Order"),
    ("order = get_object_or_404(Order, pk=1)\norder.run()", "", "Order"),
    ("order = db.session.get(models.Order, 1)\norder.run()", "db", "models.Order"),
    ("found = cache.get('k')\nfound.run()", "", None),
    # source order: the value that reaches the call
    ("repo = CartRepo(db)\nrepo.run()\nrepo = OrderRepo(db)", "db", "CartRepo"),
    ("if db:\n    repo = OrderRepo(db)\nelse:\n    repo = OrderRepo(None)\nrepo.run()",
     "db", "OrderRepo"),
    ("if db:\n    repo = OrderRepo(db)\nelse:\n    repo = CartRepo(db)\nrepo.run()",
     "db", None),
    # one element of what a call returns is not its result
    ("order, created = Order.objects.get_or_create(pk=1)\norder.run()", "", None),
    # the module's object, unless the function has one of its own
    ("shared.run()", "", "AccountRepo"),
    ("shared = make()\nshared.run()", "", None),
    # a parameter annotated with a class
    ("repo.run()", "repo: OrderRepo", "OrderRepo"),
    ("repo.run()", "repo: dict", None),
    ("repo.run()", "repo", None),
])
def test_instance_class(body: str, params: str, cls: str | None) -> None:
    ctx, fn = _module(body, params)
    assert _receivers(ctx, fn)[-1] == cls


def test_instance_class_of_a_field_the_class_sets() -> None:
    ctx, _ = _module("pass")
    place = ctx.functions.functions["Service.place"]
    assert _receivers(ctx, place) == ["OrderRepo", "AuditLog"]


def test_helper_sink_names_the_method_of_the_receivers_class() -> None:
    """``repo.place_order(data)`` with ``repo`` an ``OrderRepo`` the module imports: the
    sink waits for the facts of ``OrderRepo.place_order``, wherever the object was made."""
    ctx, fn = _module("repo = OrderRepo(db)\nrepo.place_order(request.get_json())\n"
                      "shared.place_order(request.form)\nrepo.place_order(request.args)\n"
                      "repo = make()\nrepo.place_order(request.json)", "db")
    flow = PayloadFlow(ctx, fn, {})
    names = [s.requirement["name"] if s.requirement else None for s in flow.sinks]
    assert [n.rsplit(".", 2)[-2:] if n else None for n in names] == [
        ["OrderRepo", "place_order"], ["AccountRepo", "place_order"],
        ["OrderRepo", "place_order"], None]


@pytest.mark.parametrize(("body", "validated"), [
    ("data = request.get_json()\nbad = [k for k in REQUIRED if not isinstance(data.get(k), str)]\n"
     "if bad:\n    return {'error': bad}, 400\nsink(data)", {"body"}),
    # the name holds an empty list where it is tested: no key of the payload is checked
    ("data = request.get_json()\nmissing = []\nif missing:\n    return {}, 400\n"
     "missing = [k for k in REQUIRED if k not in data]\nsink(data)", set()),
    # a field read tests the field, not the payload it is read from
    ("data = request.form\nif not data.get('qty', '').isdigit():\n    return {}, 400\n"
     "sink(data)", {"form#qty"}),
    ("data = request.get_json()\nif len(data['name']) > 40:\n    return {}, 400\n"
     "sink(data)", {"body#name"}),
])
def test_guard_checks_keys_of_the_values_reaching_it(body: str, validated: set[str]) -> None:
    ctx, fn = _module(body)
    assert PayloadFlow(ctx, fn, {}).validated == validated


@pytest.mark.parametrize(("body", "need"), [
    ("order = Order(**request.get_json())\ndb.session.add(order)", "not-validator"),
    ("order = Order(**request.get_json())\norder.save()", "not-validator"),
    # the object persisted is another one by then
    ("order = Order(**request.get_json())\norder = Order.query.get(1)\ndb.session.add(order)",
     "model"),
])
def test_constructed_object_persisted_where_the_name_holds_it(body: str, need: str) -> None:
    ctx, fn = _module(body, "db")
    sink = PayloadFlow(ctx, fn, {}).sinks[0]
    assert sink.requirement == {"type": need, "name": sink.requirement["name"]}
    assert sink.requirement["name"].endswith("models.Order")


@pytest.mark.parametrize(("body", "raises"), [
    ('team = Team.objects.get(pk=request.POST["team"])\nteam.members.add(request.user)',
     True),
    ('team = Team.objects.get(pk=request.POST["team"])\nrequest.user.teams.add(team)', True),
    # the row written is another one: the name was given the user's own team first
    ('team = Team.objects.get(pk=request.POST["team"])\nteam = request.user.team\n'
     "team.members.add(request.user)", False),
    ('team = Team.objects.get(pk=request.POST["team"])\nreturn render(team)', False),
])
def test_raw_key_lookup_raises_when_its_row_is_written(body: str, raises: bool) -> None:
    ctx, fn = _module(body)
    sink = PayloadFlow(ctx, fn, {}).sinks[0]
    assert sink.raises is raises


@pytest.mark.parametrize(("body", "calls"), [
    ('sql = "SELECT * FROM t WHERE " + where_clause(f)\nsink(sql)', ["where_clause"]),
    ('sql = "SELECT * FROM t {}".format(order_by(f))\nsink(sql)', ["order_by"]),
    ('parts = ["SELECT 1"]\nparts.append(limit(f))\nsink(" ".join(parts))', ["limit"]),
    # source order: the clause built from the filters is not in the text run
    ('sql = "SELECT 1 WHERE " + where_clause(f)\nsql = "SELECT 1"\nsink(sql)', []),
    ('sink(f"SELECT * FROM t WHERE {fmt(f)}")', ["fmt"]),
])
def test_text_calls_the_statement_is_built_from(body: str, calls: list[str]) -> None:
    ctx, fn = _module(body, "f")
    call = [c for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Name) and c.func.value == "sink"][-1]
    assert sorted(dotted_name(c.func) for c in text_calls(ctx, fn, call.args[0].value)) == calls
