"""BA811: an LDAP search filter is built from client input without escaping (LDAP injection).

Request data reaching the filter is the finding at high confidence, also when the
filter is built in a provider class or helper of another module that a route calls
with the login form (function summaries, flow/needs.py). Where no such caller is
found, a filter string formatted with an unescaped value named like a login
(``self.data.username``, ``login``, ``email``) that is not a setting is reported at
medium confidence.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.locals import is_dynamic_string
from backend_audit.flow.needs import needs_data, settle
from backend_audit.flow.sinks import LDAP3_METHODS, PYTHON_LDAP_METHODS
from backend_audit.flow.specs import LDAP
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Candidate, Check

# Names of values that hold what a user typed as their login.
_LOGIN_NAME = re.compile(r"(?i)^_?(user_?name|login(_?name)?|uid|e?mail(_address)?|principal|"
                         r"account_?name|sam_?account_?name|user_?principal_?name)$")
# Roots of configuration values, which the operator (not the client) writes.
_CONFIG_ROOTS = re.compile(r"(?i)^(settings|config|conf|app_settings|current_app|self\.config|"
                           r"self\.settings|os\.environ)\b")


class LdapFilterFromRequest(Check):
    rule_id = "BA811"

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        qual = self.ctx.imports.qualname(node.func)
        if qual is not None and not qual.startswith("ldap"):
            return  # ``re.search``, ``bisect``...: an imported module's function
        method = node.func.attr.value
        packages = self.ctx.imports.top_packages
        arg: cst.Arg | None = None
        base: cst.Arg | None = None
        if "ldap3" in packages and method in LDAP3_METHODS:
            arg, base = get_arg(node, "search_filter", 1), get_arg(node, "search_base", 0)
        elif "ldap" in packages and method in PYTHON_LDAP_METHODS:
            arg, base = get_arg(node, "filterstr", 2), get_arg(node, "base", 0)
        if arg is None or self._own_class_receiver(node.func.value):
            return
        taint = Taint(self.ctx, LDAP)
        found = taint.reach(arg.value)
        login = self._login_name_formatted(arg.value, taint.guarded)
        # The search base is a DN: ``cn=x,ou=people`` with x from the client can point
        # the search at another subtree (escape_rdn escapes it).
        if found.source is not None or \
                (base is not None and taint.reach(base.value).source is not None):
            self.report(node)
        elif found.needs:
            # a caller in another module passes the login form: high; else the name alone
            self.report(node, otherwise="medium" if login else None,
                        **needs_data([found], LDAP))
        elif login:
            self.report(node, confidence="medium")

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        return settle(candidate, project)

    def _own_class_receiver(self, receiver: cst.BaseExpression) -> bool:
        """``Directory().extend.standard.paged_search(...)`` with ``Directory`` a class of
        this module: a method of the project's own, not of an LDAP connection."""
        while isinstance(receiver, (cst.Attribute, cst.Subscript, cst.Call)):
            if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name):
                return receiver.func.value in self.ctx.functions.classes
            receiver = receiver.func if isinstance(receiver, cst.Call) else receiver.value
        return False

    def _login_name_formatted(self, expr: cst.BaseExpression, guarded: frozenset[str]) -> bool:
        """A filter string formatted with an unescaped, unchecked login-like value."""
        flow = self.ctx.flow()
        built = [expr] if not isinstance(expr, cst.Name) else flow.values_of(expr.value)
        for value in built:
            if not is_dynamic_string(value) or not _reads_as_filter(value):
                continue
            for leaf in flow.leaves(value):
                root = leaf
                while isinstance(root, (cst.Attribute, cst.Subscript)):
                    root = root.value
                if isinstance(root, cst.Name) and root.value in guarded:
                    continue
                if _is_login_value(leaf):
                    return True
        return False


def _reads_as_filter(expr: cst.BaseExpression) -> bool:
    texts: list[str] = []
    for node in (expr, getattr(expr, "left", None), getattr(expr, "func", None)):
        if isinstance(node, cst.Attribute):
            node = node.value
        if node is None:
            continue
        text = string_value(node)
        if text is not None:
            texts.append(text)
        if isinstance(node, cst.FormattedString):
            texts.extend(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
    return any("(" in t and "=" in t for t in texts)


def _is_login_value(leaf: cst.BaseExpression) -> bool:
    if not isinstance(leaf, (cst.Name, cst.Attribute, cst.Subscript)):
        return False  # a call: escape_filter_chars(...), str.lower(...) of a setting...
    name = last_name(leaf) if not isinstance(leaf, cst.Subscript) else \
        string_value(leaf.slice[0].slice.value) if isinstance(leaf.slice[0].slice, cst.Index) \
        else None
    if name is None or not _LOGIN_NAME.match(name):
        return False
    root = dotted_name(leaf.value) if isinstance(leaf, (cst.Attribute, cst.Subscript)) else None
    return not (root and _CONFIG_ROOTS.match(root)) and not name.isupper()
