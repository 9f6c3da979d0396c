"""Exceptions raised by the inventory package."""


class InventoryError(Exception):
    """The input cannot be used; the CLI prints the message and exits 3."""


class AuditError(Exception):
    """The strict audit found an item that breaks a business rule; never caught."""
