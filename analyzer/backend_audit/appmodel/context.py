"""Per-module context that every check shares: source, imports, routes, data flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from backend_audit.appmodel.imports import ImportMap, collect_imports, module_name
from backend_audit.appmodel.openapi import routes_of_module
from backend_audit.appmodel.routes import Route, RouteFinder
from backend_audit.config import Config
from backend_audit.flow.locals import Flow


@dataclass
class ModuleContext:
    path: str  # relative POSIX path
    source: str
    module: cst.Module
    config: Config
    imports: ImportMap = field(init=False)
    routes: RouteFinder = field(init=False)
    facts: list[tuple[str, Any]] = field(default_factory=list)
    # Maintained by the engine during the single traversal.
    function_stack: list[cst.FunctionDef] = field(default_factory=list)
    class_stack: list[cst.ClassDef] = field(default_factory=list)
    _flows: dict[int, Flow] = field(default_factory=dict)
    _module_functions: dict[str, cst.FunctionDef] | None = None

    def __post_init__(self) -> None:
        self.imports = collect_imports(self.module)
        declared = routes_of_module(self.config.declared_routes, self.module_name) \
            if self.config.declared_routes else None
        self.routes = RouteFinder(self.module, self.imports, self.path, declared)

    @property
    def module_name(self) -> str:
        return module_name(self.path)

    @property
    def frameworks(self) -> set[str]:
        return self.routes.frameworks

    @property
    def current_function(self) -> cst.FunctionDef | None:
        return self.function_stack[-1] if self.function_stack else None

    def current_route(self) -> Route | None:
        """The route whose handler encloses the current node (innermost wins)."""
        for fn in reversed(self.function_stack):
            route = self.routes.route_for(fn)
            if route is not None:
                return route
        return None

    def flow(self, scope: cst.FunctionDef | cst.Module | None = None) -> Flow:
        """Flow of ``scope`` (default: the innermost enclosing function, else the module)."""
        scope = scope or self.current_function or self.module
        key = id(scope)
        if key not in self._flows:
            self._flows[key] = Flow(scope)
        return self._flows[key]

    @property
    def module_functions(self) -> dict[str, cst.FunctionDef]:
        """Top-level functions by name, and methods as ``Class.method``."""
        if self._module_functions is None:
            found: dict[str, cst.FunctionDef] = {}
            for stmt in self.module.body:
                if isinstance(stmt, cst.FunctionDef):
                    found[stmt.name.value] = stmt
                elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                    for inner in stmt.body.body:
                        if isinstance(inner, cst.FunctionDef):
                            found[f"{stmt.name.value}.{inner.name.value}"] = inner
            self._module_functions = found
        return self._module_functions

    def local_function(self, call: cst.Call) -> cst.FunctionDef | None:
        """The same-module function a call goes to (``helper(x)`` or ``self.helper(x)``)."""
        func = call.func
        if isinstance(func, cst.Name):
            return self.module_functions.get(func.value)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.value.value in ("self", "cls") and self.class_stack:
            return self.module_functions.get(f"{self.class_stack[-1].name.value}.{func.attr.value}")
        return None

    def add_fact(self, key: str, value: Any) -> None:
        """Record an app-wide fact (JSON-serialisable value) for the project phase."""
        self.facts.append((key, value))
