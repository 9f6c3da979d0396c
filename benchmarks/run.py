"""Cold-start benchmark: a frozen app against its venv, zipapp, shiv, pex and PyInstaller.

    python benchmarks/run.py [--pairs N] [--apps a,b] [--contenders x,y] [--out FILE] [--quick]

Each contender is built once per app, then timed in two regimes: `warm` (a warm-up round
fills every cache a tool keeps) and `first-run` (each run gets an empty HOME,
XDG_CACHE_HOME, TMPDIR, SHIV_ROOT and PEX_ROOT, as a fresh serverless instance does).
Runs are paired and interleaved: each round runs every contender once in a seeded random
order, so machine noise hits all alike, and a contender's ratio is the median of its
per-round ratios to the venv (and, for one with a `versus`, to that contender too). A
`fresh` contender gets empty caches in the warm regime as well: a first run timed beside
the others' later runs (in the first-run regime it would repeat its plain twin, so it
sits that one out). A run that fails or prints other than the venv's stdout marks its
contender broken: reported, not timed. Sizes are the artifact's bytes, a folder's summed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import envs
from catalog import APPS, TOOLS, App
from contenders import BASELINE, CONTENDERS, Built, Contender, Stage, build, make_stage

HERE = Path(__file__).resolve().parent
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")  # for peak RSS, see peak_rss()
EXCEPTION = re.compile(r"[\w.]+(Error|Exception): ")  # the stderr line that says why
REGIMES = {"warm": False, "first-run": True}  # name -> fresh caches for every run
Outcome = tuple[Optional[float], int, bytes, bytes]  # measurement, exit status, stdout, stderr


@dataclass
class Trial:
    """A contender's command for one app and regime, and what its runs measured."""

    contender: Contender
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    rss: Optional[float] = None  # bytes
    broken: Optional[str] = None


def run_once(command: list[str], env: dict[str, str], cwd: Path) -> Outcome:
    """Wall time of one run. Output goes to files, so the child never blocks on a pipe
    and wait4 reaps it the moment it ends."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=env, cwd=cwd)
        timer = threading.Timer(600, proc.kill)
        timer.start()
        _, status, _ = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        out.seek(0)
        err.seek(0)
        return seconds, proc.returncode, out.read(), err.read()


def peak_rss(command: list[str], env: dict[str, str], cwd: Path) -> Outcome:
    """Peak RSS in bytes, through GNU time (None without it), in an untimed run.

    wait4's ru_maxrss on our own child is useless: a forked child starts with this
    Python's resident pages and exec keeps that high-water mark, so every reading would be
    at least the harness's RSS. GNU time is tiny, so the RSS it reports is the command's.
    """
    if not GNU_TIME:
        return (None, *run_once(command, env, cwd)[1:])
    with tempfile.NamedTemporaryFile("r") as report:
        _, code, out, err = run_once([GNU_TIME, "-f", "%M", "-o", report.name, *command], env, cwd)
        words = report.read().split()
    return (int(words[-1]) * 1024.0 if words else None), code, out, err


def problem(trial: Trial, code: int, out: bytes, err: bytes,
            expected: Optional[bytes]) -> Optional[str]:
    """Why a run does not count, if it does not."""
    if code != 0:
        lines = err.decode(errors="replace").strip().splitlines() or ["(no stderr)"]
        return f"exit {code}: {([x for x in lines if EXCEPTION.match(x)] or lines)[-1][:200]}"
    if trial.contender.checks_output and expected is not None and out != expected:
        pairs = zip(*(text.decode(errors="replace").splitlines() for text in (out, expected)))
        first = next((f"{a!r} != {b!r}" for a, b in pairs if a != b), "length differs")
        return f"stdout differs from venv's: {first[:200]}"
    return None


@dataclass
class Bout:
    """One app in one regime: its trials, and the stdout every run must print."""

    regime: str
    trials: list[Trial]
    work: Path
    expected: Optional[bytes] = None

    def run(self, trial: Trial, mode: str) -> None:
        """One run ("warm-up", "timed" or "rss"); first-run, and a fresh contender in
        either regime, give each run new cache folders."""
        fresh = REGIMES[self.regime] or trial.contender.fresh
        root = Path(tempfile.mkdtemp(dir=self.work)) if fresh else self.work / "warm"
        measure = peak_rss if mode == "rss" else run_once
        try:
            value, code, out, err = measure(trial.command, envs.run_env(root), self.work / "cwd")
        finally:
            if fresh:
                shutil.rmtree(root, ignore_errors=True)
        why = problem(trial, code, out, err, self.expected)
        if trial.contender.name == BASELINE and self.expected is None and why is None:
            self.expected = out
        if why:
            trial.broken, trial.seconds = why, []
        elif mode == "timed":
            trial.seconds.append(value or 0.0)
        elif mode == "rss":
            trial.rss = value

    def play(self, pairs: int, rng: random.Random) -> None:
        """A warm-up round (baseline first: it sets the expected stdout), `pairs` timed
        rounds in freshly shuffled orders, then an untimed round for peak RSS."""
        (self.work / "cwd").mkdir(parents=True, exist_ok=True)
        rounds = [sorted(self.trials, key=lambda t: t.contender.name != BASELINE)]
        rounds += [rng.sample(self.trials, len(self.trials)) for _ in range(pairs)]
        for index, order in enumerate([*rounds, self.trials]):
            mode = "warm-up" if index == 0 else "rss" if index > pairs else "timed"
            for trial in order:
                if not trial.broken:
                    self.run(trial, mode)
            label = f"round {index}/{pairs}" if mode == "timed" else f"{mode} round"
            print(f"  {self.regime}: {label:<16}", end="\r", file=sys.stderr, flush=True)
        print(file=sys.stderr)


def median_ratio(trial: Trial, other: Trial) -> float:
    """Median of the per-round ratios: the n-th timed run of each is the same round's."""
    return statistics.median(s / o for s, o in zip(trial.seconds, other.seconds))


def summary(trial: Trial, baseline: Trial, built: Built,
            versus: Optional[Trial] = None) -> dict[str, Any]:
    """Median and quartiles in ms, median per-round ratio to the baseline (and to the
    `versus` contender, when it ran and is not broken), RSS, size, build."""
    row: dict[str, Any] = {"command": trial.command, "broken": trial.broken,
                           "build_s": built.seconds, "size_mb": built.size and built.size / 2**20,
                           "peak_rss_mb": trial.rss and trial.rss / 2**20}
    if trial.broken or baseline.broken:
        return {**row, "broken": trial.broken or f"baseline broken: {baseline.broken}"}
    ms = [s * 1000 for s in trial.seconds]
    p25, median, p75 = statistics.quantiles(ms, n=4, method="inclusive") if len(ms) > 1 else ms * 3
    if versus is not None and not versus.broken:
        row["versus"] = {versus.contender.name: median_ratio(trial, versus)}
    return {**row, "median_ms": median, "p25_ms": p25, "p75_ms": p75,
            "ratio": median_ratio(trial, baseline), "samples_ms": [round(x, 2) for x in ms]}


def table(title: str, rows: dict[str, dict[str, Any]]) -> str:
    """One app and regime as printed."""
    def num(value: Optional[float], width: int, digits: int = 1) -> str:
        return f"{'–' if value is None else f'{value:.{digits}f}':>{width}}"

    width = max(len("contender"), *map(len, rows)) + 1
    head = (f"{'contender':<{width}}{'median ms':>10}{'ratio':>7}{'p25–p75 ms':>16}{'RSS MB':>8}"
            f"{'size MB':>9}{'build s':>9}  versus")
    lines = [title, head, "-" * len(head)]
    for name, row in rows.items():
        if row["broken"]:
            lines.append(f"{name:<{width}}broken: {row['broken']}")
        else:
            spread = f"{row['p25_ms']:.1f}–{row['p75_ms']:.1f}"
            versus = ", ".join(f"{ratio:.3f} × {other}"
                               for other, ratio in row.get("versus", {}).items())
            lines.append(f"{name:<{width}}{num(row['median_ms'], 10)}{num(row['ratio'], 7, 2)}"
                         f"{spread:>16}{num(row['peak_rss_mb'], 8)}{num(row['size_mb'], 9)}"
                         f"{num(row['build_s'], 9)}  {versus}".rstrip())
    return "\n".join(lines)


def trial(contender: Contender, stage: Stage, built: Built) -> Trial:
    if built.error:
        return Trial(contender, [], broken=f"build failed: {built.error}")
    return Trial(contender, contender.command(stage, built.path or stage.out))  # floor: no artifact


def bench_app(app: App, chosen: list[Contender], pairs: int, seed: int,
              work: Path) -> dict[str, Any]:
    """Set up, build and time one app in every regime, printing a table per regime."""
    print(f"{app.name}: setting up", file=sys.stderr, flush=True)
    started = time.perf_counter()
    stage = make_stage(app, work)
    setup = time.perf_counter() - started  # ~0 once the cache is filled
    by_builder: dict[object, Built] = {}  # contenders sharing a builder share its build
    for contender in chosen:
        if (contender.builder or contender.name) not in by_builder:
            print(f"  building {contender.name} ...", file=sys.stderr, flush=True)
            by_builder[contender.builder or contender.name] = build(contender, stage)
    builds = {c.name: by_builder[c.builder or c.name] for c in chosen}
    result: dict[str, Any] = {"requirements": list(app.requirements), "setup_s": setup,
                              "regimes": {}}
    for regime, fresh in REGIMES.items():
        trials = [trial(c, stage, builds[c.name]) for c in chosen if not (fresh and c.fresh)]
        rng = random.Random(f"{seed}:{app.name}:{regime}")  # str seeds are stable across runs
        Bout(regime, trials, stage.out / regime).play(pairs, rng)
        baseline = next(t for t in trials if t.contender.name == BASELINE)
        named = {t.contender.name: t for t in trials}
        rows = {name: summary(t, baseline, builds[name], named.get(t.contender.versus or ""))
                for name, t in named.items()}
        result["regimes"][regime] = rows
        print(table(f"{app.name} — {regime} ({pairs} pairs)", rows) + "\n", flush=True)
    return result


def pick(names: Optional[str], known: dict[str, Any], what: str) -> list[Any]:
    """The named entries of `known`, in its order; all of them when none are named."""
    wanted = [n.strip() for n in (names or ",".join(known)).split(",") if n.strip()]
    if unknown := [n for n in wanted if n not in known]:
        sys.exit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[n] for n in known if n in wanted]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, help="timed rounds per regime (default 15)")
    parser.add_argument("--apps", help="comma-separated apps (default: all)")
    parser.add_argument("--contenders", help="comma-separated contenders (venv always runs)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--seed", type=int, default=0, help="seeds the round orders")
    parser.add_argument("--quick", action="store_true",
                        help="5 pairs, and no PyInstaller unless named in --contenders")
    options = parser.parse_args()
    pairs = options.pairs or (5 if options.quick else 15)
    apps = pick(options.apps, {a.name: a for a in APPS}, "apps")
    named = pick(options.contenders, {c.name: c for c in CONTENDERS}, "contenders")
    chosen = [c for c in CONTENDERS if (c in named or c.name == BASELINE)
              and not (options.quick and c.slow and not options.contenders)]

    started = time.perf_counter()
    git = ["git", "-C", str(HERE.parent)]
    report: dict[str, Any] = {"meta": {
        "python": sys.version, "platform": platform.platform(), "cpus": os.cpu_count(),
        "pairs": pairs, "seed": options.seed, "tools": list(TOOLS), "gnu_time": GNU_TIME,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": envs.check([*git, "rev-parse", "HEAD"], "git").strip(),
        "uncommitted": envs.check([*git, "status", "--porcelain", "freezer", "runtime"], "git")},
        "apps": {}}
    options.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="freeze-bench-") as work:
        for app in apps:
            report["apps"][app.name] = bench_app(app, chosen, pairs, options.seed, Path(work))
            report["meta"]["seconds"] = round(time.perf_counter() - started, 1)
            options.out.write_text(json.dumps(report, indent=1) + "\n")  # partial results survive
    print(f"{report['meta']['seconds']:.0f} s in all; results in {options.out}")


if __name__ == "__main__":
    main()
