"""The app's own files: data beside the script, which no package holds.

A script that opens ``Path(__file__).parent / "templates"`` reads a folder that
is part of no package, so package data does not bring it.  Such files travel
when named with ``--add-data SRC:DEST`` (PyInstaller's form: DEST is the folder,
relative to the script's, that receives SRC, a file or a folder's contents), or
when the script builds paths from its ``__file__`` and its string constants name
files or folders that exist beside it.  At run time they are extracted with the
script itself, so ``__file__`` points where they are.

Archive paths of carried files are relative to the script's folder, which is the
archive's root: the script's own path there is its file name.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import EntryError

# A string literal as a fallback scanner sees it, for sources this Python cannot parse.
_STRING = re.compile(r"""['"]([^'"\\\n]{1,200})['"]""")
_SKIPPED = frozenset({"__pycache__", ".git", ".hg", ".svn", ".tox", ".mypy_cache"})


def given(specs: Iterable[str], base: Path, label: str) -> dict[str, str]:
    """Archive path -> file for each ``SRC:DEST`` of `specs`, SRC relative to `base`.

    `label` names where the specs come from in errors (``--add-data``).
    """
    carried: dict[str, str] = {}
    for spec in specs:
        source, dest = _split(spec, label)
        path = base / source
        if not (path.is_file() or path.is_dir()):
            raise EntryError(f"{label} {spec}: no such file or folder {source!r}")
        if path.is_file():
            carried[path.name if dest == "." else f"{dest}/{path.name}"] = str(path)
        else:
            for relative, file in _walk(path):
                carried[relative if dest == "." else f"{dest}/{relative}"] = file
    return carried


def _split(spec: str, label: str) -> tuple[str, str]:
    """``SRC:DEST`` -> (SRC, DEST normalised to a relative posix path or ".")."""
    source, colon, dest = spec.rpartition(":")
    if not colon or not source or not dest:
        raise EntryError(f"{label} {spec}: expected SRC:DEST, such as templates:templates "
                         "or config.json:.")
    dest = posixpath.normpath(dest.replace(os.sep, "/"))
    if posixpath.isabs(dest) or dest == ".." or dest.startswith("../"):
        raise EntryError(f"{label} {spec}: DEST must be a folder inside the script's, "
                         "such as templates or .")
    return source, dest


def detected(script: Path) -> dict[str, str]:
    """Archive path -> file for the files and folders beside `script` that its
    string constants name (``"templates"``, ``"config.json"``, ``"data/x.csv"``)."""
    folder = script.resolve().parent
    carried: dict[str, str] = {}
    for text in _strings(script.read_bytes()):
        relative = posixpath.normpath(text.strip().replace("\\", "/"))
        if (relative in ("", ".") or posixpath.isabs(relative) or relative.startswith("..")
                or _SKIPPED.intersection(relative.split("/"))):
            continue
        path = folder / relative
        if path.is_file() and path.resolve() != script.resolve():
            carried[relative] = str(path)
        elif path.is_dir() and not (path / "pyvenv.cfg").exists():
            for name, file in _walk(path):
                carried[f"{relative}/{name}"] = file
    return carried


def _strings(source: bytes) -> list[str]:
    """The script's string constants (f-strings' literal parts too)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # newer syntax than this Python's: approximate
        return [match[1] for match in _STRING.finditer(source.decode("utf-8", "replace"))]
    return list(dict.fromkeys(node.value for node in ast.walk(tree)
                              if isinstance(node, ast.Constant) and isinstance(node.value, str)
                              and 0 < len(node.value) <= 200 and "\n" not in node.value))


def summary(carried: Mapping[str, str]) -> str:
    """``templates/ (3 files), config.json``: what a note says travelled."""
    counts: dict[str, int] = {}
    for path in carried:
        top, slash, _ = path.partition("/")
        key = f"{top}/" if slash else top
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{key} ({count} file{'s' if count != 1 else ''})" if key.endswith("/")
                     else key for key, count in sorted(counts.items()))


def _walk(folder: Path) -> Iterable[tuple[str, str]]:
    """(relative posix path, path) of every file below `folder`, sorted, caches skipped."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                path = os.path.join(root, name)
                yield os.path.relpath(path, folder).replace(os.sep, "/"), path
