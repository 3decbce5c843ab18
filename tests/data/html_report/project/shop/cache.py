"""Response cache of the shop (a small leaky fixture for the HTML report)."""

from typing import Any

# A banner that must stay text in the report: </script><img src=x onerror=alert(1)>
_PAGES: dict[str, dict[str, Any]] = {}


def remember_page(path: str, page: dict[str, Any]) -> None:
    """Keeps the page rendered for `path`."""
    _PAGES[path] = page


def cached_page(path: str) -> dict[str, Any] | None:
    return _PAGES.get(path)


def forget_pages(user_id: str) -> None:
    _PAGES.clear()
