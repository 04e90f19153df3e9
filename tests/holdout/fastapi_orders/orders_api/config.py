from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", env_file=".env")

    database_url: str
    jwt_secret: str
    jwt_ttl_minutes: int = 30
    default_page_size: int = 50
    max_page_size: int = 200
    warehouse_webhook_url: str = "http://warehouse.internal/hooks/orders"


@lru_cache
def get_settings() -> Settings:
    return Settings()
