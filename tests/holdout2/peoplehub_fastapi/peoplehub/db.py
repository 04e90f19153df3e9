import os
from collections.abc import Iterator

from sqlmodel import Session, SQLModel, create_engine

engine = create_engine(os.environ.get("PEOPLEHUB_DB", "sqlite:///peoplehub.db"), pool_pre_ping=True)


def init_db() -> None:
    SQLModel.metadata.create_all(engine)


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session
