"""Request-handler classes that a Flask URL table routes to (``_process`` and
``_process_<METHOD>``), the table in one module and the classes in another, and Flask
``View`` classes answering in ``dispatch_request``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
from backend_audit.appmodel.class_tables import class_routes
from backend_audit.appmodel.context import ModuleContext
from backend_audit.config import Config

TABLE = """
from shop.orders import controllers
from shop.orders.controllers import RHOrder, RHOrders
from shop.web import ShopBlueprint, make_view

bp = ShopBlueprint("orders", __name__)
bp.add_url_rule("/orders", "orders", RHOrders)
bp.add_url_rule("/orders/<int:order_id>", "order", RHOrder, methods=("GET", "POST"))
bp.add_url_rule("/orders/export", "export", view_func=make_view(controllers.RHExport),
                methods=["POST"])
bp.add_url_rule("/health", "health", health)
bp.add_url_rule("/legacy", "legacy", LegacyView.as_view("legacy"))
HANDLERS = {"x": RHOrders}
"""

CONTROLLERS = """
from shop.web.rh import RH


class RHOrders(RH):
    def _process(self):
        return "all"


class RHOrder(RH):
    def _process_GET(self):
        return "one"

    def _process(self):
        return "changed"


class RHExport(RH):
    def _check_access(self):
        pass


class Unrouted(RH):
    def _process(self):
        return "never"
"""


def _tree(tmp_path: Path) -> list[tuple[str, str]]:
    files = {"shop/orders/blueprint.py": TABLE, "shop/orders/controllers.py": CONTROLLERS}
    out = []
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        out.append((str(path), rel))
    return out


def test_url_tables_declare_the_classes_they_route_to(tmp_path: Path) -> None:
    declared = class_routes(_tree(tmp_path))
    assert declared == (
        ("shop.orders.controllers.RHExport.*", "POST", "/orders/export"),
        ("shop.orders.controllers.RHOrder.*", "GET", "/orders/<int:order_id>"),
        ("shop.orders.controllers.RHOrder.*", "POST", "/orders/<int:order_id>"),
        ("shop.orders.controllers.RHOrders.*", "GET", "/orders"),
    )


def test_each_class_answers_in_its_process_methods(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    config = Config(declared_routes=class_routes(files))
    text = textwrap.dedent(CONTROLLERS)
    ctx = ModuleContext("shop/orders/controllers.py", text, cst.parse_module(text), config)
    routes = {(r.name, tuple(sorted(r.methods)), r.path, r.class_handler)
              for r in ctx.routes.routes}
    assert routes == {
        ("RHOrders._process", ("GET",), "/orders", True),
        ("RHOrder._process_GET", ("GET",), "/orders/<int:order_id>", True),
        ("RHOrder._process", ("POST",), "/orders/<int:order_id>", True),
    }
    assert "flask" in ctx.frameworks


def test_a_flask_view_answers_in_dispatch_request() -> None:
    text = textwrap.dedent("""
        from flask import request
        from flask.views import MethodView, View

        class Upload(View):
            methods = ["POST"]

            def dispatch_request(self):
                return request.files["file"].filename

        class Items(MethodView):
            def dispatch_request(self):
                return super().dispatch_request()

            def get(self):
                return "items"
    """)
    ctx = ModuleContext("app/views.py", text, cst.parse_module(text), Config())
    assert {(r.name, tuple(sorted(r.methods))) for r in ctx.routes.routes} == {
        ("Upload.dispatch_request", ("POST",)), ("Items.get", ("GET",))}
