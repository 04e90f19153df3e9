"""BA1203: an uploaded file is stored with no extension or content-type check."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name
from backend_audit.appmodel.uploads import is_upload
from backend_audit.visitor import Check

# Evidence, anywhere in the handler, that the type is checked.
TYPE_CHECK = re.compile(
    r"(content_type|mimetype|mime|allowed_file|ALLOWED_|allowed_ext|splitext|rsplit\(\s*['\"]\.|"
    r"\.suffix|endswith\(|imghdr|filetype\.|magic\.|Image\.open|\.verify\(|is_valid\(|"
    r"validate|extension|guess_type)", re.IGNORECASE)


class UploadTypeNotChecked(Check):
    rule_id = "BA1203"
    skips_migrations = True  # a migration serves no request

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reported: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        fn = self.ctx.current_function
        if fn is None or id(fn) in self.reported or not self._stores_upload(node):
            return
        if TYPE_CHECK.search(self._code_with_helpers(fn)):
            return
        self.reported.add(id(fn))
        self.report(node)

    def _stores_upload(self, call: cst.Call) -> bool:
        func = call.func
        name = last_name(func)
        qual = self.ctx.imports.qualname(func) or ""
        if name == "save" and isinstance(func, cst.Attribute):
            if is_upload(self.ctx, func.value):
                return True  # FileStorage.save(path)
            content = get_arg(call, "content", 1)
            return content is not None and is_upload(self.ctx, content.value)  # storage.save
        if qual == "shutil.copyfileobj" and call.args:
            return is_upload(self.ctx, call.args[0].value)
        if name in ("write", "write_bytes") and call.args:
            # out.write(await upload.read()) / for chunk in upload.chunks(): out.write(chunk)
            return is_upload(self.ctx, call.args[0].value)
        return False

    def _code_with_helpers(self, fn: cst.FunctionDef) -> str:
        """The handler's code plus that of same-module helpers it calls."""
        code = self.ctx.module.code_for_node(fn)
        for name, helper in self.ctx.module_functions.items():
            if helper is not fn and re.search(rf"\b{re.escape(name.split('.')[-1])}\(", code):
                code += self.ctx.module.code_for_node(helper)
        return code
