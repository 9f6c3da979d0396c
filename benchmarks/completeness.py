"""What carrying whole distributions costs: every corpus case built by default
(every module of each distribution that owns a bundled module travels) and with
--prune (only what analysis reached), side by side.

    python benchmarks/completeness.py [CASE...]

For each case: modules, archive bytes and build seconds (cold: an empty build
cache; warm: the same build again), both ways.  Writes
benchmarks/results/completeness.json and prints a Markdown table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "corpus")]

from test_corpus import CASES  # noqa: E402
from venvs import venv_python  # noqa: E402


def build(case, python: Path, out: Path, cache: Path, *flags: str) -> float:
    """Seconds one `freeze build` of the case takes with the build cache at `cache`."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "freezer", "build", *case.build_args(),
                           "--python", str(python), "-o", str(out), *flags],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{case.id}: build failed: {proc.stderr.strip()}")
    return seconds


def modules(archive: Path) -> int:
    proc = subprocess.run([sys.executable, "-m", "freezer", "inspect", "--json", str(archive)],
                          capture_output=True, text=True, check=True)
    return len(json.loads(proc.stdout)["modules"])


def measure(case) -> dict[str, dict[str, float]]:
    python = venv_python(case.requirements)
    result = {}
    with tempfile.TemporaryDirectory(prefix="freeze-completeness-") as scratch:
        for label, flags in (("pruned", ("--prune",)), ("whole", ())):
            cache = Path(scratch, f"cache-{label}")
            out = Path(scratch, f"{label}.pyz")
            cold = build(case, python, out, cache, *flags)
            warm = build(case, python, out, cache, *flags)
            result[label] = {"modules": modules(out), "bytes": out.stat().st_size,
                             "cold_s": round(cold, 2), "warm_s": round(warm, 2)}
    return result


def main() -> None:
    wanted = set(sys.argv[1:])
    results = {}
    print("| case | modules pruned → whole | bytes pruned → whole | cold build s | warm build s |")
    print("|---|---|---|---|---|")
    for case in CASES:
        if wanted and case.id not in wanted:
            continue
        found = results[case.id] = measure(case)
        pruned, whole = found["pruned"], found["whole"]
        print(f"| {case.id} | {pruned['modules']} → {whole['modules']} | "
              f"{pruned['bytes']:,} → {whole['bytes']:,} "
              f"({whole['bytes'] / pruned['bytes']:.2f}×) | "
              f"{pruned['cold_s']} → {whole['cold_s']} | {pruned['warm_s']} → {whole['warm_s']} |",
              flush=True)
    out = ROOT / "benchmarks" / "results" / "completeness.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
