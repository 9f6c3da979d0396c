"""Restock suggestions.

``plugins`` has no ``__init__.py``: it is a PEP 420 namespace package.
"""

from __future__ import annotations

from inventory.models import Item


def suggestions(items: list[Item], below: int) -> list[tuple[Item, int]]:
    """Items with fewer than `below` in stock, and how many to order to reach 2*below."""
    return [(item, 2 * below - item.quantity) for item in items if item.quantity < below]
