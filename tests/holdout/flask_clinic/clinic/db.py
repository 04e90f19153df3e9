from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

from .settings import DATABASE_URL

engine = create_engine(DATABASE_URL, pool_size=10, pool_pre_ping=True)
Session = scoped_session(sessionmaker(bind=engine))


class Base(DeclarativeBase):
    pass
