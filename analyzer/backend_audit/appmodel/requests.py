"""Recognise expressions that read client input, for every supported framework."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.imports import ImportMap

# Attribute of the request object -> kind of input.
REQUEST_ATTRS = {
    # Flask / Werkzeug
    "json": "body", "form": "form", "args": "query", "values": "query", "files": "files",
    "data": "body", "cookies": "cookies", "headers": "headers", "view_args": "path",
    "get_json": "body", "get_data": "body",
    # Django
    "POST": "form", "GET": "query", "body": "body", "FILES": "files", "COOKIES": "cookies",
    "META": "headers",
    # DRF
    "query_params": "query",
    # Starlette / FastAPI / aiohttp
    "path_params": "path", "query": "query", "match_info": "path", "post": "form",
    "text": "body", "read": "body", "content": "body", "multipart": "files",
    # Falcon
    "media": "body", "stream": "body", "bounded_stream": "body",
    # Pyramid, Bottle (``params`` also Falcon's)
    "params": "query", "json_body": "body", "matchdict": "path", "forms": "form",
    # Tornado's ``self.request``; Sanic
    "arguments": "query", "query_arguments": "query", "body_arguments": "form",
    "query_args": "query",
}
# Methods of the request object that return client input (``await request.json()``).
REQUEST_READERS = {
    "get_json": "body", "get_data": "body", "json": "body", "form": "form", "post": "form",
    "text": "body", "read": "body", "body": "body", "multipart": "files",
    "get_media": "body", "get_param": "query", "get_param_as_list": "query",  # Falcon
    "get_args": "query", "get_query_args": "query", "get_form": "form",  # Sanic
}
# Tornado ``RequestHandler`` methods that return client input (``self.get_argument("q")``).
TORNADO_READERS = {
    "get_argument": "query", "get_arguments": "query", "get_query_argument": "query",
    "get_query_arguments": "query", "get_body_argument": "form", "get_body_arguments": "form",
}
# Readers above that return one named field (``req.get_param("q")``), not a whole payload.
FIELD_READERS = frozenset({"get_param", "get_param_as_list", *TORNADO_READERS})
# Kinds that carry a structured payload a handler typically stores or queries with.
PAYLOAD_KINDS = frozenset({"body", "form", "query", "files", "path"})
REQUEST_NAMES = frozenset({"request", "req"})
# Frameworks whose request object is a module-level global.
GLOBAL_REQUESTS = frozenset({"flask.request", "quart.request", "werkzeug.local.request",
                             "bottle.request"})


def _is_request_object(node: cst.BaseExpression, imports: ImportMap) -> bool:
    if isinstance(node, cst.Name):
        q = imports.qualname(node)
        if q is not None:
            return q in GLOBAL_REQUESTS or \
                q.endswith(".request") and q.startswith(("flask", "quart"))
        # ``request: CommentIn`` is the body FastAPI parsed, not the request.
        return node.value in REQUEST_NAMES and id(node) not in imports.not_requests
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value == "self" and node.attr.value == "request":
            return True  # Django/DRF class-based views
        if node.value.value == "info" and node.attr.value == "context" and \
                _graphql_context_is_request(imports):
            return True  # graphene-django: a resolver's ``info.context`` is the request
        return imports.qualname(node) == "flask.request"
    if _is_graphql_context(node.value if isinstance(node, (cst.Attribute, cst.Subscript))
                           else None):
        # strawberry's ``info.context.request``, ariadne's ``info.context["request"]``
        if isinstance(node, cst.Attribute):
            return node.attr.value == "request"
        return isinstance(node, cst.Subscript) and len(node.slice) == 1 and \
            isinstance(node.slice[0].slice, cst.Index) and \
            isinstance(node.slice[0].slice.value, cst.SimpleString) and \
            node.slice[0].slice.value.value.strip("'\"") == "request"
    return False


def _is_graphql_context(node: cst.BaseExpression | None) -> bool:
    """``info.context`` of a GraphQL resolver."""
    return isinstance(node, cst.Attribute) and node.attr.value == "context" and \
        isinstance(node.value, cst.Name) and node.value.value == "info"


def _graphql_context_is_request(imports: ImportMap) -> bool:
    """graphene-django (and graphene under Flask's GraphQLView) passes the request itself
    as the context; strawberry and ariadne pass a context holding it."""
    tops = imports.top_packages
    return "graphene" in tops or "graphene_django" in tops


def request_input(expr: cst.BaseExpression, imports: ImportMap) -> str | None:
    """The kind of client input ``expr`` reads (``body``, ``form``, ``query``...), or None.

    Understands ``request.json``, ``request.get_json()``, ``request.form["x"]``,
    ``request.args.get("x")``, ``await request.json()``, ``request.data.get("x")``,
    ``json.loads(request.body)`` and the like.
    """
    node = expr
    while True:
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in TORNADO_READERS and \
                    isinstance(func.value, cst.Name) and func.value.value == "self":
                return TORNADO_READERS[func.attr.value]
            if isinstance(func, cst.Attribute) and func.attr.value in REQUEST_READERS and \
                    _is_request_object(func.value, imports):
                return REQUEST_READERS[func.attr.value]
            if isinstance(func, cst.Attribute) and func.attr.value in (
                "get", "getlist", "to_dict", "copy", "dict", "items", "values", "keys",
                "get_json", "get_data", "json", "form", "post", "text", "read", "body",
                "multipart", "pop", "strip", "lower", "upper",
            ):
                node = func.value
            elif isinstance(func, cst.Name) and func.value in ("dict", "str", "int", "float",
                                                                 "list") and node.args:
                node = node.args[0].value
            elif imports.qualname(func) in ("json.loads", "orjson.loads", "ujson.loads",
                                            "tornado.escape.json_decode") and \
                    node.args:
                node = node.args[0].value
            else:
                return None
        elif isinstance(node, cst.Attribute):
            if _is_request_object(node.value, imports):
                return REQUEST_ATTRS.get(node.attr.value)
            node = node.value
        else:
            return None
