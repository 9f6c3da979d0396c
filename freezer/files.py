"""Everything an app needs besides its modules' code.

- package data: every file in a bundled package's folder that is not a module;
- distribution metadata: the ``*.dist-info`` folders owning the bundled modules,
  so importlib.metadata answers inside the frozen app as in the venv;
- shared libraries that auditwheel puts in ``<dist>.libs/`` beside extension modules;
- every other file of a distribution that travels whole (graph.Graph.carried), and
  the files it installed under the environment's prefix (``share/...``), which
  the runtime makes real and points ``sys.prefix`` at;

Which of them must be real files at run time is freezer/extraction.py's decision.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field

from .distributions import Distribution
from .graph import MAIN, Graph, Module
from .reasons import (
    DISTRIBUTION_FILE, EXTENSION_MODULE, LIBRARY, METADATA, PACKAGE_DATA, PREFIX_FILE,
)
from .resolver import EXTENSION, NAMESPACE, SOURCE, package_data
from .runtime import boot
from .target import Target


@dataclass
class Files:
    """Archive path -> file on disk; `why` says why each file travels (reasons.py's
    file kinds, and the package, module or distribution)."""

    data: dict[str, str] = field(default_factory=dict)
    why: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, path: str, source: str, how: str, owner: str) -> None:
        """Carry `source` at archive `path`; the first reason given is kept."""
        self.data[path] = source
        self.why.setdefault(path, (how, owner))


def module_path(module: Module) -> str:
    """Where a module lives inside the archive (what __file__ shows after the archive path)."""
    spec = module.spec
    if module.name == MAIN:
        return os.path.basename(spec.file)
    base = module.name.replace(".", "/")
    if spec.kind == NAMESPACE:
        return base
    filename = os.path.basename(spec.file)
    if spec.is_package:
        return f"{base}/{filename}"
    return f"{base.rpartition('/')[0]}/{filename}".lstrip("/")


def package_folder(module: Module) -> str:
    """The archive folder of a package (or of the package holding a module)."""
    path = module_path(module)
    return path if module.spec.kind == NAMESPACE else path.rpartition("/")[0]


def collect(target: Target, graph: Graph, installed: Sequence[Distribution]) -> Files:
    """Data files, metadata, libraries and prefix files for the bundled modules of
    `graph`, and every other file of the distributions it carries."""
    files = Files()
    bundled = graph.bundled()
    for module in bundled:
        if module.spec.is_package and module.spec.kind != NAMESPACE:
            folder = os.path.dirname(module.spec.file)
            for relative, path in package_data(folder, target.module_suffixes):
                files.add(f"{package_folder(module)}/{relative}", path, PACKAGE_DATA, module.name)
        if module.spec.kind == EXTENSION:
            files.add(module_path(module), module.spec.file, EXTENSION_MODULE, module.name)
    tops = {m.name.partition(".")[0] for m in bundled if m.name != MAIN}
    with_extensions = {m.name.partition(".")[0] for m in bundled if m.spec.kind == EXTENSION}
    modules = {os.path.normpath(m.spec.origin) for m in bundled if m.spec.origin}
    for dist in installed:
        if not (dist.tops & tops or dist.name in graph.carried):
            continue
        for relative, path in _walk(dist.folder):
            files.add(f"{os.path.basename(dist.folder)}/{relative}", path, METADATA, dist.name)
        if dist.tops & with_extensions:
            for relative in dist.libraries:
                files.add(relative, os.path.join(dist.site, relative), LIBRARY, dist.name)
        if dist.name in graph.carried:
            _carry_whole(files, dist, target.prefix, modules)
    return files


def _carry_whole(files: Files, dist: Distribution, prefix: str, modules: Set[str]) -> None:
    """The files of a carried distribution that are no bundled module and not yet
    carried (a module that does not compile for the target travels as data), and
    those it installed under the environment's prefix, which must be real."""
    for relative, path in dist.paths():
        if relative not in files.data and os.path.normpath(path) not in modules \
                and os.path.isfile(path):
            files.add(relative, path, DISTRIBUTION_FILE, dist.name)
    for inside, path in dist.prefix_files(prefix):
        files.add(f"{boot.PREFIX_FOLDER}/{inside}", path, PREFIX_FILE, dist.name)


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


