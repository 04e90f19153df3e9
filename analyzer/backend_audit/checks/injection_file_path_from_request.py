"""BA805: a file-system path comes from the request (path traversal)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.checks.injection_sources import TaintedSinkCheck
from backend_audit.checks.upload_names import mentions_client_filename

# Qualified callables whose first argument is a path that is read, served or removed.
PATH_SINKS = frozenset({
    "flask.send_file", "fastapi.responses.FileResponse", "starlette.responses.FileResponse",
    "django.http.FileResponse", "aiohttp.web.FileResponse", "os.remove", "os.unlink",
    "shutil.rmtree", "os.rmdir", "aiofiles.open", "io.open", "codecs.open",
})


class FilePathFromRequest(TaintedSinkCheck):
    rule_id = "BA805"

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        builtin_open = isinstance(call.func, cst.Name) and call.func.value == "open" and \
            "open" not in self.ctx.imports.names
        if not builtin_open and qual not in PATH_SINKS:
            return []
        if qual == "django.http.FileResponse":
            return []  # takes an open file object, not a path
        arg = get_arg(call, "path", 0) or get_arg(call, "file", 0) or \
            get_arg(call, "path_or_file", 0)
        return [arg.value] if arg is not None else []

    def accept(self, arg: cst.BaseExpression, source: cst.BaseExpression) -> bool:
        # Upload filenames written to disk are BA1201's finding; do not report twice.
        return not mentions_client_filename(arg, self.ctx.flow())
