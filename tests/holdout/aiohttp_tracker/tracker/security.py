import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from .settings import ARGON2_MEMORY_COST, ARGON2_TIME_COST

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_COST)  # ok-category: password-storage


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)  # ok-category: password-storage
    except VerifyMismatchError:  # ok-category: error-handling
        return False


def legacy_password_digest(password: str, salt: str) -> str:
    """Digest used by accounts imported from the old tracker (v1)."""
    return hashlib.sha1((salt + password).encode()).hexdigest()  # expect-category: password-storage


def etag_for(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()  # ok-category: password-storage
