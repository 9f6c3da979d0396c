"""Cached setup: wheels, venvs and `pip install --target` folders, keyed by what fills them.

Setup is slow and the same on every run, so it lives under
platformdirs.user_cache_dir("freeze-bench"), keyed by a digest of the pinned
requirements and the interpreter version. Each entry is made in a temporary
folder and renamed into place, so an interrupted setup is redone, never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Optional, Union

import platformdirs

Command = Sequence[Union[str, "os.PathLike[str]"]]
CACHE = Path(platformdirs.user_cache_dir("freeze-bench"))
PYTHON = Path(sys.executable)


def base_env(**extra: str) -> dict[str, str]:
    """os.environ without variables that change what Python imports, and with this
    interpreter's folder first on PATH: shebangs like `/usr/bin/env python3` must find the
    real interpreter, not a version manager's shim that adds its own start-up time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join([str(PYTHON.parent), env.get("PATH", "")])
    return {**env, **extra}


def run_env(root: Path, **extra: str) -> dict[str, str]:
    """Every place a tool may cache things, under root: all empty when root is new.  The
    runtime folder holds freeze's servers (docs/server.md): a fresh root has none."""
    places = {"HOME": "home", "XDG_CACHE_HOME": "home/.cache", "TMPDIR": "tmp",
              "SHIV_ROOT": "shiv", "PEX_ROOT": "pex", "XDG_RUNTIME_DIR": "run"}
    for sub in places.values():
        (root / sub).mkdir(parents=True, exist_ok=True)
    return base_env(**{name: str(root / sub) for name, sub in places.items()}, **extra)


def check(cmd: Command, what: str, cwd: Path | None = None,
          env: Mapping[str, str] | None = None) -> str:
    """Run a setup or build step; a failure raises with the step's output, which says why."""
    proc = subprocess.run([os.fspath(c) for c in cmd], cwd=cwd, env=dict(env or base_env()),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc.stdout


def digest(requirements: Sequence[str]) -> str:
    """Key of a cache entry: the pinned requirements, the interpreter and the platform."""
    for req in requirements:
        if "==" not in req:
            raise ValueError(f"requirement {req!r} is not pinned with '=='")
    text = "\n".join([sys.version, platform.machine(), *sorted(requirements)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(name: str, make: Callable[[Path], object]) -> Path:
    """CACHE/name, made once by make(folder); CACHE/name.json records how long that took."""
    final = CACHE / name
    if final.exists():
        return final
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{name}.tmp-", dir=CACHE))
    try:
        print(f"setup: making {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        make(tmp)
        tmp.chmod(0o755)
        os.rename(tmp, final)
        seconds = time.perf_counter() - started
        final.with_suffix(".json").write_text(json.dumps({"seconds": seconds}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def setup_seconds(entry: Path) -> Optional[float]:
    record = entry.with_suffix(".json")
    return json.loads(record.read_text())["seconds"] if record.exists() else None


def pip(python: Path) -> list[str]:
    return [os.fspath(python), "-m", "pip", "--disable-pip-version-check", "-q"]


def wheels(requirements: Sequence[str]) -> Path:
    """The requirements' wheels, downloaded once; every later install is offline from here."""
    return cached(f"wheels-{digest(requirements)}", lambda d: check(
        [*pip(PYTHON), "download", "--no-deps", "--only-binary=:all:", "--cache-dir",
         CACHE / "pip", "-d", d, *requirements], "pip download"))


def _offline_install(python: Path, requirements: Sequence[str], *options: str | Path) -> None:
    check([*pip(python), "install", "--no-deps", "--no-index", "--find-links",
           wheels(requirements), *options, *requirements], f"pip install {' '.join(requirements)}")


def venv(requirements: Sequence[str]) -> Path:
    """A venv holding exactly the requirements (`pip check` proves none is missing).
    It is renamed once made, so only bin/python works: bin/ scripts have stale shebangs."""
    wheels(requirements)  # first, so the venv's setup time is not the download's

    def make(folder: Path) -> None:
        check([PYTHON, "-m", "venv", folder], "python -m venv")
        _offline_install(folder / "bin" / "python", requirements)
        check([*pip(folder / "bin" / "python"), "check"], "pip check")
    return cached(f"venv-{digest(requirements)}", make)


def site_dir(requirements: Sequence[str]) -> Path:
    """`pip install --target` of the requirements: the input of zipapp, shiv and pyinstaller."""
    return cached(f"site-{digest(requirements)}", lambda d: _offline_install(
        PYTHON, requirements, "--no-compile", "--target", d))


def console_entry(python: Path, name: str) -> str:
    """"module:function" of an installed console script, from the venv's metadata."""
    code = ("from importlib.metadata import entry_points;"
            f"print(entry_points(group='console_scripts', name={name!r})[{name!r}].value)")
    return check([python, "-I", "-c", code], f"finding console script {name}").strip()
