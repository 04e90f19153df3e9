import bcrypt

from .config import config


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=config.bcrypt_rounds)).decode()  # ok-category: password-storage


def check_password(password: str, password_hash: str) -> bool:
    return bcrypt.checkpw(password.encode(), password_hash.encode())  # ok-category: password-storage


def hash_reset_code(code: str) -> str:
    return bcrypt.hashpw(code.encode(), bcrypt.gensalt(rounds=4)).decode()  # expect-category: password-storage
