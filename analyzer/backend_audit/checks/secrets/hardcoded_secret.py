"""BA701: a secret key, API token or database password is written in the source."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import get_arg, name_words, string_value, target_name
from backend_audit.visitor import Check

# Words a secret's name ends with; ``key`` needs a qualifier (SECRET_KEY, API_KEY).
SECRET_LAST_WORDS = frozenset({"secret", "token", "apikey", "secretkey", "credentials"})
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd"})
KEY_QUALIFIERS = frozenset({"secret", "api", "private", "signing", "access", "encryption",
                            "master", "fernet", "hmac", "jwt", "app", "license", "webhook"})
# scheme://user:password@host — the password part must not be a template or placeholder.
CREDENTIAL_URL = re.compile(
    r"^[a-z][a-z0-9+.-]*://([^:/@\s]*):([^@\s/]+)@([^:/?\s]+)[^\s]*$", re.IGNORECASE)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
PLACEHOLDER = re.compile(r"^(\$\{.*\}|\{\{.*\}\}|<.*>|%\(.*\)s|\*+|x+|\.\.\.)$", re.IGNORECASE)
ENV_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")
# A dotted import path (``myapp.auth.services.user_jwt_secret``): settings such as
# ``JWT_GET_USER_SECRET_KEY`` or ``SECRET_KEY_FUNCTION`` name the function that returns
# the secret, not the secret.
IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*){2,}$")
JWT_CALLS = frozenset({"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode"})


def is_secret_name(name: str) -> bool:
    words = name_words(name)
    if not words:
        return False
    if words[-1] in PASSWORD_WORDS:
        # Lower-case password variables and arguments are password-storage's subject;
        # here only configuration constants and keys (DB_PASSWORD, "PASSWORD").
        return name.isupper()
    if words[-1] in SECRET_LAST_WORDS:
        return True
    return words[-1] == "key" and len(words) > 1 and words[-2] in KEY_QUALIFIERS


def looks_like_secret_value(value: str) -> bool:
    v = value.strip()
    if len(v) < 6 or any(c.isspace() for c in v) or PLACEHOLDER.match(v):
        return False
    if ENV_VAR_NAME.match(v) or IMPORT_PATH.match(v) or \
            v.startswith(("http://", "https://", "/", "./")):
        return False
    return len(set(v)) > 2


def credential_url(value: str) -> bool:
    """A URL with an embedded password for a host other than this machine."""
    match = CREDENTIAL_URL.match(value.strip())
    return bool(match) and not PLACEHOLDER.match(match.group(2)) and \
        match.group(3).lower() not in LOCAL_HOSTS


class HardcodedSecret(Check):
    rule_id = "BA701"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.skip = is_dev_only(ctx.path)

    def _check(self, name: str | None, value: cst.BaseExpression) -> None:
        if self.skip:
            return
        text = string_value(value)
        if text is None:
            return
        if name is not None and is_secret_name(name) and looks_like_secret_value(text):
            self.report(value)
        elif credential_url(text):
            self.report(value, message="A database/service URL with a password is written "
                                       "in the source; read it from the environment.")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check(target_name(target.target), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check(target_name(node.target), node.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._check(string_value(node.key), node.value)

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        if qual in JWT_CALLS:
            key = get_arg(node, "key", 1)
            if key is not None:
                self._check("jwt_secret", key.value)
            return
        for arg in node.args:
            if arg.keyword is not None:
                self._check(arg.keyword.value, arg.value)
            else:
                # create_engine("postgresql://app:s3cret@db/app") and the like.
                self._check(None, arg.value)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._check(node.name.value, node.default)
