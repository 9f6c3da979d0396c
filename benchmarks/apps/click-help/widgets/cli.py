"""The command group. prog_name is fixed so the help text is the same however it is run."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__, commands, store


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80})
@click.option("--file", "-f", "path", type=click.Path(dir_okay=False, path_type=Path),
              default=store.DEFAULT, show_default=True, help="The stock file.")
@click.version_option(__version__, prog_name="widgets")
@click.pass_context
def cli(ctx: click.Context, path: Path) -> None:
    """Keep track of a small stock of parts."""
    ctx.obj = {"file": path}


for command in commands.ALL:
    cli.add_command(command)


def main() -> None:
    cli(prog_name="widgets")
