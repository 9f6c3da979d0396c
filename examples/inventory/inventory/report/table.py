"""Human-readable table output (uses the third-party ``tabulate``)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from tabulate import tabulate

from ..util import fmt

if TYPE_CHECKING:
    from ..models import Item

HEADERS = ("SKU", "Name", "Category", "Qty", "Price", "Value")


def render(items: list[Item], out: TextIO) -> None:
    rows = [
        (i.sku, i.name, i.category, str(i.quantity), fmt.money(i.unit_price), fmt.money(i.value))
        for i in items
    ]
    print(
        tabulate(
            rows,
            headers=HEADERS,
            colalign=("left", "left", "left", "right", "right", "right"),
            disable_numparse=True,
        ),
        file=out,
    )
    total = sum((i.value for i in items), Decimal(0))
    print(f"\n{len(items)} items, total value {fmt.money(total)}", file=out)
