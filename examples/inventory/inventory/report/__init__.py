"""Output formats: each module has ``render(items, out)``."""

from __future__ import annotations

import importlib
from types import ModuleType


def renderer(name: str) -> ModuleType:
    """Load the module for output format `name` only when it is asked for."""
    if name == "csv":
        return importlib.import_module("inventory.report.csvout")
    from . import table

    return table
