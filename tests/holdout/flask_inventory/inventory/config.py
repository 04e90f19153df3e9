import os


class BaseConfig:
    SECRET_KEY = os.environ["INVENTORY_SECRET_KEY"]
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///inventory.db")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    BCRYPT_LOG_ROUNDS = 13  # ok-category: password-storage
    PRODUCTS_PER_PAGE = 25
    MAX_PER_PAGE = 100
    PASSWORD_MIN_LENGTH = 12  # ok-category: password-storage


class TestingConfig(BaseConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(BaseConfig):
    pass


def get_config(name: str | None):
    name = name or os.environ.get("INVENTORY_ENV", "production")
    return {"testing": TestingConfig, "production": ProductionConfig}[name]
