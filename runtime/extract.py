"""Files that must exist on disk: extension modules, the shared libraries beside
them, and packages that open files next to their own ``__file__``, with the
``__init__`` of every package above them.

They are written once per machine into a folder of the user cache named by a
digest of their contents, so later runs only stat.  The folder is filled under
a temporary name and renamed into place: concurrent first runs are safe, and a
half-written folder can never be seen.  Only the files every run may need go in
then; the units (an extension module with the libraries it loads, the files of a
package folder) are written the first time one of their files is asked for, each
file under a temporary name renamed into place, and recorded done by a marker:
a run writes what it loads, not every library a package carries.  A folder that
is not private to this user is never trusted; when the cache cannot be written
a private folder in the temp directory is used instead.  A Lambda package ships
the files unzipped beside the archive, where they are used as they are: nothing
is written.

Once the folder is there it goes on sys.path, after the standard library, as
site-packages would: it is a tree of packages, and code that maps a file back to
its module through sys.path finds the extracted modules' names (astroid, which
pylint uses to import the checkers it lists in its extracted folder).  The
archive's finder still answers first for every bundled module.
"""

import os
import sys
from zlib import crc32

from .boot import (
    DIGEST_SIZE, EXTRACT_INITS, EXTRACT_KEY, EXTRACT_PATHS, EXTRACT_UNITS, MANIFEST_EXTRACT,
    MANIFEST_FILES, ArchiveError,
)

_MARKER = ".freeze-complete"
_UNITS = ".freeze-units"  # a marker per unit written: its index
_STAGING = ".tmp-"  # a folder or file being filled: .tmp-<pid>-<random>
_THREADED_FILES = 200  # below this many files and _THREADED_BYTES, one thread is faster
_THREADED_BYTES = 8 << 20
_THREADS = 4
_CHUNK = 1 << 20  # copied, checked and written a chunk at a time: it stays in the CPU cache
_PREADV = hasattr(os, "preadv")


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
        self.archive = archive
        self.read = read  # archive path -> bytes (resources.Tree.read)
        # paths: files whose modules point into the folder; inits: only written there.
        extract = archive.manifest[MANIFEST_EXTRACT]
        self.key, self.paths = extract[EXTRACT_KEY], extract[EXTRACT_PATHS]
        self.inits, self.units = extract[EXTRACT_INITS], extract[EXTRACT_UNITS]
        self._unit_of = {path: index for index, unit in enumerate(self.units) for path in unit}
        self._written = set()  # units known written
        self._shipped = archive.shipped_folder()
        self._root = None

    def root(self):
        """The folder holding the extracted files, extracting those not in units on
        first use and putting it on sys.path."""
        if self._root is None:
            self._root = self._shipped or self._find_or_extract()
            if self._root not in sys.path:  # a spawned child may have it already
                sys.path.append(self._root)
        return self._root

    def real(self, path):
        """The real file of the extracted archive path `path`, written now if its
        unit is not yet."""
        root = self.root()
        index = self._unit_of.get(path)
        if index is not None and index not in self._written and not self._shipped:
            self._write_unit(root, index)
        return os.path.join(root, path)

    def complete(self, folder):
        """Write every unit with a file below `folder`: code listing a package's
        folder finds all its files."""
        below = folder + "/"
        for path in self._unit_of:
            if path.startswith(below):
                self.real(path)

    def real_file(self, path):
        """Write the unit of `path`, a file name inside the folder (code building it
        from an extracted module's ``__file__``), if it is in one not yet written."""
        root, path = self._root, os.path.normpath(path)  # "here/../pkg.libs/x.so"
        if root is not None and path.startswith(root + os.sep):
            self.real(path[len(root) + 1:].replace(os.sep, "/"))

    def _write_unit(self, root, index):
        units = os.path.join(root, _UNITS)
        marker = os.path.join(units, str(index))
        if not os.path.exists(marker):
            os.makedirs(units, 0o700, exist_ok=True)
            _remove_stale(units)
            # A library shared with a unit written before is there already: renamed
            # into place whole, a file that exists is complete.
            self._write(root, [path for path in self.units[index]
                               if not os.path.exists(os.path.join(root, path))], units)
            with open(marker, "w"):
                pass
        self._written.add(index)

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
        self._write_up_front(root)
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
            self._write_up_front(staging)
            os.rename(staging, root)
        except BaseException as exc:  # Ctrl-C too: nothing half-written stays behind
            import shutil
            shutil.rmtree(staging, True)
            # another process winning the race is fine
            if not isinstance(exc, OSError) or not _trusted(root):
                raise

    def _write_up_front(self, root):
        """The files in no unit, the inits, and the marker that says they are there."""
        self._write(root, sorted(set(self.paths).difference(self._unit_of) | set(self.inits)))
        with open(os.path.join(root, _MARKER), "w") as file:
            file.write(self.key)

    def _write(self, root, paths, staging=None):
        """Write `paths` below `root`, each straight to its place, or (`staging` given:
        the folder is in use) to a temporary name there renamed into place.  Many
        files or bytes go from a few threads: the system calls and crc32 release the
        GIL.  Nothing imports here: this runs inside find_spec, under the import lock,
        so a thread that imported would deadlock."""
        for folder in sorted({os.path.dirname(os.path.join(root, path)) for path in paths}):
            os.makedirs(folder, exist_ok=True)
        files = self.archive.manifest[MANIFEST_FILES]
        sizes = {path: files[path][1] if path in files else 0 for path in paths}
        # Module sources are read here, as reading them may load a runtime module.
        sources = {path: self.read(path) for path in paths if path not in files}

        def write(share):
            for path in share:
                target = os.path.join(root, *path.split("/"))
                if staging is None:
                    self._write_file(path, target, sources)
                    continue
                temporary = os.path.join(staging, "{}{}-{}".format(
                    _STAGING, os.getpid(), os.urandom(6).hex()))
                try:
                    self._write_file(path, temporary, sources)
                    os.rename(temporary, target)
                except BaseException:
                    _unlink(temporary)
                    raise

        if len(paths) < _THREADED_FILES and sum(sizes.values()) < _THREADED_BYTES:
            write(paths)
            return
        shares: list[list[str]] = [[] for _ in range(_THREADS)]
        loads = [0] * _THREADS
        for path in sorted(paths, key=sizes.__getitem__, reverse=True):
            lightest = loads.index(min(loads))  # biggest first, to the least loaded
            shares[lightest].append(path)
            loads[lightest] += sizes[path] + 4096  # a file's cost beyond its bytes
        _in_threads(write, [share for share in shares if share])

    def _write_file(self, path, target, sources):
        """Copy one file out of the archive, checking its digest on the way; a
        module's source is in `sources`, decompressed."""
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
        try:
            if path in sources:
                _write_fully(fd, sources[path])
            else:
                _copy_checked(self.archive, path, self.archive.manifest[MANIFEST_FILES][path],
                              fd)
        finally:
            os.close(fd)


def patch_ctypes(ctypes, loader):
    """A library that code loads by path with ctypes (CDLL, PyDLL, cdll.LoadLibrary)
    before the extension module whose unit carries it is written first."""
    load = ctypes.CDLL.__init__

    def __init__(self, name, *args, **kwargs):
        if isinstance(name, (str, os.PathLike)):
            loader.extractor.real_file(os.fspath(name))
        load(self, name, *args, **kwargs)

    ctypes.CDLL.__init__ = __init__


def _copy_checked(archive, path, where, fd):
    offset, size, expected = where
    buffer = memoryview(bytearray(min(size, _CHUNK)))
    digest = done = 0
    while done < size:
        wanted = min(_CHUNK, size - done)
        if _PREADV:  # into one buffer: a fresh 1 MiB bytes object per read faults its pages in
            chunk = buffer[:os.preadv(archive.fd, [buffer[:wanted]], offset + done)]
        else:  # macOS before 11
            chunk = memoryview(os.pread(archive.fd, wanted, offset + done))
        if len(chunk) != wanted:
            raise ArchiveError("{}: truncated at byte {}; rebuild the archive"
                               .format(archive.path, offset + done))
        digest = crc32(chunk, digest)
        _write_fully(fd, chunk)
        done += wanted
    if digest.to_bytes(DIGEST_SIZE, "little") != expected:
        raise ArchiveError("{}: file {!r} is damaged (digest mismatch); rebuild the archive"
                           .format(archive.path, path))


def _write_fully(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_stale(parent):
    """Staging folders and files whose process is gone: a run killed while it extracted (a
    SIGKILL leaves no chance to clean up)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        pid = name[len(_STAGING):].partition("-")[0]
        if name.startswith(_STAGING) and pid.isdigit() and not _alive(int(pid)):
            path = os.path.join(parent, name)
            if os.path.isdir(path):
                import shutil
                shutil.rmtree(path, True)
            else:
                _unlink(path)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: alive
        pass
    return True


def _in_threads(work, shares):
    """Run work(share) for each share, the first in this thread and each other in
    a thread of its own; re-raise the first failure."""
    if len(shares) == 1:  # one big file: a thread would only cost its start
        work(shares[0])
        return
    import threading
    failures = []

    def run(share):
        try:
            work(share)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares[1:]]
    for thread in threads:
        thread.start()
    run(shares[0])
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
