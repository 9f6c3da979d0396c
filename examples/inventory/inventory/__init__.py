"""Inventory: load a stock list from CSV and report on it."""

from .models import Item

__all__ = ["Item"]
