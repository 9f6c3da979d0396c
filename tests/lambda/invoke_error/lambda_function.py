"""A handler that raises its own exception class for some events and answers the others."""

from __future__ import annotations


class OrderRejected(Exception):
    """The event asked for something this function refuses."""


def check(order: dict) -> None:
    if order["quantity"] > 10:
        raise OrderRejected(f"order {order['id']} rejected: quantity {order['quantity']} over limit 10")


def lambda_handler(event: dict, context: object) -> dict:
    check(event)
    return {"accepted": event["id"], "quantity": event["quantity"]}
