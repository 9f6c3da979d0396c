"""Group and sum a small data frame: numpy's and pandas's extension modules."""

from __future__ import annotations

import pandas as pd


def main() -> None:
    frame = pd.DataFrame({"team": ["a", "b", "a", "c", "b"], "score": [3, 5, 4, 1, 2]})
    print(frame.groupby("team")["score"].agg(["sum", "mean"]).to_string())


if __name__ == "__main__":
    main()
