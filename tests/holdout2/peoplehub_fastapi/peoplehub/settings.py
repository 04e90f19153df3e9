from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    jwt_secret: str
    token_minutes: int = 30
    payroll_export_dir: str = "/var/lib/peoplehub/exports"

    model_config = {"env_prefix": "PEOPLEHUB_"}


settings = Settings()
