"""Build an Arrow table and print it as JSON: pyarrow's 40 shared libraries, of which
one import loads eight, and orjson."""

from __future__ import annotations

import orjson
import pyarrow as pa


def main() -> None:
    table = pa.table({"n": [1, 2, 3], "s": ["a", "b", "c"]})
    print(orjson.dumps(table.to_pylist()).decode())


if __name__ == "__main__":
    main()
