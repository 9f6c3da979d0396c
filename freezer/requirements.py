"""Install requirements into a cached build environment (as shiv and pex do).

`freeze build -r requirements.txt -e app:main` must work from a clean checkout:
the requirements go into a venv of the target interpreter, kept in the
platformdirs user cache under a digest of what was asked for, so a second build
reuses it.  Requirements that name local paths are installed afresh each time,
since their contents can change under the same name.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import cache, progress
from .errors import EntryError
from .target import Target


def environment(target: Target, files: Sequence[str], specs: Sequence[str],
                notes: list[str]) -> str:
    """The python of a venv for `target` holding the requirements; built once per content.
    Where the cache cannot be written the venv is a temporary one (said in `notes`)."""
    texts = []
    for name in files:
        try:
            texts.append(Path(name).read_text(encoding="utf-8"))
        except OSError as exc:
            raise EntryError(f"-r {name}: cannot read ({exc.strerror})") from None
    key = hashlib.sha256("\n".join([target.executable, target.version_string, *texts, "--",
                                    *specs]).encode()).hexdigest()[:20]
    root = cache.ENVS
    final = root / key
    python = final / "bin" / "python"
    local = any(_is_local(line) for line in [*specs, *"\n".join(texts).splitlines()])
    if python.exists() and not local:
        return str(python)
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
    except OSError as exc:
        notes.append(f"cannot write the requirements cache {root} ({exc.strerror or exc}); "
                     "installing into a temporary environment, removed when the build ends")
        staging = Path(tempfile.mkdtemp(prefix="freeze-env-"))
        atexit.register(shutil.rmtree, staging, True)
        _install(staging, files, specs, target)
        return str(staging / "bin" / "python")
    try:
        _install(staging, files, specs, target)
        if final.exists():
            shutil.rmtree(final)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(python)


def _install(venv: Path, files: Sequence[str], specs: Sequence[str], target: Target) -> None:
    asked = " ".join([*(f"-r {name}" for name in files), *specs])
    progress.current().phase(f"installing {asked} for CPython {target.version_string} (pip)")
    _run([target.executable, "-m", "venv", str(venv)], "creating a build environment")
    args = [arg for name in files for arg in ("-r", name)]
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
          "--disable-pip-version-check", *args, *specs], "pip install")


def check_specs(specs: Sequence[str], named_entry: bool) -> None:
    """EntryError, before any pip runs, for a requirement argument that is plainly
    something else: an archive path (a forgotten -o) or a script given beside -m,
    -e or -c.  Local projects, wheels and sdists stay requirements."""
    for spec in specs:
        path = Path(spec)
        if spec.endswith(".pyz"):
            raise EntryError(f"{spec}: an archive name where a requirement goes; to write the "
                             f"archive there, give -o {spec}")
        if path.suffix in (".py", ".pyw") and path.is_file():
            hint = ("give one entry: the script or -m/-e/-c" if named_entry else
                    "give one script; put its requirements in a file for -r")
            raise EntryError(f"{spec}: a Python file where a requirement goes; {hint}")
        if path.suffix == ".txt" or path.is_file() and not spec.endswith(_ARCHIVES):
            raise EntryError(f"{spec}: a file name where a requirement goes (pip installs "
                             f"wheels and sdists); for a requirements file give -r {spec}")


_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")


def _is_local(line: str) -> bool:
    line = line.strip()
    return line.startswith((".", "/", "-e", "--editable", "file:")) or line.endswith(".whl")


def _run(command: list[str], what: str) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        lines = [line.strip() for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        # pip's own errors, not the last line (often a hint or a traceback's end)
        errors = [line for line in lines if line.startswith("ERROR:")] or lines[-1:] or ["no output"]
        raise EntryError(f"{what} failed: {' '.join(errors)}")
