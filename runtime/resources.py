"""Package data and distribution metadata, served from the archive.

importlib.resources gets a reader whose ``files()`` is a Traversable over the
archive's directory tree; importlib.metadata gets Distributions read from the
``*.dist-info`` folders bundled with the app.  Only callers of those APIs pay:
the tree is indexed on first use, and importlib.metadata is imported by whoever
asks for distributions, never by us.
"""

import io
import os
import posixpath
import sys

from .boot import (
    EXTRACT_PATHS, KIND, KIND_NAMESPACE, MANIFEST_EXTRACT, MANIFEST_FILES, PATH, SOURCE_SIZE,
    distribution_key,
)


class Tree:
    """The archive's folders and files: data files plus embedded module sources."""

    def __init__(self, archive):
        self.archive = archive
        self.files = archive.manifest[MANIFEST_FILES]
        self.sources = {}
        self.children: dict[str, set[str]] = {"": set()}  # folder -> names in it
        for record in archive.modules.values():
            if record[KIND] == KIND_NAMESPACE:
                self._add(record[PATH] + "/")
            elif record[SOURCE_SIZE]:
                self.sources[record[PATH]] = record
                self._add(record[PATH])
        for path in self.files:
            self._add(path)
        self._shipped = archive.shipped_folder()
        self.shipped = frozenset(archive.manifest[MANIFEST_EXTRACT][EXTRACT_PATHS]
                                 if self._shipped else ())
        for path in self.shipped:
            self._add(path)

    def _add(self, path):
        """Link `path` (a folder if it ends with "/") into its parents, upwards until
        one is known: a known folder is linked already."""
        if path.endswith("/"):
            path = path[:-1]
            self.children.setdefault(path, set())
        while True:
            parent, _, name = path.rpartition("/")
            siblings = self.children.get(parent)
            if siblings is not None:
                siblings.add(name)
                return
            self.children[parent] = {name}
            path = parent

    def is_dir(self, path):
        return path in self.children

    def is_file(self, path):
        return path in self.files or path in self.sources or path in self.shipped

    def read(self, path):
        if path in self.files:
            return self.archive.read_file(path)
        record = self.sources.get(path)
        if record is not None:
            return self.archive.read_source(record)
        if path in self.shipped:
            with open(os.path.join(self._shipped, path), "rb") as file:
                return file.read()
        raise FileNotFoundError(2, "No such file in archive", self.archive.path + "/" + path)


class ArchivePath:
    """A Traversable (importlib.resources.abc) for a path inside the archive."""

    def __init__(self, tree, path=""):
        self._tree = tree
        self._path = path

    def __repr__(self):
        return "ArchivePath({!r})".format(str(self))

    def __str__(self):
        return posixpath.join(self._tree.archive.path, self._path)

    def __eq__(self, other):
        return isinstance(other, ArchivePath) and (other._tree, other._path) == (self._tree, self._path)

    def __hash__(self):
        return hash(self._path)

    @property
    def name(self):
        return posixpath.basename(self._path)

    @property
    def parent(self):
        return ArchivePath(self._tree, posixpath.dirname(self._path))

    def joinpath(self, *descendants):
        parts = [self._path] if self._path else []
        for descendant in descendants:
            parts.extend(part for part in str(descendant).split("/") if part not in ("", "."))
        return ArchivePath(self._tree, posixpath.normpath("/".join(parts)) if parts else "")

    __truediv__ = joinpath

    def is_dir(self):
        return self._tree.is_dir(self._path)

    def is_file(self):
        return self._tree.is_file(self._path)

    def exists(self):
        return self.is_dir() or self.is_file()

    def iterdir(self):
        if not self.is_dir():
            raise NotADirectoryError(20, "Not a directory in archive", str(self))
        for name in sorted(self._tree.children[self._path]):
            yield self.joinpath(name)

    def read_bytes(self):
        return self._tree.read(self._path)

    def read_text(self, encoding=None, errors=None):
        with self.open("r", encoding=encoding, errors=errors) as file:
            return file.read()

    def open(self, mode="r", *args, **kwargs):
        if mode not in ("r", "rb"):
            raise ValueError("archive files are read-only; cannot open with mode {!r}".format(mode))
        stream = io.BytesIO(self.read_bytes())
        return stream if mode == "rb" else io.TextIOWrapper(stream, *args, **kwargs)


class ResourceReader:
    """importlib.resources' reader for one bundled package (TraversableResources)."""

    def __init__(self, root):
        self._root = root

    def files(self):
        return self._root

    # The ResourceReader methods, for callers that use them directly.
    def open_resource(self, resource):
        return self._root.joinpath(resource).open("rb")

    def resource_path(self, resource):
        raise FileNotFoundError(resource)

    def is_resource(self, path):
        return self._root.joinpath(path).is_file()

    def contents(self):
        return (child.name for child in self._root.iterdir())


_distribution_class = None


def distributions(tree, context):
    """What MetadataPathFinder would find, for the distributions bundled in the archive."""
    path = getattr(context, "path", sys.path)
    if path is not sys.path and not any(str(entry) == tree.archive.path for entry in path):
        return
    name = getattr(context, "name", None)
    wanted = None if name is None else distribution_key(name)
    cls = _distribution()
    for folder in sorted(tree.children[""]):
        if folder.endswith((".dist-info", ".egg-info")) and tree.is_dir(folder):
            if wanted is None or distribution_key(folder.partition("-")[0]) == wanted:
                yield cls(tree, folder)


def _distribution():
    global _distribution_class
    if _distribution_class is None:
        from importlib.metadata import Distribution  # our caller has imported it

        class ArchiveDistribution(Distribution):
            """A bundled *.dist-info folder (like importlib.metadata.PathDistribution)."""

            def __init__(self, tree, folder):
                self._tree = tree
                self._folder = folder

            def read_text(self, filename):
                try:
                    return self._tree.read(self._folder + "/" + filename).decode("utf-8")
                except (FileNotFoundError, IsADirectoryError):
                    return None

            def locate_file(self, path):
                return ArchivePath(self._tree).joinpath(str(path))

        _distribution_class = ArchiveDistribution
    return _distribution_class
