"""Records the functions an application runs each time it starts (fact ``startup-call``:
``{"callee": qualified name}``): the calls made in a FastAPI/Starlette lifespan (a
function given as ``lifespan=`` or named ``lifespan``), in an ``on_startup=[...]`` hook
or in an ``@app.on_event("startup")`` handler. Accounts such a function creates exist in
every deployment, unlike those of a seed script a developer runs by hand."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import last_name, string_value
from backend_audit.engines.walk import descendants
from backend_audit.visitor import Collector

#: The fact this collector records, one per call made at start-up.
FACT_STARTUP_CALL = "startup-call"


class StartupCalls(Collector):
    words = ("lifespan", "startup")
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        hooks = _hook_names(node)
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef) and (
                    stmt.name.value in hooks or stmt.name.value == "lifespan" or
                    any(_startup_event(d.decorator) for d in stmt.decorators)):
                for call in descendants(stmt, cst.Call):
                    callee = self._callee(call)
                    if callee is not None:
                        self.ctx.add_fact(FACT_STARTUP_CALL, {"callee": callee})

    def _callee(self, call: cst.Call) -> str | None:
        name = self.ctx.imports.qualname(call.func)
        if name is not None:
            return name.lstrip(".")
        if isinstance(call.func, cst.Name) and call.func.value in self.ctx.functions.functions:
            return f"{self.ctx.module_name}.{call.func.value}"
        return None


def _hook_names(module: cst.Module) -> set[str]:
    """Functions handed to an application as its lifespan or start-up hooks."""
    names: set[str] = set()
    for call in descendants(module, cst.Call):
        for arg in call.args:
            key = arg.keyword.value if arg.keyword is not None else None
            if key == "lifespan" and isinstance(arg.value, cst.Name):
                names.add(arg.value.value)
            elif key == "on_startup" and isinstance(arg.value, (cst.List, cst.Tuple)):
                names.update(e.value.value for e in arg.value.elements
                             if isinstance(e.value, cst.Name))
    return names


def _startup_event(decorator: cst.BaseExpression) -> bool:
    """``@app.on_event("startup")``."""
    return isinstance(decorator, cst.Call) and last_name(decorator.func) == "on_event" and \
        bool(decorator.args) and string_value(decorator.args[0].value) == "startup"


def runs_at_startup(function: str, callees: list[str]) -> bool:
    """``function`` (``app.seed.seed_database``) is one of ``callees`` (as imported:
    ``seed.seed_database`` from within the package)."""
    tail = function.split(".")[-2:]
    return any(c.split(".")[-2:] == tail for c in callees)
