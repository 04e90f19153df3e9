"""Records what each FastAPI dependency does about authentication (fact
``auth.dependency``), so a route whose dependency is defined in another module, or
authenticates through a sub-dependency, is seen as protected."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.auth import FACT_AUTH_DEPENDENCY, dependency_facts
from backend_audit.visitor import Collector


class AuthDependencyFacts(Collector):
    requires_frameworks = frozenset({"fastapi", "starlette"})
    # Everything that can make a function a dependency (``Depends``/``Security``) or an
    # authenticating one (appmodel.auth's _REFUSES and MANUAL_AUTH).
    words = ("Depends", "Security", "401", "403", "uthoriz", "UTHORIZ", "orbidden",
             "NotAuthenticated", "current_user", "is_authenticated", "jwt", "g.user",
             "request.user", "has_perm", "PermissionDenied", "check_permission", "uthenticate",
             "require_user", "verify_token", "decode_token", "request.auth",
             "check_authorized", "authorized_userid", "pi-key", "PI-Key", "PI-KEY", "earer",
             "APIKey", "HTTPBasic")
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        for fact in dependency_facts(self.ctx):
            self.ctx.add_fact(FACT_AUTH_DEPENDENCY, fact)
