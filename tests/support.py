"""Helpers shared by the end-to-end tests: source trees from literals, the CLI, runs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping, Sequence, Union

from venvs import isolated_env

Arg = Union[str, "os.PathLike[str]"]


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write {relative path: dedented source} under root; a trailing '/' makes a directory."""
    for relative, text in files.items():
        path = root / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def freeze(*args: Arg, cwd: Arg = ".", env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `freeze` CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "freezer", *map(os.fspath, args)], cwd=cwd,
                          env=None if env is None else dict(env), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)


def run_frozen(archive: Path, *args: Arg, tmp_path: Path, python: Arg = sys.executable
               ) -> subprocess.CompletedProcess[str]:
    """`python -I -S archive ARGS` from an empty directory with a fresh HOME and cache."""
    cwd = tmp_path / "empty-cwd"
    cwd.mkdir(exist_ok=True)
    return subprocess.run([os.fspath(python), "-I", "-S", os.fspath(archive), *map(os.fspath, args)],
                          cwd=cwd, env=isolated_env(tmp_path / "env"), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)


def run_python(script: Arg, *args: Arg, tmp_path: Path, python: Arg = sys.executable,
               flags: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """The unfrozen twin of run_frozen: same interpreter, same empty cwd and environment."""
    cwd = tmp_path / "empty-cwd"
    cwd.mkdir(exist_ok=True)
    return subprocess.run([os.fspath(python), *flags, os.fspath(script), *map(os.fspath, args)],
                          cwd=cwd, env=isolated_env(tmp_path / "env"), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)
