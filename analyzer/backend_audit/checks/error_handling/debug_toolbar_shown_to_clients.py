"""BA406: django-debug-toolbar's ``SHOW_TOOLBAR_CALLBACK`` lets any client turn it on."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import dotted_name, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import descendants
from backend_audit.flow.calls import names_match
from backend_audit.visitor import Candidate, Check

# Fact: a module-level function named after the toolbar that shows it to anyone, or to
# whoever asks: ``{"name": "pkg.debug.show_toolbar", "verdict": "always" | "client"}``.
FACT_TOOLBAR_CALLBACK = "error-handling.toolbar-callback"
CALLBACK_KEY = "SHOW_TOOLBAR_CALLBACK"
# What the request carries from the client: query string, form, cookies, headers, body.
_CLIENT_ATTRIBUTES = frozenset({"GET", "POST", "COOKIES", "REQUEST", "headers", "body",
                                "data", "query_params", "FILES"})
# What the server decides: the debug setting, the internal addresses (``REMOTE_ADDR`` is
# the socket's peer, not a header), a signed-in superuser or staff member, the environment.
_SERVER_NAMES = frozenset({"DEBUG", "INTERNAL_IPS", "REMOTE_ADDR", "is_superuser",
                           "is_staff", "has_perm", "environ", "getenv"})
MESSAGES = {
    "always": "SHOW_TOOLBAR_CALLBACK shows django-debug-toolbar on every request, in settings "
              "that are not development-only: anyone can read its SQL, settings and "
              "header panels.",
    "client": "SHOW_TOOLBAR_CALLBACK shows django-debug-toolbar to any client that asks for "
              "it (a query parameter, form field, cookie or header), in settings that are "
              "not development-only.",
}


def callback_verdict(fn: cst.FunctionDef | cst.Lambda) -> str | None:
    """"always" when every answer is ``True``, "client" when the answer rests on what the
    request carries and on nothing the server decides, else None."""
    params = fn.params.params
    if not params:
        return None
    request = params[0].name.value
    names = {n.value for n in descendants(fn.body, cst.Name)} | {
        a.attr.value for a in descendants(fn.body, cst.Attribute)}
    keys = {string_value(s) for s in descendants(fn.body, cst.SimpleString)}
    if names & _SERVER_NAMES or "REMOTE_ADDR" in keys:
        return None
    if any(isinstance(a.value, cst.Name) and a.value.value == request and (
            a.attr.value in _CLIENT_ATTRIBUTES or
            a.attr.value == "META" and any(k and k.startswith("HTTP_") for k in keys))
           for a in descendants(fn.body, cst.Attribute)):
        return "client"
    answers = [fn.body] if isinstance(fn, cst.Lambda) else [
        r.value for r in descendants(fn.body, cst.Return)]
    if answers and all(isinstance(a, cst.Name) and a.value == "True" for a in answers):
        return "always"
    return None


class DebugToolbarShownToClients(Check):
    rule_id = "BA406"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.served = not is_dev_only(ctx.path)
        self.functions = {s.name.value: s for s in ctx.module.body
                          if isinstance(s, cst.FunctionDef)}
        self.debug_only = 0  # inside ``if DEBUG:`` / ``if settings.DEBUG:``

    def visit_If(self, node: cst.If) -> None:
        if _mentions_debug(node.test):
            self.debug_only += 1

    def leave_If(self, original_node: cst.If) -> None:
        if _mentions_debug(original_node.test):
            self.debug_only -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.functions.get(node.name.value) is not node or \
                "toolbar" not in node.name.value.lower():
            return
        verdict = callback_verdict(node)
        if verdict is not None:
            self.ctx.add_fact(FACT_TOOLBAR_CALLBACK, {
                "name": f"{self.ctx.module_name}.{node.name.value}", "verdict": verdict})

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if not self.served or self.debug_only or self.ctx.function_stack or \
                string_value(node.key) != CALLBACK_KEY:
            return
        self._callback(node.value, node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        # DEBUG_TOOLBAR_CONFIG["SHOW_TOOLBAR_CALLBACK"] = ...
        if not self.served or self.debug_only or self.ctx.function_stack:
            return
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Subscript) and len(t.slice) == 1 and \
                    isinstance(t.slice[0].slice, cst.Index) and \
                    string_value(t.slice[0].slice.value) == CALLBACK_KEY:
                self._callback(node, node.value)

    def _callback(self, node: cst.CSTNode, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Lambda):
            local = value
        else:
            name = string_value(value) or dotted_name(value) or ""
            local = self.functions.get(name.rsplit(".", 1)[-1]) if (
                "." not in name or names_match(self.ctx.module_name, name.rsplit(".", 1)[0])
            ) else None
            if local is None and name:
                # a dotted path to another module: resolved once every module is read
                self.report(node, target=name)
                return
        verdict = callback_verdict(local) if local is not None else None
        if verdict is not None:
            self.report(node, MESSAGES[verdict])

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        target = candidate.data.get("target")
        if target is None:
            return candidate
        for value in project.values(FACT_TOOLBAR_CALLBACK):
            if names_match(value["name"], target):
                return replace(candidate, message=MESSAGES[value["verdict"]])
        return None


def _mentions_debug(test: cst.BaseExpression) -> bool:
    """``if DEBUG:`` / ``if settings.DEBUG and ...:`` (not ``if not DEBUG:``)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return False
    return any(n.value == "DEBUG" for n in descendants(test, cst.Name)) or any(
        a.attr.value == "DEBUG" for a in descendants(test, cst.Attribute))
