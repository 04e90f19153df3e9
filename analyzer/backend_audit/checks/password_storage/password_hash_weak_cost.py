"""BA204: bcrypt, PBKDF2, scrypt or argon2 configured below a safe work factor."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import (
    dotted_name,
    get_arg,
    int_value,
    is_password_name,
    string_value,
)
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.test_context import TestAwareCheck
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import callee_name
from backend_audit.flow.passwords import (
    setting_strings,
    string_constant,
    subscript_key,
)
from backend_audit.visitor import Candidate

BCRYPT_MIN_ROUNDS = 12
# OWASP Password Storage Cheat Sheet (2023) iteration counts for PBKDF2.
PBKDF2_MIN = {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000, "sha384": 210_000,
              "sha224": 600_000}
PASSLIB_MIN = {"bcrypt": 12, "bcrypt_sha256": 12, "pbkdf2_sha256": 600_000,
               "pbkdf2_sha512": 210_000, "pbkdf2_sha1": 1_300_000}
SCRYPT_MIN_N = 2 ** 14
ARGON2_MIN_MEMORY_KIB = 19_456
ARGON2_MIN_TIME = 2
_ROUNDS_SETTINGS = ("BCRYPT_LOG_ROUNDS",)
# Django hasher subclasses that lower the work factor through a class attribute.
DJANGO_HASHER_MIN = {
    ("PBKDF2PasswordHasher", "iterations"): PBKDF2_MIN["sha256"],
    ("PBKDF2SHA1PasswordHasher", "iterations"): PBKDF2_MIN["sha1"],
    ("BCryptSHA256PasswordHasher", "rounds"): BCRYPT_MIN_ROUNDS,
    ("BCryptPasswordHasher", "rounds"): BCRYPT_MIN_ROUNDS,
    ("Argon2PasswordHasher", "memory_cost"): ARGON2_MIN_MEMORY_KIB,
    ("Argon2PasswordHasher", "time_cost"): ARGON2_MIN_TIME,
    ("ScryptPasswordHasher", "work_factor"): SCRYPT_MIN_N,
}


class PasswordHashWeakCost(TestAwareCheck):
    rule_id = "BA204"

    # -- calls -----------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        qual = callee_name(node, self.ctx.imports, self.ctx.path) or ""
        last = qual.rsplit(".", 1)[-1]
        if last == "gensalt" and "bcrypt" in qual:
            self._cost(node, get_arg(node, "rounds", 0) or get_arg(node, "log_rounds"),
                       BCRYPT_MIN_ROUNDS)
        elif last == "using" and qual.startswith("passlib.hash."):
            minimum = PASSLIB_MIN.get(qual.split(".")[2])
            if minimum is not None:
                self._cost(node, get_arg(node, "rounds") or get_arg(node, "default_rounds"),
                           minimum)
        elif last == "CryptContext":
            for arg in node.args:
                kw = arg.keyword.value if arg.keyword else ""
                scheme, _, option = kw.partition("__")
                if option in ("rounds", "default_rounds", "min_rounds") and scheme in PASSLIB_MIN:
                    self._cost(arg, arg, PASSLIB_MIN[scheme])
        elif qual in ("hashlib.pbkdf2_hmac",):
            if _derives_key_from_secret(get_arg(node, "password", 1)):
                return
            algo = get_arg(node, "hash_name", 0)
            name = (string_value(algo.value) or "").lower().replace("-", "") if algo else ""
            if name in PBKDF2_MIN:
                self._cost(node, get_arg(node, "iterations", 3), PBKDF2_MIN[name])
        elif last == "PBKDF2HMAC":
            algo = get_arg(node, "algorithm", 0)
            name = (dotted_name(algo.value.func) if algo and isinstance(algo.value, cst.Call)
                    else "") or ""
            minimum = PBKDF2_MIN.get(name.rsplit(".", 1)[-1].lower())
            if minimum is not None:
                self._cost(node, get_arg(node, "iterations", 3), minimum)
        elif qual == "hashlib.scrypt":
            self._cost(node, get_arg(node, "n"), SCRYPT_MIN_N)
        elif last == "PasswordHasher" and qual.startswith("argon2"):
            self._cost(node, get_arg(node, "memory_cost", 1), ARGON2_MIN_MEMORY_KIB)
            if not self.candidates or self.candidates[-1][0] is not node:
                self._cost(node, get_arg(node, "time_cost", 0), ARGON2_MIN_TIME)
        elif last == "generate_password_hash":
            rounds = get_arg(node, "rounds")
            if rounds is None and len(node.args) > 1 and node.args[1].keyword is None and \
                    int_value(node.args[1].value) is not None:
                rounds = node.args[1]  # Flask-Bcrypt: generate_password_hash(pw, 10)
            if rounds is not None:
                self._cost(node, rounds, BCRYPT_MIN_ROUNDS)
            else:
                self._werkzeug_method(node)
        elif last in ("update", "from_mapping") and isinstance(node.func, cst.Attribute) and \
                (dotted_name(node.func.value) or "").endswith("config"):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value in _ROUNDS_SETTINGS:
                    self._cost(arg, arg, BCRYPT_MIN_ROUNDS)

    def _werkzeug_method(self, node: cst.Call) -> None:
        """``generate_password_hash(pw, method="pbkdf2:sha256:1000")``."""
        method = get_arg(node, "method", 1)
        if method is None or self.tests.active(node):
            return
        text, setting = string_constant(self.ctx, method.value)
        if text is not None and _weak_pbkdf2_method(text):
            self.report(node, confidence="high")
        elif setting is not None:
            self.report(node, confidence="medium", method_setting=setting)

    # -- configuration ---------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            name = t.value if isinstance(t, cst.Name) else \
                subscript_key(t) if isinstance(t, cst.Subscript) else None
            if name in _ROUNDS_SETTINGS:
                self._cost(node, node, BCRYPT_MIN_ROUNDS, value=node.value)
            elif name is not None and isinstance(t, cst.Name) and self.ctx.class_stack and \
                    not self.ctx.function_stack:
                minimum = self._django_hasher_minimum(self.ctx.class_stack[-1], name)
                if minimum is not None:
                    self._cost(node, node, minimum, value=node.value)

    @staticmethod
    def _django_hasher_minimum(cls: cst.ClassDef, attribute: str) -> int | None:
        """``class FastPBKDF2(PBKDF2PasswordHasher): iterations = 1000``."""
        bases = [(dotted_name(a.value) or "").rsplit(".", 1)[-1] for a in cls.bases]
        for base in bases:
            minimum = DJANGO_HASHER_MIN.get((base, attribute))
            if minimum is not None:
                return minimum
        return None

    # -- the cost itself ---------------------------------------------------------------

    def _cost(self, at: cst.CSTNode, arg: cst.Arg | cst.CSTNode | None, minimum: int,
              value: cst.BaseExpression | None = None) -> None:
        if value is None:
            if not isinstance(arg, cst.Arg):
                return
            value = arg.value
        if self.tests.active(at):
            return
        number = self._number(value)
        if number is not None:
            if number < minimum:
                self._report(at, number, minimum)
            return
        setting = self._setting_name(value)
        if setting is not None:
            name, default = setting
            self.report(at, confidence="medium", setting=name, default=default, minimum=minimum)

    def _report(self, at: cst.CSTNode, number: int, minimum: int) -> None:
        self.report(at, confidence="high", value=number, minimum=minimum)

    def _number(self, expr: cst.BaseExpression, budget: Budget | None = None) -> int | None:
        budget = budget or Budget()
        value = int_value(expr)
        if value is not None or budget.exhausted:
            return value
        deeper = budget.deeper()
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Power):
            base, exp = self._number(expr.left, deeper), self._number(expr.right, deeper)
            return base ** exp if base is not None and exp is not None and exp < 64 else None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
            a, b = self._number(expr.left, deeper), self._number(expr.right, deeper)
            return a * b if a is not None and b is not None else None
        if isinstance(expr, cst.Name):
            for flow in (self.ctx.flow(), self.ctx.flow(self.ctx.module)):
                values = flow.values_of(expr.value)
                if len(values) == 1:
                    return self._number(values[0], deeper)
                if values:
                    return None
        return None

    def _setting_name(self, expr: cst.BaseExpression) -> tuple[str, int | None] | None:
        """``settings.X`` / ``app.config["X"]`` / ``config.get("X", 10)`` / imported ``X``."""
        if isinstance(expr, cst.Attribute) and expr.attr.value.isupper():
            return expr.attr.value, None
        if isinstance(expr, cst.Subscript):
            key = subscript_key(expr)
            return (key, None) if key else None
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value == "get" and expr.args and \
                (dotted_name(expr.func.value) or "").endswith("config"):
            key = string_value(expr.args[0].value)
            default = self._number(expr.args[1].value) if len(expr.args) > 1 else None
            return (key, default) if key else None
        if isinstance(expr, cst.Call) and dotted_name(expr.func) == "int" and expr.args:
            return self._setting_name(expr.args[0].value)
        if isinstance(expr, cst.Name) and expr.value in self.ctx.imports.names:
            return expr.value, None
        return None

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        method = candidate.data.get("method_setting")
        if method is not None:
            texts = setting_strings(list(project.values("setting")), method)
            return candidate if any(_weak_pbkdf2_method(t) for t in texts) else None
        name = candidate.data.get("setting")
        if name is None:
            return candidate
        values = [f.value.get("value") for f in project.get("setting")
                  if f.value.get("name") == name and not _test_settings(f.path)]
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if not numbers and candidate.data.get("default") is not None:
            numbers = [candidate.data["default"]]
        if numbers and min(numbers) < candidate.data.get("minimum", 0):
            return candidate
        return None


# Inputs that are keys or secrets of the application, not passwords people chose.
_KEY_MATERIAL = re.compile(r"secret|key|token|seed|entropy", re.IGNORECASE)


def _derives_key_from_secret(arg: cst.Arg | None) -> bool:
    """``pbkdf2_hmac("sha256", settings.SECRET_KEY.encode(), ...)``: key derivation from
    high-entropy material, where the iteration count is not what protects it."""
    expr = arg.value if arg is not None else None
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("encode", "decode", "strip"):
        expr = expr.func.value
    name = dotted_name(expr) if expr is not None else None
    last = name.rsplit(".", 1)[-1] if name else ""
    return bool(last) and bool(_KEY_MATERIAL.search(last)) and not is_password_name(last)


def _weak_pbkdf2_method(text: str) -> bool:
    """werkzeug ``"pbkdf2:sha256:1000"``: fewer iterations than OWASP's count."""
    parts = text.split(":")
    return len(parts) == 3 and parts[0] == "pbkdf2" and parts[2].isdigit() and \
        parts[1] in PBKDF2_MIN and int(parts[2]) < PBKDF2_MIN[parts[1]]


def _test_settings(path: str) -> bool:
    from backend_audit.appmodel.test_context import is_test_path

    return is_test_path(path)
