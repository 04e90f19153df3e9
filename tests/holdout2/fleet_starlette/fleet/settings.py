from starlette.config import Config
from starlette.datastructures import Secret

config = Config(".env")

DEBUG = config("FLEET_DEBUG", cast=bool, default=False)
DATABASE_URL = config("FLEET_DATABASE_URL", cast=Secret)
MAX_PAGE_SIZE = config("FLEET_MAX_PAGE_SIZE", cast=int, default=100)
