"""tomli, whose cp311 wheel is compiled by mypyc: every module, the package's
__init__ included, is an extension, and they share one top-level
<hash>__mypyc extension module."""

from __future__ import annotations

import datetime
import sys

import tomli

DOCUMENT = '''\
# A pyproject-like document
title = "TOML \\u00e9xample"
literal = 'C:\\Users\\nobody'
multiline = """
Roses are red
Violets are blue"""
integers = [ +99, 0xDEADBEEF, 0o755, 0b1101, 1_000 ]
floats = [ 3.1415, -0.01, 5e+22, inf, -inf ]
when = 1979-05-27T07:32:00-08:00
local-date = 1979-05-27
local-time = 00:32:00.999999
inline = { x = 1, y = { z = "deep" } }

[project]
name = "corpus"
dependencies = ["a>=1", "b==2"]

[project.optional-dependencies]
test = ["pytest"]

[[servers]]
name = "alpha"
ip = "10.0.0.1"

[[servers]]
name = "beta"
ip = "10.0.0.2"
"a.dotted"."key" = true
'''


def show(value: object, indent: str = "  ") -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            if isinstance(item, (dict, list)) and item and not all(
                    isinstance(x, (int, float, str)) for x in item):
                print(f"{indent}{key}:")
                show(item, indent + "  ")
            else:
                print(f"{indent}{key} = {item!r}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            print(f"{indent}[{index}]")
            show(item, indent + "  ")
    else:
        print(f"{indent}{value!r}")


def main() -> None:
    # Evidence that the compiled modules, not the .py files beside them, are in use.
    parser = sys.modules["tomli._parser"]
    print("compiled:", tomli.__file__.endswith(".so"), parser.__file__.endswith(".so"),
          type(tomli.loads).__name__)
    print("mypyc runtime modules:", sorted(m for m in sys.modules if m.endswith("__mypyc")))
    data = tomli.loads(DOCUMENT)
    show(data)
    assert data["when"].tzinfo.utcoffset(None) == datetime.timedelta(hours=-8)
    print("parse_float:", tomli.loads("x = 0.1", parse_float=lambda s: f"decimal({s})"))
    for bad in ('a = "unterminated', "a = 1\na = 2", "[x]\n[x]", "k = 1979-13-01"):
        try:
            tomli.loads(bad)
        except tomli.TOMLDecodeError as exc:
            print(f"error: {exc} (line {exc.lineno}, column {exc.colno})")


if __name__ == "__main__":
    main()
