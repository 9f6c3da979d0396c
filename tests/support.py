"""Helpers shared by the end-to-end tests: source trees from literals, the CLI, runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

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


# A progress line of `freeze build` when stderr is not a terminal (freezer/progress.py).
PROGRESS_LINE = re.compile(r"^\[ *\d+\.\d+s\] .*\n", re.MULTILINE)


def freeze(*args: Arg, cwd: Arg = ".", env: Mapping[str, str] | None = None,
           progress: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the `freeze` CLI in a subprocess, as a user would; its progress lines are
    left out of stderr unless `progress` (test_cli checks them)."""
    done = subprocess.run([sys.executable, "-m", "freezer", *map(os.fspath, args)], cwd=cwd,
                          env=None if env is None else dict(env), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    if not progress:
        done.stderr = PROGRESS_LINE.sub("", done.stderr)
    return done


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


def build_app(tmp_path: Path, files: Mapping[str, str], *args: Arg, name: str = "app.pyz") -> Path:
    """Write `files` under tmp_path/src, freeze its app.py (plus `args`), return the archive."""
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / name
    built = freeze("build", "app.py", *args, "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    return out


def inspect_json(archive: Path) -> dict[str, Any]:
    return json.loads(freeze("inspect", "--json", archive).stdout)


def module_info(archive: Path, name: str) -> dict[str, Any]:
    """One module's entry in `freeze inspect --json` (offsets, length, digest...)."""
    return next(m for m in inspect_json(archive)["modules"] if m["name"] == name)


_FRAME = re.compile(r'^(\s*File ")([^"]+)(", line \d+)', re.MULTILINE)


def normalise_frame_paths(text: str, roots: Iterable[Path]) -> str:
    """Rewrite each traceback ``File "<root>/x/y.py"`` as ``File "x/y.py"``.

    Paths under none of `roots` (``<frozen runpy>``, the stdlib, ...) are kept,
    so a frame that only one side has still shows up as a difference.
    """
    prefixes = sorted({str(root) + os.sep for root in roots}, key=len, reverse=True)

    def relative(match: re.Match[str]) -> str:
        path = match.group(2)
        for prefix in prefixes:
            if path.startswith(prefix):
                path = path[len(prefix):]
                break
        return match.group(1) + path + match.group(3)

    return _FRAME.sub(relative, text)


def installed_pythons() -> list[Path]:
    """CPython 3.10-3.13 interpreters from pyenv, one per minor version."""
    found = {}
    for home in sorted(Path("/root/.pyenv/versions").glob("3.1[0-3].*")):
        if (home / "bin" / "python").exists():
            found[home.name.rsplit(".", 1)[0]] = home / "bin" / "python"
    return [found[minor] for minor in sorted(found)]
