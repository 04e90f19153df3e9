"""BA811: an LDAP search filter is built from client input without escaping (LDAP injection)."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.checks.base import Check
from backend_audit.checks.injection_checked_input import GuardedTaint

# ldap3: Connection.search(search_base, search_filter, ...) and the paged variant.
_LDAP3_METHODS = frozenset({"search", "paged_search"})
# python-ldap: LDAPObject.search*(base, scope, filterstr, ...).
_PYTHON_LDAP_METHODS = frozenset({"search", "search_s", "search_st", "search_ext",
                                  "search_ext_s"})
# ``escape_filter_chars`` (ldap3 and python-ldap), ``filter_format``, a helper of one's own.
_ESCAPES = re.compile(r"(?i)escape|filter_format|sanitiz|sanitis|quote")


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
        if "ldap3" in packages and method in _LDAP3_METHODS:
            arg = get_arg(node, "search_filter", 1)
        elif "ldap" in packages and method in _PYTHON_LDAP_METHODS:
            arg = get_arg(node, "filterstr", 2)
        if arg is None:
            return
        if GuardedTaint(self.ctx, escapes=_ESCAPES).source(arg.value) is not None:
            self.report(node)
