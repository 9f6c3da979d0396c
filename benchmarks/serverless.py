"""Serverless cold-start benchmark: freeze's Lambda package against the zips users deploy today.

    python benchmarks/serverless.py [--rounds N] [--handlers boto3,pydantic,stdlib] [--out FILE]

Each handler of tests/lambda/ is deployed as a plain `pip install -t` zip, the same zip
precompiled with compileall (unchecked-hash .pyc files), `freeze build --lambda`, the same
with `--lazy`, and with `--lazy --trace ''` (the trace imports the handler, as Lambda's init
does). Every run is what Lambda does on a cold start (tests/lambda_api.py): unzip into a
read-only task root, start `python -m awslambdaric lambda_function.lambda_handler` with an empty
TMPDIR and no home, and serve the handler's events from a stub Runtime API. Measured from the
server's side: cold start (process start to first response), init (process start to the first
/next, Lambda's Init Duration), warm invocation (later /next to response) and peak RSS.

Two regimes: `cached` (the task root's files are in the page cache, as after a warm-up) and
`evicted` (every file of the task root is dropped from the page cache before each run with
posix_fadvise, as on a host that has not read the package yet; the interpreter and the runtime
client stay cached, as a runtime's base image would). Rounds are interleaved: each round runs
every deployment once in a seeded random order; ratios are medians of per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the harness the end-to-end tests use

import lambda_api  # noqa: E402
import venvs  # noqa: E402

HANDLER = "lambda_function.lambda_handler"
REGIMES = ("cached", "evicted")
BASES = ("plain", "precompiled")  # ratios are reported against both


def freeze_package(folder: Path, python: Path, work: Path, *options: str) -> Path:
    """Build with `freeze build --lambda` (the build cache makes repeats quick)."""
    out = work / f"freeze{''.join(options)}.zip"
    subprocess.run([sys.executable, "-m", "freezer", "build", str(folder / "lambda_function.py"),
                    "--lambda", "-o", str(out), "--python", str(python), *options],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return out


def packages(folder: Path, work: Path) -> dict[str, Path]:
    """Deployment name -> zip."""
    reqs = lambda_api.read_requirements(folder)
    handler = folder / "lambda_function.py"
    python = venvs.venv_python(reqs)
    return {
        "plain": lambda_api.deployment_zip(handler, reqs, precompiled=False),
        "precompiled": lambda_api.deployment_zip(handler, reqs, precompiled=True),
        "freeze": freeze_package(folder, python, work),
        "freeze --lazy": freeze_package(folder, python, work, "--lazy"),
        "freeze --lazy --trace": freeze_package(folder, python, work, "--lazy", "--trace", ""),
    }


def evict(root: Path) -> None:
    """Drop the task root's files from the page cache (they stay on disk)."""
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def measure(root: Path, events: list[Any], client: Path, regime: str) -> dict[str, float]:
    if regime == "evicted":
        evict(root)
    run = lambda_api.run_function(root, HANDLER, events, client_python=client)
    if run.init_error is not None or len(run.results) != len(events) or run.timed_out:
        raise RuntimeError(f"{root}: the function failed\n{run.output()}")
    return {"cold_ms": run.first_response * 1000, "init_ms": run.init * 1000,
            "warm_ms": statistics.median(run.invocations[1:]) * 1000,
            "rss_mb": run.peak_rss_kib / 1024, "bodies": run.bodies}


def bench(name: str, rounds: int, seed: int, client: Path, work: Path,
          progress: Callable[[str], None]) -> dict[str, Any]:
    folder = lambda_api.HANDLERS / name
    events = lambda_api.load_events(folder)
    zips = packages(folder, work / name)
    roots = {label: lambda_api.unzip(path, work / name / label.replace(" ", ""))
             for label, path in zips.items()}
    result: dict[str, Any] = {"sizes": {label: {"zipped_mb": path.stat().st_size / 2**20,
                                                "unzipped_mb": _tree_size(roots[label]) / 2**20}
                                        for label, path in zips.items()}, "regimes": {}}
    expected = measure(roots["plain"], events, client, "cached")["bodies"]  # also a warm-up
    for regime in REGIMES:
        samples: dict[str, list[dict[str, float]]] = {label: [] for label in roots}
        order = list(roots)
        rng = random.Random(f"{seed}:{name}:{regime}")
        for index in range(rounds):
            rng.shuffle(order)
            for label in order:
                sample = measure(roots[label], events, client, regime)
                if sample.pop("bodies") != expected:
                    raise RuntimeError(f"{name}: {label} answered differently from the plain zip")
                samples[label].append(sample)
            progress(f"{name} {regime}: round {index + 1}/{rounds}")
        result["regimes"][regime] = {label: _summary(samples[label], samples)
                                     for label in samples}
    return result


def _summary(mine: list[dict[str, float]], everyone: dict[str, list[dict[str, float]]]
             ) -> dict[str, float]:
    row = {key: statistics.median(sample[key] for sample in mine) for key in mine[0]}
    for base in BASES:
        row[f"vs_{base}"] = statistics.median(
            m["cold_ms"] / b["cold_ms"] for m, b in zip(mine, everyone[base]))
    return row


def _tree_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def table(name: str, result: dict[str, Any], rounds: int) -> str:
    lines = []
    for regime, rows in result["regimes"].items():
        head = (f"{'deployment':<22}{'cold ms':>9}{'init ms':>9}{'warm ms':>9}{'vs plain':>10}"
                f"{'vs precomp.':>12}{'RSS MB':>8}{'zip MB':>8}{'unzipped':>10}")
        lines += [f"{name} — {regime} ({rounds} rounds)", head, "-" * len(head)]
        for label, row in rows.items():
            size = result["sizes"][label]
            lines.append(f"{label:<22}{row['cold_ms']:>9.1f}{row['init_ms']:>9.1f}"
                         f"{row['warm_ms']:>9.2f}{row['vs_plain']:>10.2f}"
                         f"{row['vs_precompiled']:>12.2f}{row['rss_mb']:>8.1f}"
                         f"{size['zipped_mb']:>8.1f}{size['unzipped_mb']:>10.1f}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per regime")
    parser.add_argument("--handlers", default="boto3,pydantic,stdlib")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "serverless.json")
    parser.add_argument("--seed", type=int, default=0, help="seeds the round orders")
    options = parser.parse_args()
    names = [n.strip() for n in options.handlers.split(",") if n.strip()]
    if unknown := [n for n in names if not (lambda_api.HANDLERS / n / "events.json").exists()]:
        sys.exit(f"unknown handlers: {', '.join(unknown)} (see {lambda_api.HANDLERS})")
    started = time.perf_counter()
    report: dict[str, Any] = {"meta": {
        "python": sys.version, "platform": platform.platform(), "cpus": os.cpu_count(),
        "rounds": options.rounds, "seed": options.seed, "runtime_client": lambda_api.RUNTIME_CLIENT,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, "handlers": {}}
    client = lambda_api.client_python()
    options.out.parent.mkdir(parents=True, exist_ok=True)

    def progress(text: str) -> None:
        print(f"  {text:<40}", end="\r", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="freeze-serverless-") as work:
        for name in names:
            result = bench(name, options.rounds, options.seed, client, Path(work), progress)
            report["handlers"][name] = result
            report["meta"]["seconds"] = round(time.perf_counter() - started, 1)
            options.out.write_text(json.dumps(report, indent=1) + "\n")  # partial results survive
            print(file=sys.stderr)
            print(table(name, result, options.rounds), flush=True)
    print(f"{report['meta']['seconds']:.0f} s in all; results in {options.out}")


if __name__ == "__main__":
    main()
