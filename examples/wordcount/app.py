#!/usr/bin/env python3
"""Count the words in files (or standard input) and report the most common ones.

A single-file, standard-library-only script: the smallest thing worth freezing.

    python app.py [--top N] [FILE ...]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

# Fixed, so messages do not depend on how the program was started.
PROG = "wordcount"
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def count_words(text: str) -> Counter[str]:
    return Counter(match.group().lower() for match in WORD.finditer(text))


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {number}")
    return number


def report(per_source: list[tuple[str, Counter[str]]], top: int) -> str:
    total: Counter[str] = Counter()
    lines = []
    for name, counts in per_source:
        total.update(counts)
        lines.append(f"{sum(counts.values()):8d}  {name}")
    if len(per_source) > 1:
        lines.append(f"{sum(total.values()):8d}  total")
    lines.append(f"{len(total)} distinct words")
    if top:
        # Ties are broken alphabetically so the report never depends on input order.
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        lines.append(f"top {len(ranked)}:")
        lines.extend(f"{count:8d}  {word}" for word, count in ranked)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Count words in files or standard input.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to read (default: standard input)")
    parser.add_argument(
        "--top", type=non_negative, default=10, metavar="N", help="show the N most common words (default: 10)"
    )
    args = parser.parse_args(argv)

    per_source = []
    if not args.files:
        per_source.append(("<stdin>", count_words(sys.stdin.read())))
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as fh:
                per_source.append((path, count_words(fh.read())))
        except FileNotFoundError:
            print(f"{PROG}: error: no such file: {path}", file=sys.stderr)
            return 1
    print(report(per_source, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
