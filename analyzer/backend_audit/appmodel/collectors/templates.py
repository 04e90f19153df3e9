"""Records the project's sandboxed Jinja environments (``appmodel.template_sandbox``).

Fact ``template.sandboxed-env``: ``{"name": "app.templating.ENV"}`` for every module-level
class deriving from ``jinja2.sandbox.SandboxedEnvironment``, function returning one and
variable holding one, so a module rendering with an imported environment can tell that
its templates run in the sandbox.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.template_sandbox import FACT_SANDBOXED_ENV, sandbox_facts
from backend_audit.visitor import Collector


class SandboxedEnvFacts(Collector):
    words = ("Sandboxed",)
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        for name in sandbox_facts(self.ctx):
            self.ctx.add_fact(FACT_SANDBOXED_ENV, {"name": name})
