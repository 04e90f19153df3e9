import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    dsn: str = os.environ.get("BILLING_DSN", "dbname=billing user=billing host=localhost")
    pool_min: int = int(os.environ.get("BILLING_POOL_MIN", "1"))
    pool_max: int = int(os.environ.get("BILLING_POOL_MAX", "10"))
    page_size: int = 50
    bcrypt_rounds: int = int(os.environ.get("BILLING_BCRYPT_ROUNDS", "12"))


config = Config()
