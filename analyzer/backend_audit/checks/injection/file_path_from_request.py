"""BA805: a file-system path comes from the request (path traversal)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name
from backend_audit.appmodel.uploads import mentions_client_filename
from backend_audit.flow.locals import Flow
from backend_audit.flow.specs import PATH
from backend_audit.flow.taint import route_input_params, single_segment_params
from backend_audit.flow.tainted_sink import TaintedSinkCheck

# Qualified callables and the parameters (keyword, position) that take a path they read,
# write, serve or remove.
PATH_SINKS: dict[str, tuple[tuple[str, int], ...]] = {
    **{q: (("path_or_file", 0), ("filename_or_fp", 0)) for q in (
        "flask.send_file", "flask.helpers.send_file", "quart.send_file",
        "quart.helpers.send_file", "werkzeug.utils.send_file")},
    **{q: (("path", 0),) for q in (
        "fastapi.responses.FileResponse", "starlette.responses.FileResponse",
        "aiohttp.web.FileResponse", "os.remove", "os.unlink", "os.rmdir", "os.removedirs",
        "shutil.rmtree", "os.open", "aiofiles.os.remove", "aiofiles.os.unlink")},
    **{q: (("file", 0),) for q in ("aiofiles.open", "anyio.open_file", "io.open")},
    "codecs.open": (("filename", 0),),
    **{q: (("src", 0), ("dst", 1)) for q in (
        "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
        "os.rename", "os.replace")},
}
# Methods of a ``pathlib.Path`` that read, write or remove the file it names.
PATH_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes",
                          "unlink", "rmdir", "rename", "symlink_to", "hardlink_to"})
# Calls whose result is a ``Path`` built from their receiver or arguments.
PATH_BUILDERS = frozenset({"Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath",
                           "AsyncPath", "joinpath", "resolve", "absolute", "with_name",
                           "with_suffix", "with_stem", "expanduser"})


class FilePathFromRequest(TaintedSinkCheck):
    rule_id = "BA805"
    spec = PATH

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        func = call.func
        if isinstance(func, cst.Name) and func.value == "open" and \
                "open" not in self.ctx.imports.names and "open" not in self.ctx.module_functions:
            arg = get_arg(call, "file", 0)
            return [arg.value] if arg is not None else []
        qual = self.ctx.imports.qualname(func)
        if qual in PATH_SINKS:
            found = (get_arg(call, kw, pos) for kw, pos in PATH_SINKS[qual])
            return [a.value for a in found if a is not None]
        if isinstance(func, cst.Attribute) and func.attr.value in PATH_METHODS and \
                qual is None and is_path_object(func.value, self.ctx.flow()):
            return [func.value]
        return []

    def input_params(self, at: cst.CSTNode) -> set[str]:
        params = route_input_params(self.ctx)
        # One URL segment is never ``a/b``: at most ``..``, one level up, to a fixed name.
        # Removing a whole tree one level up is still harmful.
        if not (isinstance(at, cst.Call) and
                self.ctx.imports.qualname(at.func) == "shutil.rmtree"):
            params -= single_segment_params(self.ctx)
        return params

    def sanitising_attribute(self, attr: cst.Attribute, flow: Flow) -> bool:
        """``Path(name).name`` is the last component only."""
        return attr.attr.value in ("name", "stem", "suffix") and is_path_object(attr.value, flow)

    def accept(self, arg: cst.BaseExpression, source: cst.BaseExpression | None) -> bool:
        # Upload filenames written to disk are BA1201's finding; do not report twice.
        return not mentions_client_filename(self.ctx, arg)


def is_path_object(expr: cst.BaseExpression, flow: Flow, depth: int = 0,
                   seen: frozenset[str] = frozenset()) -> bool:
    """``Path(x)``, ``base / x``, ``p.joinpath(x)``, ``p.parent`` or a name holding one."""
    if depth > 6:
        return False
    if isinstance(expr, cst.Call):
        return last_name(expr.func) in PATH_BUILDERS
    if isinstance(expr, cst.BinaryOperation):
        return isinstance(expr.operator, cst.Divide)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
        return is_path_object(expr.value, flow, depth + 1, seen)
    if isinstance(expr, cst.Name) and expr.value not in seen:
        return any(is_path_object(v, flow, depth + 1, seen | {expr.value})
                   for v in flow.values_of(expr.value))
    return False
