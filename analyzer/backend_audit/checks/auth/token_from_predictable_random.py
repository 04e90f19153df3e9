"""BA607: a token, code, password, key, salt or nonce is made with a predictable generator
(``random``, ``uuid1``, the clock), judged by where the value goes."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg, name_words, string_value, target_name
from backend_audit.flow.sinks import MAKER_VERBS, SECRET_QUALIFIERS, SECRET_VALUE_WORDS
from backend_audit.flow.specs import PREDICTABLE
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Check

# Modules that make data for development, demos and tests, not secrets users rely on.
_DATA_MAKERS = re.compile(
    r"(?:^|/)(?:factories|factory|fixtures|seed\w*|populate\w*|fake\w*|dummy\w*|"
    r"sample_data|demo_data|generate_data|mock\w*|faker\w*)(?:\.py$|/)", re.IGNORECASE)
_DATA_MAKER_FUNCTIONS = ("seed", "populate", "fake", "dummy", "mock", "sample", "demo")
# A nonce is mostly a value used once: the nonce of a request signed for another party's
# API, of an OAuth 1.0 call or of an AES-GCM message needs to be unique, not unguessable.
# Those named for a page's scripts, a form, a login or a session guard something.
_GUARDING_NONCES = frozenset({"csp", "script", "style", "csrf", "xsrf", "form", "oidc",
                              "openid", "auth", "login", "session", "state", "reset"})


def names_a_secret(name: str) -> bool:
    """Does a variable, field, key or keyword so named hold a secret?"""
    words = name_words(name)
    if not words:
        return False
    last = words[-1]
    if last in SECRET_VALUE_WORDS:
        return True
    return len(words) > 1 and words[-2] in SECRET_QUALIFIERS.get(last, ())


def a_nonce_for_uniqueness(name: str) -> bool:
    """``nonce``, ``request_nonce``, ``generate_nonce``; not ``csp_nonce``."""
    words = name_words(name)
    return bool(words) and words[-1] == "nonce" and not _GUARDING_NONCES & set(words)


def makes_a_secret(function: str) -> bool:
    """``generate_token``, ``new_api_key``, ``make_code``: a function whose result is a
    secret (``generate_random_name`` and ``new_key`` of a cache are not)."""
    words = name_words(function)
    return names_a_secret(function) or (
        len(words) == 2 and words[0] in MAKER_VERBS and words[1] == "code")


class TokenFromPredictableRandom(Check):
    rule_id = "BA607"
    skips_migrations = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reported: set[int] = set()
        self.skipped = bool(_DATA_MAKERS.search(ctx.path))
        self.factories = 0  # depth of ``class UserFactory(...)`` bodies

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.name.value.endswith(("Factory", "Fixture", "Seeder")) or any(
                (name := target_name(b.value)) and name.endswith("Factory")
                for b in node.bases):
            self.factories += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if original_node.name.value.endswith(("Factory", "Fixture", "Seeder")) or any(
                (name := target_name(b.value)) and name.endswith("Factory")
                for b in original_node.bases):
            self.factories -= 1

    def _check(self, value: cst.BaseExpression | None, destination: str,
               name: str = "") -> None:
        if value is None or self.skipped or self.factories:
            return
        fn = self.ctx.current_function
        if fn is not None and fn.name.value.lower().startswith(_DATA_MAKER_FUNCTIONS):
            return
        source = Taint(self.ctx, PREDICTABLE, params=()).source(value)
        if source is None or id(source) in self.reported:
            return
        self.reported.add(id(source))
        code = self.ctx.module.code_for_node(source)
        made = "uuid1()" if "uuid1" in code else "the clock" if "time" in code and \
            "random" not in code else "the random module"
        self.report(value, confidence="low" if a_nonce_for_uniqueness(name) else None,
                    message=(f"{destination} is made with {made}, whose values can be "
                             "predicted; use the secrets module (secrets.token_urlsafe, "
                             "secrets.choice)."))

    # ------------------------------------------------------------------ destinations
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            name = target_name(target.target)
            if name and names_a_secret(name):
                self._check(node.value, f"`{name}`", name)
                return

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = target_name(node.target)
        if name and names_a_secret(name):
            self._check(node.value, f"`{name}`", name)

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None and names_a_secret(arg.keyword.value):
                self._check(arg.value, f"`{arg.keyword.value}`", arg.keyword.value)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in (
                "set_cookie", "set_signed_cookie"):
            key = get_arg(node, "key", 0)
            name = string_value(key.value) if key is not None else None
            if name and (names_a_secret(name) or "session" in name.lower() or
                         "auth" in name.lower()):
                value = get_arg(node, "value", 1)
                self._check(value.value if value is not None else None,
                            f"The `{name}` cookie")

    def visit_DictElement(self, node: cst.DictElement) -> None:
        name = string_value(node.key)
        if name and names_a_secret(name):
            self._check(node.value, f"`{name}`", name)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.ctx.current_function
        if fn is not None and makes_a_secret(fn.name.value):
            self._check(node.value, f"The result of `{fn.name.value}()`", fn.name.value)
