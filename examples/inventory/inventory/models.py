"""The one record type: a stock line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal

    @property
    def value(self) -> Decimal:
        return self.unit_price * self.quantity

    def check_price(self, minimum: Decimal) -> None:
        """Raise ValueError if this item is priced below `minimum`."""
        if self.unit_price < minimum:
            raise ValueError(f"{self.sku}: unit price {self.unit_price} is below the minimum {minimum}")
