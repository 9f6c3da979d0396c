"""Command line: parse arguments, load the stock list, print a report."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from . import loader
from .errors import InventoryError
from .report import renderer
from .util import fmt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .models import Item

# Fixed, so messages do not depend on how the program was started
# (app.py, a .pyz archive, ...).
PROG = "inventory"
EXIT_BAD_INPUT = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Report on a stock list kept as CSV.")
    parser.add_argument("path", help="CSV file with columns sku,name,category,quantity,unit_price")
    parser.add_argument("--format", choices=("table", "csv"), default="table")
    parser.add_argument("--category", help="only report items of this category")
    parser.add_argument(
        "--restock-below", type=int, metavar="N", help="also list items with fewer than N in stock"
    )
    parser.add_argument(
        "--fail", action="store_true", help="run the strict audit, which fails on the sample data"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        items = loader.load(args.path)
    except InventoryError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.category:
        items = [item for item in items if item.category == args.category]
    if args.fail:
        _strict_audit(items)
    renderer(args.format).render(items, sys.stdout)
    if args.restock_below is not None:
        _print_restock(items, args.restock_below)
    return 0


def _strict_audit(items: list[Item]) -> None:
    from plugins import checks  # function-level import of a namespace-package module

    checks.strict_audit(items)


def _print_restock(items: list[Item], below: int) -> None:
    from plugins.restock import suggestions

    print(f"\nRestock (fewer than {below} in stock):")
    for item, order in suggestions(items, below):
        print(f"  {fmt.describe(item)}: order {order}")
