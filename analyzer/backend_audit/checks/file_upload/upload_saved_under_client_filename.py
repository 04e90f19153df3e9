"""BA1201: an uploaded file is written to a path built from its client-supplied name."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.appmodel.uploads import client_filename, is_upload
from backend_audit.visitor import Check

WRITE_MODES = ("w", "a", "x")
PATH_WRITERS = frozenset({"write_bytes", "write_text", "touch"})


class UploadSavedUnderClientFilename(Check):
    rule_id = "BA1201"
    skips_migrations = True  # a migration serves no request

    def visit_Call(self, node: cst.Call) -> None:
        path = self._written_path(node)
        if path is None:
            return
        found = client_filename(self.ctx, path)
        if found is None or (isinstance(found, cst.Attribute) and found.attr.value == "filename"
                             and "bottle" in self.ctx.frameworks):
            return  # Bottle normalises ``FileUpload.filename`` (``raw_filename`` is raw)
        self.report(node)

    def _written_path(self, call: cst.Call) -> cst.BaseExpression | None:
        func = call.func
        name = last_name(func)
        if name == "save" and isinstance(func, cst.Attribute) and \
                is_upload(self.ctx, func.value):
            arg = get_arg(call, "dst", 0)
            return arg.value if arg is not None else None
        if name == "open" and (isinstance(func, cst.Name) or
                               self.ctx.imports.qualname(func) in ("aiofiles.open", "io.open")):
            mode = get_arg(call, "mode", 1)
            text = string_value(mode.value) if mode is not None else None
            if text is not None and any(m in text for m in WRITE_MODES):
                arg = get_arg(call, "file", 0)
                return arg.value if arg is not None else None
            return None
        if name in PATH_WRITERS | {"open"} and isinstance(func, cst.Attribute):
            # (UPLOAD_DIR / upload.filename).write_bytes(...)
            if name == "open":
                mode = get_arg(call, "mode", 0)
                text = string_value(mode.value) if mode is not None else None
                if text is None or not any(m in text for m in WRITE_MODES):
                    return None
            return func.value
        return None
