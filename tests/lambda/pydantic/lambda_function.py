"""A pydantic v2 handler: models defined at module level (their validators are built at cold
start), each event validated into an Order; invalid events get the error list, not a crash."""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator


class Status(str, enum.Enum):
    pending = "pending"
    paid = "paid"
    shipped = "shipped"


class Customer(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=80)]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
    vip: bool = False


class Item(BaseModel):
    sku: Annotated[str, Field(pattern=r"^[A-Z]{3}-\d{4}$")]
    quantity: Annotated[int, Field(gt=0, le=1000)]
    unit_price: Annotated[decimal.Decimal, Field(gt=0, max_digits=10, decimal_places=2)]


class Order(BaseModel):
    order_id: uuid.UUID
    customer: Customer
    items: Annotated[list[Item], Field(min_length=1)]
    placed_on: datetime.date
    status: Status = Status.pending
    tags: list[str] = []

    @field_validator("tags")
    @classmethod
    def lower_tags(cls, tags: list[str]) -> list[str]:
        return sorted({tag.lower() for tag in tags})

    @computed_field
    @property
    def total(self) -> decimal.Decimal:
        return sum((item.unit_price * item.quantity for item in self.items), decimal.Decimal(0))


SCHEMA = Order.model_json_schema()


def lambda_handler(event: dict, context: object) -> dict:
    try:
        order = Order.model_validate(event)
    except ValidationError as error:
        return {"valid": False, "errors": json.loads(error.json(include_url=False))}
    return {"valid": True, "order": order.model_dump(mode="json"), "schema": SCHEMA}
