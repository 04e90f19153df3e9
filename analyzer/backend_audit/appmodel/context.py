"""Per-module context that every check shares: source, imports, routes, data flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from backend_audit.appmodel.dev_scope import answers_only_in_debug
from backend_audit.appmodel.imports import ImportMap, collect_imports
from backend_audit.appmodel.module_names import module_name
from backend_audit.appmodel.openapi import routes_of_module
from backend_audit.appmodel.routes import Route, RouteFinder
from backend_audit.config import Config
from backend_audit.flow.calls import Callee, ModuleFunctions, imported_callee, local_callee
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
    _functions: ModuleFunctions | None = None
    _debug_only: dict[int, bool] = field(default_factory=dict)

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

    def in_debug_only_handler(self) -> bool:
        """Is the current node inside a handler that serves only in debug mode?"""
        for fn in self.function_stack:
            key = id(fn)
            if key not in self._debug_only:
                self._debug_only[key] = answers_only_in_debug(fn)
            if self._debug_only[key]:
                return True
        return False

    def flow(self, scope: cst.FunctionDef | cst.Module | None = None) -> Flow:
        """Flow of ``scope`` (default: the innermost enclosing function, else the module)."""
        scope = scope or self.current_function or self.module
        key = id(scope)
        if key not in self._flows:
            self._flows[key] = Flow(scope)
        return self._flows[key]

    @property
    def functions(self) -> ModuleFunctions:
        """The functions and classes this module defines (see ``flow.calls``)."""
        if self._functions is None:
            self._functions = ModuleFunctions(self.module)
        return self._functions

    @property
    def module_functions(self) -> dict[str, cst.FunctionDef]:
        """Top-level functions by name, and methods as ``Class.method``."""
        return self.functions.functions

    def local_callee(self, call: cst.Call | cst.BaseExpression,
                     scope: cst.FunctionDef | None = None) -> Callee | None:
        """The same-module function ``call`` reaches (``flow.calls.local_callee``), seen
        from ``scope`` (a function analysed on its own, such as a helper), by default
        from where the traversal is."""
        if scope is None or scope is self.current_function:
            cls = self.class_stack[-1] if self.class_stack else None
            return local_callee(call, self.functions, cls, self.function_stack)
        return local_callee(call, self.functions, self.functions.owner(scope), (scope,))

    def local_function(self, call: cst.Call | cst.BaseExpression,
                       scope: cst.FunctionDef | None = None) -> cst.FunctionDef | None:
        """The same-module function a call runs, constructors aside (``helper(x)``,
        ``self.helper(x)``, a nested ``helper``)."""
        callee = self.local_callee(call, scope)
        return callee.function if callee is not None and not callee.constructor else None

    def imported_callee(self, call: cst.Call | cst.BaseExpression) -> str | None:
        """The absolute qualified name of an imported callee (``flow.calls``)."""
        return imported_callee(call, self.imports, self.path)

    def add_fact(self, key: str, value: Any) -> None:
        """Record an app-wide fact (JSON-serialisable value) for the project phase."""
        self.facts.append((key, value))
