"""BA407: ``DEBUG = True`` in Django settings that reach production (a settings module,
or ``settings.configure(DEBUG=True)`` in a single-module app): every error is answered
with Django's technical page (traceback, local variables, settings, SQL)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.django_settings import (
    configured_debug,
    debug_on,
    debug_switched_on,
    is_served_settings,
    overridden,
)
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check


class DjangoDebugInSettings(Check):
    rule_id = "BA407"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.settings = is_served_settings(ctx.path, ctx.source)
        self.dev_only = is_dev_only(ctx.path)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.settings and not self.ctx.function_stack and not self.ctx.class_stack and \
                debug_switched_on(node):
            self.report(node)

    def visit_Call(self, node: cst.Call) -> None:
        """``settings.configure(DEBUG=True, ...)`` in a module the app is served from."""
        if self.dev_only:
            return
        found = configured_debug(node, self.ctx.imports.qualname)
        if found is not None:
            self.report(found)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        """A production module that turns debug off (or reads it from the environment)
        wins."""
        return None if overridden("DEBUG", candidate.path, project, debug_on) else candidate
