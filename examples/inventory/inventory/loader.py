"""Read a stock list from a CSV file."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .errors import InventoryError
from .models import Item

# Optional accelerator: not shipped with this example, so the pure-Python
# path below is always the one taken. A freezer must not fail on it.
try:
    import inventory_speedups as _speedups  # type: ignore[import-not-found]
except ImportError:
    _speedups = None

if TYPE_CHECKING:
    from collections.abc import Iterable

FIELDS = ("sku", "name", "category", "quantity", "unit_price")


def load(path: str) -> list[Item]:
    """Return the items in `path`, sorted by SKU."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise InventoryError(f"cannot read {path}: {err.strerror}") from None
    items: list[Item] = _speedups.parse(rows) if _speedups is not None else _parse(rows, path)
    return sorted(items, key=lambda item: item.sku)


def _parse(rows: Iterable[dict[str, str]], path: str) -> list[Item]:
    items = []
    for lineno, row in enumerate(rows, start=2):
        try:
            items.append(
                Item(
                    sku=row["sku"],
                    name=row["name"],
                    category=row["category"],
                    quantity=int(row["quantity"]),
                    unit_price=Decimal(row["unit_price"]),
                )
            )
        except (KeyError, TypeError, ValueError, InvalidOperation):
            raise InventoryError(f"{path}:{lineno}: expected columns {','.join(FIELDS)}") from None
    return items
