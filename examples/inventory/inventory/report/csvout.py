"""CSV output; loaded through importlib.import_module, never imported by name."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..models import Item


def render(items: list[Item], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "name", "category", "quantity", "unit_price", "value"])
    for i in items:
        writer.writerow([i.sku, i.name, i.category, i.quantity, i.unit_price, i.value])
