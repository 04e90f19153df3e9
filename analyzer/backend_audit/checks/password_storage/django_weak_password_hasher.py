"""BA205: Django's ``PASSWORD_HASHERS`` is led by a fast or unsalted hasher.

Development, test and CI settings modules (``settings/ci.py``, ``local_dev.py``) are not
reported: a fast hasher there is the documented way to speed up a test run.

Custom hashers are followed by dotted path to their class in any module of the project
(fact ``password.hasher-class``); a list given by name is looked up in the settings facts.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import dotted_name, int_value, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.test_context import TestAwareCheck, is_test_path
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import names_match
from backend_audit.visitor import Candidate

WEAK_HASHERS = frozenset({"MD5PasswordHasher", "SHA1PasswordHasher", "UnsaltedMD5PasswordHasher",
                          "UnsaltedSHA1PasswordHasher", "CryptPasswordHasher"})
_FAST_DIGEST_CALL = re.compile(r"\b(hashlib\.)?(md5|sha1|sha224|sha256|sha384|sha512|blake2[bs])"
                               r"\s*\(")


class DjangoWeakPasswordHasher(TestAwareCheck):
    rule_id = "BA205"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [(dotted_name(a.value) or "").rsplit(".", 1)[-1] for a in node.bases]
        if not any(b.endswith("PasswordHasher") for b in bases):
            return
        code = self.ctx.module.code_for_node(node)
        weak = any(b in WEAK_HASHERS for b in bases) or (
            "BasePasswordHasher" in bases and bool(_FAST_DIGEST_CALL.search(code))
            and not re.search(r"pbkdf2|scrypt|argon2|bcrypt", code))
        self.ctx.add_fact("password.hasher-class", {
            "path": f"{self.ctx.module_name}.{node.name.value}", "weak": weak,
        })

    def visit_Call(self, node: cst.Call) -> None:
        """``PASSWORD_HASHERS.insert(0, "...MD5PasswordHasher")`` in a settings module."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "insert" or \
                dotted_name(func.value) not in ("PASSWORD_HASHERS", "settings.PASSWORD_HASHERS"):
            return
        if len(node.args) != 2 or int_value(node.args[0].value) != 0 or self._not_served(node):
            return
        text = string_value(node.args[1].value) or ""
        if text.rsplit(".", 1)[-1] in WEAK_HASHERS:
            self.report(node, confidence="high", hasher=text)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.function_stack or self.ctx.class_stack:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and \
                    target.target.value == "PASSWORD_HASHERS":
                self._hashers(node, node.value)

    def _not_served(self, node: cst.CSTNode) -> bool:
        return self.tests.active(node) or is_dev_only(self.ctx.path)

    def _hashers(self, node: cst.Assign, value: cst.BaseExpression) -> None:
        if self._not_served(node):
            return
        first = self._first(value, Budget())
        if first is None:
            return
        kind, text = first
        if kind == "ref":
            self.report(node, confidence="medium", ref=text)
            return
        cls_name = text.rsplit(".", 1)[-1]
        if cls_name in WEAK_HASHERS:
            self.report(node, confidence="high", hasher=text)
        elif not text.startswith("django."):
            self.report(node, confidence="medium", custom=text)

    def _first(self, value: cst.BaseExpression, budget: Budget) -> tuple[str, str] | None:
        """(``"path"``, dotted path) of the leading hasher, or (``"ref"``, name) to look up."""
        if budget.exhausted:
            return None
        if isinstance(value, (cst.List, cst.Tuple)) and value.elements:
            head = value.elements[0]
            if isinstance(head, cst.StarredElement):
                return self._first(head.value, budget.deeper())
            text = string_value(head.value)
            return ("path", text) if text else None
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            return self._first(value.left, budget.deeper())
        if isinstance(value, cst.Name):
            values = self.ctx.flow(self.ctx.module).values_of(value.value)
            if values:
                return self._first(values[0], budget.deeper())
            return ("ref", value.value)
        return None

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        if "ref" in data:
            for fact in project.get("setting"):
                value = fact.value.get("value")
                if fact.value.get("name") == data["ref"] and isinstance(value, list) and value \
                        and isinstance(value[0], str) and not is_test_path(fact.path) \
                        and not is_dev_only(fact.path):
                    if value[0].rsplit(".", 1)[-1] in WEAK_HASHERS:
                        return candidate
                    return _custom(candidate, value[0], project)
            return None
        if "custom" in data:
            return _custom(candidate, data["custom"], project)
        return candidate


def _custom(candidate: Candidate, path: str, project: ProjectFacts) -> Candidate | None:
    for fact in project.values("password.hasher-class"):
        defined = fact.get("path", "")
        if names_match(defined, path):
            return candidate if fact.get("weak") else None
    return None
