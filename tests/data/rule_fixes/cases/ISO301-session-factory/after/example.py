from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.models import Order

engine = create_engine("postgresql+psycopg://app@db/app")
SessionLocal = sessionmaker(bind=engine)


def get_order(order_id: int) -> dict:
    """One order, as JSON."""
    with SessionLocal() as _db:
        order = _db.get(Order, order_id)
        return {"id": order.id, "total": order.total}


def add_order(order: Order) -> None:
    with SessionLocal() as _db:
        _db.add(order)
        _db.commit()
