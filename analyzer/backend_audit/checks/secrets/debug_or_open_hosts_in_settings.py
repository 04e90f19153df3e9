"""BA703: ``DEBUG = True`` or ``ALLOWED_HOSTS = ["*"]`` in settings that reach production.

``DEBUG = True`` is reported by BA407 (error-handling) when that rule runs: the catalogue
has BA703 defer to it on the same line."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.django_settings import (
    debug_on,
    debug_switched_on,
    host_checked_by_middleware,
    is_served_settings,
    overridden,
)
from backend_audit.appmodel.names import string_list
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check


class DebugOrOpenHostsInSettings(Check):
    rule_id = "BA703"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.settings = is_served_settings(ctx.path, ctx.source)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.settings or self.ctx.function_stack or self.ctx.class_stack:
            return
        if debug_switched_on(node):
            self.report(node, setting="DEBUG")
            return
        for target in node.targets:
            name = target.target.value if isinstance(target.target, cst.Name) else None
            if name == "ALLOWED_HOSTS" and "*" in (string_list(node.value) or []):
                self.report(node, setting="ALLOWED_HOSTS",
                            message="ALLOWED_HOSTS accepts any Host header ('*') in settings "
                                    "that are not development-only.")

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        """A production module that overrides the value (DEBUG = False) wins."""
        name = candidate.data.get("setting")
        if name == "ALLOWED_HOSTS" and host_checked_by_middleware(project):
            return None  # the project's middleware answers unknown hosts itself
        unsafe = debug_on if name == "DEBUG" else _any_host
        return None if overridden(name, candidate.path, project, unsafe) else candidate


def _any_host(value: object) -> bool:
    """A recorded ``ALLOWED_HOSTS`` value that still accepts any host."""
    return isinstance(value, list) and "*" in value
