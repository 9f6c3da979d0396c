"""click: a command group with subcommands, options, arguments, a nested group and
usage errors. The program name is given explicitly: click would otherwise take
it from sys.argv[0], which is the script here and the archive when frozen."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80,
                               "terminal_width": 80})
@click.option("--verbose", "-v", count=True, help="Say more (repeatable).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Manage a small inventory of widgets."""
    ctx.obj = {"verbose": verbose}


@cli.command()
@click.argument("name")
@click.option("--count", "-n", type=click.IntRange(1, 5), default=1, show_default=True,
              help="How many greetings.")
@click.option("--shout/--no-shout", default=False, help="Upper-case the greeting.")
@click.pass_obj
def greet(obj: dict, name: str, count: int, shout: bool) -> None:
    """Greet NAME a few times."""
    for index in range(count):
        line = f"Hello, {name}! ({index + 1}/{count})"
        click.echo(line.upper() if shout else line)
    if obj["verbose"]:
        click.echo(f"verbosity {obj['verbose']}", err=True)


@cli.group()
def stock() -> None:
    """Inspect and change stock levels."""


@stock.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
def stock_list(fmt: str) -> None:
    """List every widget."""
    rows = [("bolt", 120), ("nut", 8), ("washer", 0)]
    if fmt == "csv":
        for name, qty in rows:
            click.echo(f"{name},{qty}")
    else:
        for name, qty in rows:
            click.echo(f"{name:<10}{qty:>5}" + ("  (out)" if qty == 0 else ""))


@stock.command()
@click.argument("item")
@click.argument("delta", type=int)
def adjust(item: str, delta: int) -> None:
    """Change ITEM's stock by DELTA."""
    if item not in {"bolt", "nut", "washer"}:
        raise click.ClickException(f"unknown item {item!r}")
    click.echo(f"{item}: {delta:+d}")


if __name__ == "__main__":
    cli(prog_name="widgets")
