import hashlib
import hmac
import os


def hash_dashboard_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**15, r=8, p=1)  # ok-category: password-storage
    return f"{salt.hex()}:{digest.hex()}"


def verify_dashboard_password(password: str, stored: str) -> bool:
    salt_hex, digest_hex = stored.split(":")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**15, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)  # ok-category: password-storage


def hash_share_password(password: str) -> str:
    """Passwords protecting public share links of dashboards."""
    return hashlib.sha512(password.encode()).hexdigest()  # expect-category: password-storage
