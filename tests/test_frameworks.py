"""Routes, request inputs and error handlers of the frameworks beyond the core five:
Quart, Sanic, Django Ninja, Litestar, Tornado, Falcon, Pyramid and Bottle."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.requests import request_input
from backend_audit.catalogue import FRAMEWORKS, load_catalogue
from backend_audit.config import Config
from backend_audit.engines.walk import descendants


def _context(source: str, path: str = "app/handlers.py") -> ModuleContext:
    text = textwrap.dedent(source)
    return ModuleContext(path, text, cst.parse_module(text), Config())


def _routes(source: str, path: str = "app/handlers.py") -> set[tuple]:
    ctx = _context(source, path)
    return {(r.framework, r.name, tuple(sorted(r.methods)), r.path) for r in ctx.routes.routes}


QUART = """
from quart import Blueprint, Quart, request

app = Quart(__name__)
bp = Blueprint("orders", __name__)

@app.route("/orders", methods=["GET", "POST"])
async def orders():
    data = await request.get_json()
    return data

@bp.get("/orders/<int:order_id>")
async def order(order_id):
    return {}

def make_views():
    async def _view():
        return request.args.get("q")
    bp.add_url_rule("/search", "search", _view, methods=["POST"])
"""

SANIC = """
from sanic import Blueprint, Sanic
from sanic.response import json
from sanic.views import HTTPMethodView

app = Sanic("shop")
bp = Blueprint("items")

@app.route("/items", methods=["POST"])
async def create(request):
    return json(request.json)

@bp.get("/items/<item_id:int>")
async def show(request, item_id):
    return json({})

class Stock(HTTPMethodView):
    async def get(self, request):
        return json({})

async def ping(request):
    return json({})

app.add_route(ping, "/ping/<name:str>", methods=["GET"])
"""

NINJA = """
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Router, Schema

api = NinjaAPI()
router = Router()

class ItemIn(Schema):
    name: str

@api.get("/items/{int:item_id}")
def get_item(request, item_id: int):
    return {}

@router.post("/items")
def create_item(request, payload: ItemIn):
    return {}

@router.api_operation(["PUT", "PATCH"], "/items/{item_id}")
def update_item(request, item_id: int, payload: ItemIn):
    return {}
"""

LITESTAR = """
from litestar import Controller, Litestar, get, post, route

@get("/health")
async def health() -> dict:
    return {}

@route("/things", http_method=["PUT", "PATCH"])
async def things(data: dict) -> None:
    return None

class UserController(Controller):
    path = "/users"

    @get("/{user_id:int}")
    async def get_user(self, user_id: int) -> dict:
        return {}

    @post()
    async def create_user(self, data: dict) -> dict:
        return data

    def helper(self) -> None:
        pass

app = Litestar(route_handlers=[health, things, UserController])
"""

TORNADO = """
import tornado.web
from .base import BaseHandler

class MainHandler(tornado.web.RequestHandler):
    def get(self):
        self.write(self.get_argument("q"))

class StoryHandler(BaseHandler):
    def get(self, story_id):
        self.write(story_id)

    def post(self, story_id):
        pass

    def helper(self):
        pass

class Derived(MainHandler):
    def delete(self):
        pass

class Plain:
    def get(self):
        pass

def make_app():
    return tornado.web.Application([
        (r"/", MainHandler),
        tornado.web.url(r"/story/([0-9]+)", StoryHandler, name="story"),
    ])
"""

FALCON = """
import falcon

class Things:
    def on_get(self, req, resp):
        resp.media = req.get_param("q")

    def on_post_collection(self, req, resp):
        resp.media = req.media

    def on_delete(self):
        pass

class NotAResource:
    def on_get(self, event):
        pass

app = falcon.App()
app.add_route("/things", Things())
"""

PYRAMID = """
from pyramid.view import view_config, view_defaults

@view_config(route_name="home", renderer="json")
def home(request):
    return {"q": request.params.get("q")}

@view_config(route_name="items", request_method="POST", renderer="json")
def create_item(request):
    return request.json_body

@view_config(context=Exception, renderer="json")
def failed(exc, request):
    return {}

@view_defaults(route_name="user", renderer="json")
class UserViews:
    def __init__(self, request):
        self.request = request

    @view_config(request_method=("PUT", "PATCH"))
    def update(self):
        return self.request.json_body

def plain(request):
    return {}

def includeme(config):
    config.add_view(plain, route_name="plain", request_method="GET")
"""

BOTTLE = """
from bottle import Bottle, post, request, route

app = Bottle()

@app.get("/hello/<name>")
def hello(name):
    return name

@app.route("/items/<item_id:int>", method=["GET", "POST"])
def item(item_id):
    return {}

@route("/legacy", method="POST")
def legacy():
    return request.forms.get("x")

@post("/login")
def login():
    return {}
"""


def test_quart_routes_and_url_rules_in_view_factories() -> None:
    assert _routes(QUART) == {
        ("quart", "orders", ("GET", "POST"), "/orders"),
        ("quart", "order", ("GET",), "/orders/<int:order_id>"),
        ("quart", "_view", ("POST",), "/search"),
    }


def test_sanic_routes_views_and_add_route_with_paths_in_flask_order() -> None:
    assert _routes(SANIC) == {
        ("sanic", "create", ("POST",), "/items"),
        ("sanic", "show", ("GET",), "/items/<int:item_id>"),
        ("sanic", "Stock.get", ("GET",), None),
        ("sanic", "ping", ("GET",), "/ping/<str:name>"),
    }


def test_ninja_operations_on_api_and_router() -> None:
    assert _routes(NINJA) == {
        ("ninja", "get_item", ("GET",), "/items/{item_id:int}"),
        ("ninja", "create_item", ("POST",), "/items"),
        ("ninja", "update_item", ("PATCH", "PUT"), "/items/{item_id}"),
    }


def test_litestar_function_decorators_and_controller_methods() -> None:
    assert _routes(LITESTAR) == {
        ("litestar", "health", ("GET",), "/health"),
        ("litestar", "things", ("PATCH", "PUT"), "/things"),
        ("litestar", "UserController.get_user", ("GET",), "/{user_id:int}"),
        ("litestar", "UserController.create_user", ("POST",), "/"),
    }


def test_tornado_request_handlers_with_their_table_paths() -> None:
    assert _routes(TORNADO) == {
        ("tornado", "MainHandler.get", ("GET",), "/"),
        ("tornado", "StoryHandler.get", ("GET",), "/story/([0-9]+)"),
        ("tornado", "StoryHandler.post", ("POST",), "/story/([0-9]+)"),
        ("tornado", "Derived.delete", ("DELETE",), None),
    }


def test_falcon_responders_need_the_req_resp_signature() -> None:
    assert _routes(FALCON) == {
        ("falcon", "Things.on_get", ("GET",), "/things"),
        ("falcon", "Things.on_post_collection", ("POST",), "/things"),
    }


def test_falcon_responders_are_found_without_a_falcon_import() -> None:
    source = """
    def gen_view(name):
        if name == "home":
            class _View(object):
                def on_get(self, req, resp):
                    resp.text = "home"
        else:
            class _View(object):
                def on_get(self, req, resp):
                    resp.text = req.get_param("user_input")
        return _View
    """
    routes = _routes(source)
    assert {r[:3] for r in routes} == {("falcon", "_View.on_get", ("GET",))}
    assert len(_context(source).routes.routes) == 2
    assert "falcon" not in _context(source).frameworks  # imports name the frameworks


def test_pyramid_view_config_functions_methods_and_add_view() -> None:
    assert _routes(PYRAMID) == {
        ("pyramid", "home", ("GET", "POST"), None),
        ("pyramid", "create_item", ("POST",), None),
        ("pyramid", "UserViews.update", ("PATCH", "PUT"), None),
        ("pyramid", "plain", ("GET",), None),
    }


def test_bottle_app_and_module_decorators_with_paths_in_flask_order() -> None:
    assert _routes(BOTTLE) == {
        ("bottle", "hello", ("GET",), "/hello/<name>"),
        ("bottle", "item", ("GET", "POST"), "/items/<int:item_id>"),
        ("bottle", "legacy", ("POST",), "/legacy"),
        ("bottle", "login", ("POST",), "/login"),
    }


def test_a_sanic_module_importing_aiohttp_keeps_sanic_routes() -> None:
    source = """
    import aiohttp
    from sanic import Sanic

    app = Sanic("proxy")

    @app.get("/fetch")
    async def fetch(request):
        async with aiohttp.ClientSession() as s:
            return await s.get(request.args.get("url"))
    """
    assert {r[0] for r in _routes(source)} == {"sanic"}


def test_logging_handlers_in_a_tornado_module_are_not_request_handlers() -> None:
    source = """
    import logging
    import tornado.web

    class AuditHandler(logging.Handler):
        def get(self):
            pass
    """
    assert _routes(source) == set()


READS = [
    # (source of the handler module, expression, kind)
    ("from quart import request\n", "request.args.get('q')", "query"),
    ("from quart import request\n", "await request.get_json()", "body"),
    ("from bottle import request\n", "request.forms.get('x')", "form"),
    ("from bottle import request\n", "request.query.name", "query"),
    ("from bottle import request\n", "request.json", "body"),
    ("", "request.json", "body"),  # Sanic, Litestar: the handler's request parameter
    ("", "request.files.get('f')", "files"),
    ("", "req.media", "body"),  # Falcon
    ("", "await req.get_media()", "body"),
    ("", "req.get_param('q')", "query"),
    ("", "req.stream.read()", "body"),
    ("", "request.params.get('q')", "query"),  # Pyramid
    ("", "request.json_body", "body"),
    ("", "request.matchdict['id']", "path"),
    ("", "self.get_argument('q')", "query"),  # Tornado
    ("", "self.get_body_argument('q')", "form"),
    ("", "self.get_query_arguments('q')", "query"),
    ("", "self.request.body", "body"),
    ("", "self.request.files['f'][0]", "files"),
]


@pytest.mark.parametrize(("imports", "expr", "kind"), READS)
def test_request_reads_of_each_framework(imports: str, expr: str, kind: str) -> None:
    ctx = _context(f"{imports}async def f(request, req, self):\n    x = {expr}\n")
    (assign,) = descendants(ctx.module, cst.Assign)
    assert request_input(assign.value, ctx.imports) == kind


@pytest.mark.parametrize("expr", ["req.get_param_as_int('n')", "self.get_secure_cookie('u')",
                                  "self.get_template_path()", "logger.params"])
def test_typed_and_unrelated_reads_are_not_raw_input(expr: str) -> None:
    ctx = _context(f"def f(req, self, logger):\n    x = {expr}\n")
    (assign,) = descendants(ctx.module, cst.Assign)
    assert request_input(assign.value, ctx.imports) is None


NEW = ("quart", "sanic", "ninja", "litestar", "tornado", "falcon", "pyramid", "bottle")


@pytest.mark.parametrize("framework", NEW)
def test_the_catalogue_lists_input_and_error_rules_for_each_framework(framework: str) -> None:
    assert framework in FRAMEWORKS
    ids = {r.id for r in load_catalogue()
           if framework in r.frameworks or "any" in r.frameworks}
    assert {"BA401", "BA301"} <= ids
    assert ids & {"BA101", "BA102"}
