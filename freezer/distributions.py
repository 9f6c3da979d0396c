"""Installed distributions, read from their ``*.dist-info`` (or ``*.egg-info``) folders.

A distribution is the unit pip installs and the unit freeze carries whole: its
RECORD says which files are its own (modules, data, the auditwheel libraries in
``<dist>.libs/``, and files installed outside site-packages, under the
environment's prefix: ``../../../share/...``), its METADATA which distributions
it requires, its entry_points.txt which plugins it offers.
"""

from __future__ import annotations

import configparser
import csv
import io
import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .hooks import Hook
from .runtime.boot import distribution_key

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
# `Requires-Dist: name[extras] (>=1) ; marker`: the name, and the rest for the marker.
_REQUIRES = re.compile(r"^Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Distribution:
    """An installed distribution: its metadata folder and what it installed.

    Attributes:
        folder: the ``*.dist-info`` folder.
        tops: top-level names it installs (import names, not the project name).
        libraries: its auditwheel libraries, relative to the site folder.
        entry_points: (group, module) of each entry point.
        requires: normalised names of the distributions it requires unconditionally
            (requirements with a marker, extras' among them, are left out: they are
            installed for another platform or Python, or on demand).
        files: every file RECORD lists, relative to the site folder (``../`` for
            files under the environment's prefix), metadata excluded.
    """

    folder: str
    tops: frozenset[str]
    libraries: tuple[str, ...]
    entry_points: tuple[tuple[str, str], ...] = ()
    requires: frozenset[str] = frozenset()
    files: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return distribution_key(os.path.basename(self.folder).partition("-")[0])

    @property
    def site(self) -> str:
        """The folder it is installed into (its RECORD's paths are relative to it)."""
        return os.path.dirname(self.folder)

    def paths(self) -> Iterable[tuple[str, str]]:
        """(relative path, absolute path) of each file it installed under the site folder."""
        for relative in self.files:
            if not relative.startswith("../"):
                yield relative, os.path.join(self.site, *relative.split("/"))

    def prefix_files(self, prefix: str) -> Iterable[tuple[str, str]]:
        """(path relative to the environment's prefix, absolute path) of the files it
        installed there (``share/``, ``etc/``): console scripts in ``bin/`` are left
        out, as they name the environment's interpreter."""
        for relative in self.files:
            if relative.startswith("../"):
                path = os.path.normpath(os.path.join(self.site, *relative.split("/")))
                inside = os.path.relpath(path, prefix).replace(os.sep, "/")
                if not inside.startswith(("../", "bin/", "Scripts/")) and os.path.isfile(path):
                    yield inside, path


def distributions(search_path: Sequence[str]) -> list[Distribution]:
    """Installed distributions on the path, first occurrence of each name winning."""
    found, seen = [], set()
    for entry in search_path:
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for name in names:
            key = distribution_key(name.partition("-")[0])
            if name.endswith(_METADATA_SUFFIXES) and key not in seen:
                folder = os.path.join(entry, name)
                if os.path.isdir(folder):
                    seen.add(key)
                    found.append(_read_distribution(folder))
    return found


def owners(found: Sequence[Distribution]) -> dict[str, Distribution]:
    """Absolute path of each installed file -> the distribution that installed it."""
    return {os.path.normpath(path): dist for dist in found for _, path in dist.paths()}


def required(found: Sequence[Distribution], names: Iterable[str]) -> set[str]:
    """`names` and every installed distribution they require, transitively."""
    by_name = {dist.name: dist for dist in found}
    todo, seen = [name for name in names if name in by_name], set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(other for other in by_name[name].requires if other in by_name)
    return seen


def hooks(found: Sequence[Distribution]) -> list[Hook]:
    """Modules that must travel with a package though no import names them.

    mypyc-compiled extension modules import their distribution's shared
    ``<hash>__mypyc`` module from C, where no scanner can see it.
    """
    result = []
    for dist in found:
        helpers = tuple(sorted(top for top in dist.tops if top.endswith("__mypyc")))
        result += [Hook(top, include=helpers) for top in sorted(dist.tops)
                   if helpers and top not in helpers]
    return result


def plugins(found: Sequence[Distribution]) -> dict[str, list[str]]:
    """Entry-point group -> the modules its entry points name, across distributions."""
    groups: dict[str, list[str]] = {}
    for dist in found:
        for group, module in dist.entry_points:
            if group not in ("console_scripts", "gui_scripts"):
                groups.setdefault(group, []).append(module)
    return groups


def dependencies(found: Sequence[Distribution]) -> dict[str, frozenset[str]]:
    """Top-level name -> the top-level names its distribution's requirements install:
    where its strings may name modules of another package (sphinx's built-in
    extensions are sphinxcontrib.applehelp and the like)."""
    by_name = {dist.name: dist for dist in found}
    result: dict[str, frozenset[str]] = {}
    for dist in found:
        needed = frozenset(top for name in dist.requires if name in by_name
                           for top in by_name[name].tops)
        for top in dist.tops:
            result[top] = result.get(top, frozenset()) | needed
    return result


def _read_distribution(folder: str) -> Distribution:
    """Top-level names a distribution installs, its files and auditwheel libraries."""
    paths = _record_paths(folder)
    own = os.path.basename(folder) + "/"
    tops, libraries, files = set(), [], []
    for path in paths:
        if path.startswith(own) or "/__pycache__/" in f"/{path}":
            continue
        files.append(path)
        first = path.split("/", 1)[0]
        if first.endswith(".libs") and "/" in path:
            libraries.append(path)
        elif first not in ("..", "") and not first.endswith(_METADATA_SUFFIXES):
            tops.add(first.partition(".")[0])
    top_level = os.path.join(folder, "top_level.txt")
    if os.path.isfile(top_level):
        with open(top_level, encoding="utf-8") as file:
            tops.update(line.strip() for line in file if line.strip())
    return Distribution(folder, frozenset(tops), tuple(sorted(libraries)), _entry_points(folder),
                        _requires(folder), tuple(sorted(files)))


def _requires(folder: str) -> frozenset[str]:
    """Unconditional Requires-Dist names from METADATA (PKG-INFO's requires.txt is not read)."""
    try:
        with open(os.path.join(folder, "METADATA"), encoding="utf-8", errors="replace") as file:
            header = file.read().partition("\n\n")[0]
    except OSError:
        return frozenset()
    return frozenset(distribution_key(match[1]) for match in _REQUIRES.finditer(header)
                     if ";" not in match[2])


def _entry_points(folder: str) -> tuple[tuple[str, str], ...]:
    """(group, module) of each entry point; values look like `module:attr [extra]`."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(os.path.join(folder, "entry_points.txt"), encoding="utf-8")
    except configparser.Error:
        return ()
    return tuple((group, value.partition(":")[0].partition("[")[0].strip())
                 for group in parser.sections() for value in parser[group].values())


def _record_paths(folder: str) -> list[str]:
    for name in ("RECORD", "installed-files.txt"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", newline="") as file:
                text = file.read()
            if name == "RECORD":  # paths relative to the site folder
                return [posixpath.normpath(row[0].replace("\\", "/"))
                        for row in csv.reader(io.StringIO(text)) if row]
            base = os.path.basename(folder)  # egg-info: paths relative to itself
            return [posixpath.normpath(posixpath.join(base, line)) for line in text.splitlines()
                    if line.strip()]
    return []
