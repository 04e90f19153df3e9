import hashlib
import logging
import os

import bcrypt

from . import settings
from .db import cursor

log = logging.getLogger("ledger.auth")


def hash_operator_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=settings.BCRYPT_ROUNDS)).decode()  # ok-category: password-storage


def hash_pin(pin: str) -> str:
    return bcrypt.hashpw(pin.encode(), bcrypt.gensalt(rounds=8)).decode()  # expect-category: password-storage


def derive_export_key(passphrase: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, settings.PBKDF2_ITERATIONS)  # expect-category: password-storage


def derive_archive_key(passphrase: str) -> tuple[bytes, bytes]:
    salt = os.urandom(16)
    return salt, hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, 600_000)  # ok-category: password-storage


def check_operator(username: str, password: str) -> bool:
    with cursor() as cur:
        cur.execute("SELECT password_hash, legacy_password FROM operators WHERE username = %s", (username,))  # ok-category: sql-injection
        row = cur.fetchone()
    if row is None:
        return False
    if row["password_hash"]:
        return bcrypt.checkpw(password.encode(), row["password_hash"].encode())  # ok-category: password-storage
    if row["legacy_password"] == password:  # expect-category: password-storage
        log.warning("operator %s still on legacy password", username)
        return True
    return False


def create_operator(username: str, password: str | None = None) -> None:
    password = password or settings.DEFAULT_OPERATOR_PASSWORD
    with cursor() as cur:
        cur.execute("INSERT INTO operators (username, password_hash) VALUES (%s, %s)", (username, hash_operator_password(password)))  # ok-category: sql-injection, password-storage
