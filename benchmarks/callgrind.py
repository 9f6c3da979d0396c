"""Instruction counts of one app run from its venv and frozen: a repeatable second opinion.

    python benchmarks/callgrind.py APP [--standalone]

Wall time is noisy on a shared machine; the instructions valgrind's callgrind counts
(Ir) barely move between runs. Every run sees warm caches (each runs once first).
--standalone adds a later run of the `--standalone` file: valgrind follows its /bin/sh
launcher's exec and counts the interpreter's run alone (the launcher's own few hundred
thousand instructions are lost at the exec).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from catalog import APPS
from contenders import FREEZE, FREEZE_STANDALONE, make_stage, run_isolated, run_itself, run_venv
from envs import run_env

COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Ir of one run under callgrind (after an untimed run that fills the caches); of
    the last program, when the command execs another."""
    subprocess.run(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                   check=True)
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           "--trace-children=yes", *command], env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    match = COLLECTED.search(proc.stderr)
    if not match:
        sys.exit(f"no instruction count in valgrind's output:\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    apps = {app.name: app for app in APPS}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=sorted(apps))
    parser.add_argument("--standalone", action="store_true",
                        help="also count a later run of the --standalone file")
    options = parser.parse_args()
    app = apps[options.app]
    with tempfile.TemporaryDirectory(prefix="freeze-callgrind-") as tmp:
        work = Path(tmp)
        stage = make_stage(app, work)
        archive = FREEZE(stage)
        env, cwd = run_env(work / "env"), work / "env"
        venv = instructions(run_venv(stage, archive), env, cwd)
        frozen = instructions(run_isolated(stage, archive), env, cwd)
        print(f"{app.name}: venv {venv:,} Ir, freeze {frozen:,} Ir, ratio {frozen / venv:.3f}")
        if options.standalone:
            alone = instructions(run_itself(stage, FREEZE_STANDALONE(stage)), env, cwd)
            print(f"{app.name}: standalone {alone:,} Ir, ratio {alone / venv:.3f}, "
                  f"{alone / frozen:.3f} × freeze")


if __name__ == "__main__":
    main()
