"""rich: render a Table, a Panel, a Tree and Markdown (with a highlighted code block).

The console is fixed at 80 columns without colour, records what it prints and
then exports it twice: as plain text (layout, box drawing, wrapping) and as
HTML with inline styles, which shows whether Pygments found its lexer and
style (both are loaded by name at run time).
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

MARKDOWN = """\
# Release notes

Version **2.1** fixes *three* bugs and adds `--dry-run`.

1. Faster start-up
2. Smaller archives
   - no duplicate blobs
   - compressed sources

> Quotes wrap at the console width, which is fixed at eighty columns so that the
> output does not depend on the terminal running the test.

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

| Tool | Status |
|------|-------:|
| freeze | ok |
| verify | ok |
"""


def main() -> None:
    console = Console(width=80, force_terminal=False, color_system=None, record=True,
                      legacy_windows=False, emoji=True)

    table = Table(title="Planets", box=box.ROUNDED, show_lines=True)
    table.add_column("Name", style="bold")
    table.add_column("Moons", justify="right")
    table.add_column("Notes", overflow="fold", max_width=30)
    table.add_row("Mercury", "0", "Closest to the Sun; a year lasts 88 days.")
    table.add_row("Earth", "1", "Home :earth_africa:")
    table.add_row("Jupiter", "95", "Largest planet, with a Great Red Spot that has lasted centuries.")
    console.print(table)

    console.print(Panel("A panel with a [bold]title[/bold] and a subtitle, padded and centred.",
                        title="Panel", subtitle="end", expand=False, padding=(1, 4)))

    tree = Tree("project")
    src = tree.add("src")
    src.add("app.py")
    src.add("util.py")
    tree.add("README.md")
    console.print(tree)

    console.print(Markdown(MARKDOWN, code_theme="monokai"))

    text = console.export_text(clear=False)
    html = console.export_html(inline_styles=True, clear=True)
    print("=" * 80)
    print(f"exported text: {len(text.splitlines())} lines, html: {len(html.splitlines())} lines")
    # The highlighted code block (monokai's background): one styled <span> per token.
    for line in html.splitlines():
        if "#272822" in line and ("greet" in line or "return" in line):
            print(line)


if __name__ == "__main__":
    main()
