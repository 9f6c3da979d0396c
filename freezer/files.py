"""Everything an app needs besides its modules' code.

- package data: every file in a bundled package's folder that is not a module;
- distribution metadata: the ``*.dist-info`` folders owning the bundled modules,
  so importlib.metadata answers inside the frozen app as in the venv;
- shared libraries that auditwheel puts in ``<dist>.libs/`` beside extension modules;
- the extraction set: files that must be real at run time (extension modules,
  those libraries, and whole packages that open files beside their ``__file__``),
  with the ``__init__`` of each package above them, so that the extraction folder
  is a folder of packages like site-packages (astroid, which pylint uses, maps
  an extracted checker's file back to its module name through ``sys.path``, and
  wants a package's ``__init__.py`` in every folder on the way).
"""

from __future__ import annotations

import configparser
import csv
import io
import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .graph import MAIN, Graph, Module
from .hooks import Hook
from .resolver import EXTENSION, NAMESPACE, SOURCE, package_data
from .target import Target

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
# `Requires-Dist: name[extras] (>=1) ; marker`: the name, and the rest for the marker.
_REQUIRES = re.compile(r"^Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$", re.MULTILINE)


@dataclass
class Files:
    """Archive path -> file on disk, which archive paths must be extracted, and the
    ``__init__`` modules of the packages above those, extracted too though the
    modules themselves stay in the archive."""

    data: dict[str, str] = field(default_factory=dict)
    extract: set[str] = field(default_factory=set)
    inits: set[str] = field(default_factory=set)


def module_path(module: Module) -> str:
    """Where a module lives inside the archive (what __file__ shows after the archive path)."""
    spec = module.spec
    if module.name == MAIN:
        return os.path.basename(spec.origin)
    base = module.name.replace(".", "/")
    if spec.kind == NAMESPACE:
        return base
    filename = os.path.basename(spec.origin)
    if spec.is_package:
        return f"{base}/{filename}"
    return f"{base.rpartition('/')[0]}/{filename}".lstrip("/")


def package_folder(module: Module) -> str:
    """The archive folder of a package (or of the package holding a module)."""
    path = module_path(module)
    return path if module.spec.kind == NAMESPACE else path.rpartition("/")[0]


def hooks(distributions: Sequence[Distribution]) -> list[Hook]:
    """Modules that must travel with a package though no import names them.

    mypyc-compiled extension modules import their distribution's shared
    ``<hash>__mypyc`` module from C, where no scanner can see it.
    """
    found = []
    for dist in distributions:
        helpers = tuple(sorted(top for top in dist.tops if top.endswith("__mypyc")))
        found += [Hook(top, include=helpers) for top in sorted(dist.tops)
                  if helpers and top not in helpers]
    return found


def plugins(distributions: Sequence[Distribution]) -> dict[str, list[str]]:
    """Entry-point group -> the modules its entry points name, across distributions."""
    groups: dict[str, list[str]] = {}
    for dist in distributions:
        for group, module in dist.entry_points:
            if group not in ("console_scripts", "gui_scripts"):
                groups.setdefault(group, []).append(module)
    return groups


def dependencies(distributions: Sequence[Distribution]) -> dict[str, frozenset[str]]:
    """Top-level name -> the top-level names its distribution's requirements install:
    where its strings may name modules of another package (sphinx's built-in
    extensions are sphinxcontrib.applehelp and the like)."""
    by_name = {dist.name: dist for dist in distributions}
    found: dict[str, frozenset[str]] = {}
    for dist in distributions:
        required = frozenset(top for name in dist.requires if name in by_name
                             for top in by_name[name].tops)
        for top in dist.tops:
            found[top] = found.get(top, frozenset()) | required
    return found


def collect(target: Target, graph: Graph, distributions: Sequence[Distribution],
            extract_packages: Iterable[str]) -> Files:
    """Data files, metadata and libraries for the bundled modules of `graph`."""
    files = Files()
    bundled = graph.bundled()
    for module in bundled:
        if module.spec.is_package and module.spec.kind != NAMESPACE:
            folder = os.path.dirname(module.spec.origin)
            for relative, path in package_data(folder, target.module_suffixes):
                files.data[f"{package_folder(module)}/{relative}"] = path
        if module.spec.kind == EXTENSION:
            files.data[module_path(module)] = module.spec.origin
            files.extract.add(module_path(module))
    tops = {m.name.partition(".")[0] for m in bundled if m.name != MAIN}
    with_extensions = {m.name.partition(".")[0] for m in bundled if m.spec.kind == EXTENSION}
    for dist in distributions:
        if dist.tops & tops:
            for relative, path in _walk(dist.folder):
                files.data[f"{os.path.basename(dist.folder)}/{relative}"] = path
            if dist.tops & with_extensions:
                for relative in dist.libraries:
                    files.data[relative] = os.path.join(os.path.dirname(dist.folder), relative)
                    files.extract.add(relative)
    prefixes = tuple(f"{folder}/" for folder in extract_packages)
    sources = [module_path(m) for m in bundled if m.spec.kind == SOURCE and m.name != MAIN]
    files.extract.update(p for p in (*files.data, *sources) if p.startswith(prefixes))
    files.extract.update(path for path in graph.real if path in files.data)
    files.inits = package_inits(files.extract, bundled) - files.extract
    return files


def package_inits(paths: Iterable[str], modules: Iterable[Module]) -> set[str]:
    """Archive paths of the ``__init__`` modules of the packages holding `paths`,
    up to the top-level package."""
    inits = {package_folder(m): module_path(m) for m in modules
             if m.spec.is_package and m.spec.kind == SOURCE}
    found = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder:
            if folder in inits:
                found.add(inits[folder])
            folder = folder.rpartition("/")[0]
    return found


def _walk(folder: str) -> Iterable[tuple[str, str]]:
    """(relative posix path, path) of every file below folder, sorted, caches skipped."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            path = os.path.join(root, name)
            yield os.path.relpath(path, folder).replace(os.sep, "/"), path


@dataclass(frozen=True)
class Distribution:
    """An installed distribution: its metadata folder and what it installed."""

    folder: str
    tops: frozenset[str]
    libraries: tuple[str, ...]
    entry_points: tuple[tuple[str, str], ...] = ()
    requires: frozenset[str] = frozenset()  # normalised names, extras' requirements left out

    @property
    def name(self) -> str:
        return _normalise(os.path.basename(self.folder).partition("-")[0])


def distributions(search_path: Sequence[str]) -> list[Distribution]:
    """Installed distributions on the path, first occurrence of each name winning."""
    found, seen = [], set()
    for entry in search_path:
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for name in names:
            key = _normalise(name.partition("-")[0])
            if name.endswith(_METADATA_SUFFIXES) and key not in seen:
                folder = os.path.join(entry, name)
                if os.path.isdir(folder):
                    seen.add(key)
                    found.append(_read_distribution(folder))
    return found


def _read_distribution(folder: str) -> Distribution:
    """Top-level names a distribution installs, and its auditwheel libraries."""
    paths = _record_paths(folder)
    tops, libraries = set(), []
    for path in paths:
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
                        _requires(folder))


def _requires(folder: str) -> frozenset[str]:
    """Requires-Dist names from METADATA (PKG-INFO's requires.txt is not read)."""
    try:
        with open(os.path.join(folder, "METADATA"), encoding="utf-8", errors="replace") as file:
            header = file.read().partition("\n\n")[0]
    except OSError:
        return frozenset()
    return frozenset(_normalise(match[1]) for match in _REQUIRES.finditer(header)
                     if "extra" not in match[2])


def _normalise(name: str) -> str:
    """PEP 503: runs of -, _ and . are one -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


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
                return [row[0].replace("\\", "/") for row in csv.reader(io.StringIO(text)) if row]
            base = os.path.basename(folder)  # egg-info: paths relative to itself
            return [posixpath.normpath(posixpath.join(base, line)) for line in text.splitlines()
                    if line.strip()]
    return []

