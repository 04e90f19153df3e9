import os


class Production:
    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
    SECRET_KEY = os.environ["SECRET_KEY"]
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    LOG_LEVEL = "INFO"


class Development(Production):
    LOG_LEVEL = "DEBUG"
