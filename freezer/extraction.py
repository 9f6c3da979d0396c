"""What must be a real file at run time: the one place that decides it.

Everything else is read from the archive in place.  A path is extracted (to the
user cache on first run, or shipped unzipped beside a Lambda package's archive)
when it is:

- an extension module, or a shared library that a distribution with extension
  modules carries: the dynamic loader opens files;
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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import progress
from .errors import EntryError
from .files import Files, module_path, package_folder, package_inits
from .graph import MAIN, Graph, Module
from .reasons import APP_FILE, LIBRARY, PREFIX_FILE
from .resolver import EXTENSION, SOURCE

# Files real by why they travel, whatever imports them (extension modules: by kind).
_REAL_KINDS = frozenset({LIBRARY, PREFIX_FILE, APP_FILE})


@dataclass(frozen=True)
class Extraction:
    """`folders`: package folders extracted whole; `paths`: every archive path that
    must be real; `inits`: ``__init__`` modules written only to complete the tree."""

    folders: tuple[str, ...]
    paths: frozenset[str]
    inits: frozenset[str]


def decide(graph: Graph, extras: Files, packages: Sequence[str] = ()) -> Extraction:
    """What `graph`'s bundled modules and the files in `extras` need on disk;
    `packages` are --extract's.  EntryError for one that is not a bundled package."""
    bundled = graph.bundled()
    folders = _folders(graph, bundled, packages)
    paths = {path for path, (kind, _) in extras.why.items() if kind in _REAL_KINDS}
    paths.update(module_path(m) for m in bundled if m.spec.kind == EXTENSION)
    if any(kind == APP_FILE for kind, _ in extras.why.values()):
        paths.update(module_path(m) for m in bundled if m.name == MAIN)
    prefixes = tuple(f"{folder}/" for folder in folders)
    sources = [module_path(m) for m in bundled if m.spec.kind == SOURCE and m.name != MAIN]
    paths.update(p for p in (*extras.data, *sources) if p.startswith(prefixes))
    paths.update(path for path in graph.real if path in extras.data)
    return Extraction(folders, frozenset(paths),
                      frozenset(package_inits(paths, bundled) - paths))


def _folders(graph: Graph, bundled: list[Module], packages: Sequence[str]) -> tuple[str, ...]:
    """Archive folders of the packages extracted whole."""
    folders = {package_folder(graph.modules[name]) for name in graph.extract
               if name in graph.modules and graph.modules[name].bundled}
    for name in packages:
        module = graph.modules.get(name)
        if module is None or not module.bundled or not module.spec.is_package:
            raise EntryError(f"--extract {name}: not a package bundled in this app")
        folders.add(package_folder(module))
    for module in bundled:
        if (module.reads_own_files and module.name != MAIN
                and module.name.partition(".")[0] not in graph.served):
            folder = package_folder(module)
            if folder and folder not in folders:
                progress.current().detail(f"extracted: {folder}, as {module.name} builds paths "
                                          "from its __file__")
            folders.add(folder)
    return tuple(sorted(folder for folder in folders if folder))


def contents(extraction: Extraction, data: Mapping[str, bytes],
             sources: Mapping[str, bytes]) -> dict[str, bytes]:
    """Archive path -> bytes of what is written to the extraction folder.  A
    module's path counts only when its source is embedded (`sources`): without
    sources only data files and extension modules are real."""
    wanted = extraction.paths | extraction.inits
    return {path: data[path] if path in data else sources[path]
            for path in sorted(wanted) if path in data or path in sources}
