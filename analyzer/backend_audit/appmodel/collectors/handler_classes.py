"""Records the request-handler classes of each module and whether each checks the
caller itself (fact ``handler-class``), so a handler class in another module that
inherits its access check (``class RHEditTalk(RHSignedIn)``) is seen as protected, and
one whose whole line of base classes checks nothing is seen as open."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.auth import own_access_check
from backend_audit.appmodel.class_handlers import (
    FACT_HANDLER_CLASS,
    HANDLER_CLASS_WORDS,
    handler_class_facts,
)
from backend_audit.visitor import Collector


class HandlerClassFacts(Collector):
    words = HANDLER_CLASS_WORDS
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        if not any(word in self.ctx.source for word in HANDLER_CLASS_WORDS):
            return  # what the prefilter skips when other checks parse the file anyway
        for fact in handler_class_facts(node, self.ctx.module_name, self.ctx.imports,
                                        self.ctx.path, own_access_check):
            self.ctx.add_fact(FACT_HANDLER_CLASS, fact)
