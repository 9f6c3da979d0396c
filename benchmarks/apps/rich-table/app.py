"""Render a release table with rich to a fixed 100-column console without colour."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

RELEASES = [
    ("3.13", "2024-10-07", "bugfix", "Free-threaded build, new REPL, JIT (experimental)."),
    ("3.12", "2023-10-02", "security", "f-string grammar (PEP 701), per-interpreter GIL."),
    ("3.11", "2022-10-24", "security", "Faster CPython, exception groups, tomllib."),
    ("3.10", "2021-10-04", "security", "Structural pattern matching, better error messages."),
    ("3.9", "2020-10-05", "end of life", "Dict union operators, str.removeprefix."),
]


def main() -> None:
    console = Console(width=100, color_system=None, force_terminal=False, legacy_windows=False)
    table = Table(title="CPython releases", box=box.ROUNDED, show_lines=True, caption="5 releases")
    table.add_column("Version", style="bold", justify="right")
    table.add_column("Released", no_wrap=True)
    table.add_column("Status", justify="center")
    table.add_column("Highlights", overflow="fold", max_width=40)
    for row in RELEASES:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
