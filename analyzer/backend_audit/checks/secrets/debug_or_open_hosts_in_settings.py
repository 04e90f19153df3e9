"""BA703: ``DEBUG = True`` or ``ALLOWED_HOSTS = ["*"]`` in settings that reach production."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import string_list
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

# Names only a Django settings module assigns at module level.
DJANGO_SETTINGS_MARKERS = ("INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE", "DATABASES",
                           "WSGI_APPLICATION", "ALLOWED_HOSTS", "SECRET_KEY")


class DebugOrOpenHostsInSettings(Check):
    rule_id = "BA703"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        source = ctx.source
        self.settings = not is_dev_only(ctx.path) and (
            "settings" in ctx.path or sum(m in source for m in DJANGO_SETTINGS_MARKERS) >= 2)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.settings or self.ctx.function_stack or self.ctx.class_stack:
            return
        for target in node.targets:
            name = target.target.value if isinstance(target.target, cst.Name) else None
            if name == "DEBUG" and isinstance(node.value, cst.Name) and node.value.value == "True":
                self.report(node, setting="DEBUG")
            elif name == "ALLOWED_HOSTS" and "*" in (string_list(node.value) or []):
                self.report(node, setting="ALLOWED_HOSTS",
                            message="ALLOWED_HOSTS accepts any Host header ('*') in settings "
                                    "that are not development-only.")

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        """A production module that overrides the value (DEBUG = False) wins."""
        name = candidate.data.get("setting")
        for fact in project.get("setting"):
            value = fact.value
            if fact.path == candidate.path or value.get("name") != name or \
                    is_dev_only(fact.path) or value.get("kind") != "module":
                continue
            if name == "DEBUG" and value.get("value") is not True:
                return None
            if name == "ALLOWED_HOSTS" and "*" not in (value.get("value") or []):
                return None
        return candidate
