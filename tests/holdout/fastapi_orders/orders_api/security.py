from datetime import datetime, timedelta, timezone

import jwt
from passlib.context import CryptContext

from .config import get_settings

pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto", bcrypt__rounds=12)  # ok-category: password-storage


def hash_password(password: str) -> str:
    return pwd_context.hash(password)  # ok-category: password-storage


def verify_password(password: str, hashed: str) -> bool:
    return pwd_context.verify(password, hashed)  # ok-category: password-storage


def create_access_token(subject: str) -> str:
    settings = get_settings()
    expires = datetime.now(timezone.utc) + timedelta(minutes=settings.jwt_ttl_minutes)
    return jwt.encode({"sub": subject, "exp": expires}, settings.jwt_secret, algorithm="HS256")
