"""Run the suite on every supported CPython: what README's test command (and CI) runs.

    python tests/matrix.py [PYTEST ARGS]

First ruff and mypy check the code (pyproject.toml configures them).  The running
interpreter then runs the whole suite (or PYTEST ARGS); every other CPython
of SUPPORTED found on the machine runs its fast part (`-m 'not slow'`, then PYTEST
ARGS, so a later -m wins) from a cached venv holding this checkout.  A version that
is not found is reported as skipped, never silently left out.
$FREEZE_TEST_PYTHONS (such as "3.10,3.13", or "" for none) narrows the others.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from venvs import cache_root

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
ROOT = Path(__file__).resolve().parent.parent
NO_TESTS = 5  # pytest's exit status when nothing was collected: a failure here


def find_python(version: str) -> str | None:
    """CPython `version` from pyenv (a shim may name an uninstalled one), else PATH."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    homes = sorted(pyenv.glob(f"{version}.*"), key=lambda home: _release(home.name))
    for home in reversed(homes):
        if (home / "bin" / "python3").is_file():
            return str(home / "bin" / "python3")
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
        return found
    return None


def _release(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def prepared_venv(python: str, version: str) -> Path:
    """bin/python of a venv of `python` with this checkout installed for testing,
    rebuilt when pyproject.toml changes."""
    venv = cache_root() / "matrix" / version
    stamp = venv / "freeze-stamp"
    wanted = f"{ROOT}\n{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()}"
    if stamp.is_file() and stamp.read_text() == wanted:
        return venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-e", f"{ROOT}[test]"], check=True,
                   stdin=subprocess.DEVNULL)
    stamp.write_text(wanted)
    return venv / "bin" / "python"


def pytest(python: str, args: list[str]) -> tuple[int, float]:
    started = time.monotonic()
    status = subprocess.call([python, "-m", "pytest", *args], cwd=ROOT, stdin=subprocess.DEVNULL)
    return status, time.monotonic() - started


def check(label: str, command: list[str]) -> tuple[str, int, float]:
    """A checker's run over the checkout, as a result line."""
    print(f"matrix: {label}", flush=True)
    started = time.monotonic()
    status = subprocess.call([sys.executable, "-m", *command], cwd=ROOT, stdin=subprocess.DEVNULL)
    return label, status, time.monotonic() - started


def main(args: list[str]) -> int:
    here = "{}.{}".format(*sys.version_info[:2])
    chosen = os.environ.get("FREEZE_TEST_PYTHONS")
    others = [v for v in SUPPORTED if v != here and
              (chosen is None or v in chosen.replace(" ", "").split(","))]
    results = [check("ruff (lint)", ["ruff", "check", "."]), check("mypy (types)", ["mypy"])]
    results.append((f"CPython {here} (this interpreter)", *pytest(sys.executable, args)))
    for version in others:
        label = f"CPython {version} (fast tests)"
        python = find_python(version)
        if python is None:
            print(f"matrix: skipped {label}: not found under pyenv or on PATH", flush=True)
            results.append((label, None, 0.0))
            continue
        print(f"matrix: {label} with {python}", flush=True)
        try:
            venv_python = prepared_venv(python, version)
        except subprocess.CalledProcessError as exc:
            print(f"matrix: cannot set up {label}: {exc}", flush=True)
            results.append((label, 1, 0.0))
            continue
        results.append((label, *pytest(str(venv_python), ["-m", "not slow", *args])))
    print("\nmatrix summary:")
    for label, status, seconds in results:
        outcome = ("skipped (not found)" if status is None else "passed" if status == 0 else
                   "no tests collected" if status == NO_TESTS else f"failed (exit {status})")
        print(f"  {label}: {outcome}, {seconds:.0f} s")
    return 0 if all(status in (0, None) for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
