"""importlib's PathFinder and FileFinder, run offline over a search path.

Nothing here imports or executes the code it finds: parents are "imported" by
finding their specs, and submodules are searched in the parent's locations,
exactly as the import system would with the target interpreter's suffix tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # only for_target's annotation: the scanner imports this module
    from .target import Target

SOURCE = "source"
BYTECODE = "bytecode"
EXTENSION = "extension"
NAMESPACE = "namespace"
BUILTIN = "builtin"


@dataclass(frozen=True)
class Spec:
    """What importlib.util.find_spec would return, as plain data.

    Attributes:
        name: the full dotted module name.
        kind: one of SOURCE, BYTECODE, EXTENSION, NAMESPACE, BUILTIN.
        origin: the file a loader reads, None for namespace and builtin modules.
        search_locations: the package's ``__path__``; None for plain modules.
    """

    name: str
    kind: str
    origin: Optional[str]
    search_locations: Optional[tuple[str, ...]] = None

    @property
    def is_package(self) -> bool:
        return self.search_locations is not None

    @property
    def file(self) -> str:
        """`origin` of a module that has a file (source, bytecode, extension); callers
        know the kind they ask about, so a spec without one is a bug."""
        if self.origin is None:
            raise ValueError(f"{self.name}: a {self.kind} module has no file")
        return self.origin


def resolve_name(name: str, package: Optional[str]) -> str:
    """importlib.util.resolve_name; ValueError with CPython's words when it cannot."""
    if not name.startswith("."):
        return name
    if not package:
        raise ValueError("attempted relative import with no known parent package")
    level = len(name) - len(name.lstrip("."))
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        raise ValueError("attempted relative import beyond top-level package")
    rest = name[level:]
    return f"{bits[0]}.{rest}" if rest else bits[0]


class Resolver:
    """Finds module specs the way the target interpreter would, without importing."""

    def __init__(self, path: Sequence[str], *, extension_suffixes: Sequence[str],
                 source_suffixes: Sequence[str], bytecode_suffixes: Sequence[str],
                 builtin_modules: Iterable[str] = (),
                 registered_submodules: Iterable[str] = ()) -> None:
        self.path = tuple(path)
        # FileFinder's loader order: extension, then source, then bytecode.
        self._loaders = ([(s, EXTENSION) for s in extension_suffixes]
                         + [(s, SOURCE) for s in source_suffixes]
                         + [(s, BYTECODE) for s in bytecode_suffixes])
        self._builtins = frozenset(builtin_modules)
        self._registered = frozenset(registered_submodules)
        self._listings: dict[str, Optional[frozenset[str]]] = {}
        self._resolved: dict[str, Optional[Spec]] = {}
        self._aliases: dict[str, tuple[str, ...]] = {}

    @classmethod
    def for_target(cls, target: Target, path: Sequence[str]) -> "Resolver":
        return cls(path, extension_suffixes=target.extension_suffixes,
                   source_suffixes=target.source_suffixes,
                   bytecode_suffixes=target.bytecode_suffixes,
                   builtin_modules=target.builtin_modules,
                   registered_submodules=target.registered_submodules)

    def alias(self, name: str, locations: Sequence[str]) -> None:
        """Find the top-level module `name` in `locations` from now on, as a finder
        that a package puts on sys.meta_path would (see hooks.Hook.aliases)."""
        self._aliases[name] = tuple(locations)
        self._resolved = {known: spec for known, spec in self._resolved.items()
                          if known != name and not known.startswith(name + ".")}

    def resolve(self, name: str) -> Optional[Spec]:
        """The spec `import name` ends with: parents first, each in its parent's path."""
        if name not in self._resolved:
            parent = name.rpartition(".")[0]
            if not parent:
                spec = self.find_spec(name, self._aliases.get(name))
            else:
                parent_spec = self.resolve(parent)
                if parent_spec is not None and parent_spec.is_package:
                    spec = self.find_spec(name, parent_spec.search_locations)
                elif parent_spec is not None and name in self._registered:
                    spec = Spec(name, BUILTIN, None)  # importing the parent provides it
                else:
                    spec = None
            self._resolved[name] = spec
        return self._resolved[name]

    def find_spec(self, name: str, path: Optional[Sequence[str]] = None) -> Optional[Spec]:
        """PathFinder.find_spec: the first entry with a loader wins; portions gather."""
        if path is None:
            if name in self._builtins:
                return Spec(name, BUILTIN, None)
            path = self.path
        portions = []
        for entry in path:
            spec, portion = self._find_in_entry(entry, name)
            if spec is not None:
                return spec
            if portion is not None:
                portions.append(portion)
        return Spec(name, NAMESPACE, None, tuple(portions)) if portions else None

    def submodules(self, spec: Spec) -> list[str]:
        """Names of the modules directly inside a package (pkgutil.iter_modules, offline)."""
        found = set()
        for location in spec.search_locations or ():
            for entry in self._listing(location) or ():
                directory = os.path.join(location, entry)
                if os.path.isdir(directory):
                    # Like pkgutil: regular packages only, not namespace or data dirs;
                    # any name without a dot (import_module takes "unicode17-0-0").
                    if "." not in entry and any(
                            os.path.isfile(os.path.join(directory, "__init__" + suffix))
                            for suffix, _ in self._loaders):
                        found.add(entry)
                    continue
                for suffix, _ in self._loaders:
                    stem = entry[:-len(suffix)]
                    if entry.endswith(suffix) and stem and "." not in stem and stem != "__init__":
                        found.add(stem)
        names = (f"{spec.name}.{tail}" for tail in sorted(found))
        return [name for name in names if self.resolve(name) is not None]

    def _find_in_entry(self, entry: str, fullname: str) -> tuple[Optional[Spec], Optional[str]]:
        """FileFinder.find_spec for one path entry: (spec, namespace portion)."""
        listing = self._listing(entry)
        if listing is None:
            return None, None
        tail = fullname.rpartition(".")[2]
        base = os.path.join(entry, tail)
        is_namespace = False
        if tail in listing and os.path.isdir(base):
            for suffix, kind in self._loaders:
                init = os.path.join(base, "__init__" + suffix)
                if os.path.isfile(init):
                    return Spec(fullname, kind, init, (base,)), None
            is_namespace = True
        for suffix, kind in self._loaders:
            if tail + suffix in listing:
                full = os.path.join(entry, tail + suffix)
                if os.path.isfile(full):
                    return Spec(fullname, kind, full), None
        return None, base if is_namespace else None

    def _listing(self, directory: str) -> Optional[frozenset[str]]:
        """FileFinder's cached directory contents; None for what is not a directory."""
        if directory not in self._listings:
            try:
                self._listings[directory] = frozenset(os.listdir(directory))
            except OSError:
                self._listings[directory] = None
        return self._listings[directory]


def package_data(folder: str, suffixes: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    """Files of one package that are not its modules; subpackages bring their own.
    In a folder that is not a package every file is data, sources too (alembic's
    project templates hold env.py files that `alembic init` copies)."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not _is_package(
            os.path.join(root, d), suffixes))
        for name in sorted(names):
            if root != folder or not name.endswith(suffixes):
                path = os.path.join(root, name)
                yield os.path.relpath(path, folder).replace(os.sep, "/"), path


def _is_package(folder: str, suffixes: tuple[str, ...]) -> bool:
    return any(os.path.isfile(os.path.join(folder, "__init__" + s)) for s in suffixes)
