"""Files that must exist on disk: extension modules, the shared libraries beside
them, and packages that open files next to their own ``__file__``, with the
``__init__`` of every package above them.

They are written once per machine into a folder of the user cache named by a
digest of their contents, so later runs only stat.  The folder is filled under
a temporary name and renamed into place: concurrent first runs are safe, and a
half-written folder can never be seen.  A folder that is not private to this
user is never trusted; when the cache cannot be written a private folder in the
temp directory is used instead.  A Lambda package ships the files unzipped
beside the archive, where they are used as they are: nothing is written.

Once the folder is there it goes on sys.path, after the standard library, as
site-packages would: it is a tree of packages, and code that maps a file back to
its module through sys.path finds the extracted modules' names (astroid, which
pylint uses to import the checkers it lists in its extracted folder).  The
archive's finder still answers first for every bundled module.
"""

import os
import sys

from .boot import EXTRACT_INITS, EXTRACT_KEY, EXTRACT_PATHS, MANIFEST_EXTRACT

_MARKER = ".freeze-complete"
_STAGING = ".tmp-"  # a folder being filled: .tmp-<pid>-<random>
_THREADED = 200  # files: below this, threads cost more than they save
_THREADS = 4


def cache_home():
    """The user cache directory, as platformdirs.user_cache_dir would say."""
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches")
    if os.name == "nt":
        return os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    home = os.environ.get("XDG_CACHE_HOME", "").strip()
    return home if os.path.isabs(home) else os.path.expanduser("~/.cache")


class Extractor:
    """The archive's files that must be real, and where they are."""

    def __init__(self, archive, read):
        self.read = read  # archive path -> bytes (resources.Tree.read)
        # paths: files whose modules point into the folder; inits: only written there.
        extract = archive.manifest[MANIFEST_EXTRACT]
        self.key, self.paths = extract[EXTRACT_KEY], extract[EXTRACT_PATHS]
        self.inits = extract[EXTRACT_INITS]
        self._shipped = archive.shipped_folder()
        self._root = None

    def root(self):
        """The folder holding the extracted files, extracting them on first use
        and putting it on sys.path."""
        if self._root is None:
            self._root = self._shipped or self._find_or_extract()
            if self._root not in sys.path:  # a spawned child may have it already
                sys.path.append(self._root)
        return self._root

    def _find_or_extract(self):
        for parent in _parents():
            root = os.path.join(parent, self.key)
            try:
                if not _trusted(root):
                    os.makedirs(parent, mode=0o700, exist_ok=True)
                    self._extract(parent, root)
                if _trusted(root):
                    return root
            except OSError:
                continue
        import tempfile  # last resort: a fresh private folder, removed at exit
        root = tempfile.mkdtemp(prefix="freeze-")
        self._write_all(root)
        import atexit
        import shutil
        atexit.register(shutil.rmtree, root, True)
        return root

    def _extract(self, parent, root):
        """Fill `root` through a staging folder.  Only os on the common path:
        tempfile and shutil cost more to import than a small package takes to write."""
        # Planted or damaged: replace it.  Checked again here, as a concurrent
        # first run may have completed it since our caller looked.
        if os.path.lexists(root) and not _trusted(root):
            import shutil
            shutil.rmtree(root)
        _remove_stale(parent)
        staging = os.path.join(parent, "{}{}-{}".format(_STAGING, os.getpid(),
                                                        os.urandom(6).hex()))
        os.mkdir(staging, 0o700)
        try:
            self._write_all(staging)
            os.rename(staging, root)
        except BaseException as exc:  # Ctrl-C too: nothing half-written stays behind
            import shutil
            shutil.rmtree(staging, True)
            # another process winning the race is fine
            if not isinstance(exc, OSError) or not _trusted(root):
                raise

    def _write_all(self, root):
        """Each folder once, then the files; many files from a few threads: creating
        files is system-call bound, and the calls release the GIL.

        Everything is read first, here: extraction runs inside find_spec, under
        the import lock, so a thread that imported anything would deadlock.
        """
        items = [(os.path.join(root, *path.split("/")), self.read(path))
                 for path in sorted(self.paths + self.inits)]
        for folder in sorted({os.path.dirname(target) for target, _ in items}):
            os.makedirs(folder, exist_ok=True)

        def write(share):
            for target, data in share:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
                with open(fd, "wb") as file:
                    file.write(data)

        if len(items) < _THREADED:
            write(items)
        else:
            _in_threads(write, [items[i::_THREADS] for i in range(_THREADS)])
        with open(os.path.join(root, _MARKER), "w") as file:
            file.write(self.key)


def _remove_stale(parent):
    """Staging folders whose process is gone: a run killed while it extracted (a
    SIGKILL leaves no chance to clean up)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        pid = name[len(_STAGING):].partition("-")[0]
        if name.startswith(_STAGING) and pid.isdigit() and not _alive(int(pid)):
            import shutil
            shutil.rmtree(os.path.join(parent, name), True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: alive
        pass
    return True


def _in_threads(work, shares):
    """Run work(share) for each share in its own thread; re-raise the first failure."""
    import threading
    failures = []

    def run(share):
        try:
            work(share)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _parents():
    """Where extraction folders may live: the user cache, else the temp directory."""
    yield os.path.join(cache_home(), "freeze")
    yield temp_parent()


def temp_parent():
    """The private temp folder runs fall back to (freezer/cache.py lists it too)."""
    import tempfile
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(tempfile.gettempdir(), "freeze-{}".format(uid))


def _trusted(root):
    """Complete, owned by this user, and writable by nobody else."""
    try:
        marker = os.stat(os.path.join(root, _MARKER))
        folder = os.lstat(root)
    except OSError:
        return False
    if hasattr(os, "getuid") and (folder.st_uid != os.getuid() or marker.st_uid != os.getuid()):
        return False
    return not folder.st_mode & 0o022
