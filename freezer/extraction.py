"""What must be a real file at run time: the one place that decides it.

Everything else is read from the archive in place.  A path is extracted (to the
user cache on first run, or shipped unzipped beside a Lambda package's archive)
when it is:

- an extension module, a shared library that a distribution with extension
  modules carries, or a carried file an extension's ``DT_NEEDED`` names reach
  through its ``$ORIGIN`` run path (read from the ELF dynamic sections): the
  dynamic loader opens files;
- a file a distribution installed under the environment's prefix: sys.prefix
  points at the extracted copies;
- a data file or module source of a package whose code needs its folder on disk:
  --extract or a hook names it, a module names it where a folder is wanted
  (jinja2's ``PackageLoader("app")``) or reads files by other means than its
  ``__file__``, or one of its modules builds paths from its ``__file__`` (unless
  a hook's run-time patch serves the package its files from the archive);
- a single file a hook names (the CA bundle OpenSSL opens);
- a file carried beside the script (--add-data, or named by its strings), and
  then the script too, so that its ``__file__`` is beside them.

The ``__init__`` modules of the packages above those paths are written too, so
that the folder is a tree of packages like site-packages (astroid maps an
extracted file back to its module through ``sys.path``); they still load from
the archive.

A run writes only what it uses.  The files are grouped into units that the
runtime writes the first time one of their modules is found:

- an extension module with the libraries its run path reaches: an app importing
  pyarrow's core writes 8 of its 40 libraries;
- the other files of a package folder extracted because its code needs them,
  written when a module of that package is found; a test suite inside it
  (``tests``, ``test``) is a unit of its own, written when one of its modules
  is (pandas carries 1,143 files of tests among its 1,492);
- the files of those folders that only tools read (C headers and sources, Cython
  sources, type stubs: pyarrow and numpy carry hundreds, and creating files is
  what costs), written when the package's folder is asked for whole, through
  importlib.resources; the build says so.

What --extract names is written up front, with the libraries its extensions
load, as are prefix files, files beside the script, and libraries outside
package folders that no run path reaches, which code may ``dlopen`` by path.  A
library that code loads by path with ctypes is written first (runtime/extract.py
patch_ctypes), and a package's resource reader writes its whole folder.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import elf, progress
from .errors import EntryError
from .files import Files, module_path, package_folder, package_inits
from .graph import MAIN, Graph, Module
from .reasons import APP_FILE, LIBRARY, PREFIX_FILE
from .resolver import EXTENSION, SOURCE

# Files real by why they travel, whatever imports them (extension modules: by kind).
_REAL_KINDS = frozenset({LIBRARY, PREFIX_FILE, APP_FILE})
# Files only tools read: C and C++ headers and sources, Cython sources (compilers),
# type stubs (type checkers).
TOOL_FILES = (".h", ".hh", ".hpp", ".hxx", ".c", ".cc", ".cpp", ".cxx", ".pxd", ".pxi",
              ".pyx", ".pyi", "py.typed")
TEST_FOLDERS = frozenset({"test", "tests"})


@dataclass(frozen=True)
class Extraction:
    """`folders`: package folders extracted whole; `paths`: every archive path that
    must be real; `inits`: ``__init__`` modules written only to complete the tree;
    `units`: groups of `paths` written when first needed (sorted), the rest up front;
    `tool_files`: those of `paths` written only when their folder is asked for whole."""

    folders: tuple[str, ...]
    paths: frozenset[str]
    inits: frozenset[str]
    units: tuple[tuple[str, ...], ...] = ()
    tool_files: frozenset[str] = frozenset()


def decide(graph: Graph, extras: Files, packages: Sequence[str] = ()) -> Extraction:
    """What `graph`'s bundled modules and the files in `extras` need on disk;
    `packages` are --extract's.  EntryError for one that is not a bundled package."""
    bundled = graph.bundled()
    named = _named_folders(graph, packages)
    found = _found_folders(graph, bundled) - named
    folders = tuple(sorted(named | found))
    paths = {path for path, (kind, _) in extras.why.items() if kind in _REAL_KINDS}
    extensions = [module_path(m) for m in bundled if m.spec.kind == EXTENSION]
    paths.update(extensions)
    if any(kind == APP_FILE for kind, _ in extras.why.values()):
        paths.update(module_path(m) for m in bundled if m.name == MAIN)
    sources = [module_path(m) for m in bundled if m.spec.kind == SOURCE and m.name != MAIN]
    paths.update(p for p in (*extras.data, *sources) if p.startswith(_prefixes(folders)))
    paths.update(path for path in graph.real if path in extras.data)
    # Any carried file an extension's run path reaches is a library it loads, also
    # one beside it in its package folder, which auditwheel's .libs/ rule misses.
    closures = _closures(extensions, extras.data)
    paths.update(*closures.values())
    units, tools = _units(paths, closures, named, found, bundled)
    return Extraction(folders, frozenset(paths), frozenset(package_inits(paths, bundled) - paths),
                      units, tools)


def _units(paths: set[str], closures: Mapping[str, tuple[str, ...]], named: set[str],
           found: set[str], bundled: list[Module]) -> tuple[tuple[tuple[str, ...], ...],
                                                         frozenset[str]]:
    """The groups of `paths` written when first needed, sorted, and the files among
    them that only tools read.  What --extract names (`named`) is written up front,
    with the libraries its extension modules load."""
    whole = _prefixes(named)
    up_front = {p for p in paths if p.startswith(whole)}
    up_front.update(*(closure for extension, closure in closures.items()
                      if extension.startswith(whole)))
    units = list(dict.fromkeys(tuple(p for p in closure if p not in up_front)
                               for extension, closure in closures.items()
                               if extension not in up_front))
    rest = paths.difference(*units) - up_front
    tools = {path for path in rest if path.endswith(TOOL_FILES)}
    # A test suite inside a package is its own unit: apps do not run it.
    suites = {folder for folder in (package_folder(m) for m in bundled if m.spec.is_package)
              if folder.rpartition("/")[2] in TEST_FOLDERS and folder.startswith(_prefixes(found))}
    compiled = _folder_units(tools, found | suites)
    units += _package_units(_folder_units(rest - tools, found | suites), suites) + compiled
    return tuple(sorted(units)), frozenset().union(*compiled)


def _prefixes(folders: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{folder}/" for folder in folders)


def _named_folders(graph: Graph, packages: Sequence[str]) -> set[str]:
    """Archive folders of the packages --extract names (`packages`): written whole, up
    front, as the user asked."""
    folders = set()
    for name in packages:
        module = graph.modules.get(name)
        if module is None or not module.bundled or not module.spec.is_package:
            raise EntryError(f"--extract {name}: not a package bundled in this app")
        folders.add(package_folder(module))
    return folders - {""}


def _found_folders(graph: Graph, bundled: list[Module]) -> set[str]:
    """Archive folders of the packages a hook names or whose code builds paths from
    ``__file__``."""
    folders = {package_folder(graph.modules[name]) for name in graph.extract
               if name in graph.modules and graph.modules[name].bundled}
    for module in bundled:
        if (module.reads_own_files and module.name != MAIN
                and module.name.partition(".")[0] not in graph.served):
            folder = package_folder(module)
            if folder and folder not in folders:
                progress.current().detail(f"extracted: {folder}, as {module.name} builds paths "
                                          "from its __file__")
            folders.add(folder)
    return folders - {""}


def _closures(extensions: Iterable[str],
              carried: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Extension module -> it and the `carried` files (archive path -> file) its
    ``DT_NEEDED`` names reach through ``$ORIGIN`` run paths, transitively, sorted."""
    seen: dict[str, Optional[elf.Dynamic]] = {}

    def named(path: str) -> Iterable[str]:
        if path not in seen:
            seen[path] = elf.dynamic(Path(carried[path]))
        info = seen[path]
        if info is None:
            return
        origin = posixpath.dirname(path) or "."
        for name in info.needed:
            for entry in info.run_path:
                if "$ORIGIN" in entry or "${ORIGIN}" in entry:
                    folder = entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
                    candidate = posixpath.normpath(posixpath.join(folder, name))
                    if candidate in carried:
                        yield candidate
                        break

    closures = {}
    for extension in extensions:
        unit, todo = {extension}, [extension]
        while todo:
            for library in named(todo.pop()):
                if library not in unit:
                    unit.add(library)
                    todo.append(library)
        closures[extension] = tuple(sorted(unit))
    return closures


def _package_units(units: list[tuple[str, ...]], suites: set[str]) -> list[tuple[str, ...]]:
    """The folder units of one top-level package joined, but for its test suites: a
    module may read its sibling package's files (docutils' html4css1 writer reads
    the html5 writer's stylesheets)."""
    joined: dict[str, list[str]] = {}
    for unit in units:
        folder = unit[0].rpartition("/")[0]
        suite = next((s for s in suites if f"{folder}/".startswith(s + "/")), None)
        joined.setdefault(suite or unit[0].partition("/")[0], []).extend(unit)
    return [tuple(sorted(paths)) for paths in joined.values()]


def _folder_units(paths: set[str], folders: Iterable[str]) -> list[tuple[str, ...]]:
    """Per folder: the `paths` below it and below no deeper one of `folders`."""
    units: dict[str, list[str]] = {}
    deepest_first = sorted(folders, key=len, reverse=True)
    for path in sorted(paths):
        folder = next((f for f in deepest_first if path.startswith(f + "/")), None)
        if folder is not None:
            units.setdefault(folder, []).append(path)
    return [tuple(unit) for unit in units.values()]


def contents(extraction: Extraction, data: Mapping[str, bytes],
             sources: Mapping[str, bytes]) -> dict[str, bytes]:
    """Archive path -> bytes of what is written to the extraction folder.  A
    module's path counts only when its source is embedded (`sources`): without
    sources only data files and extension modules are real."""
    wanted = extraction.paths | extraction.inits
    return {path: data[path] if path in data else sources[path]
            for path in sorted(wanted) if path in data or path in sources}
