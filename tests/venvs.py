"""Cached, pinned virtual environments and subprocess helpers for end-to-end tests.

End-to-end tests need a real interpreter with real third-party packages, but
building a venv costs seconds and network, so each one is built once, keyed by
what determines its contents, and reused by later runs and parallel workers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import platformdirs

# Variables that would make a child interpreter see something other than the
# environment the test set up for it.
_LEAKY_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH", "PYTHONUSERBASE")


def cache_root() -> Path:
    """Where venvs and pip's downloads live; $FREEZE_TEST_CACHE lets CI pin it."""
    override = os.environ.get("FREEZE_TEST_CACHE")
    root = Path(override) if override else Path(platformdirs.user_cache_dir("freeze-tests"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def _clean_env() -> dict[str, str]:
    """os.environ without variables that would make pip see foreign packages."""
    env = dict(os.environ)
    for name in _LEAKY_VARS:
        env.pop(name, None)
    return env


def _check(cmd: Sequence[str], what: str) -> str:
    """Run a setup step; on failure raise with its output, which says what went wrong."""
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_clean_env())
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc.stdout


def venv_python(requirements: Sequence[str], python: str = sys.executable) -> Path:
    """Return bin/python of a cached venv holding exactly `requirements`.

    Every requirement must be pinned with "==" so that a cache hit means the
    same packages as a fresh build. pip runs with --no-deps (list transitive
    dependencies too; `pip check` reports any that are missing), so nothing
    unpinned slips in. The venv is built in a temp dir and renamed into place,
    which is atomic: a racing process either wins or adopts the winner's venv.
    After the rename only bin/python is reliable (console scripts keep the temp
    dir in their shebang), which is all the tests use.
    """
    reqs = sorted(r.strip() for r in requirements)
    for req in reqs:
        if "==" not in req:
            raise ValueError(f"requirement {req!r} is not pinned with '=='")
    version = _check([python, "-c", "import sys; print(sys.version)"], f"running {python}").strip()
    key = hashlib.sha256("\n".join([version, *reqs]).encode()).hexdigest()[:16]
    root = cache_root()
    final = root / f"venv-{key}"
    if (final / "bin" / "python").exists():
        return final / "bin" / "python"

    tmp = Path(tempfile.mkdtemp(prefix=f"venv-{key}.tmp-", dir=root))
    try:
        _check([python, "-m", "venv", str(tmp)], f"creating venv with {python}")
        tmp_python = str(tmp / "bin" / "python")
        if reqs:
            pip = [tmp_python, "-m", "pip", "--disable-pip-version-check", "-q"]
            _check(
                [*pip, "install", "--no-deps", "--cache-dir", str(root / "pip-cache"), *reqs],
                f"pip install {' '.join(reqs)}",
            )
            _check([*pip, "check"], f"pip check after installing {' '.join(reqs)}")
        tmp.chmod(0o755)  # mkdtemp makes it private; a venv need not be
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "bin" / "python").exists():
                raise
            # Another process finished first; its venv is equivalent to ours.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / "bin" / "python"


def run(
    cmd: Sequence[str | os.PathLike[str]],
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run cmd and capture its output; stdin is empty so nothing can hang on input."""
    return subprocess.run(
        [os.fspath(c) for c in cmd],
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """os.environ with a fresh HOME and cache dir and no Python path overrides.

    Keeps the developer's own caches and settings out of the run, and gives
    each call empty directories so caches written by one run can't help another.
    """
    env = _clean_env()
    tmp_path.mkdir(parents=True, exist_ok=True)
    env["HOME"] = tempfile.mkdtemp(prefix="home-", dir=tmp_path)
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="xdg-cache-", dir=tmp_path)
    return env
