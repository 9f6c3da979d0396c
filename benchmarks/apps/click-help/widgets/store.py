"""The stock file: a JSON object mapping part names to quantities."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT = Path("widgets.json")


def load(path: Path) -> dict[str, int]:
    return json.loads(path.read_text()) if path.exists() else {}


def save(path: Path, stock: dict[str, int]) -> None:
    path.write_text(json.dumps(dict(sorted(stock.items())), indent=2) + "\n")
