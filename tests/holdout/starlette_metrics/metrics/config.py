from starlette.config import Config
from starlette.datastructures import Secret

config = Config(".env")

DATABASE_URL = config("METRICS_DATABASE_URL", default="sqlite+aiosqlite:///./metrics.db")
ADMIN_TOKEN = config("METRICS_ADMIN_TOKEN", cast=Secret)
RETENTION_DAYS = config("METRICS_RETENTION_DAYS", cast=int, default=30)
