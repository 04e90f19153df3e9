"""Uploaded files and the names their clients gave them. Shared by the upload checks.

Defines no rule. ``FileStorage.filename`` (Flask/Werkzeug, Quart), ``UploadFile.filename``
(FastAPI/Starlette, Litestar), ``UploadedFile.name`` (Django ``request.FILES``), aiohttp's
and Pyramid's ``field.filename``, Sanic's ``File.name``, Tornado's
``self.request.files["f"][0]["filename"]`` and Bottle's ``raw_filename`` are chosen by the
client: ``../../app/config.py`` is a valid value. (Bottle's ``FileUpload.filename`` is
normalised to letters, digits, dashes, underscores and dots: BA1201 lets it pass.) Both
questions go to the one taint evaluator with the ``FILENAME`` and ``UPLOAD`` specs
(flow/specs.py).
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.flow.specs import FILENAME, UPLOAD
from backend_audit.flow.taint import Taint

UPLOAD_TYPES = frozenset({"UploadFile", "FileStorage", "UploadedFile", "InMemoryUploadedFile",
                          "TemporaryUploadedFile"})


def client_filename(ctx: ModuleContext,
                    expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The unsanitised ``x.filename`` / ``request.FILES[...].name`` in ``expr``, or None."""
    return Taint(ctx, FILENAME, params=()).source(expr)


def mentions_client_filename(ctx: ModuleContext, expr: cst.BaseExpression) -> bool:
    return client_filename(ctx, expr) is not None


def is_upload(ctx: ModuleContext, expr: cst.BaseExpression) -> bool:
    """``expr`` is an uploaded file: read from ``request.files`` / ``request.FILES`` /
    ``await request.form()``, or a handler parameter typed ``UploadFile``."""
    return Taint(ctx, UPLOAD, params=_upload_params(ctx)).source(expr) is not None


def _upload_params(ctx: ModuleContext) -> set[str]:
    fn = ctx.current_function
    if fn is None:
        return set()
    out = set()
    for param in (*fn.params.params, *fn.params.kwonly_params):
        if param.annotation is not None:
            text = ctx.module.code_for_node(param.annotation.annotation)
            if any(t in text for t in UPLOAD_TYPES):
                out.add(param.name.value)
    return out
