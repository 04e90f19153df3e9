import hashlib
import hmac
import logging
import secrets

log = logging.getLogger("portal.security")


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest()  # expect-category: password-storage


def verify_password(password: str, stored: str) -> bool:
    return hmac.compare_digest(hash_password(password), stored)  # ok-category: password-storage


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def fingerprint(token: str) -> str:
    # Session tokens are random 256-bit values; a plain digest is enough to index them.
    return hashlib.sha256(token.encode()).hexdigest()  # ok-category: password-storage
