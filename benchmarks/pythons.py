"""One archive for every CPython against one archive per CPython: size and start-up.

    python benchmarks/pythons.py [ROUNDS]

Freezes the click + rich app of tests/test_pythons.py (pinned, from PyPI) once for
every CPython 3.10-3.13 under pyenv and once per version, then runs each version's
pair interleaved, ROUNDS times (default 30).  Prints a Markdown table (bytes; median
start-up milliseconds and the ratio one-for-all / per-version) and writes
benchmarks/results/pythons.json.  Only the newest version runs the zip's
__main__.pyc; the others compile runtime/zipmain.py first (see docs/format.md).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from support import installed_pythons, write_tree  # noqa: E402
from test_pythons import CLI, REQUIREMENTS, version  # noqa: E402
from venvs import venv_python  # noqa: E402

ARGS = ("Mercury", "Jupiter")


def freeze(src: Path, out: Path, *pythons: Path) -> int:
    subprocess.run([sys.executable, "-m", "freezer", "build", "app.py", "-o", str(out),
                    *(arg for python in pythons for arg in ("--python", str(python)))],
                   cwd=src, check=True, capture_output=True)
    return out.stat().st_size


def start_ms(python: Path, archive: Path) -> float:
    begin = time.perf_counter()
    subprocess.run([str(python), "-I", "-S", str(archive), *ARGS], check=True,
                   stdout=subprocess.DEVNULL)
    return (time.perf_counter() - begin) * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    pythons = {version(p): venv_python(REQUIREMENTS, python=str(p)) for p in installed_pythons()}
    with tempfile.TemporaryDirectory(prefix="freeze-pythons-") as scratch:
        src = write_tree(Path(scratch, "src"), CLI)
        every = Path(scratch, "every.pyz")
        every_size = freeze(src, every, *pythons.values())
        singles = {short: Path(scratch, f"{short}.pyz") for short in pythons}
        sizes = {short: freeze(src, singles[short], python) for short, python in pythons.items()}
        times: dict[str, dict[str, list[float]]] = {s: {"every": [], "single": []} for s in pythons}
        for _ in range(rounds):
            for short, python in pythons.items():
                times[short]["single"].append(start_ms(python, singles[short]))
                times[short]["every"].append(start_ms(python, every))
    results = {"bytes": {"every": every_size, **sizes}, "start_ms": {
        short: {kind: round(statistics.median(runs), 2) for kind, runs in found.items()}
        for short, found in times.items()}}
    total = sum(sizes.values())
    print(f"one archive for {', '.join(pythons)}: {every_size:,} bytes; one per version: "
          f"{total:,} bytes in all ({every_size / total:.2f}×), the largest "
          f"{max(sizes.values()):,} ({every_size / max(sizes.values()):.2f}×)\n")
    print("| CPython | bytes, its own archive | start ms, its own | start ms, one for all | ratio |")
    print("|---|---|---|---|---|")
    for short, found in results["start_ms"].items():
        print(f"| {short} | {sizes[short]:,} | {found['single']} | {found['every']} | "
              f"{found['every'] / found['single']:.2f} |")
    out = ROOT / "benchmarks" / "results" / "pythons.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
