"""The subcommands; each reads and writes the stock file named by the group."""

from __future__ import annotations

import csv
import sys

import click

from . import store


@click.command()
@click.argument("part")
@click.argument("quantity", type=click.IntRange(min=1))
@click.pass_obj
def add(obj: dict, part: str, quantity: int) -> None:
    """Add QUANTITY of PART to the stock."""
    stock = store.load(obj["file"])
    stock[part] = stock.get(part, 0) + quantity
    store.save(obj["file"], stock)
    click.echo(f"{part}: {stock[part]}")


@click.command()
@click.argument("part")
@click.argument("quantity", type=click.IntRange(min=1))
@click.option("--force", is_flag=True, help="Allow the stock to go negative.")
@click.pass_obj
def remove(obj: dict, part: str, quantity: int, force: bool) -> None:
    """Take QUANTITY of PART out of the stock."""
    stock = store.load(obj["file"])
    left = stock.get(part, 0) - quantity
    if left < 0 and not force:
        raise click.ClickException(f"only {stock.get(part, 0)} {part} left")
    stock[part] = left
    store.save(obj["file"], stock)
    click.echo(f"{part}: {left}")


@click.command("list")
@click.option("--low", type=int, default=None, metavar="N", help="Only parts with fewer than N.")
@click.option("--sort", type=click.Choice(["name", "quantity"]), default="name", show_default=True)
@click.pass_obj
def list_parts(obj: dict, low: int | None, sort: str) -> None:
    """List the parts in stock."""
    items = store.load(obj["file"]).items()
    rows = sorted(items, key=lambda item: item[1] if sort == "quantity" else item[0])
    for part, quantity in rows:
        if low is None or quantity < low:
            click.echo(f"{part:<20}{quantity:>6}")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv"]), default="csv", show_default=True)
@click.option("--header/--no-header", default=True, help="Write a header row.")
@click.pass_obj
def export(obj: dict, fmt: str, header: bool) -> None:
    """Write the stock to standard output as CSV or TSV."""
    writer = csv.writer(sys.stdout, delimiter="," if fmt == "csv" else "\t")
    if header:
        writer.writerow(["part", "quantity"])
    writer.writerows(store.load(obj["file"]).items())


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace the stock instead of adding to it.")
@click.pass_obj
def load(obj: dict, source: str, replace: bool) -> None:
    """Read parts from a CSV file with part,quantity rows."""
    stock = {} if replace else store.load(obj["file"])
    with open(source, newline="") as handle:
        for part, quantity in csv.reader(handle):
            stock[part] = stock.get(part, 0) + int(quantity)
    store.save(obj["file"], stock)
    click.echo(f"{len(stock)} parts")


ALL = (add, remove, list_parts, export, load)
