"""Markdown: extensions named by string are found through the markdown.extensions
entry-point group (importlib.metadata), then loaded from the entry point."""

from __future__ import annotations

from importlib.metadata import entry_points, version

import markdown

TEXT = """\
[TOC]

# Getting started

Install it, then run it. "Smart" quotes -- and dashes... are converted.

## Options

| Option | Default | Meaning |
|:-------|:-------:|--------:|
| `-o`   | dist    | output  |
| `-m`   | *none*  | module  |

!!! note "Heads up"
    Admonitions are an extension too.

```python
print("fenced code")
```

Term
:   Its definition.

The HTML spec[^1] is maintained by the W3C.

*[HTML]: Hyper Text Markup Language
[^1]: A footnote.

## Déjà vu {: #custom-id .special }
"""


def main() -> None:
    print("markdown", version("markdown"), markdown.__version__ == version("markdown"))
    names = sorted(ep.name for ep in entry_points(group="markdown.extensions"))
    print("extensions:", " ".join(names))
    toc = next(ep for ep in entry_points(group="markdown.extensions") if ep.name == "toc")
    print("toc entry point:", toc.value, toc.dist.name if toc.dist else None)
    md = markdown.Markdown(extensions=["toc", "tables", "fenced_code", "footnotes", "abbr",
                                       "admonition", "attr_list", "def_list", "smarty"],
                           extension_configs={"toc": {"permalink": True}})
    print(md.convert(TEXT))
    print("--- toc tokens")
    def walk(tokens, depth=0):
        for token in tokens:
            print("  " * depth + f"{token['level']} {token['id']} {token['name']}")
            walk(token["children"], depth + 1)
    walk(md.toc_tokens)
    print("--- plain")
    print(markdown.markdown("Hello *world* & <friends>", output_format="html"))
    try:
        markdown.markdown("x", extensions=["no_such_extension"])
    except ImportError as exc:
        print("missing extension:", exc.args[0])


if __name__ == "__main__":
    main()
