import sqlite3

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite:///app.db")
SessionLocal = sessionmaker(bind=engine)
_db = SessionLocal()
_db.execute(text("create table if not exists runs (id text)"))


def add(row: object) -> None:
    _db.add(row)
