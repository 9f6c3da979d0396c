"""What a `freeze build --trace` run missed, recorded only in the archive a trace
runs (runtime/importer.py installs it): modules no finder found and paths looked
for inside the archive or its extraction folder.  freezer/trace.py reads the
report and fails the build when the build environment had them.
"""

import os
import sys

# Audit events naming a path a trace run looks for (os.stat has none); a glob's
# pattern is reported as it is (the build checks what it matches there).
_PATH_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "glob.glob"})


class MissRecorder:
    """A trace run's record of what the archive lacked.  Last on sys.meta_path, it
    is asked for every module no finder found, whether or not the program catches
    the ModuleNotFoundError; an audit hook hears of every file opened and folder
    listed inside the archive or its extraction folder."""

    def __init__(self, loader):
        self._loader = loader
        self._modules = set()
        self._paths = set()

    def find_spec(self, fullname, path=None, target=None):
        self._modules.add(fullname)
        return None

    def invalidate_caches(self):
        pass

    def _root(self):
        """The extraction folder, once there is one (None while it is being filled)."""
        extractor = self._loader._extractor
        return extractor._root if extractor is not None else None

    def audit(self, event, args):
        if event not in _PATH_EVENTS or not args:
            return
        try:
            path = os.fsdecode(args[0])
        except TypeError:  # a file descriptor, or no path
            return
        root = self._root()
        if path.startswith(self._loader.prefix) or (root and path.startswith(root + os.sep)):
            self._paths.add(path)

    def report(self):
        """The modules not found that no finder after this one served later, and
        (archive path, in the extraction folder) of the paths that could not be
        there: nothing inside the archive is a real file; a glob pattern in the
        extraction folder counts when it matched nothing."""
        from glob import glob, has_magic
        modules = sorted(self._modules - sys.modules.keys())
        root = self._root()
        paths = []
        for path in sorted(self._paths):
            path = os.path.normpath(path)
            if path.startswith(self._loader.prefix):
                paths.append((path[len(self._loader.prefix):].replace(os.sep, "/"), False))
            elif root and path.startswith(root + os.sep) and not (
                    glob(path) if has_magic(path) else os.path.exists(path)):
                paths.append((path[len(root) + 1:].replace(os.sep, "/"), True))
        return modules, paths
