"""BA1202: uploads are accepted with no request-size limit."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.requests import request_input
from backend_audit.visitor import Candidate, Check

LIMIT_SETTINGS = frozenset({"MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE"})
# Config loaded from the environment may set the limit where we cannot see it.
ENV_CONFIG_LOADERS = frozenset({"from_prefixed_env", "from_envvar", "from_pyfile", "from_file"})
DJANGO_LIMITS = frozenset({"DATA_UPLOAD_MAX_MEMORY_SIZE", "DATA_UPLOAD_MAX_NUMBER_FILES"})
LIMIT_FACT = "file-upload.size-limit"
FILES_FACT = "file-upload.flask-files-read"


class UploadSizeUnlimited(Check):
    rule_id = "BA1202"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.skip = is_dev_only(ctx.path)

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        if qual == "flask.Flask" and not self.skip:
            self.report(node, kind="flask")
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ENV_CONFIG_LOADERS:
            self.ctx.add_fact(LIMIT_FACT, "env")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "files" and "flask" in self.ctx.frameworks and \
                request_input(node, self.ctx.imports) == "files":
            self.ctx.add_fact(FILES_FACT, True)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in LIMIT_SETTINGS:
            self.ctx.add_fact(LIMIT_FACT, node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if string_value(node) in LIMIT_SETTINGS:
            self.ctx.add_fact(LIMIT_FACT, "config")

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.skip:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value in DJANGO_LIMITS and \
                    isinstance(node.value, cst.Name) and node.value.value == "None":
                self.report(node, kind="django")

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if candidate.data.get("kind") == "django":
            return candidate
        if project.has(FILES_FACT) and not project.has(LIMIT_FACT):
            return candidate
        return None
