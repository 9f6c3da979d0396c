"""Run-time patches of specific packages, loaded only when a bundled package has one.

A package hook (freezer/hooks.py) names a patch for a module of its package; the
manifest lists those of the hooks that fired, and the importer calls each right
after its module runs (importer.ArchiveLoader.patches), as patch(module, loader).
PATCHES lists every patch a hook may name: a test checks the hooks against it.
"""

import io
import os
import posixpath
from builtins import open as _open

from .boot import runtime_module

PATCHES = ("serve_files", "serve_botocore_data", "real_ca_bundle")


class ArchiveFiles:
    """os.listdir, os.path.isdir/isfile/exists and open for code that walks its
    package's data folders by path: folders inside the archive look real."""

    def __init__(self, tree, prefix, path_class):
        self._tree = tree
        self._prefix = prefix
        self._path_class = path_class  # resources.ArchivePath

    def _inside(self, path):
        path = os.fspath(path)
        if not path.startswith(self._prefix):
            return None
        inner = path[len(self._prefix):]
        if "//" in inner or "/." in "/" + inner or inner.endswith("/"):
            inner = posixpath.normpath(inner)  # only these spellings are not normal already
        return "" if inner == "." else inner

    def listdir(self, path="."):
        inner = self._inside(path)
        if inner is None:
            return os.listdir(path)
        if not self._tree.is_dir(inner):
            raise FileNotFoundError(2, "No such folder in archive", os.fspath(path))
        return sorted(self._tree.children[inner])

    def isdir(self, path):
        inner = self._inside(path)
        return os.path.isdir(path) if inner is None else self._tree.is_dir(inner)

    def isfile(self, path):
        inner = self._inside(path)
        return os.path.isfile(path) if inner is None else self._tree.is_file(inner)

    def exists(self, path):
        inner = self._inside(path)
        return os.path.exists(path) if inner is None else (
            self._tree.is_dir(inner) or self._tree.is_file(inner))

    def open(self, path, mode="r", *args, **kwargs):
        inner = self._inside(path)
        if inner is None:
            return _open(path, mode, *args, **kwargs)
        return self._path_class(self._tree, inner).open(mode, *args, **kwargs)

    def gzip_open(self, path, mode="rb", *args, **kwargs):
        import gzip  # the patched module has imported it
        inner = self._inside(path)
        if inner is None:
            return gzip.open(path, mode, *args, **kwargs)
        return gzip.open(io.BytesIO(self._tree.read(inner)), mode, *args, **kwargs)


class _View:
    """A module seen through ArchiveFiles: its names, with the file functions replaced."""

    def __init__(self, module, replaced):
        self._module = module
        self.__dict__.update(replaced)

    def __getattr__(self, name):
        return getattr(self._module, name)


def serve_files(module, loader):
    """A bundled module that walks and opens its package's data files by path
    (os.listdir, os.path.exists/isfile/isdir, open) sees the archive's folders as
    real ones, so the files need not be extracted.  None if they are real."""
    if not module.__file__.startswith(loader.prefix):
        return None  # not bundled, or extracted
    resources = runtime_module(loader.archive, "resources")
    files = ArchiveFiles(loader.tree, loader.prefix, resources.ArchivePath)
    path = _View(os.path, {"isdir": files.isdir, "isfile": files.isfile, "exists": files.exists})
    module.os = _View(os, {"path": path, "listdir": files.listdir})
    module.open = files.open
    return files


def serve_botocore_data(loaders, loader):
    """botocore.loaders walks botocore/data (and boto3/data) by path, and opens
    its models through the open/gzip.open it keeps in _JSON_OPEN_METHODS.

    It also parses every model into OrderedDicts through json's object_pairs_hook,
    much slower than building plain dicts, which are ordered too (measured in
    docs/performance.md).  Models are decoded into plain dicts."""
    files = serve_files(loaders, loader)
    if files is None:
        return
    import gzip
    methods = loaders._JSON_OPEN_METHODS
    for extension, method in methods.items():
        methods[extension] = {_open: files.open, gzip.open: files.gzip_open}.get(method, method)
    json, ordered = loaders.json, loaders.OrderedDict

    def loads(text, *, object_pairs_hook=None, **options):
        if object_pairs_hook is ordered:
            object_pairs_hook = None
        return json.loads(text, object_pairs_hook=object_pairs_hook, **options)

    loaders.json = _View(json, {"loads": loads})


def real_ca_bundle(httpsession, loader):
    """Without certifi, botocore hands OpenSSL its own cacert.pem: a real file,
    extracted on first use rather than on import."""
    bundle = getattr(httpsession, "DEFAULT_CA_BUNDLE", "")
    if bundle.startswith(loader.prefix) and httpsession.where() == bundle:
        inside = bundle[len(loader.prefix):]
        httpsession.where = lambda: loader.location(inside)
