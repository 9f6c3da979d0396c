"""Stage 0 of a frozen app, and the one definition of the archive format.

Python runs this file as the archive's ``__main__``: zipimport reads it and
nothing else.  It opens the archive once, checks that this interpreter can run
the bytecode, loads the rest of the runtime from verified blobs and hands over.
In a Lambda package this file, plus a call of hand_over(), is the handler
module the runtime imports.

Rule: import only modules that are built in or already loaded when Python runs
a zip file (runpy has loaded os, importlib.util and friends by then).

Layout of an archive (all integers little-endian)::

    #!shebang line
    blobs        code blobs (PEP 552 hash-based .pyc) and zlib-compressed sources
    manifests    one marshal'd dict per interpreter (see MANIFEST_* keys)
    index        marshal'd tuple of the manifests, newest interpreter first: see
                 pack_index
    zip          __main__.pyc (this file, compiled for the newest interpreter),
                 __main__.py (runtime/zipmain.py, which runs BOOT_CODE_MEMBER or
                 BOOT_SOURCE_MEMBER on the others); its comment is the
    trailer      TRAILER_MAGIC, index offset (8), size (8), digest (4)

The freezer imports these names to write the format; nothing else defines it.
"""

import _thread
import marshal
import os
import sys
from _collections_abc import Mapping
from _frozen_importlib_external import MAGIC_NUMBER
from zlib import crc32

FORMAT_VERSION = 10
# The last byte counts the trailer's shapes: 2 points at an index of manifests.
TRAILER_MAGIC = b"FREEZE\x00\x02"
DIGEST_SIZE = 4
TRAILER_SIZE = len(TRAILER_MAGIC) + 8 + 8 + DIGEST_SIZE
RUNTIME_PACKAGE = "__freeze__"
# Zip members beside __main__.pyc: this file compiled for each other interpreter of
# the archive (by cache tag, cpython-310), and its source; runtime/zipmain.py runs them.
BOOT_CODE_MEMBER = RUNTIME_PACKAGE + "/boot.{}.pyc"
BOOT_SOURCE_MEMBER = RUNTIME_PACKAGE + "/boot.py"
LAMBDA_FOLDER = ".freeze"  # a Lambda package's archive and shipped files, in the task root
LAMBDA_SUFFIX = ".frz"  # the archive of a Lambda package's handler module <module>.frz
# Runtime modules.  Every process runs the last two, in order, at start; the others
# run when first asked for (runtime_module): most apps never need them.  Each may
# import only boot and the modules before it.
RUNTIME_MODULES = ("extract", "resources", "patches", "children", "generated", "trace",
                   "server", "importer", "entry")
RUNTIME_AT_START = RUNTIME_MODULES[-2:]

# Manifest keys.
MANIFEST_FORMAT = "format"
MANIFEST_PYTHON = "python"  # (version string, magic number)
MANIFEST_ENTRY = "entry"  # fields ENTRY_KIND, ENTRY_NAME, ENTRY_ATTRIBUTE
MANIFEST_LAZY = "lazy"  # {module loaded through LazyLoader: lazy modules to import with it}
MANIFEST_RUNTIME = "runtime"  # {runtime module name: record}
MANIFEST_MODULES = "modules"  # pack_records(): ({name: row}, rows, {name: path})
MANIFEST_EXTERNAL = "external"  # {module name: kind}: resolved, not carried
MANIFEST_FILES = "files"  # {path: WHERE}: package data, metadata, libraries
MANIFEST_EXTRACT = "extract"  # fields EXTRACT_*: see below
# WHERE the index is (pack_regex_index), then REGEXES_ENGINE, or None
MANIFEST_REGEXES = "regexes"
# WHERE code that modules generate is, compiled by a trace build (runtime/generated.py),
# then GENERATED_CALLERS, or None
MANIFEST_GENERATED = "generated"
# {module: a function of runtime/patches.py that adapts it right after it runs}: the
# run-time halves of the package hooks that fired (freezer/hooks.py)
MANIFEST_PATCHES = "patches"
MANIFEST_GC_FREEZE = "gc_freeze"  # bool: see importer.ArchiveLoader.exec_module
MANIFEST_TRACE = "trace"  # bool: record the run for freeze build --trace (importer.write_trace)
# bool: the archive holds files its distributions installed under the environment's
# prefix, in PREFIX_FOLDER; they are extracted at start and sys.prefix points there.
MANIFEST_PREFIX = "prefix"
# WHERE the table of why each module and file is in the archive is, for `freeze why`
# and `freeze inspect` (freezer/why.py writes and reads it); the runtime never reads it.
MANIFEST_REASONS = "reasons"
# fields SERVER_*: the warm start server of `freeze build --server` (runtime/server.py,
# docs/server.md): whether runs use one, the seconds an idle server waits before it
# exits, and the sorted modules it imports before it forks a child per run.
MANIFEST_SERVER = "server"
SERVER_ENABLED, SERVER_IDLE, SERVER_PRELOAD = range(3)
# "0" or "1" overrides MANIFEST_SERVER's flag for a run (docs/server.md).
SERVER_VARIABLE = "FREEZE_SERVER"
# Set only on a server process, by the run that spawns it: "PID:BASE", that run's pid
# and the path of the server's socket and lock without their suffixes.
SERVE_VARIABLE = "FREEZE_SERVE"

# Fields of the manifest's tuples, by position (module records: KIND ... below).
# MANIFEST_ENTRY: one of ENTRY_SCRIPT/MODULE/FUNCTION, the module, the attribute path or "".
ENTRY_KIND, ENTRY_NAME, ENTRY_ATTRIBUTE = range(3)
# MANIFEST_EXTRACT: the cache folder's key (hex), sorted paths, folder, sorted inits, units.
EXTRACT_KEY, EXTRACT_PATHS, EXTRACT_FOLDER, EXTRACT_INITS, EXTRACT_UNITS = range(5)
# A blob of a table or file: (offset, size, digest).  Tables' entries start with it.
WHERE = slice(0, 3)
# After WHERE: the regex engine the table is for (regex_engine()), and
# {module: names of the builtins it calls} of the generated-code table.
REGEXES_ENGINE = GENERATED_CALLERS = 3
PREFIX_FOLDER = ".prefix"  # not a module name: cannot collide with a package
# The extraction set's folder is "" when the files are written to the user cache
# at run time (key names the cache folder), or a path relative to the archive's
# folder where the files already are (a Lambda package ships them unzipped).  Files
# shipped that way are not in the payload.  The paths are files that must be real:
# their modules' __file__ points there.  The inits are the __init__ modules of the
# packages above them, written beside them so that the folder is a tree of packages;
# those modules still load from the archive.  Both are sorted tuples, not sets:
# before 3.11 marshal writes a set in hash order, which would make builds differ.
# The units are sorted tuples of paths, each written to the folder the first time
# one of its files is asked for (an extension module with the libraries it loads,
# a package folder's files); paths in no unit are written when the folder is made.

# What a `freeze build --trace` run reports (runtime/importer.py write_trace): a
# marshal'd dict with these keys, written to the file named by TRACE_VARIABLE.
TRACE_VARIABLE = "FREEZE_TRACE"
TRACE_PATTERNS = "patterns"  # [(pattern, flags)] re compiled beyond the regex table
TRACE_LOADED = "loaded"  # [module names] in sys.modules at exit
TRACE_SOURCES = "sources"  # [generated_key()] compiled while bundled modules imported
TRACE_CALLERS = "callers"  # [(module, builtin)] that compiled them
TRACE_MISSING_MODULES = "missing_modules"  # [names] no finder found
TRACE_MISSING_PATHS = "missing_paths"  # [(archive path, in the extraction folder)] not there

ENTRY_SCRIPT = "script"
ENTRY_MODULE = "module"
ENTRY_FUNCTION = "function"

# Module kinds.
KIND_MODULE = "module"
KIND_PACKAGE = "package"
KIND_NAMESPACE = "namespace"
KIND_EXTENSION = "extension"

# Fields of a module record, as Records hands them out.
KIND, PATH, OFFSET, SIZE, DIGEST, SOURCE_OFFSET, SOURCE_SIZE = range(7)
_KINDS = (KIND_MODULE, KIND_PACKAGE, KIND_NAMESPACE, KIND_EXTENSION)
# A record's row in the manifest: kind (1), offset (8), size (4), source offset (8),
# source size (4), digest (4).  One bytes object for all rows loads far faster
# than thousands of tuples; paths that follow from the name are not stored.
_ROW = 1 + 8 + 4 + 8 + 4 + DIGEST_SIZE

# PEP 552 header: magic, flags, source hash.  Blobs are hash-based and
# unchecked: the archive's digests, not a source file, vouch for them.
PYC_HEADER_SIZE = 16
PYC_FLAGS = (0b01).to_bytes(4, "little")


def _default_path(name, kind):
    base = name.replace(".", "/")
    return {KIND_MODULE: base + ".py", KIND_PACKAGE: base + "/__init__.py",
            KIND_NAMESPACE: base}.get(kind)


def pack_records(records):
    """{name: record} -> the manifest's compact form, read back by Records."""
    index: dict[str, int] = {}  # annotations in a function cost nothing at run time
    rows, paths = bytearray(), {}
    for name, (kind, path, offset, size, blob_digest, source_offset, source_size) in records.items():
        index[name] = len(index)
        rows += bytes([_KINDS.index(kind)]) + offset.to_bytes(8, "little")
        rows += size.to_bytes(4, "little") + source_offset.to_bytes(8, "little")
        rows += source_size.to_bytes(4, "little") + blob_digest.ljust(DIGEST_SIZE, b"\0")
        if path != _default_path(name, kind):
            paths[name] = path
    return index, bytes(rows), paths


class Records(Mapping):
    """Module name -> record tuple, decoded from the packed rows on first use."""

    def __init__(self, packed):
        self._index, self._rows, self._paths = packed
        self._decoded = {}

    def __getitem__(self, name):
        record = self._decoded.get(name)
        if record is None:
            start = self._index[name] * _ROW
            row = self._rows[start:start + _ROW]
            kind = _KINDS[row[0]]
            path = self._paths.get(name) or _default_path(name, kind)
            size = int.from_bytes(row[9:13], "little")
            record = self._decoded[name] = (
                kind, path, int.from_bytes(row[1:9], "little"), size,
                row[25:] if size else b"", int.from_bytes(row[13:21], "little"),
                int.from_bytes(row[21:25], "little"))
        return record

    def get(self, name, default=None):
        # The finder's hot path: most misses are standard-library modules.
        return self[name] if name in self._index else default

    def __contains__(self, name):
        return name in self._index

    def __iter__(self):
        return iter(self._index)

    def __len__(self):
        return len(self._index)


def digest(data):
    """The digest the manifest records for every blob and for itself: CRC-32, as
    zip files use.  It catches damage (a truncated download, a flipped bit), the
    only thing an unkeyed digest can, at a fraction of blake2b's cost on every
    module loaded (docs/performance.md)."""
    return crc32(data).to_bytes(DIGEST_SIZE, "little")


def regex_engine():
    """What a compiled regex program depends on: _sre's version, word size and byte order."""
    import _sre
    return (_sre.MAGIC, _sre.CODESIZE, sys.byteorder)


def regex_entry(flags, arguments):
    """A regex table entry, marshal'd (version 2) into the archive: the pattern and
    `flags` re's compile step was given, then the `arguments` re's compiler passed
    _sre.compile, the program as bytes (freezer/regexes.py has the target make them)."""
    pattern, final, code, groups, groupindex, indexgroup = arguments
    import _sre
    program = b"".join(word.to_bytes(_sre.CODESIZE, sys.byteorder) for word in code)
    return (pattern, flags, final, program, groups, dict(groupindex), tuple(indexgroup))


def regex_arguments(entry):
    """A regex_entry back into the arguments of _sre.compile."""
    pattern, _, final, program, groups, groupindex, indexgroup = entry
    return (pattern, final, memoryview(program).cast("I").tolist(), groups, groupindex,
            indexgroup)


_compile = compile  # the builtin: a trace run replaces it in builtins (runtime/generated.py)


def generated_key(source, filename, mode, flags, optimize):
    """The generated-code table's key (runtime/generated.py): everything compile() depends on."""
    return (source, filename, mode, flags, optimize)


def compile_generated(key):
    """The code compile() makes for a generated_key (the freezer's target does it too)."""
    source, filename, mode, flags, optimize = key
    return _compile(source, filename, mode, flags, True, optimize)


def lambda_archive(module):
    """A Lambda package's archive, relative to the task root, for handler `module`."""
    return LAMBDA_FOLDER + "/" + module + LAMBDA_SUFFIX


def distribution_key(name):
    """PEP 503's normal form of a distribution's name: runs of -, _ and . are one -,
    lower case.  The names of a dist-info folder and of a requirement compare by it."""
    out, previous = [], False
    for char in name.lower():
        separator = char in "-_."
        if not (separator and previous):
            out.append("-" if separator else char)
        previous = separator
    return "".join(out)


def regex_key(pattern, flags):
    """The regex index's key for re's (pattern, flags): a CRC-32 of the pattern,
    seeded with the flags and, for bytes, bit 31 (no re flag uses it).  Entries hold
    their pattern: a collision only costs a compile."""
    if isinstance(pattern, str):
        return crc32(pattern.encode("utf-8", "surrogatepass"), flags & 0x7FFFFFFF)
    return crc32(pattern, flags & 0x7FFFFFFF | 0x80000000)


# A regex index row: entry offset (8), size (4), digest (4).
_REGEX_ROW = 8 + 4 + DIGEST_SIZE


def pack_regex_index(entries):
    """{(pattern, flags): (offset, size, digest) of its entry} -> the index: a dict
    {regex_key: row} and the packed rows.  It stays in memory for the life of the
    app, so it holds no patterns: most of the patterns an app's modules hold are
    never compiled in a given run (rich: 12 of 331).  Each entry is a marshal'd
    regex_entry.  Of patterns
    sharing a key, the first keeps it; the others compile as usual."""
    keys: dict[int, int] = {}
    rows = bytearray()
    for (pattern, flags), (offset, size, entry_digest) in entries.items():
        key = regex_key(pattern, flags)
        if key not in keys:
            keys[key] = len(keys)
            rows += offset.to_bytes(8, "little") + size.to_bytes(4, "little") + entry_digest
    return keys, bytes(rows)


def regex_entries(index):
    """(offset, size, digest) of every entry of a regex index."""
    _, rows = index
    for start in range(0, len(rows), _REGEX_ROW):
        yield _regex_row(rows, start)


def find_regex(index, pattern, flags):
    """(offset, size, digest) of the entry that may hold (pattern, flags), or None."""
    keys, rows = index
    row = keys.get(regex_key(pattern, flags))
    return None if row is None else _regex_row(rows, row * _REGEX_ROW)


def _regex_row(rows, start):
    return (int.from_bytes(rows[start:start + 8], "little"),
            int.from_bytes(rows[start + 8:start + 12], "little"),
            rows[start + 12:start + _REGEX_ROW])


def pack_trailer(offset, size, index_digest):
    return (TRAILER_MAGIC + offset.to_bytes(8, "little")
            + size.to_bytes(8, "little") + index_digest)


def pack_index(manifests, launcher):
    """[(version string, magic number, offset, size, digest) of each manifest] and the
    launcher's bytes -> the index the trailer points at: (FORMAT_VERSION, rows, newest
    interpreter first, (size, digest) of the launcher, for freeze verify).  An archive
    holds one manifest per interpreter it was built for; the process reads only its own."""
    return (FORMAT_VERSION, tuple(sorted(manifests, key=lambda row: release(row[0]),
                                         reverse=True)),
            (len(launcher), digest(launcher)))


def release(version):
    """'3.12.1' -> (3, 12)."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split(".")[:2])


def python_label(version, magic):
    magic_int = int.from_bytes(magic[:2], "little")
    return "CPython {} (bytecode magic {})".format(version, magic_int)


def short_version(version):
    """'3.12.1' -> '3.12'."""
    return ".".join(version.split(".")[:2])


def blob_problem(blob, expected_digest, magic):
    """What is wrong with a code blob, or None: checked before any unmarshal."""
    if digest(blob) != expected_digest:
        return "digest mismatch"
    if blob[:4] != magic:
        return "bad magic number"
    if blob[4:8] != PYC_FLAGS:
        return "bad .pyc flags"
    return None


class ArchiveError(Exception):
    """The archive is not one we wrote, or it was damaged after the build."""


class Archive:
    """An open archive: its manifest and verified reads of its blobs.

    The file stays open for the life of the process; pread needs no seek, so
    threads and forked children can share the descriptor.
    """

    def __init__(self, path, magic=None):
        """Open the manifest for bytecode `magic`, ArchiveError naming the archive's
        interpreters when it has none; None opens the newest (freeze's own tools)."""
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        try:
            self.pythons = self._read_index()
            self.manifest = self._read_manifest(magic)
        except BaseException:
            os.close(self.fd)
            raise
        self.modules = Records(self.manifest[MANIFEST_MODULES])

    def close(self):
        os.close(self.fd)

    def _read_index(self):
        """{magic number: (version string, offset, size, digest)}, newest first."""
        end = os.fstat(self.fd).st_size
        trailer = os.pread(self.fd, TRAILER_SIZE, max(end - TRAILER_SIZE, 0))
        magic_end = len(TRAILER_MAGIC)
        if len(trailer) != TRAILER_SIZE or trailer[:magic_end] != TRAILER_MAGIC:
            raise ArchiveError("{}: not an archive of this version of freeze (no trailer "
                               "it reads); rebuild it with `freeze build`".format(self.path))
        offset = int.from_bytes(trailer[magic_end:magic_end + 8], "little")
        size = int.from_bytes(trailer[magic_end + 8:magic_end + 16], "little")
        data = os.pread(self.fd, size, offset)
        if len(data) != size or digest(data) != trailer[magic_end + 16:]:
            raise ArchiveError("{}: manifest index is damaged (digest mismatch); rebuild "
                               "the archive".format(self.path))
        index = marshal.loads(data)
        if index[0] != FORMAT_VERSION:  # the rest may have another shape
            raise ArchiveError("{}: archive format {!r} is not supported by this "
                               "runtime".format(self.path, index[0]))
        _, rows, self.launcher = index
        self.index_digest = trailer[magic_end + 16:]
        return {magic: (version, offset, size, expected)
                for version, magic, offset, size, expected in rows}

    def _read_manifest(self, magic):
        if magic is None:
            magic = next(iter(self.pythons))
        elif magic not in self.pythons:
            raise ArchiveError(self._not_for_this_python())
        _, offset, size, expected = self.pythons[magic]
        manifest = marshal.loads(self.read_checked(offset, size, expected, "manifest"))
        if manifest.get(MANIFEST_FORMAT) != FORMAT_VERSION:
            raise ArchiveError("{}: archive format {!r} is not supported by this "
                               "runtime".format(self.path, manifest.get(MANIFEST_FORMAT)))
        return manifest

    def _not_for_this_python(self):
        """Bytecode made for other CPythons is refused, naming them all."""
        versions = [version for version, *_ in self.pythons.values()]
        if len(versions) == 1:
            built = python_label(versions[0], next(iter(self.pythons)))
        else:
            built = "CPython {} and {}".format(", ".join(versions[:-1]), versions[-1])
        here = python_label(sys.version.split()[0], MAGIC_NUMBER)
        return ("{}: built for {}, but this is {}; run it with python{} or rebuild it "
                "with `freeze build --python python{}.{}`".format(
                    self.path, built, here, short_version(versions[0]), *sys.version_info[:2]))

    def shipped_folder(self):
        """Where the extraction set already is as real files (a Lambda package), or None."""
        folder = self.manifest[MANIFEST_EXTRACT][EXTRACT_FOLDER]
        return os.path.join(os.path.dirname(self.path), folder) if folder else None

    def read(self, offset, size):
        data = os.pread(self.fd, size, offset)
        if len(data) != size:
            raise ArchiveError("{}: truncated at byte {}; rebuild the archive"
                               .format(self.path, offset))
        return data

    def read_code(self, name, record):
        """Return the code object of a module, never unmarshalling bad bytes."""
        blob = self.read(record[OFFSET], record[SIZE])
        problem = blob_problem(blob, record[DIGEST], MAGIC_NUMBER)
        if problem is not None:
            raise ArchiveError("{}: module {!r} is damaged ({}); rebuild the archive"
                               .format(self.path, name, problem))
        return marshal.loads(memoryview(blob)[PYC_HEADER_SIZE:])

    def read_file(self, path):
        """Bytes of a data file (or extension module) by its path in the archive."""
        offset, size, expected = self.manifest[MANIFEST_FILES][path]
        return self.read_checked(offset, size, expected, "file {!r}".format(path))

    def read_regexes(self):
        """The index of the regular expressions the freezer compiled (see
        pack_regex_index), or None when this interpreter's regular expression engine
        is not the one they were compiled for."""
        entry = self.manifest.get(MANIFEST_REGEXES)
        if entry is None:
            return None
        if entry[REGEXES_ENGINE] != regex_engine():
            return None
        offset, size, expected = entry[WHERE]
        return marshal.loads(self.read_checked(offset, size, expected, "regex table"))

    def read_regex(self, index, pattern, flags):
        """The arguments re's compiler would pass _sre.compile for (pattern, flags),
        from the index's entry, or None if it has none."""
        where = find_regex(index, pattern, flags)
        if where is None:
            return None
        offset, size, expected = where
        entry = marshal.loads(self.read_checked(offset, size, expected, "regex table entry"))
        stored, stored_flags = entry[:2]
        if stored_flags != flags or type(stored) is not type(pattern) or stored != pattern:
            return None  # another pattern with the same key
        return regex_arguments(entry)

    def read_generated(self):
        """{generated_key(): marshal'd code}, the code a trace saw modules generate
        (runtime/generated.py); empty when there is none."""
        entry = self.manifest[MANIFEST_GENERATED]
        if entry is None:
            return {}
        offset, size, expected = entry[WHERE]
        return marshal.loads(self.read_checked(offset, size, expected, "generated code table"))

    def read_checked(self, offset, size, expected, what):
        data = self.read(offset, size)
        if digest(data) != expected:
            raise ArchiveError("{}: {} is damaged (digest mismatch); rebuild the archive"
                               .format(self.path, what))
        return data

    def read_source(self, record):
        """Source bytes of a module, or None if the archive was built without."""
        if not record[SOURCE_SIZE]:
            return None
        import zlib  # only tracebacks and inspect need sources
        return zlib.decompress(self.read(record[SOURCE_OFFSET], record[SOURCE_SIZE]))


def load_runtime(archive):
    """Create the private package of the runtime modules and run those every process needs."""
    package = type(sys)(RUNTIME_PACKAGE)
    package.__path__ = []
    package.__package__ = RUNTIME_PACKAGE
    sys.modules[RUNTIME_PACKAGE] = package
    sys.modules[RUNTIME_PACKAGE + ".boot"] = sys.modules[__name__]
    for short in RUNTIME_AT_START:
        runtime_module(archive, short)
    return package


_running = _thread.RLock()  # a thread asking for a runtime module another runs waits


def runtime_module(archive, short):
    """The runtime module `short`, run from the archive the first time it is asked for."""
    name = RUNTIME_PACKAGE + "." + short
    with _running:
        module = sys.modules.get(name)
        if module is None:
            module = sys.modules[name] = type(sys)(name)
            module.__package__ = RUNTIME_PACKAGE
            try:
                exec(archive.read_code(name, archive.manifest[MANIFEST_RUNTIME][name]),
                     module.__dict__)
            except BaseException:
                del sys.modules[name]
                raise
            setattr(sys.modules[RUNTIME_PACKAGE], short, module)
    return module


def start(path, guest=False, archive=None):
    """Open the archive (unless main() did) and install its importer: what every
    process of the app needs.

    A guest (a Lambda handler module, imported by someone else's program) leaves
    sys.path alone and reports an unusable archive as the ImportError of the
    module being imported; an app's own process exits with one line.
    """
    try:
        if archive is None:
            archive = Archive(path, MAGIC_NUMBER)
        runtime = load_runtime(archive)
    except (ArchiveError, OSError, ValueError, EOFError) as exc:
        if guest:
            raise ImportError("freeze: {}".format(exc), path=path) from None
        raise SystemExit("freeze: {}".format(exc)) from None
    return archive, runtime, runtime.importer.install(archive, isolate=not guest)


def main():
    # The import system sets __loader__ (zipimport's, as the zip runs us): mypy has no such global.
    path = os.path.abspath(__loader__.archive)  # type: ignore[name-defined]
    try:
        archive = Archive(path, MAGIC_NUMBER)
    except (ArchiveError, OSError, ValueError, EOFError) as exc:
        raise SystemExit("freeze: {}".format(exc)) from None
    serving = os.environ.pop(SERVE_VARIABLE, None)
    if serving is not None:  # spawned by _spawn_server: this process is the server
        archive, runtime, finder = start(path, archive=archive)
        runtime_module(archive, "server").serve(archive, runtime, finder, serving)
        return
    if _server_wanted(archive):
        _run_served(archive)  # returns only when no server ran the app
    archive, runtime, finder = start(path, archive=archive)
    runtime.entry.run(archive, finder)


# The warm start server's client (docs/server.md; the server is runtime/server.py).  It
# runs before the runtime loads, on every start of a --server archive, so it uses only
# builtins, os, marshal, _signal and _socket (socket imports a dozen modules).
# Variables the interpreter reads once at start (the locale, and so the standard
# streams' encoding; the time zone time's constants hold): a server started under
# other values would decide differently, so they are part of its key.
_START_VARIABLES = ("LC_ALL", "LC_CTYPE", "LANG", "TZ")
# Seconds a run waits for a server to take it; a busy, stopped or broken server
# costs a run at most this before it starts as usual.
_ACCEPT_TIMEOUT = 1.0
_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH",
            "SIGCONT", "SIGTSTP")  # forwarded to the server's child
_SOCKET_PATH_ROOM = 108  # bytes of a socket's path, its NUL included (sun_path)
STATUS_LOST = 1  # the exit status of a run whose server-side parent was killed


def _server_wanted(archive):
    """A --server archive (or FREEZE_SERVER=1), on Linux, not a trace run, and with
    the standard streams open (a child could not be handed closed ones)."""
    override = os.environ.get(SERVER_VARIABLE)
    enabled = (archive.manifest[MANIFEST_SERVER][SERVER_ENABLED] if override is None
               else override == "1")
    if not enabled or sys.platform != "linux" or TRACE_VARIABLE in os.environ:
        return False
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


def server_folder():
    """The folder of this user's server sockets: $XDG_RUNTIME_DIR/freeze when that
    is ours, else freeze-UID-server in the temp folder; None when the folder is not
    private to this user (then no server is used)."""
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/") and _private(runtime, uid, 0o022):
        folder = runtime + "/freeze"
    else:
        temp = os.environ.get("TMPDIR", "")
        folder = "{}/freeze-{}-server".format(temp if temp.startswith("/") else "/tmp", uid)
    if not _private(folder, uid, 0o077):
        try:
            os.mkdir(folder, 0o700)
        except OSError:
            return None
        if not _private(folder, uid, 0o077):
            return None
    return folder


def _private(folder, uid, forbidden):
    """A real folder, owned by `uid`, with none of the `forbidden` mode bits."""
    try:
        status = os.lstat(folder)
    except OSError:
        return False
    return (status.st_mode & 0o170000 == 0o040000 and status.st_uid == uid
            and not status.st_mode & forbidden)


def server_identity(archive):
    """What a server must share with a run to stand in for it: the archive (path,
    digest and file identity: a rebuilt archive gets a new server), the interpreter
    and its options, and the environment the interpreter read at start."""
    status = os.fstat(archive.fd)
    variables = [(name, os.environ.get(name)) for name in _START_VARIABLES]
    if not sys.flags.ignore_environment:
        variables += sorted((name, value) for name, value in os.environ.items()
                            if name.startswith("PYTHON"))
    return (archive.path, archive.index_digest, status.st_dev, status.st_ino, status.st_size,
            status.st_mtime_ns, sys.executable, sys.implementation.cache_tag,
            tuple(_interpreter_options()), tuple(variables))


def server_base(folder, identity):
    """The path of a server's socket and lock, without their suffixes: 16 hex digits
    of the identity (a server checks the whole identity of each request)."""
    data = repr(identity).encode("utf-8", "surrogateescape")
    return "{}/{:08x}{:08x}".format(folder, crc32(data), crc32(data, 0x9E3779B9))


def _interpreter_options():
    """The options python was given before the archive's path (-I, -S, -X ...)."""
    return sys.orig_argv[1:len(sys.orig_argv) - len(sys.argv)]


def _run_served(archive):
    """Have this archive's server run the app for this process and exit as it
    exits; return if there is no server to take it (starting one for next time)."""
    folder = server_folder()
    if folder is None:
        return
    identity = server_identity(archive)
    base = server_base(folder, identity)
    if len(os.fsencode(base)) + len(".sock") >= _SOCKET_PATH_ROOM:
        return  # no server could bind there
    import _signal  # type: ignore[import-not-found]  # signal imports enum
    import _socket
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    saved = None
    try:
        connection.settimeout(_ACCEPT_TIMEOUT)
        try:
            connection.connect(base + ".sock")
        except OSError:
            _spawn_server(archive, base)
            return
        pid = _handshake(connection, identity, _signal, _socket)
        if pid is None:
            return
        # Forwarding starts before the child may run: a signal never finds us unprepared.
        saved = _forward_signals(pid, _signal)
        connection.sendall(b"G")
        connection.settimeout(None)
        reply = receive(connection, 8)
    except OSError:
        for number, handler in (saved or {}).items():
            _signal.signal(number, handler)
        return
    finally:
        connection.close()
    _exit_as(STATUS_LOST if reply is None else int.from_bytes(reply, "little", signed=True))


def _handshake(connection, identity, _signal, _socket):
    """Send the request and our standard streams; the pid of the child that will run
    it once we confirm (it runs nothing before), or None."""
    umask = os.umask(0)
    os.umask(umask)
    ignored = tuple(number for number in range(1, _signal.NSIG)
                    if _signal.getsignal(number) is _signal.SIG_IGN)
    request = (identity, sys.argv, sys.orig_argv, dict(os.environb), os.getcwdb(), umask,
               ignored, tuple(_signal.pthread_sigmask(_signal.SIG_BLOCK, ())))
    send_request(connection, request, (0, 1, 2), _socket)
    reply = receive(connection, 8)
    return None if reply is None else int.from_bytes(reply, "little")


def send_request(connection, request, fds, _socket):
    """A run's request, marshal'd after its length, with the descriptors `fds`
    (SCM_RIGHTS): from the client to a server's monitor, and on to the child."""
    data = marshal.dumps(request)
    data = len(data).to_bytes(8, "little") + data
    ancillary = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)
    sent = connection.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, ancillary)])
    if sent < len(data):
        connection.sendall(data[sent:])


def receive(connection, size):
    """`size` bytes from `connection`, or None if it closes first."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _forward_signals(pid, _signal):
    """Forward our signals to the process group of the child `pid`; the handlers
    replaced, to restore if the child never runs."""
    def forward(number, frame):
        try:
            os.killpg(pid, number)
        except OSError:
            pass
        if number == _signal.SIGTSTP:  # stop as the child did; SIGCONT resumes both
            os.kill(os.getpid(), _signal.SIGSTOP)

    saved = {}
    for name in _SIGNALS:
        number = getattr(_signal, name)
        handler = _signal.getsignal(number)
        if handler is not _signal.SIG_IGN:
            saved[number] = _signal.signal(number, forward)
    return saved


def _exit_as(status):
    """Exit as the child did: with its status, or killed by its signal."""
    if status < 0:
        import _signal
        if -status not in (_signal.SIGKILL, _signal.SIGSTOP):  # these cannot be caught
            _signal.signal(-status, _signal.SIG_DFL)
            _signal.pthread_sigmask(_signal.SIG_UNBLOCK, (-status,))
        os.kill(os.getpid(), -status)
        status = 128 - status
    os._exit(status)


def _spawn_server(archive, base):
    """Start this archive's server for the runs after this one: a fresh interpreter
    with our options, in a session of its own, its streams on /dev/null."""
    environment = dict(os.environ)
    environment[SERVE_VARIABLE] = "{}:{}".format(os.getpid(), base)
    null = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0),
            (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2)]
    try:
        os.posix_spawn(sys.executable, [sys.executable, *_interpreter_options(), archive.path],
                       environment, file_actions=null, setsid=True, setsigmask=())
    except OSError:
        pass


def hand_over(name, task_root):
    """A Lambda package's handler module `name`: start the archive beside it as a
    guest (once per execution environment, as a module body runs once), then run
    the frozen module of the same name in its place."""
    path = os.path.join(task_root, lambda_archive(name))
    archive, runtime, finder = start(path, guest=True)
    runtime.entry.run_in_place(finder, name)


if __name__ == "__main__":
    main()
