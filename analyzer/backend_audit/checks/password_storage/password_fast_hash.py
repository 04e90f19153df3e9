"""BA203: a password is hashed with a fast general-purpose digest (MD5, SHA-*, BLAKE2),
a Django/passlib scheme built on one, instead of a password KDF."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import dotted_name, get_arg, string_list, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import contains, descendants
from backend_audit.flow.calls import callee_name
from backend_audit.flow.passwords import (
    Kind,
    PasswordValues,
    is_hasher_name,
    is_password_column,
    read_from_configuration,
    setting_strings,
    string_constant,
    subscript_key,
)
from backend_audit.visitor import Candidate, Check

FAST_DIGESTS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224",
                          "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s", "md4",
                          "ripemd160", "sha512_224", "sha512_256"})
# Django hasher algorithms and passlib schemes that are a single fast digest.
WEAK_DJANGO_ALGORITHMS = frozenset({"md5", "sha1", "unsalted_md5", "unsalted_sha1", "crypt"})
WEAK_PASSLIB_SCHEMES = frozenset({"md5_crypt", "apr_md5_crypt", "des_crypt", "bsdi_crypt",
                                  "bigcrypt", "crypt16", "hex_md5", "hex_sha1", "hex_sha256",
                                  "hex_sha512", "ldap_md5", "ldap_sha1", "ldap_salted_md5",
                                  "ldap_salted_sha1", "ldap_plaintext", "plaintext",
                                  "mysql323", "mysql41", "postgres_md5", "oracle10", "msdcc",
                                  "nthash", "lmhash", "django_salted_md5", "django_salted_sha1",
                                  "django_des_crypt", "roundup_plaintext", "unix_disabled"})


_KDF_WORDS = ("hashpw", "password_hash", "make_password", "kdf", "pbkdf", "scrypt", "argon",
              "bcrypt", "hash_password")


class PasswordFastHash(Check):
    rule_id = "BA203"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.values = PasswordValues(ctx)
        self.enclosing: list[cst.Call] = []
        # Names holding a digest of a password, and names fed to a real KDF, per function.
        self.pending: list[tuple[cst.CSTNode, str | None, int, str]] = []
        # Names of digests used only as a key into a mapping, per function.
        self.keys_only: set[tuple[int, str]] = set()
        self.fed: set[tuple[int, str]] = set()

    def _scope(self) -> int:
        return id(self.ctx.current_function or self.ctx.module)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)
        if self._is_kdf(node):
            for arg in node.args:
                for n in _names_in(arg.value):
                    self.fed.add((self._scope(), n))
        self.enclosing.append(node)

    def leave_Call(self, original_node: cst.Call) -> None:
        self.enclosing.pop()

    def _fast_digest(self, node: cst.Call) -> str | None:
        """The algorithm when ``node`` builds a fast digest (``hashlib.sha256(...)``)."""
        qual = self.ctx.imports.qualname(node.func) or ""
        if qual.startswith("hashlib."):
            algo = qual.split(".", 1)[1]
            if algo in FAST_DIGESTS:
                return algo
            if algo == "new" and node.args:
                value = string_value(node.args[0].value)
                return value.lower().replace("-", "") if value else "new"
        return None

    def _check(self, node: cst.Call) -> None:
        algo = self._fast_digest(node)
        data: cst.BaseExpression | None = None
        if algo is not None:
            if algo not in FAST_DIGESTS and algo != "new":
                return
            arg = get_arg(node, "data", 1 if (self.ctx.imports.qualname(node.func) or "")
                          .endswith(".new") else 0) or get_arg(node, "string")
            data = arg.value if arg is not None else None
        elif (self.ctx.imports.qualname(node.func) or "") in ("hmac.new", "hmac.digest"):
            arg = get_arg(node, "msg", 1)  # a peppered SHA-2 is still one fast digest
            data = arg.value if arg is not None else None
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "update" and \
                isinstance(node.func.value, cst.Name) and node.args:
            if any(isinstance(v, cst.Call) and self._fast_digest(v)
                   for v in self.ctx.flow().values_of(node.func.value.value)):
                data = node.args[0].value
        else:
            self._weak_scheme(node)
            return
        if data is None:
            return
        kind = self.values.kind(data)
        if kind not in (Kind.PLAIN, Kind.WRAPPED) or self._feeds_kdf(node) or self._breach_check():
            return
        target = self._assigned_name(node)
        fn = self.ctx.current_function
        if target is not None and fn is not None and _used_only_as_key(fn, target):
            self.keys_only.add((self._scope(), target))
        confidence = "high" if kind is Kind.PLAIN else "low"
        origin = self.values.origin(data)
        if origin is not None and read_from_configuration(origin, self.ctx.flow()) and not (
                fn is not None and _stored_as_password(fn, node, target)):
            # A password of the deployment's configuration (a server secret, a service
            # account), not a user's: its plaintext sits in the configuration, so a digest
            # kept anywhere but a password field is a fingerprint (is it still the same
            # key?) or a key derived from it, which a human-chosen one makes weak.
            if self._hex_text(node):
                return
            confidence = "low"
        self.pending.append((node, target, self._scope(), confidence))

    def _hex_text(self, node: cst.Call) -> bool:
        """``sha256(secret).hexdigest()``: text to compare or keep, no key material."""
        outer = self.enclosing[-1] if self.enclosing else None
        return outer is not None and isinstance(outer.func, cst.Attribute) and \
            outer.func.attr.value == "hexdigest" and outer.func.value is node

    def _weak_scheme(self, node: cst.Call) -> None:
        qual = callee_name(node, self.ctx.imports, self.ctx.path) or ""
        last = qual.rsplit(".", 1)[-1]
        if last == "generate_password_hash" and "bcrypt" not in qual.lower():
            method = get_arg(node, "method", 1)
            if method is not None:
                text, setting = string_constant(self.ctx, method.value)
                if text is not None and _plain_werkzeug_method(text):
                    self.report(node, confidence="high")
                elif setting is not None:
                    self.report(node, confidence="medium", method_setting=setting)
        elif last == "make_password":
            hasher = get_arg(node, "hasher", 2)
            value = string_value(hasher.value) if hasher is not None else None
            if value in WEAK_DJANGO_ALGORITHMS:
                self.report(node, confidence="high")
        elif last == "CryptContext":
            schemes = get_arg(node, "schemes", 0)
            names = string_list(schemes.value) if schemes is not None else None
            default = get_arg(node, "default")
            first = string_value(default.value) if default is not None else \
                (names[0] if names else None)
            if first in WEAK_PASSLIB_SCHEMES:
                self.report(node, confidence="high")
        elif qual.startswith("passlib.hash.") and last in ("hash", "encrypt", "using"):
            scheme = qual.split(".")[2]
            if scheme in WEAK_PASSLIB_SCHEMES:
                self.report(node, confidence="high")

    def _is_kdf(self, call: cst.Call) -> bool:
        """A password hasher proper (not ``.hexdigest()``, not another fast digest)."""
        name = callee_name(call, self.ctx.imports, self.ctx.path) or ""
        last = name.rsplit(".", 1)[-1].lower()
        if self._fast_digest(call) or "digest" in last:
            return False
        return any(w in last for w in _KDF_WORDS) or last in ("hash", "encrypt", "set_password") \
            or is_hasher_name(name, self.ctx) and last not in ("hash", "encode")

    def _feeds_kdf(self, node: cst.Call) -> bool:
        """A pre-hash inside ``bcrypt.hashpw(b64encode(sha256(pw).digest()), ...)``."""
        return any(self._is_kdf(c) and any(contains(a.value, node) for a in c.args)
                   for c in self.enclosing)

    def _breach_check(self) -> bool:
        """SHA-1 of a password for the Have I Been Pwned k-anonymity range API."""
        fn = self.ctx.current_function
        code = self.ctx.module.code_for_node(fn) if fn is not None else ""
        return "pwnedpasswords" in code or "haveibeenpwned" in code.lower()

    def _assigned_name(self, node: cst.Call) -> str | None:
        fn = self.ctx.current_function
        if fn is None:
            return None
        flow = self.ctx.flow()
        for name, values in flow.values.items():
            for v in values:
                if contains(v, node):
                    return name
        return None

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        method = candidate.data.get("method_setting")
        if method is None:
            return candidate
        texts = setting_strings(list(project.values("setting")), method)
        return candidate if any(_plain_werkzeug_method(t) for t in texts) else None

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, name, scope, confidence in self.pending:
            if name is not None and (scope, name) in self.fed:
                continue  # the digest is only a pre-hash fed to a KDF
            if name is not None and (scope, name) in self.keys_only:
                continue  # a key into a mapping (a cache of checked passwords), not stored
            self.report(node, confidence=confidence)


def _plain_werkzeug_method(text: str) -> bool:
    """werkzeug < 2.3 ``method="sha256"``: one salted HMAC round, a fast digest."""
    return text.lower() in FAST_DIGESTS or text.lower() == "plain"


def _names_in(expr: cst.BaseExpression) -> set[str]:
    names = {n.value for n in descendants(expr, cst.Name)}
    if dotted_name(expr):
        names.add(dotted_name(expr) or "")
    return names


def _stored_as_password(fn: cst.FunctionDef, digest: cst.Call, name: str | None) -> bool:
    """Is the digest (the call, or the local ``name`` it is given to) written to a password
    field: ``user.password = ...``, ``row["pwd_hash"] = ...``, ``User(password=...)``,
    ``{"password": ...}``?"""
    def holds(expr: cst.BaseExpression) -> bool:
        return contains(expr, digest) or name is not None and any(
            n.value == name for n in descendants(expr, cst.Name))

    for assign in descendants(fn, cst.Assign):
        for target in assign.targets:
            column = target.target.attr.value if isinstance(target.target, cst.Attribute) \
                else subscript_key(target.target) if isinstance(target.target, cst.Subscript) \
                else None
            if is_password_column(column) and holds(assign.value):
                return True
    for call in descendants(fn, cst.Call):
        if any(a.keyword is not None and is_password_column(a.keyword.value) and holds(a.value)
               for a in call.args):
            return True
    return any(is_password_column(string_value(e.key)) and holds(e.value)
               for e in descendants(fn, cst.DictElement))


def _used_only_as_key(fn: cst.FunctionDef, name: str) -> bool:
    """Is every read of ``name`` in ``fn`` a key into a mapping (``cache[name]``,
    ``name in cache``)? Such a digest finds an entry; it is neither the stored credential
    nor compared as one, and leaves the function in no other way."""
    reads: set[int] = set()
    keys: set[int] = set()
    for node in descendants(fn, cst.Name):
        if node.value == name:
            reads.add(id(node))
    for target in descendants(fn, cst.AssignTarget):
        if isinstance(target.target, cst.Name):
            reads.discard(id(target.target))
    for sub in descendants(fn, cst.Subscript):
        for element in sub.slice:
            if isinstance(element.slice, cst.Index):
                keys.add(id(element.slice.value))
    for comparison in descendants(fn, cst.Comparison):
        if isinstance(comparison.comparisons[0].operator, (cst.In, cst.NotIn)):
            keys.add(id(comparison.left))
    return bool(reads) and reads <= keys
