"""The base of every libcst check, and of fact collectors.

A check is one small class on libcst's batchable visitor. The engine parses a file
once and walks it once with every enabled check. Checks only *report* candidates
(and record app-wide facts); a check may override ``resolve`` to keep or drop its
candidates once facts from the whole project are known (an error handler
registered in another module, pagination set in settings.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.project import ProjectFacts


@dataclass(frozen=True)
class Candidate:
    """A finding before positions, suppression and project-level resolution."""

    rule_id: str
    path: str
    node_key: int  # id() of the node, turned into a region by the engine
    message: str | None = None
    confidence: str | None = None
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    start_line: int = 0
    start_column: int = 0
    end_line: int = 0
    end_column: int = 0

    def with_region(self, sl: int, sc: int, el: int, ec: int) -> Candidate:
        return replace(self, start_line=sl, start_column=sc, end_line=el, end_column=ec)


class Check(cst.BatchableCSTVisitor):
    """Subclass, set ``rule_id`` to the catalogue id, and define ``visit_*`` methods."""

    rule_id: ClassVar[str | None] = None
    #: Frameworks this check needs among the module's imports (empty: any module).
    requires_frameworks: ClassVar[frozenset[str]] = frozenset()
    #: A regular expression (multi-line) a file must match for this check to run; where
    #: ``words`` would be too common (``=``), this keeps libcst from parsing every file.
    source_pattern: ClassVar[str | None] = None
    #: Skip schema migrations (Django ``migrations/``, Alembic ``versions/``): they run
    #: once at deploy time, never serve a request and are never called by the app.
    skips_migrations: ClassVar[bool] = False
    #: The finding is about a whole application (no error handler, no security headers,
    #: no logging configuration): when a scan holds several, its message names which.
    app_level: ClassVar[bool] = False

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.candidates: list[tuple[cst.CSTNode, Candidate]] = []

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not cls.requires_frameworks or bool(cls.requires_frameworks & ctx.frameworks)

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        assert self.rule_id is not None, "collectors do not report"
        if self.ctx.in_debug_only_handler():
            confidence = "low"  # a development stand-in never serves production traffic
        cand = Candidate(self.rule_id, self.ctx.path, id(node), message, confidence, data)
        self.candidates.append((node, cand))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        """Keep (possibly amended) or drop a candidate once app-wide facts are known."""
        return candidate


class Collector(Check):
    """Records app-wide facts; always runs whatever rules are selected."""

    rule_id = None
