"""BA102: a FastAPI handler stores a body it never validated (typed dict/Any, or read by hand).

Django Ninja and Litestar read a handler's input off its typed signature the same way, so
their handlers are held to the same standard.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import last_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.checks.validation._report import report_unvalidated, resolve_unvalidated
from backend_audit.flow.payload import PayloadFlow
from backend_audit.visitor import Candidate, Check

MESSAGE = ("FastAPI handler passes {source} to {sink} without validation; declare it as a "
           "pydantic model or typed parameter so FastAPI checks it and answers 422.")
OTHER_MESSAGES = {
    "ninja": ("Django Ninja handler passes {source} to {sink} without validation; declare it "
              "as a Schema or typed parameter so Ninja checks it and answers 422."),
    "litestar": ("Litestar handler passes {source} to {sink} without validation; declare it "
                 "as a dataclass, msgspec Struct or pydantic model (or a typed parameter) so "
                 "Litestar checks it and answers 400."),
}
# Annotations under which FastAPI hands over whatever JSON the client sent.
UNTYPED = frozenset({"dict", "Dict", "Any", "Mapping", "MutableMapping", "object", "Json",
                     "JSON", "list", "List", "Sequence"})
WRAPPERS = frozenset({"Optional", "Annotated", "Union", "list", "List", "Sequence",
                      "Body"})  # Ninja's ``Body[dict]``
# Parameters FastAPI fills from the framework, not from the client (``Provide`` and
# ``Dependency``: Litestar's dependency injection).
INJECTED = frozenset({"Depends", "Security", "Header", "Cookie", "File", "UploadFile", "Form",
                      "Provide", "Dependency"})


def _untyped(annotation: cst.BaseExpression) -> bool:
    """``dict``, ``dict[str, Any]``, ``Optional[dict]``, ``Annotated[dict, Body()]``..."""
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return last_name(annotation) in UNTYPED
    if isinstance(annotation, cst.Subscript):
        outer = last_name(annotation.value)
        if outer in ("dict", "Dict", "Mapping", "MutableMapping"):
            return True
        if outer in WRAPPERS:
            first = annotation.slice[0].slice if annotation.slice else None
            return isinstance(first, cst.Index) and _untyped(first.value)
    if isinstance(annotation, cst.BinaryOperation):  # dict | None
        return _untyped(annotation.left) or _untyped(annotation.right)
    return False


# Unannotated parameters FastAPI fills with framework objects, by their conventional names.
FRAMEWORK_NAMES = frozenset({"self", "cls", "request", "req", "response", "websocket",
                             "background_tasks", "db", "session"})
# Litestar's reserved parameter names: the framework fills them whatever their annotation.
LITESTAR_NAMES = frozenset({"state", "scope", "headers", "cookies", "query", "socket", "body"})
TYPED_SIGNATURES = frozenset({"fastapi", "ninja", "litestar"})


def untyped_body_params(fn: cst.FunctionDef, framework: str = "fastapi") -> dict[str, str]:
    """Parameters FastAPI hands over unchecked: typed ``dict``/``Any``, or not annotated
    at all (a path or query value then arrives as whatever text the client sent)."""
    out: dict[str, str] = {}
    p = fn.params
    names = FRAMEWORK_NAMES | LITESTAR_NAMES if framework == "litestar" else FRAMEWORK_NAMES
    for param in (*p.params, *p.kwonly_params):
        default = param.default
        if isinstance(default, cst.Call) and last_name(default.func) in INJECTED:
            continue
        if param.annotation is None:
            if param.name.value not in names and default is None:
                out[param.name.value] = f"bare:{param.name.value}"
        elif _untyped(param.annotation.annotation):
            out[param.name.value] = f"param:{param.name.value}"
    return out


class FastapiUntypedBody(Check):
    rule_id = "BA102"
    requires_frameworks = TYPED_SIGNATURES

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = self.ctx.routes.route_for(node)
        if route is None or route.framework not in TYPED_SIGNATURES:
            return
        params = untyped_body_params(node, route.framework)
        report_unvalidated(self, PayloadFlow(self.ctx, node, params),
                           OTHER_MESSAGES.get(route.framework, MESSAGE))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        return resolve_unvalidated(candidate, project)
