from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.models import Order

engine = create_engine("postgresql+psycopg://app@db/app")
SessionLocal = sessionmaker(bind=engine)
_db = SessionLocal()


def get_order(order_id: int) -> dict:
    """One order, as JSON."""
    order = _db.get(Order, order_id)
    return {"id": order.id, "total": order.total}


def add_order(order: Order) -> None:
    _db.add(order)
    _db.commit()
