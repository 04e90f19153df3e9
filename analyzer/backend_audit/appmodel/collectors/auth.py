"""Records what each FastAPI dependency does about authentication (fact
``auth.dependency``), so a route whose dependency is defined in another module, or
authenticates through a sub-dependency, is seen as protected."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.auth import FACT_AUTH_DEPENDENCY, dependency_facts
from backend_audit.visitor import Collector


class AuthDependencyFacts(Collector):
    requires_frameworks = frozenset({"fastapi", "starlette"})
    words = ("Depends", "Security", "Annotated", "HTTPException", "401", "403", "uthoriz",
             "orbidden", "current_user", "is_authenticated")
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        for fact in dependency_facts(self.ctx):
            self.ctx.add_fact(FACT_AUTH_DEPENDENCY, fact)
