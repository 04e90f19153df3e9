import os

DATABASE_DSN = os.environ.get("LEDGER_DSN", "dbname=ledger user=ledger host=localhost")
AUDIT_DB_PATH = os.environ.get("LEDGER_AUDIT_DB", "/var/lib/ledger/audit.sqlite3")
BCRYPT_ROUNDS = 13
PBKDF2_ITERATIONS = 100_000

# First-run bootstrap account for the operations floor; rotated by the install script.
DEFAULT_OPERATOR_PASSWORD = "Welcome2024!"  # expect-category: password-storage
