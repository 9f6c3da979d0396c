"""Text formatting for money and items."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for annotations: importing it at run time is not needed.
    from ..models import Item

CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):,}"


def describe(item: Item) -> str:
    return f"{item.sku} {item.name}"
