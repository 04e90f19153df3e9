"""BA608: a message authentication code or signature made with MD5/SHA-1 (``hmac.new(key,
msg, hashlib.sha1)``), or a secret hashed together with the message instead of HMAC
(``md5(secret + msg)``)."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, name_words, string_value
from backend_audit.flow.locals import is_literal, string_parts
from backend_audit.visitor import Check

WEAK = frozenset({"md5", "sha1", "md4", "ripemd160"})
# hmac.new(key, msg, digestmod), hmac.digest(key, msg, digest), hmac.HMAC(...):
# qualified callable -> (keyword, position) of the digest argument.
HMAC_CALLS = {"hmac.new": ("digestmod", 2), "hmac.HMAC": ("digestmod", 2),
              "hmac.digest": ("digest", 2),
              "cryptography.hazmat.primitives.hmac.HMAC": ("algorithm", 1),
              "Crypto.Hash.HMAC.new": ("digestmod", 2),
              "Cryptodome.Hash.HMAC.new": ("digestmod", 2)}
# Digests open to length extension: ``H(secret + msg)`` lets anyone append to msg.
MERKLE_DAMGARD = frozenset({"md5", "sha1", "sha224", "sha256", "sha512", "md4", "ripemd160"})
# Protocols whose MAC is fixed by the other party: GitHub's legacy X-Hub-Signature,
# Twilio's, OAuth 1.0 HMAC-SHA1, HOTP/TOTP (RFC 4226/6238) authenticator codes.
_DICTATED = re.compile(
    r"x-hub-signature(?!-256)|twilio|oauth_signature|hmac-sha1|(?<![a-z])[ht]otp(?![a-z])|github|"
    r"authenticator|rfc ?4226|rfc ?6238|aws4?_|sigv2|pusher|intercom", re.IGNORECASE)
# A signature the request brings, which the code checks (the sender chose the algorithm).
_INCOMING = re.compile(r"request\.(?:headers|META)|\bMETA\[|\bheaders\.get\(")
# An HTTP cache validator: a digest sent as the ``ETag`` or compared with the client's
# ``If-None-Match`` only decides between a 200 and a 304, so forging it earns nothing.
_CACHE_VALIDATOR = re.compile(r"(?<![a-z])etag(?![a-z])|if[-_ ]none[-_ ]match", re.IGNORECASE)
_KEY_WORDS = frozenset({"secret", "pepper"})
_KEY_QUALIFIERS = frozenset({"api", "secret", "signing", "hmac", "shared", "webhook", "app",
                             "private", "sign", "mac"})


def _names_a_key(expr: cst.BaseExpression) -> bool:
    """``secret``, ``settings.SECRET_KEY``, ``app.config["SIGNING_KEY"]``, ``api_secret``."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("encode", "decode", "strip"):
        expr = expr.func.value
    if isinstance(expr, cst.Call) and last_name(expr.func) in ("str", "bytes") and expr.args:
        expr = expr.args[0].value
    name = None
    if isinstance(expr, cst.Name):
        name = expr.value
    elif isinstance(expr, cst.Attribute):
        name = expr.attr.value
    elif isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and \
            isinstance(expr.slice[0].slice, cst.Index):
        name = string_value(expr.slice[0].slice.value)
    words = name_words(name or "")
    if not words or "password" in words:
        return False
    return words[-1] in _KEY_WORDS or (
        words[-1] == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS)


class SignatureWithWeakHash(Check):
    rule_id = "BA608"

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func) or ""
        if (qual in HMAC_CALLS or qual.startswith("hashlib.")) and self._cache_validator():
            return
        if qual in HMAC_CALLS:
            keyword, position = HMAC_CALLS[qual]
            arg = get_arg(node, keyword, position)
            algo = self._weak_digest(arg.value) if arg is not None else None
            if algo is not None:
                dictated = self._dictated()
                # HMAC-SHA1 is no forgeable MAC today, only a deprecated one; HMAC-MD5
                # is not to be used in anything new (RFC 6151)
                confidence = "medium" if algo == "md5" and not dictated else "low"
                self.report(node, confidence=confidence, message=(
                    f"HMAC with {algo.upper()}: "
                    + ("the other party's protocol fixes the algorithm; prefer its "
                       "SHA-256 variant where it offers one." if dictated else
                       "use SHA-256 (hashlib.sha256) for new signatures.")))
        elif qual.startswith("hashlib."):
            algo = qual.split(".", 1)[1]
            if algo == "new" and node.args:
                algo = (string_value(node.args[0].value) or "").lower().replace("-", "")
                data = get_arg(node, "data", 1)
            else:
                data = get_arg(node, "data", 0) or get_arg(node, "string")
            keyed = self._keyed(data.value) if algo in MERKLE_DAMGARD and data is not None \
                and self.ctx.current_function is not None else None
            if keyed is not None:
                # a secret first lets anyone extend the message; a secret last leaves
                # collisions of the digest, and may be no signature at all
                shape, weakness = ("secret + msg", "length extension") if keyed else \
                    ("msg + secret", "collisions of the digest")
                self.report(node, confidence="medium" if keyed else "low", message=(
                    f"A secret is hashed together with the message ({algo}({shape})) to "
                    f"sign it, a MAC open to {weakness}; use "
                    "hmac.new(secret, msg, hashlib.sha256)."))

    # ------------------------------------------------------------------ hmac
    def _weak_digest(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """``hashlib.sha1``, ``"md5"``, ``hashes.SHA1()``, or a name or parameter default
        holding one."""
        text = string_value(expr)
        if text is not None:
            text = text.lower().replace("-", "")
            return text if text in WEAK else None
        if isinstance(expr, cst.Call):
            name = (last_name(expr.func) or "").lower()
            return name if name in WEAK else None  # cryptography's hashes.SHA1()
        qual = self.ctx.imports.qualname(expr)
        if qual is not None:
            last = qual.rsplit(".", 1)[-1].lower()
            if qual.startswith(("hashlib.", "Crypto.Hash.", "Cryptodome.Hash.")) or \
                    qual.startswith("cryptography."):
                return last if last in WEAK else None
            return None
        if isinstance(expr, cst.Name) and depth < 2:
            values = [*self.ctx.flow().values_of(expr.value),
                      *self.ctx.flow(self.ctx.module).values_of(expr.value)]
            fn = self.ctx.current_function
            if fn is not None:
                for param in (*fn.params.params, *fn.params.kwonly_params):
                    if param.name.value == expr.value and param.default is not None:
                        values.append(param.default)
            for value in values:
                found = self._weak_digest(value, depth + 1)
                if found is not None:
                    return found
        return None

    def _dictated(self) -> bool:
        """The algorithm is chosen by the other end: a known protocol, or a signature
        the request brings that we only check."""
        fn = self.ctx.current_function
        scope = fn if fn is not None else self.ctx.module
        text = self.ctx.module.code_for_node(scope)
        return bool(_DICTATED.search(text) or _DICTATED.search(self.ctx.path) or
                    _INCOMING.search(text))

    def _cache_validator(self) -> bool:
        """Is the digest an ETag: made by a function named for one (``build_etag``), or
        by one that sends or compares an ETag (``resp.set_etag``, ``if_none_match``)?"""
        fn = self.ctx.current_function
        return fn is not None and bool(_CACHE_VALIDATOR.search(self.ctx.module.code_for_node(fn)))

    # ------------------------------------------------------------------ secret + message
    def _keyed(self, data: cst.BaseExpression) -> bool | None:
        """Is the hashed text a secret key together with something else? True when the
        key comes first, False when it comes later, None when there is no key or
        nothing else."""
        parts = [p for p in self._parts(data, 0) if not is_literal(p)]
        keys = [p for p in parts if _names_a_key(p)]
        if not keys or len(keys) == len(parts):
            return None
        return _names_a_key(parts[0])

    def _parts(self, expr: cst.BaseExpression, depth: int) -> list[cst.BaseExpression]:
        while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value == "encode":
            expr = expr.func.value
        if isinstance(expr, cst.Name) and depth < 2:
            values = self.ctx.flow().values_of(expr.value)
            if len(values) == 1:
                return self._parts(values[0], depth + 1)
            return [expr]
        parts = string_parts(expr)
        if parts == [expr]:
            return parts
        out: list[cst.BaseExpression] = []
        for part in parts:
            out.extend(self._parts(part, depth + 1) if depth < 3 else [part])
        return out
