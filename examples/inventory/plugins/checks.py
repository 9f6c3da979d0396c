"""Strict audit: every item must cost at least MIN_PRICE.

The sample data breaks this rule on purpose, so ``--fail`` ends in an uncaught,
chained exception whose traceback runs through several modules.
"""

from __future__ import annotations

from decimal import Decimal

from inventory.errors import AuditError
from inventory.models import Item

MIN_PRICE = Decimal("1.00")


def strict_audit(items: list[Item]) -> None:
    for item in items:
        try:
            item.check_price(MIN_PRICE)
        except ValueError as err:
            raise AuditError(f"strict audit failed at {item.sku}") from err
