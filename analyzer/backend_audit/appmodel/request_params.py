"""Parameters called like the request object (``request``, ``req``) that hold something else.

Frameworks that hand the request over by type (FastAPI, Starlette, Litestar's
dependencies) inject it only into a parameter annotated with a request class; a
parameter named ``request`` but annotated with a pydantic model is the validated body
(``request: CommentCreate``), and one annotated ``httpx.Request`` is an outgoing call.
So an annotation decides what such a parameter holds; only an unannotated parameter
(or one whose annotation cannot be read) is taken for the request by its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from backend_audit.appmodel.names import dotted_name
from backend_audit.engines.walk import descendants

if TYPE_CHECKING:
    from backend_audit.appmodel.imports import ImportMap

REQUEST_PARAM_NAMES = frozenset({"request", "req"})
# Packages whose classes a server hands its handlers as the incoming request.
SERVER_PACKAGES = frozenset({"starlette", "fastapi", "django", "rest_framework", "flask",
                             "werkzeug", "quart", "aiohttp", "sanic", "falcon", "litestar",
                             "tornado", "pyramid", "bottle", "ninja", "webob"})
# Their request classes' names: a project module re-exporting one (``from app.http import
# Request``), or an annotation whose import cannot be seen (``from x import *``).
REQUEST_CLASSES = frozenset({"Request", "HttpRequest", "BaseRequest", "WSGIRequest",
                             "ASGIRequest", "HTTPServerRequest"})
# HTTP clients: their ``Request`` is a call the server makes, not one it answers.
CLIENT_PACKAGES = frozenset({"httpx", "requests", "urllib", "urllib3", "httplib2"})
# Annotation wrappers whose first argument is the type (``Optional[Request]``).
_WRAPPERS = frozenset({"Optional", "Annotated"})


def _parsed(text: str) -> cst.BaseExpression | None:
    try:
        return cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None


def annotation_is_request(annotation: cst.BaseExpression, imports: ImportMap,
                          classes: dict[str, cst.ClassDef], depth: int = 0) -> bool | None:
    """Does ``annotation`` name a request class? None when it cannot be told (a name
    neither imported nor defined in the module)."""
    if depth > 8:
        return None
    if isinstance(annotation, cst.SimpleString):  # ``request: "HttpRequest"``
        inner = _parsed(annotation.evaluated_value) \
            if isinstance(annotation.evaluated_value, str) else None
        return None if inner is None else \
            annotation_is_request(inner, imports, classes, depth + 1)
    if isinstance(annotation, cst.BinaryOperation):  # ``HttpRequest | None``
        sides = [annotation_is_request(side, imports, classes, depth + 1)
                 for side in (annotation.left, annotation.right)]
        return _any(sides)
    if isinstance(annotation, cst.Subscript):
        outer = dotted_name(annotation.value) or ""
        last = outer.rsplit(".", 1)[-1]
        elements = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
        if last == "Union":
            return _any([annotation_is_request(e, imports, classes, depth + 1)
                         for e in elements])
        if last in _WRAPPERS and elements:
            return annotation_is_request(elements[0], imports, classes, depth + 1)
        return annotation_is_request(annotation.value, imports, classes, depth + 1)
    if not isinstance(annotation, (cst.Name, cst.Attribute)):
        return None
    if isinstance(annotation, cst.Name) and annotation.value == "None":
        return False
    qual = imports.qualname(annotation)
    if qual is not None:
        top = qual.split(".")[0]
        last = qual.rsplit(".", 1)[-1]
        if top in SERVER_PACKAGES:
            return True
        if top in CLIENT_PACKAGES:
            return False
        if last in _OPAQUE:
            return None
        return last in REQUEST_CLASSES
    name = dotted_name(annotation) or ""
    local = classes.get(name)
    if local is not None:
        return _any([annotation_is_request(base.value, imports, classes, depth + 1)
                     for base in local.bases if base.keyword is None] or [False])
    if name in REQUEST_CLASSES:
        return True
    if "." not in name and name in _BUILTIN_TYPES:
        return False
    return None


_BUILTIN_TYPES = frozenset({"str", "bytes", "int", "float", "bool", "dict", "list", "tuple",
                            "set", "frozenset", "type"})
# Annotations that say nothing of the type (``request: Any``).
_OPAQUE = frozenset({"Any", "object"})


def _any(answers: list[bool | None]) -> bool | None:
    """A union is a request when one member is; it is not when no member is."""
    if any(a is True for a in answers):
        return True
    if all(a is False for a in answers):
        return False
    return None


def not_request_reads(module: cst.Module, imports: ImportMap) -> frozenset[int]:
    """``id()`` of every ``Name`` that declares or reads a parameter called ``request``
    or ``req`` whose annotation names a type other than a request class."""
    out: set[int] = set()
    classes: dict[str, cst.ClassDef] = {}
    for cls in descendants(module, cst.ClassDef):
        classes.setdefault(cls.name.value, cls)
    for fn in descendants(module, cst.FunctionDef):
        params = fn.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            name = param.name.value
            if name not in REQUEST_PARAM_NAMES or param.annotation is None:
                continue
            if annotation_is_request(param.annotation.annotation, imports, classes) is not False:
                continue
            out.add(id(param.name))
            out |= _reads(fn, name)
    return frozenset(out)


def _reads(fn: cst.FunctionDef, name: str) -> set[int]:
    """The ``Name`` nodes of ``fn``'s body reading ``name``, not those of a function
    inside it that has a parameter of the same name."""
    rebound: set[int] = set()
    for inner in descendants(fn.body, cst.FunctionDef, cst.Lambda):
        p = inner.params
        if any(param.name.value == name
               for param in (*p.posonly_params, *p.params, *p.kwonly_params)):
            rebound |= {id(n) for n in descendants(inner, cst.Name)}
    return {id(n) for n in descendants(fn.body, cst.Name)
            if n.value == name and id(n) not in rebound}
