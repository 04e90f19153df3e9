"""Call resolution (flow/calls.py) and the walkers' budget (flow/budget.py)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.imports import collect_imports
from backend_audit.config import Config
from backend_audit.engines.walk import walk
from backend_audit.flow import budget as budget_module
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import (
    ModuleFunctions,
    absolute_name,
    argument_slots,
    bind_arguments,
    callee_name,
    class_method,
    imported_callee,
    imported_method,
    local_callee,
    names_match,
    param_index,
    param_names,
    positional_names,
    recorded_param,
)
from backend_audit.flow.taint import Taint, outside_callee

SERVICE = textwrap.dedent('''
    from flask import request, jsonify
    from .repositories import OrderRepository
    from ..billing import invoices as inv
    from . import audit
    import sqlalchemy as sa


    def normalise(code):
        return code.strip().upper()


    class BaseView:
        def respond(self, payload, status=200):
            return jsonify(payload), status


    class OrderView(BaseView):
        def __init__(self, db, *, strict=False):
            self.repo = OrderRepository(db)

        def get(self, order_id):
            order = self.repo.find(order_id)
            return self.respond(self.serialise(order))

        def serialise(self, order):
            return {"id": order.id}

        @staticmethod
        def parse(raw, default=None):
            return raw or default

        @classmethod
        def build(cls, db):
            return cls(db)

        def post(self):
            data = OrderView.parse(request.json)
            total = OrderView.serialise(self, data)
            again = super().respond(data)
            return self.respond(normalise(data["code"]))


    def handler(db):
        def normalise(value):
            return value
        view = OrderView(db, strict=True)
        inv.send(normalise(request.args["to"]))
        audit.record("viewed")
        sa.text("select 1")
        return view.get(1)
''')


@pytest.fixture(scope="module")
def module() -> cst.Module:
    return cst.parse_module(SERVICE)


@pytest.fixture(scope="module")
def functions(module: cst.Module) -> ModuleFunctions:
    return ModuleFunctions(module)


def _calls(node: cst.CSTNode) -> dict[str, cst.Call]:
    """Calls under ``node`` by their source text (first one wins)."""
    found: dict[str, cst.Call] = {}
    mod = cst.Module([])

    class _V(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.setdefault(mod.code_for_node(call), call)

    node.visit(_V())
    return found


def _method(functions: ModuleFunctions, key: str) -> cst.FunctionDef:
    return functions.functions[key]


def test_plain_function_and_method_of_enclosing_class(functions):
    view = functions.classes["OrderView"]
    post = _method(functions, "OrderView.post")
    calls = _calls(post)
    plain = local_callee(calls['normalise(data["code"])'], functions, view, [post])
    assert plain is not None and plain.function is functions.functions["normalise"]
    assert not plain.bound and plain.owner is None
    # ``self.respond`` is defined on the same-module base class.
    inherited = local_callee(calls['self.respond(normalise(data["code"]))'], functions, view)
    assert inherited is not None
    assert inherited.function is functions.functions["BaseView.respond"]
    assert inherited.bound and inherited.owner is functions.classes["BaseView"]
    # Without the enclosing class, ``self.`` means nothing.
    assert local_callee(calls['self.respond(normalise(data["code"]))'], functions) is None


def test_super_static_class_and_unbound_calls(functions):
    view = functions.classes["OrderView"]
    post = _method(functions, "OrderView.post")
    calls = _calls(post)
    sup = local_callee(calls["super().respond(data)"], functions, view)
    assert sup is not None and sup.function is functions.functions["BaseView.respond"]
    assert sup.bound
    static = local_callee(calls["OrderView.parse(request.json)"], functions, view)
    assert static is not None and static.function.name.value == "parse" and not static.bound
    # ``Class.method(obj, x)``: the caller passes ``self`` itself.
    unbound = local_callee(calls["OrderView.serialise(self, data)"], functions, view)
    assert unbound is not None and not unbound.bound
    binding = bind_arguments(unbound.function, calls["OrderView.serialise(self, data)"],
                             unbound.bound)
    assert binding.argument("order").value == "data"


def test_nested_function_shadows_module_function(functions):
    handler = functions.functions["handler"]
    call = _calls(handler)['normalise(request.args["to"])']
    inner = local_callee(call, functions, None, [handler])
    assert inner is not None and inner.function is not functions.functions["normalise"]
    assert inner.function.name.value == "normalise"
    # Outside the handler the same name is the module's function.
    outside = local_callee(call, functions)
    assert outside is not None and outside.function is functions.functions["normalise"]


def test_constructor_reaches_init(functions):
    handler = functions.functions["handler"]
    call = _calls(handler)["OrderView(db, strict=True)"]
    init = local_callee(call, functions, None, [handler])
    assert init is not None and init.constructor and init.bound
    assert init.function is functions.functions["OrderView.__init__"]
    binding = bind_arguments(init.function, call, init.bound)
    assert binding.argument("db").value == "db"
    assert binding.argument("strict").value == "True"
    # An imported class is not a local callee.
    assert local_callee(_calls(functions.functions["OrderView.__init__"])
                        ["OrderRepository(db)"], functions) is None


def test_imported_callee_resolves_relative_imports(module):
    imports = collect_imports(module)
    calls = _calls(module)
    path = "shop/api/orders.py"
    assert imported_callee(calls["OrderRepository(db)"], imports, path) == \
        "shop.api.repositories.OrderRepository"
    assert imported_callee(calls['inv.send(normalise(request.args["to"]))'], imports, path) \
        == "shop.billing.invoices.send"
    assert imported_callee(calls['audit.record("viewed")'], imports, path) == \
        "shop.api.audit.record"
    assert imported_callee(calls['sa.text("select 1")'], imports, path) == "sqlalchemy.text"
    assert imported_callee(calls['normalise(data["code"])'], imports, path) is None
    # A package's __init__ resolves ``.`` to the package itself.
    assert absolute_name(".models.User", "shop/api/__init__.py") == "shop.api.models.User"
    assert absolute_name("..", "shop/api/orders.py") == "shop"
    # More dots than packages: as far up as there is.
    assert absolute_name("....x", "shop/api/orders.py") == "x"


def _fn(source: str) -> cst.FunctionDef:
    stmt = cst.parse_module(textwrap.dedent(source)).body[0]
    assert isinstance(stmt, cst.FunctionDef)
    return stmt


def _call(source: str) -> cst.Call:
    expr = cst.parse_expression(source)
    assert isinstance(expr, cst.Call)
    return expr


def test_param_index_counts_self_posonly_and_kwonly():
    fn = _fn("def search(self, tenant, /, term, *, limit=20, **filters): ...")
    assert param_index(fn, "tenant", bound=True) == 0
    assert param_index(fn, "term", bound=True) == 1
    assert param_index(fn, "term", bound=False) == 2
    assert param_index(fn, "limit", bound=True) is None  # keyword-only
    assert param_index(fn, "filters", bound=True) is None
    assert param_index(fn, "missing") is None
    assert param_names(fn, bound=True) == ["tenant", "term", "limit"]
    static = _fn("@staticmethod\ndef parse(raw, default=None): ...")
    assert param_index(static, "raw", bound=True) == 0  # nothing to skip


def test_binding_positional_keyword_defaults_and_stars():
    fn = _fn("def run(sql, params=(), *extra, fetch=False, **options): ...")
    binding = bind_arguments(fn, _call('run(q, (1,), "a", "b", fetch=True, timeout=5)'))
    assert binding.argument("sql").value == "q"
    assert isinstance(binding.argument("params"), cst.Tuple)
    assert [e.value for e in binding.star] == ['"a"', '"b"']
    assert binding.argument("fetch").value == "True"
    assert {k: v.value for k, v in binding.double_star.items()} == {"timeout": "5"}
    assert binding.sources("options") == (binding.double_star["timeout"],)
    short = bind_arguments(fn, _call("run(q)"))
    assert short.argument("params") is None
    assert isinstance(short.value("params"), cst.Tuple)  # the default
    assert short.value("fetch").value == "False"
    assert short.star == () and short.sources("extra") == ()


def test_binding_posonly_by_keyword_goes_to_kwargs_and_unpacking_is_uncertain():
    fn = _fn("def f(a, /, b, **kw): ...")
    binding = bind_arguments(fn, _call("f(1, a=2, b=3)"))
    assert binding.argument("a").value == "1"
    assert binding.double_star["a"].value == "2"
    assert binding.argument("b").value == "3"
    # ``*args`` in the call: positions after it cannot be placed.
    spread = bind_arguments(_fn("def g(x, y, z=None): ..."), _call("g(first, *rest, last)"))
    assert spread.argument("x").value == "first"
    assert spread.argument("y") is None
    assert [e.value for e in spread.unpacked] == ["rest", "last"]
    assert [e.value for e in spread.sources("z")] == ["rest", "last"]
    assert spread.value("z").value == "None"
    # ``**mapping`` may fill any keyword not given.
    mapped = bind_arguments(_fn("def h(name, email=''): ..."), _call("h(name, **form)"))
    assert mapped.argument("name").value == "name"
    assert [e.value for e in mapped.sources("email")] == ["form"]
    assert mapped.value("email").value == "''"


def test_binding_guesses_the_bound_self():
    method = _fn("def save(self, order, commit=True): ...")
    on_object = bind_arguments(method, _call("repo.save(o)"))
    assert on_object.argument("order").value == "o" and "self" not in on_object.arguments
    # Called by plain name (as a function), the first argument is ``self``.
    plain = bind_arguments(method, _call("save(repo, o)"))
    assert plain.argument("self").value == "repo" and plain.argument("order").value == "o"
    explicit = bind_arguments(method, _call("Repo.save(repo, o)"), bound=False)
    assert explicit.argument("order").value == "o"


def test_budget_depth_calls_and_shared_work(monkeypatch):
    start = Budget()
    b = start
    for _ in range(budget_module.MAX_DEPTH):
        b = b.deeper()
    assert not b.exhausted
    assert b.deeper().exhausted
    inner = start
    for _ in range(budget_module.MAX_CALLS):
        assert inner.may_call
        inner = inner.call()
    assert not inner.may_call and inner.calls == budget_module.MAX_CALLS
    # Work is shared by every budget derived from the same start.
    monkeypatch.setattr(budget_module, "MAX_WORK", 5)
    wide = Budget()
    for _ in range(6):
        wide.deeper()  # siblings: each one step deep, all drawing on one allowance
    assert wide.spent == 6 and wide.exhausted and wide.deeper().exhausted
    assert not Budget().exhausted  # a new question starts with a full allowance


def test_callee_name_prefers_the_import_then_the_written_name(module):
    imports = collect_imports(module)
    calls = _calls(module)
    path = "shop/api/orders.py"
    assert callee_name(calls['sa.text("select 1")'], imports, path) == "sqlalchemy.text"
    assert callee_name(calls["self.repo.find(order_id)"], imports, path) == "self.repo.find"
    assert callee_name(calls["super().respond(data)"], imports, path) == "respond"
    assert callee_name(_call("factory()(x)"), imports, path) is None


def test_names_match_across_scan_and_import_roots():
    assert names_match("backend.shop.db.run", "shop.db.run")  # scanned one folder up
    assert names_match("db.run", "shop.db.run")  # scanned one folder down
    assert not names_match("shop.db.run", "shop.db.rerun")
    assert not names_match("shop.mydb.run", "db.run")  # a suffix of a name, not a path


def test_argument_slots_and_recorded_parameters():
    slots = [(a.value.value, where) for a, where in
             argument_slots(_call("save(order, *rest, late, commit=True, **extra)"))]
    assert slots == [("order", 0), ("rest", None), ("late", None), ("True", "commit"),
                     ("extra", None)]
    params = positional_names(_fn("def save(self, order, note='', *, commit=False): ..."),
                              bound=True)
    assert params == ["order", "note"]
    assert recorded_param(params, 1) == "note"
    assert recorded_param(params, 2) is None  # beyond the positional parameters
    assert recorded_param(params, "commit") == "commit"


def test_context_resolves_from_a_helper_scope():
    from backend_audit.appmodel.context import ModuleContext
    from backend_audit.config import Config

    source = textwrap.dedent('''
        class Repo:
            def add(self, row):
                return self.clean(row)

            def clean(self, row):
                return row


        def clean(row):
            return row
    ''')
    ctx = ModuleContext("shop/repo.py", source, cst.parse_module(source), Config())
    add = ctx.module_functions["Repo.add"]
    call = _calls(add)["self.clean(row)"]
    # Seen from the method (not where the traversal stands), ``self`` is a Repo.
    assert ctx.local_function(call, add) is ctx.module_functions["Repo.clean"]
    assert ctx.local_function(call) is None  # the traversal is at module level
    assert ctx.local_function(_call("clean(x)")) is ctx.module_functions["clean"]
    assert ctx.local_function(_call("Repo(x)")) is None  # a constructor is no function
    assert ctx.local_callee(_call("Repo(x)")) is None  # Repo has no __init__


def test_budget_closures_and_fresh_scopes(monkeypatch):
    monkeypatch.setattr(budget_module, "MAX_WORK", 5)
    budget = Budget().call().deeper()  # two steps spent
    inner = budget.fresh_depth()
    assert (inner.depth, inner.calls) == (0, 1)
    for _ in range(3):
        inner.spend()
    assert not budget.exhausted
    inner.spend()
    assert budget.exhausted  # the caller's question shares the work spent inside


RECEIVERS = textwrap.dedent('''
    from flask import request
    from .repos import OrderRepo, CartRepo
    from .models import Order

    shared = OrderRepo()


    class Wrapper:
        def __init__(self, req):
            self.req = req

        def param(self, key):
            return self.req.args.get(key)

        @staticmethod
        def parse(raw):
            return raw


    class Service:
        def __init__(self, db):
            self.repo = OrderRepo(db)
            self.wrapper = Wrapper(request)

        def run(self):
            self.repo.find(1)
            return self.wrapper.param("q")


    def view(db, repo: CartRepo, other):
        w = Wrapper(request)
        w.param("q")
        w.parse("x")
        OrderRepo(db).search(1)
        shared.find(2)
        repo.empty()
        other.empty()
        Order.objects.get(pk=1).total()
        if db:
            either = OrderRepo(db)
        else:
            either = CartRepo(db)
        either.find(3)
''')


def _taint(fn_key: str) -> tuple[Taint, dict[str, cst.Call]]:
    module = cst.parse_module(RECEIVERS)
    ctx = ModuleContext("shop/views.py", RECEIVERS, module, Config())
    walk(module, cst.CSTVisitor())
    fn = ctx.module_functions[fn_key]
    return Taint(ctx, scope=fn), _calls(fn)


def test_receiver_methods_resolved_by_the_core():
    """``obj.method(...)``: the class comes from ``object_class`` (one inference for
    every walker), the method from ``class_method`` (a class of the module) or
    ``imported_method`` (an imported class)."""
    taint, calls = _taint("view")
    named = {text: outside_callee(taint, call) for text, call in calls.items()}
    assert named['w.param("q")'] == "shop.views.Wrapper.param"
    assert named['w.parse("x")'] == "shop.views.Wrapper.parse"
    assert named["OrderRepo(db).search(1)"] == "shop.repos.OrderRepo.search"
    assert named["shared.find(2)"] == "shop.repos.OrderRepo.find"  # the module's object
    assert named["repo.empty()"] == "shop.repos.CartRepo.empty"  # the annotation
    assert named["other.empty()"] is None
    assert named["Order.objects.get(pk=1).total()"] == "shop.models.Order.total"
    assert named["either.find(3)"] is None  # two classes: nothing said
    # a field the class sets in ``__init__``
    service, service_calls = _taint("Service.run")
    assert outside_callee(service, service_calls["self.repo.find(1)"]) == \
        "shop.repos.OrderRepo.find"
    assert outside_callee(service, service_calls['self.wrapper.param("q")']) == \
        "shop.views.Wrapper.param"


def test_class_and_imported_methods():
    module = cst.parse_module(RECEIVERS)
    functions = ModuleFunctions(module)
    imports = collect_imports(module)
    bound = class_method(cst.Name("Wrapper"), "param", functions)
    assert bound is not None and bound.bound and bound.owner is functions.classes["Wrapper"]
    static = class_method(cst.Name("Wrapper"), "parse", functions)
    assert static is not None and not static.bound
    assert class_method(cst.Name("Wrapper"), "missing", functions) is None
    assert class_method(cst.Name("OrderRepo"), "find", functions) is None  # imported
    assert imported_method(cst.Name("OrderRepo"), "find", imports, "shop/views.py") == \
        "shop.repos.OrderRepo.find"
    assert imported_method(cst.Name("Wrapper"), "param", imports, "shop/views.py") is None
    assert imported_method(None, "find", imports, "shop/views.py") is None
