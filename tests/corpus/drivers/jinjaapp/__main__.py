"""Render the package's templates: inheritance, includes, macros, loops, filters, escaping."""

from __future__ import annotations

import jinja2
import markupsafe

from jinjaapp import make_environment

ORDERS = [
    {"id": 17, "customer": "Ada <ada@example.com>", "items": [("Widget", 2, 950), ("Gadget & Co", 1, 12000)]},
    {"id": 18, "customer": "Bob \"the builder\"", "items": []},
]


def main() -> None:
    env = make_environment()
    print("templates:", env.list_templates())
    page = env.get_template("orders.html")
    print(page.render(title="Orders <today>", orders=ORDERS), end="")
    print("---")
    print(env.from_string("{{ x }} {{ x|safe }} {{ x|e|length }}").render(x="<b>&</b>"))
    print("escape:", markupsafe.escape("<script>alert('x')</script>"))
    print("Markup join:", markupsafe.Markup("<br>").join(["a<", "b>"]))
    # The C speedups: markupsafe._speedups, falling back to markupsafe._native.
    print("escape implementation:", markupsafe._escape_inner.__module__)
    try:
        env.get_template("missing.html")
    except jinja2.TemplateNotFound as exc:
        print("not found:", exc.name)
    try:
        env.from_string("{% for x in %}").render()
    except jinja2.TemplateSyntaxError as exc:
        print("syntax error:", exc.lineno, exc.message)


if __name__ == "__main__":
    main()
