import os

DATABASE_DSN = os.environ.get("TRACKER_DSN", "postgresql://tracker@localhost/tracker")
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536
PAGE_SIZE = 50
