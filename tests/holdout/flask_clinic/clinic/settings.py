import os

SECRET_KEY = os.environ["CLINIC_SECRET_KEY"]
DATABASE_URL = os.environ.get("CLINIC_DATABASE_URL", "postgresql+psycopg2://clinic@db/clinic")
WTF_CSRF_ENABLED = True
PATIENTS_PER_PAGE = 30
STAFF_PASSWORD_METHOD = "pbkdf2:sha256:1000"
