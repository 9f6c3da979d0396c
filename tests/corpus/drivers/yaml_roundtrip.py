"""PyYAML through libyaml: load and dump with the C extension (yaml._yaml)."""

from __future__ import annotations

import yaml

DOCUMENT = """\
# a deployment description
name: corpus
version: 3
enabled: true
ratio: 0.25
released: 2024-02-29
nothing: ~
anchors:
  defaults: &defaults
    retries: 3
    timeout: 10
  fast:
    <<: *defaults
    timeout: 1
hosts:
  - alpha.example.com
  - beta.example.com
notes: |
  first line
  second line
folded: >
  these words
  join into one line
unicode: "Grüße, 世界"
---
second: document
list: [1, 2, [3, 4]]
"""


def main() -> None:
    print("libyaml:", yaml.__with_libyaml__, "PyYAML", yaml.__version__)
    print("loader base:", yaml.CSafeLoader.__mro__[1].__module__, yaml.CSafeLoader.__mro__[1].__name__)
    docs = list(yaml.load_all(DOCUMENT, Loader=yaml.CSafeLoader))
    for doc in docs:
        for key in sorted(doc):
            print(f"  {key}: {doc[key]!r}")
    out = yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False,
                        allow_unicode=True, explicit_start=True)
    print(out, end="")
    assert list(yaml.load_all(out, Loader=yaml.CSafeLoader)) == docs
    print("flow:", yaml.dump({"a": [1, 2], "b": {"c": None}}, Dumper=yaml.CSafeDumper,
                             default_flow_style=True), end="")
    events = [type(e).__name__ for e in yaml.parse("a: [1, 2]", Loader=yaml.CSafeLoader)]
    print("events:", " ".join(events))
    try:
        yaml.load("a: [1, 2", Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        print("error:", type(exc).__name__, str(exc).splitlines()[0])


if __name__ == "__main__":
    main()
