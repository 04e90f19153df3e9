"""BA1103: an application configures logging nowhere (reported once per scan)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import dotted_name, get_arg
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

APP_CLASSES = frozenset({"flask.Flask", "fastapi.FastAPI", "starlette.applications.Starlette",
                         "aiohttp.web.Application", "quart.Quart"})
CONFIGURE_CALLS = frozenset({
    "logging.basicConfig", "logging.config.dictConfig", "logging.config.fileConfig",
    "logging.config.listen", "structlog.configure", "loguru.logger.add", "loguru.logger.configure",
    "logging.captureWarnings",
})
CONFIGURE_METHODS = frozenset({"addHandler", "setLevel", "setFormatter", "dictConfig",
                               "basicConfig", "fileConfig", "configure_logging", "setup_logging"})
# Settings names that configure logging (Django LOGGING, gunicorn logconfig_dict...).
CONFIG_NAMES = frozenset({"LOGGING", "LOGGING_CONFIG", "logconfig_dict", "logconfig", "LOG_CONFIG"})
CONFIGURED = "logging.configured"
APP = "logging.app"


class LoggingNotConfigured(Check):
    app_level = True
    rule_id = "BA1103"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.skip = is_dev_only(ctx.path)
        self.reported = False

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else \
            (dotted_name(node.func) or "")
        if qual in CONFIGURE_CALLS or method in CONFIGURE_METHODS or (
                get_arg(node, "log_config") is not None):
            self.ctx.add_fact(CONFIGURED, True)
        elif qual in APP_CLASSES and not self.skip:
            self._app(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        at_top = not self.ctx.function_stack and not self.ctx.class_stack
        for target in node.targets:
            name = target.target.value if isinstance(target.target, cst.Name) else None
            if name in CONFIG_NAMES:
                self.ctx.add_fact(CONFIGURED, True)
            elif name == "INSTALLED_APPS" and at_top and not self.skip:
                self._app(node)

    def _app(self, node: cst.CSTNode) -> None:
        if not self.reported:
            self.reported = True
            self.ctx.add_fact(APP, True)
            self.report(node)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if project.has(CONFIGURED):
            return None
        first = min(fact.path for fact in project.get(APP))
        return candidate if candidate.path == first else None
