"""Jinja environments that render in Jinja's sandbox.

``jinja2.sandbox.SandboxedEnvironment`` (and its immutable variant) is Jinja's answer to
templates written by someone the server does not trust: attribute access and calls are
checked, so ``{{ cycler.__init__.__globals__.os }}`` raises instead of reaching Python.
A template rendered there cannot run code on the server, so its source text coming
from a user is a feature (notification or file-name templates), not template injection.

An environment is known to be sandboxed when it is built by one of those classes, by a
class deriving from one, by a function that returns one (by annotation or by what it
returns), or read from a variable holding one, in the same module or, through the fact
``FACT_SANDBOXED_ENV``, in another module of the scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from backend_audit.appmodel.module_names import absolute_name
from backend_audit.appmodel.names import dotted_name
from backend_audit.engines.walk import own_returns
from backend_audit.flow.calls import names_match
from backend_audit.flow.locals import Flow

if TYPE_CHECKING:
    from backend_audit.appmodel.context import ModuleContext
    from backend_audit.appmodel.project import ProjectFacts

SANDBOX_CLASSES = frozenset({"jinja2.sandbox.SandboxedEnvironment",
                             "jinja2.sandbox.ImmutableSandboxedEnvironment"})
#: Project fact ``{"name": "app.templating.ENV"}``: a module-level class deriving from a
#: sandboxed environment, a function returning one, or a variable holding one.
FACT_SANDBOXED_ENV = "template.sandboxed-env"
_DEPTH = 4
_LOCAL = "<local>."  # prefix of a module-level name of the module itself


def _named(expr: cst.BaseExpression, ctx: ModuleContext) -> str | None:
    """The class, function or variable ``expr`` names: an absolute dotted name when
    imported, ``<local>.name`` when defined in the module, None otherwise."""
    qual = ctx.imports.qualname(expr)
    if qual is not None:
        return absolute_name(qual, ctx.path)
    name = dotted_name(expr)
    return _LOCAL + name if name and "." not in name else None


def env_origins(expr: cst.BaseExpression, ctx: ModuleContext, flow: Flow | None,
                depth: int = 0) -> list[str] | None:
    """What builds the environment ``expr`` evaluates to: the names of the classes,
    factories or variables it comes from, following the assignments of ``flow``'s scope
    and then the module's. None when some origin cannot be named."""
    if depth > _DEPTH:
        return None
    if isinstance(expr, cst.Call):
        named = _named(expr.func, ctx)
        return [named] if named else None
    if isinstance(expr, cst.Name):
        for scope_flow in (flow, ctx.flow(ctx.module)):
            values = scope_flow.values_of(expr.value) if scope_flow is not None else []
            if values:
                out: list[str] = []
                for value in values:
                    found = env_origins(value, ctx, scope_flow, depth + 1)
                    if found is None:
                        return None
                    out.extend(found)
                return out
    if isinstance(expr, (cst.Name, cst.Attribute)):
        named = _named(expr, ctx)
        return [named] if named else None
    return None


def module_sandboxes(ctx: ModuleContext) -> frozenset[str]:
    """Module-level names (without prefix) that derive from, return or hold a sandboxed
    environment; found to a fixpoint, so a subclass of a subclass counts."""
    cached = ctx.__dict__.get("_sandboxed_envs")
    if cached is not None:
        return cached
    found: set[str] = set()
    statements = list(ctx.module.body)
    changed = True
    while changed:
        changed = False
        for stmt in statements:
            for name, origins in _definitions(stmt, ctx):
                if name not in found and origins and \
                        all(_known_sandbox(o, found) for o in origins):
                    found.add(name)
                    changed = True
    ctx.__dict__["_sandboxed_envs"] = frozenset(found)
    return ctx.__dict__["_sandboxed_envs"]


def _known_sandbox(origin: str, local: set[str] | frozenset[str]) -> bool:
    if origin.startswith(_LOCAL):
        return origin[len(_LOCAL):] in local
    return origin in SANDBOX_CLASSES


def _definitions(stmt: cst.CSTNode,
                 ctx: ModuleContext) -> list[tuple[str, list[str] | None]]:
    """(name, origins) for what ``stmt`` defines at module level; a name counts when
    every origin is a sandbox (a class: any base is)."""
    if isinstance(stmt, cst.ClassDef):
        bases = [_named(b.value, ctx) for b in stmt.bases if b.keyword is None]
        sandboxed = [b for b in bases if b and (b in SANDBOX_CLASSES or b.startswith(_LOCAL))]
        return [(stmt.name.value, [b]) for b in sandboxed]
    if isinstance(stmt, cst.FunctionDef):
        out: list[tuple[str, list[str] | None]] = []
        if stmt.returns is not None:
            out.append((stmt.name.value, env_origins(stmt.returns.annotation, ctx, None)))
        values = [r.value for r in own_returns(stmt.body)]
        if values and all(v is not None for v in values):
            flow = ctx.flow(stmt)
            origins: list[str] | None = []
            for value in values:
                more = env_origins(value, ctx, flow) if value is not None else None
                if more is None or origins is None:
                    origins = None
                    break
                origins.extend(more)
            out.append((stmt.name.value, origins))
        return out
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                isinstance(small.targets[0].target, cst.Name):
            return [(small.targets[0].target.value, env_origins(small.value, ctx, None))]
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            out = [(small.target.value, env_origins(small.annotation.annotation, ctx, None))]
            if small.value is not None:
                out.append((small.target.value, env_origins(small.value, ctx, None)))
            return out
    return []


def sandbox_facts(ctx: ModuleContext) -> list[str]:
    """Qualified names this module's sandboxed environments are known by elsewhere."""
    module = ctx.module_name
    return [f"{module}.{name}" if module else name for name in sorted(module_sandboxes(ctx))]


def sandboxed_receiver(expr: cst.BaseExpression, ctx: ModuleContext) -> list[str] | None:
    """Is the environment ``expr`` a sandbox? ``[]``: yes, known in this module; a list
    of names: yes if each (imported from another module of the scan) is a sandbox, for
    ``imported_sandboxes`` to settle; None: not one, or cannot be told."""
    origins = env_origins(expr, ctx, ctx.flow())
    if not origins:
        return None
    local = module_sandboxes(ctx)
    pending: list[str] = []
    for origin in origins:
        if _known_sandbox(origin, local):
            continue
        if origin.startswith(_LOCAL) or origin.split(".")[0] == "jinja2":
            return None
        pending.append(origin)
    return sorted(set(pending))


def imported_sandboxes(names: list[str], project: ProjectFacts) -> bool:
    """Are all ``names`` (from ``sandboxed_receiver``) sandboxes defined in the scan?"""
    index = project.by_last_name(FACT_SANDBOXED_ENV)
    return all(any(names_match(fact["name"], name)
                   for fact in index.get(name.rsplit(".", 1)[-1], ()))
               for name in names)
