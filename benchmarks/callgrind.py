"""Instruction counts of one app run from its venv and frozen: a repeatable second opinion.

    python benchmarks/callgrind.py APP

Wall time is noisy on a shared machine; the instructions valgrind's callgrind counts
(Ir) barely move between runs. Both runs see warm caches (each runs once first).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from catalog import APPS
from contenders import FREEZE, make_stage, run_isolated, run_venv
from envs import run_env

COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Ir of one run under callgrind (after an untimed run that fills the caches)."""
    subprocess.run(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                   check=True)
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           *command], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=True)
    match = COLLECTED.search(proc.stderr)
    if not match:
        sys.exit(f"no instruction count in valgrind's output:\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    apps = {app.name: app for app in APPS}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=sorted(apps))
    app = apps[parser.parse_args().app]
    with tempfile.TemporaryDirectory(prefix="freeze-callgrind-") as tmp:
        work = Path(tmp)
        stage = make_stage(app, work)
        archive = FREEZE(stage)
        env, cwd = run_env(work / "env"), work / "env"
        venv = instructions(run_venv(stage, archive), env, cwd)
        frozen = instructions(run_isolated(stage, archive), env, cwd)
    print(f"{app.name}: venv {venv:,} Ir, freeze {frozen:,} Ir, ratio {frozen / venv:.3f}")


if __name__ == "__main__":
    main()
