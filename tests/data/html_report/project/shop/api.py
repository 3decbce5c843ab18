"""HTTP entry points of the shop."""

from typing import Any

from shop.cache import cached_page, remember_page
from shop.notifier import notifier

RECENT_ORDERS: list[dict[str, Any]] = []


class Router:
    def get(self, path: str) -> Any: ...

    def post(self, path: str) -> Any: ...


router = Router()


@router.post("/orders")
async def create_order(user_id: str, item: str) -> dict[str, Any]:
    order = {"user_id": user_id, "item": item, "note": "<b>&amp;</b>"}
    RECENT_ORDERS.append(order)
    remember_page(f"/orders/{item}", order)
    await notifier.push({"event": "order_created", **order})
    return order


@router.get("/orders/{item}")
async def read_order(user_id: str, item: str) -> dict[str, Any] | None:
    return cached_page(f"/orders/{item}")


def tag_order(user_id: str, tags: list[str] = []) -> list[str]:
    tags.append(user_id)
    return tags
