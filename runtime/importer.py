"""The meta path finder and loader that import bundled modules from the archive.

Finding is one dictionary lookup in the manifest: no file-system call.  Loading
is one pread of a blob whose digest and header are checked before unmarshal.
Modules that must be real files (extension modules, packages that open files
beside their ``__file__``) point into the extraction folder instead.
"""

import gc
import marshal
import os
import sys
# importlib's own frozen modules: importlib.machinery and importlib.util re-export
# them, but a guest in someone else's process (Lambda) may not have loaded those.
# The stubs leave out their private helpers (here, _imp's and PathFinder._get_spec).
from _frozen_importlib import (  # type: ignore[attr-defined]
    ModuleSpec, _call_with_frames_removed, _gcd_import,
)
from _frozen_importlib_external import (
    ExtensionFileLoader, PathFinder, SourceFileLoader, SourcelessFileLoader, _NamespaceLoader,
    decode_source,
)
from _imp import _fix_co_filename  # type: ignore[attr-defined]

from .boot import (
    EXTRACT_PATHS, EXTRACT_UNITS, GENERATED_CALLERS, KIND, KIND_EXTENSION, KIND_NAMESPACE, KIND_PACKAGE,
    MANIFEST_EXTRACT, MANIFEST_GC_FREEZE, MANIFEST_GENERATED, MANIFEST_LAZY, MANIFEST_PATCHES,
    MANIFEST_PREFIX, MANIFEST_TRACE, PATH, PREFIX_FOLDER, TRACE_CALLERS, TRACE_LOADED,
    TRACE_MISSING_MODULES, TRACE_MISSING_PATHS, TRACE_PATTERNS, TRACE_SOURCES, TRACE_VARIABLE,
    ArchiveError, runtime_module,
)

def _lazycache(linecache, module):
    """Let linecache find a bundled module's source by its file name alone, as the
    warnings module asks for it (tracebacks pass the module's globals anyway)."""
    # linecache may be half imported by another thread: register_sources, which
    # runs when it is done, covers this module then.
    lazycache = getattr(linecache, "lazycache", None)
    if lazycache is not None and getattr(module, "__file__", None):
        lazycache(module.__file__, module.__dict__)


def register_sources(linecache, loader):
    """Once linecache loads, the bundled modules that ran before it.  A module that
    LazyLoader has not run yet is left alone: touching any attribute would run it
    here, perhaps in the middle of the import cycle that made linecache load, and
    it registers when it runs."""
    for module in list(sys.modules.values()):
        if not _waiting(module) and getattr(module, "__loader__", None) is loader:
            _lazycache(linecache, module)


def _waiting(module):
    """A module LazyLoader has not run yet (its class, unlike its attributes, can be
    looked at without running it)."""
    return type(module).__name__ == "_LazyModule"


def seed_regexes(compiler, loader):
    """re's compile step answers the patterns the freezer compiled from its table
    (the same program re would build, minus the parsing), and compiles the rest."""
    index = loader.archive.read_regexes()
    missed = loader.traced_patterns
    if index is None and missed is None:
        return
    from _sre import compile as build
    original = compiler.compile

    def compile(pattern, flags=0):
        if not isinstance(pattern, (str, bytes)):  # re.Scanner passes parsed patterns
            return original(pattern, flags)
        try:
            known = index and loader.archive.read_regex(index, pattern, flags)
        except ArchiveError as exc:
            raise _fatal(exc) from None
        if not known:
            if missed is not None:
                missed.add((pattern, int(flags)))  # re.VERBOSE is a RegexFlag: not marshallable
            return original(pattern, flags)
        return build(*known)

    compiler.compile = compile


def _runtime(loader, short):
    """A runtime module that runs on first use (boot.runtime_module)."""
    try:
        return runtime_module(loader.archive, short)
    except ArchiveError as exc:
        raise _fatal(exc) from None


def _elsewhere(short, name):
    """The patch `name` of the runtime module `short`."""
    def patch(module, loader):
        getattr(_runtime(loader, short), name)(module, loader)
    return patch


# Modules every app adapts right after they run, bundled or not: name -> patch(module,
# ArchiveLoader).  Those of specific packages come with the manifest (MANIFEST_PATCHES).
PATCHES = {
    "linecache": register_sources,
    "sre_compile" if sys.version_info < (3, 11) else "re._compiler": seed_regexes,
    "multiprocessing.spawn": _elsewhere("children", "patch_spawn"),
}


def _adapting(patch):
    """`patch` (or none) preceded by giving the module the generated-code builtins."""
    def adapt(module, loader):
        loader.generated.adapt(module)
        if patch is not None:
            patch(module, loader)
    return adapt


def write_trace(loader, path):
    """What `freeze build --trace` learns from a run: the regular expressions it
    compiled beyond the build's table, the modules it loaded and the code they
    generated while importing, and what it missed (see MissRecorder.report).
    One dictionary (boot's TRACE_* keys), read by freezer/trace.py."""
    loaded = [name for name, module in list(sys.modules.items()) if not _waiting(module)]
    sources, calls = loader.generated.recorded
    # A module without __all__ would hand our builtins on to `from module import *`.
    callers = [(name, via) for name, via in calls if hasattr(sys.modules.get(name), "__all__")]
    modules, paths = loader.misses.report()
    report = {TRACE_PATTERNS: list(loader.traced_patterns), TRACE_LOADED: loaded,
              TRACE_SOURCES: list(sources), TRACE_CALLERS: callers,
              TRACE_MISSING_MODULES: modules, TRACE_MISSING_PATHS: paths}
    with open(path, "wb") as file:
        marshal.dump(report, file)


# Bundled module bodies running now, in any thread (list.append and pop are atomic).
_RUNNING = []  # type: list
# The collector's first threshold while they run: a big app's imports allocate fewer
# (the boto3 handler about 85,000), and a program that runs inside an import (a
# script whose work is `import game`) is still collected, every 100,000.
_IMPORT_THRESHOLD = 100_000


def _fatal(exc):
    """Fatal on purpose: an `except ImportError` must not hide a damaged archive.
    SystemExit unwinds the main thread; another thread would end silently (threading
    drops SystemExit, a pool keeps it for a result nobody may ask for), so there the
    process stops at once, after flushing what it printed."""
    message = "freeze: {}".format(exc)
    threading = sys.modules.get("threading")
    if threading is not None and threading.current_thread() is not threading.main_thread():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # a closed or replaced stream: the message still goes out
                pass
        os.write(2, message.encode("utf-8", "replace") + b"\n")
        os._exit(1)
    return SystemExit(message)


class ArchiveLoader:
    """Loads every bundled Python module of one archive (like zipimporter, one per archive)."""

    def __init__(self, archive):
        self.archive = archive
        self.prefix = archive.path + "/"
        self._records = archive.modules
        # see extractor
        self._extracted = frozenset(archive.manifest[MANIFEST_EXTRACT][EXTRACT_PATHS])
        self._extractor = self._tree = None
        self._gc_freeze = archive.manifest[MANIFEST_GC_FREEZE]
        tracing = archive.manifest[MANIFEST_TRACE]
        # A trace build's record of the patterns re compiled that the table lacked,
        # and of the modules and files the run missed.
        self.traced_patterns: set[tuple[str | bytes, int]] | None = set() if tracing else None
        self.misses = _runtime(self, "trace").MissRecorder(self) if tracing else None
        self.generated = None
        # name -> patch(module, self), see PATCHES
        self.patches = {**PATCHES, **{name: _elsewhere("patches", function) for name, function
                                      in archive.manifest[MANIFEST_PATCHES].items()}}
        if archive.manifest[MANIFEST_EXTRACT][EXTRACT_UNITS]:
            self.patches["ctypes"] = _elsewhere("extract", "patch_ctypes")
        generated = archive.manifest[MANIFEST_GENERATED]
        if tracing or generated is not None:
            callers = generated[GENERATED_CALLERS] if generated else {}
            self.generated = _runtime(self, "generated").GeneratedCode(
                archive.read_generated, callers, record=tracing)
            # Bundled callers get the builtins before their body runs (exec_module).
            self.patches.update({name: _adapting(self.patches.get(name)) for name in callers
                                 if name not in self._records})

    @property
    def tree(self):
        """The archive's files as a tree (runtime/resources.py)."""
        if self._tree is None:
            self._tree = _runtime(self, "resources").Tree(self.archive)
        return self._tree

    @property
    def extractor(self):
        """The files that must be real, and where they are (runtime/extract.py)."""
        if self._extractor is None:
            extract = _runtime(self, "extract")
            self._extractor = extract.Extractor(self.archive, lambda path: self.tree.read(path))
        return self._extractor

    def _record(self, fullname):
        try:
            return self._records[fullname]
        except KeyError:
            raise ImportError("{!r} is not in {}".format(fullname, self.archive.path),
                              name=fullname) from None

    def location(self, path):
        """Absolute path of an archive member: inside the archive, or extracted."""
        if path in self._extracted:
            try:
                return self.extractor.real(path)
            except ArchiveError as exc:  # a damaged file, found as it is written
                raise _fatal(exc) from None
        return self.prefix + path

    def extracted_folder(self, path):
        """The archive folder that `path`, a folder of the extraction folder, is
        (None for any other path): importlib and pkgutil list it from the archive,
        where every module is, whether or not a run has written it."""
        root = self._extractor._root if self._extractor is not None else None
        if root is None or not (path == root or path.startswith(root + os.sep)):
            return None
        return path[len(root) + 1:].replace(os.sep, "/")

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        """Run the module's body; the outermost bundled import starts and ends the
        import phase (_start_imports), whichever thread it runs in."""
        outermost = not _RUNNING
        if outermost:
            thresholds = self._start_imports()
        _RUNNING.append(module)
        try:
            name = module.__spec__.name
            code = self.get_code(name)
            if code is not None:
                _lazycache(sys.modules.get("linecache"), module)
                if self.generated is not None:  # its own body may generate code
                    self.generated.adapt(module)
                _call_with_frames_removed(exec, code, module.__dict__)
            if name in self.patches:
                self.patches[name](module, self)
        finally:
            _RUNNING.pop()
            if outermost:
                self._end_imports(thresholds)

    def _start_imports(self):
        """While bundled modules import, generated code comes from the archive's
        table (runtime/generated.py) and, with gc_freeze, cyclic collection all but
        pauses; what they built is frozen (gc.freeze) when the outermost returns:
        start-up objects live as long as the program, yet each full collection
        would visit them all to free almost nothing (docs/performance.md measures
        it).  Returns the thresholds to restore."""
        if self.generated is not None:
            self.generated.start_imports()
        if not (self._gc_freeze and gc.isenabled()):
            return None
        thresholds = gc.get_threshold()
        gc.set_threshold(_IMPORT_THRESHOLD, *thresholds[1:])
        return thresholds

    def _end_imports(self, thresholds):
        if self.generated is not None:
            self.generated.end_imports()
        if thresholds is not None:
            if gc.get_threshold()[0] == _IMPORT_THRESHOLD:  # not changed meanwhile
                gc.set_threshold(*thresholds)
            gc.freeze()

    def get_code(self, fullname):
        record = self._record(fullname)
        if record[KIND] == KIND_NAMESPACE:
            return None
        try:
            code = self.archive.read_code(fullname, record)
        except ArchiveError as exc:
            raise _fatal(exc) from None
        _fix_co_filename(code, self.location(record[PATH]))
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
        return self.location(record[PATH])

    def get_data(self, path):
        """Bytes of a file in the archive (data or module source), as zipimporter.get_data."""
        if not path.startswith(self.prefix):
            with open(path, "rb") as file:  # extracted files are real
                return file.read()
        try:
            return self.tree.read(path[len(self.prefix):])
        except ArchiveError as exc:
            raise _fatal(exc) from None

    def get_resource_reader(self, fullname):
        record = self._record(fullname)
        if record[KIND] not in (KIND_PACKAGE, KIND_NAMESPACE):
            return None
        folder = record[PATH].rpartition("/")[0] if record[KIND] == KIND_PACKAGE else record[PATH]
        resources = _runtime(self, "resources")
        if record[PATH] in self._extracted:
            from pathlib import Path
            self.extractor.complete(folder)
            return resources.ResourceReader(Path(self.extractor.root(), folder))
        return resources.ResourceReader(resources.ArchivePath(self.tree, folder))


class ArchiveFinder:
    """First on sys.meta_path: answers for bundled modules, None for the rest."""

    def __init__(self, loader, lazy):
        self.loader = loader
        self._records = loader.archive.modules
        self._lazy_names = lazy  # name -> the lazy modules to import with it
        if lazy:
            self._lazy = _lazy_loader_type(lazy)(loader)
        self._namespace_loader = None  # its class, made for the first namespace package

    def find_spec(self, fullname, path=None, target=None):
        record = self._records.get(fullname)
        if record is None:
            if fullname in self.loader.patches:
                return self._patched(fullname, path, target)
            if fullname in self._lazy_names:
                return self._lazy_stdlib(fullname, path, target)
            return None
        kind = record[KIND]
        if kind == KIND_NAMESPACE:
            return self._namespace(fullname, record)
        origin = self.loader.location(record[PATH])
        if kind == KIND_EXTENSION:
            spec = ModuleSpec(fullname, ExtensionFileLoader(fullname, origin), origin=origin,
                              is_package=_is_package(record))
            spec.has_location = True
            if spec.submodule_search_locations is not None:
                spec.submodule_search_locations.append(
                    self.loader.prefix + record[PATH].rpartition("/")[0])
            return spec
        loader = self._lazy if fullname in self._lazy_names else self.loader
        spec = ModuleSpec(fullname, loader, origin=origin, is_package=kind == KIND_PACKAGE)
        spec.has_location = True
        if kind == KIND_PACKAGE:
            spec.submodule_search_locations = [origin.rpartition("/")[0]]
        return spec

    def _namespace(self, fullname, record):
        """A namespace package as PathFinder makes one: no origin, a _NamespacePath
        that PathFinder recomputes when its parent's path changes (the archive's
        folder is a portion, see ArchivePathEntryFinder), CPython's loader."""
        if self._namespace_loader is None:
            self._namespace_loader = _namespace_loader_type()
        loader = self._namespace_loader(fullname, [self.loader.prefix + record[PATH]],
                                        PathFinder._get_spec,  # type: ignore[attr-defined]
                                        self.loader)
        spec = ModuleSpec(fullname, loader, is_package=True)
        spec.submodule_search_locations = loader._path
        return spec

    def _patched(self, fullname, path, target):
        """The standard spec of a module the runtime adapts, with a patching loader."""
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            # A loader by duck typing: importlib.abc.Loader as its base would cost an import.
            spec.loader = _PatchingLoader(  # type: ignore[assignment]
                spec.loader, self.loader.patches[fullname], self.loader)
        return spec

    def _lazy_stdlib(self, fullname, path, target):
        """The standard spec of a standard-library module the archive loads lazily."""
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, (SourceFileLoader, SourcelessFileLoader)):
            spec.loader = type(self._lazy)(spec.loader)
        return spec

    def find_distributions(self, context=None):
        """importlib.metadata's hook: the distributions bundled in the archive."""
        return _runtime(self.loader, "resources").distributions(self.loader.tree, context)

    def invalidate_caches(self):
        pass


def _lazy_loader_type(companions):
    """LazyLoader, except that a lazy module comes with the lazy modules its body
    would import (see freezer/graph.py lazy_modules), so that they are bound on
    their packages, as eagerly.  One whose package is not imported yet waits:
    importing the package would run what laziness defers."""
    from importlib.util import LazyLoader
    if "threading" in LazyLoader.exec_module.__code__.co_names:
        # It imports threading (3.13, 3.12.3+): import it now, before the finder
        # answers, or a lazy module that threading imports (_weakrefset) would
        # need LazyLoader to load it.
        import threading  # noqa: F401

    class CompanionsLazyLoader(LazyLoader):
        def exec_module(self, module):
            name = module.__name__  # before the module turns lazy: any attribute loads it
            super().exec_module(module)
            for companion in companions.get(name, ()):
                if companion.rpartition(".")[0] in sys.modules or "." not in companion:
                    _gcd_import(companion)

    return CompanionsLazyLoader


def _namespace_loader_type():
    """CPython's NamespaceLoader (_NamespaceLoader before 3.11), whose resources are
    the archive's: NamespaceReader reads real folders only."""

    class ArchiveNamespaceLoader(_NamespaceLoader):
        def __init__(self, name, path, path_finder, archive_loader):
            super().__init__(name, path, path_finder)
            self._archive_loader = archive_loader

        def exec_module(self, module):
            module.__file__ = None  # as _init_module_attrs sets it for namespace packages

        def get_resource_reader(self, fullname):
            return self._archive_loader.get_resource_reader(fullname)

    ArchiveNamespaceLoader.__qualname__ = "ArchiveNamespaceLoader"  # for repr(module)
    return ArchiveNamespaceLoader


class _PatchingLoader:
    """Wraps the loader of a module the archive does not hold, to adapt the module
    right after it runs."""

    def __init__(self, loader, patch, archive_loader):
        self._loader = loader
        self._patch = patch
        self._archive_loader = archive_loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module, self._archive_loader)


class ArchivePathEntryFinder:
    """The path-entry finder for folders inside the archive, for pkgutil.iter_modules."""

    def __init__(self, finder, folder):
        self._finder = finder
        self._folder = folder

    def find_spec(self, fullname, target=None):
        # Bundled modules only: the finder also answers for modules it patches,
        # by asking PathFinder, which would come back here.
        modules = self._finder.loader.archive.modules
        if _folder_of(fullname) != self._folder or fullname not in modules:
            return None
        record = modules[fullname]
        if record[KIND] == KIND_NAMESPACE:  # a portion, as FileFinder finds a folder
            spec = ModuleSpec(fullname, None)
            spec.submodule_search_locations = [self._finder.loader.prefix + record[PATH]]
            return spec
        return self._finder.find_spec(fullname)

    def iter_modules(self, prefix=""):
        """As pkgutil lists a folder: modules and packages, not namespace packages."""
        for name, record in sorted(self._finder.loader.archive.modules.items()):
            if (name != "__main__" and _folder_of(name) == self._folder
                    and record[KIND] != KIND_NAMESPACE):
                yield prefix + name.rpartition(".")[2], _is_package(record)

    def invalidate_caches(self):
        pass


def _is_package(record):
    """Packages, namespace packages and compiled packages (mypyc's __init__.*.so)."""
    return record[KIND] in (KIND_PACKAGE, KIND_NAMESPACE) or (
        record[KIND] == KIND_EXTENSION and record[PATH].rpartition("/")[2].startswith("__init__."))


def _folder_of(name):
    """The archive folder holding module `name` (archive paths mirror module names)."""
    return name.rpartition(".")[0].replace(".", "/")


def _isolate_path():
    """Drop what `site` added to sys.path: a frozen app sees only itself and the stdlib."""
    site = sys.modules.get("site")
    if site is None:
        return
    added = set(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    if site.ENABLE_USER_SITE:
        added.add(site.getusersitepackages())
    for index, entry in enumerate(sys.path):
        if entry in added:
            del sys.path[index:]
            return


def install(archive, isolate=True):
    """Put the archive's finder first on sys.meta_path and a path hook for its folders.

    `isolate` drops the site-packages entries from sys.path (see _isolate_path).
    """
    loader = ArchiveLoader(archive)
    finder = ArchiveFinder(loader, archive.manifest[MANIFEST_LAZY])
    sys.meta_path.insert(0, finder)
    for name in loader.patches.keys() & sys.modules.keys():  # loaded before us
        loader.patches[name](sys.modules[name], loader)
    if loader.misses is not None:
        sys.meta_path.append(loader.misses)
        sys.addaudithook(loader.misses.audit)
        import atexit
        atexit.register(write_trace, loader, os.environ[TRACE_VARIABLE])

    def path_hook(path):
        if path == archive.path:
            return ArchivePathEntryFinder(finder, "")
        if path.startswith(loader.prefix):
            return ArchivePathEntryFinder(finder, path[len(loader.prefix):])
        folder = loader.extracted_folder(path)
        if folder is not None:
            return ArchivePathEntryFinder(finder, folder)
        raise ImportError("not a folder of the archive", path=path)

    sys.path_hooks.insert(0, path_hook)
    if sys.path and os.path.abspath(sys.path[0]) == archive.path:
        sys.path_importer_cache[sys.path[0]] = ArchivePathEntryFinder(finder, "")
    if isolate:
        _isolate_path()
    if archive.manifest[MANIFEST_PREFIX]:
        _use_prefix(loader)
    return finder


def _use_prefix(loader):
    """Point sys.prefix at the files the app's distributions installed under their
    environment's prefix (``share/``, ``etc/``), made real now: as in a venv,
    sys.prefix is the environment and sys.base_prefix the interpreter."""
    try:
        root = loader.extractor.root()
    except ArchiveError as exc:
        raise _fatal(exc) from None
    sys.prefix = sys.exec_prefix = os.path.join(root, PREFIX_FOLDER)
