from databases import Database

from .settings import DATABASE_URL

database = Database(str(DATABASE_URL))
