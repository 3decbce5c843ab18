from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("postgresql+psycopg://app@db/app")
SessionLocal = sessionmaker(bind=engine)
db = SessionLocal()


def add(row: object) -> None:
    db.add(row)
