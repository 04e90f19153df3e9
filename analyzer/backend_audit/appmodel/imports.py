"""Resolve local names to qualified names through a module's import statements."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import dotted_name
from backend_audit.appmodel.request_params import not_request_reads
from backend_audit.engines.walk import walk


class ImportMap:
    """Maps names bound by imports to dotted qualified names.

    ``from flask import request as req`` binds ``req -> flask.request``;
    ``import sqlalchemy as sa`` binds ``sa -> sqlalchemy``. Relative imports keep
    their leading dots (``from .models import User`` -> ``.models.User``).
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.modules: set[str] = set()  # every module imported, dotted
        # ``id()`` of the names reading a parameter called like the request but annotated
        # with another type (``request: CommentIn``): see ``appmodel.request_params``.
        self.not_requests: frozenset[int] = frozenset()

    def add_statement(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                self.modules.add(full)
                if alias.asname is not None:
                    self.names[dotted_name(alias.asname.name) or full] = full
                else:
                    top = full.split(".")[0]
                    self.names[top] = top
            return
        dots = "." * len(node.relative)
        base = dots + (dotted_name(node.module) or "") if node.module else dots
        self.modules.add(base)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = dotted_name(alias.asname.name) if alias.asname else name
            sep = "" if base.endswith(".") else "."
            self.names[local or name] = f"{base}{sep}{name}"
            self.modules.add(f"{base}{sep}{name}")

    @property
    def top_packages(self) -> set[str]:
        return {m.split(".")[0] for m in self.modules if m and not m.startswith(".")}

    def qualname(self, node: cst.BaseExpression | None) -> str | None:
        """Qualified name of a Name/Attribute chain, or None if it is not imported."""
        if node is None:
            return None
        if isinstance(node, cst.Name):
            return self.names.get(node.value)
        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def is_from(self, node: cst.BaseExpression | None, *prefixes: str) -> bool:
        q = self.qualname(node)
        return q is not None and any(q == p or q.startswith(p + ".") for p in prefixes)


def collect_imports(module: cst.Module) -> ImportMap:
    """Imports anywhere at module level, in top-level functions, classes and try/if blocks."""
    imports = ImportMap()

    class _Collector(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> bool:
            imports.add_statement(node)
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            imports.add_statement(node)
            return False

        # Expressions never contain imports: skip them to keep this pass cheap.
        def visit_Expr(self, node: cst.Expr) -> bool:
            return False

        def visit_Assign(self, node: cst.Assign) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> bool:
            return False

    walk(module, _Collector())
    imports.not_requests = not_request_reads(module, imports)
    return imports
