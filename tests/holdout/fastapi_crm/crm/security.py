import hashlib
import hmac
import os

from passlib.context import CryptContext

from .settings import API_KEY_PEPPER, PBKDF2_ITERATIONS

pwd_context = CryptContext(schemes=["bcrypt"], bcrypt__rounds=8)  # expect-category: password-storage


def hash_password(password: str) -> str:
    return pwd_context.hash(password)


def legacy_hash(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)  # expect-category: password-storage
    return salt.hex() + "$" + digest.hex()


def digest_api_key(raw_key: str) -> str:
    return hmac.new(API_KEY_PEPPER.encode(), raw_key.encode(), hashlib.sha256).hexdigest()  # ok-category: password-storage
