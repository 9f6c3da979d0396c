"""The meta path finder and loader that import bundled modules from the archive.

Finding is one dictionary lookup in the manifest: no file-system call.  Loading
is one pread of a blob whose digest and header are checked before unmarshal.
"""

import sys
from _imp import _fix_co_filename
from importlib.machinery import ModuleSpec
from importlib.util import LazyLoader, decode_source

from .boot import (
    KIND, KIND_NAMESPACE, KIND_PACKAGE, MANIFEST_ENTRY, MANIFEST_LAZY, PATH,
    ArchiveError,
)


class ArchiveLoader:
    """Loads every bundled module of one archive (like zipimporter, one per archive)."""

    def __init__(self, archive):
        self.archive = archive
        self._prefix = archive.path + "/"
        self._records = archive.modules
        self._by_path = None

    def _record(self, fullname):
        try:
            return self._records[fullname]
        except KeyError:
            raise ImportError("{!r} is not in {}".format(fullname, self.archive.path),
                              name=fullname) from None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = self.get_code(module.__spec__.name)
        if code is not None:
            exec(code, module.__dict__)

    def get_code(self, fullname):
        record = self._record(fullname)
        if record[KIND] == KIND_NAMESPACE:
            return None
        try:
            code = self.archive.read_code(fullname, record)
        except ArchiveError as exc:
            # Fatal on purpose: an `except ImportError` must not hide a damaged archive.
            raise SystemExit("freeze: {}".format(exc)) from None
        _fix_co_filename(code, self._prefix + record[PATH])
        return code

    def get_source(self, fullname):
        source = self.archive.read_source(self._record(fullname))
        return None if source is None else decode_source(source)

    def is_package(self, fullname):
        return self._record(fullname)[KIND] in (KIND_PACKAGE, KIND_NAMESPACE)

    def get_filename(self, fullname):
        record = self._record(fullname)
        if record[KIND] == KIND_NAMESPACE:
            raise ImportError("namespace package {!r} has no file".format(fullname),
                              name=fullname)
        return self._prefix + record[PATH]

    def get_data(self, path):
        """Bytes of a module's source file, addressed by its path in the archive."""
        if self._by_path is None:
            self._by_path = {record[PATH]: record for record in self._records.values()
                             if record[KIND] != KIND_NAMESPACE}
        relative = path[len(self._prefix):] if path.startswith(self._prefix) else None
        record = self._by_path.get(relative)
        source = None if record is None else self.archive.read_source(record)
        if source is None:
            raise FileNotFoundError(2, "No such file in archive", path)
        return source


class ArchiveFinder:
    """First on sys.meta_path: answers for bundled modules, None for the rest."""

    def __init__(self, loader, lazy=False, eager=()):
        self.loader = loader
        self._records = loader.archive.modules
        self._prefix = loader.archive.path + "/"
        self._lazy = LazyLoader(loader) if lazy else None
        self._eager = frozenset(eager)

    def find_spec(self, fullname, path=None, target=None):
        record = self._records.get(fullname)
        if record is None:
            return None
        kind = record[KIND]
        if kind == KIND_NAMESPACE:
            spec = ModuleSpec(fullname, self.loader, is_package=True)
            spec.submodule_search_locations.append(self._prefix + record[PATH])
            return spec
        loader = self.loader
        if self._lazy is not None and kind != KIND_PACKAGE and fullname not in self._eager:
            loader = self._lazy
        spec = ModuleSpec(fullname, loader, origin=self._prefix + record[PATH],
                          is_package=kind == KIND_PACKAGE)
        spec.has_location = True
        if kind == KIND_PACKAGE:
            spec.submodule_search_locations.append(
                self._prefix + record[PATH].rpartition("/")[0])
        return spec

    def invalidate_caches(self):
        pass


def install(archive):
    """Put the archive's finder first on sys.meta_path and return it."""
    entry_module = archive.manifest[MANIFEST_ENTRY][1]
    finder = ArchiveFinder(ArchiveLoader(archive), archive.manifest[MANIFEST_LAZY],
                           eager=(entry_module,))
    sys.meta_path.insert(0, finder)
    return finder
