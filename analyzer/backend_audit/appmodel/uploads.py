"""Where an uploaded file's client-supplied name ends up. Shared by the upload checks.

Defines no rule. ``FileStorage.filename`` (Flask/Werkzeug, Quart), ``UploadFile.filename``
(FastAPI/Starlette, Litestar), ``UploadedFile.name`` (Django ``request.FILES``), aiohttp's
and Pyramid's ``field.filename``, Sanic's ``File.name``, Tornado's
``self.request.files["f"][0]["filename"]`` and Bottle's ``raw_filename`` are chosen by the
client: ``../../app/config.py`` is a valid value. (Bottle's ``FileUpload.filename`` is
normalised to letters, digits, dashes, underscores and dots: BA1201 lets it pass.)
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.flow.locals import Flow, string_parts

MAX_DEPTH = 10
# Calls that turn a client filename into something safe to put in a path.
FILENAME_SANITISERS = frozenset({
    "secure_filename", "get_valid_filename", "basename", "uuid4", "uuid1", "token_hex",
    "token_urlsafe", "slugify", "get_available_name", "generate_filename", "hexdigest",
})
# Calls that combine their arguments into a path or string.
PATH_BUILDERS = frozenset({
    "join", "Path", "PurePath", "joinpath", "str", "format", "lower", "strip", "replace",
    "abspath", "normpath", "expanduser", "resolve",
})


def mentions_client_filename(expr: cst.BaseExpression, flow: Flow) -> bool:
    return client_filename(expr, flow) is not None


def client_filename(expr: cst.BaseExpression, flow: Flow, depth: int = 0,
                    seen: frozenset[str] = frozenset()) -> cst.BaseExpression | None:
    """The unsanitised ``x.filename`` / ``request.FILES[...].name`` in ``expr``, or None."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, cst.Attribute):
        if expr.attr.value in ("filename", "raw_filename"):  # raw_filename: Bottle's
            return expr
        if expr.attr.value == "name" and _is_django_upload(expr.value, flow, seen):
            return expr  # Django's UploadedFile.name, Sanic's File.name
        return None
    if isinstance(expr, cst.Subscript):
        index = expr.slice[0].slice if len(expr.slice) == 1 else None
        if isinstance(index, cst.Index) and string_value(index.value) == "filename" and \
                _is_django_upload(expr.value, flow, seen):
            return expr  # Tornado's ``self.request.files["doc"][0]["filename"]``
        return None
    if isinstance(expr, cst.Name):
        if expr.value in seen:
            return None
        for value in flow.values_of(expr.value):
            found = client_filename(value, flow, depth + 1, seen | {expr.value})
            if found is not None:
                return found
        return None
    if isinstance(expr, cst.Call):
        name = last_name(expr.func)
        if name in FILENAME_SANITISERS or name not in PATH_BUILDERS:
            return None
        parts = [a.value for a in expr.args]
        if isinstance(expr.func, cst.Attribute) and name in ("join", "format", "lower",
                                                              "strip", "replace", "joinpath"):
            parts.append(expr.func.value)
        return _first(parts, flow, depth, seen)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        return _first([expr.left, expr.right], flow, depth, seen)
    parts = [p for p in string_parts(expr) if p is not expr]
    return _first(parts, flow, depth, seen)


def _first(parts: list[cst.BaseExpression], flow: Flow, depth: int,
           seen: frozenset[str]) -> cst.BaseExpression | None:
    for part in parts:
        found = client_filename(part, flow, depth + 1, seen)
        if found is not None:
            return found
    return None


def _is_django_upload(expr: cst.BaseExpression, flow: Flow, seen: frozenset[str],
                      depth: int = 0) -> bool:
    """``request.FILES["doc"]``, ``request.FILES.get("doc")`` or a name holding one."""
    if depth > MAX_DEPTH:
        return False
    while isinstance(expr, cst.Subscript):  # ``request.FILES["doc"]``, Tornado's ``[...][0]``
        expr = expr.value
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("get", "getlist"):
        expr = expr.func.value
    if isinstance(expr, cst.Attribute) and expr.attr.value in ("FILES", "files"):
        return True
    if isinstance(expr, cst.Name) and expr.value not in seen:
        return any(_is_django_upload(v, flow, seen | {expr.value}, depth + 1)
                   for v in flow.values_of(expr.value))
    return False


UPLOAD_TYPES = frozenset({"UploadFile", "FileStorage", "UploadedFile", "InMemoryUploadedFile",
                          "TemporaryUploadedFile"})


def is_upload(expr: cst.BaseExpression, ctx: ModuleContext, depth: int = 0,
              seen: frozenset[str] = frozenset()) -> bool:
    """``expr`` is an uploaded file: read from ``request.files`` / ``request.FILES`` /
    ``await request.form()``, or a handler parameter typed ``UploadFile``."""
    if depth > MAX_DEPTH:
        return False
    if request_input(expr, ctx.imports) == "files" or _is_django_upload(expr, ctx.flow(), seen):
        return True
    if isinstance(expr, cst.Await):
        return is_upload(expr.expression, ctx, depth + 1, seen)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "file":
        return is_upload(expr.value, ctx, depth + 1, seen)  # UploadFile.file
    if isinstance(expr, cst.Subscript):
        return is_upload(expr.value, ctx, depth + 1, seen)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("read", "chunks"):
        return is_upload(expr.func.value, ctx, depth + 1, seen)  # its content
    if not isinstance(expr, cst.Name) or expr.value in seen:
        return False
    if _annotated_upload(expr.value, ctx):
        return True
    return any(is_upload(v, ctx, depth + 1, seen | {expr.value})
               for v in ctx.flow().values_of(expr.value))


def _annotated_upload(name: str, ctx: ModuleContext) -> bool:
    fn = ctx.current_function
    if fn is None:
        return False
    for param in (*fn.params.params, *fn.params.kwonly_params):
        if param.name.value == name and param.annotation is not None:
            text = ctx.module.code_for_node(param.annotation.annotation)
            return any(t in text for t in UPLOAD_TYPES)
    return False
