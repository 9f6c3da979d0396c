"""A tiny app whose templates live inside the package, found with jinja2.PackageLoader."""

from __future__ import annotations

import jinja2


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("jinjaapp", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = lambda cents: f"{cents // 100}.{cents % 100:02d}"
    return env
