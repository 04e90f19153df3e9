import os

DATABASE = os.environ.get("PORTAL_DB", "/var/lib/portal/portal.sqlite3")
SECRET_KEY = os.environ.get("PORTAL_SECRET")
UPLOAD_DIR = "/var/lib/portal/uploads"
ADMIN_EMAIL = "it-support@example.org"
DEFAULT_ADMIN_PASSWORD = "portal-admin-01"  # expect-category: password-storage
SESSION_TIMEOUT_MINUTES = 30
