"""Write an archive: launcher, blobs, manifest, then a small zip Python can run.

The format itself is defined in runtime/boot.py; this module only lays bytes
out in that order.  Output is byte-identical for identical inputs (sorted
records, deduplicated blobs, fixed timestamps) and appears atomically.
"""

from __future__ import annotations

import hashlib
import io
import marshal
import os
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from .errors import OutputError
from .runtime import boot

_RUNTIME = Path(boot.__file__).parent
_ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can hold


@dataclass(frozen=True)
class Member:
    """A module as stored: `path` is relative to the archive, `code` a .pyc blob."""

    name: str
    kind: str
    path: str
    code: Optional[bytes] = None
    source: Optional[bytes] = None


@dataclass(frozen=True)
class Entry:
    """What the archive runs: `kind` is boot's ENTRY_SCRIPT (the module is __main__),
    ENTRY_MODULE (runpy's -m) or ENTRY_FUNCTION (`attribute` of `module`, dotted)."""

    kind: str
    module: str
    attribute: str = ""

    def packed(self) -> tuple[Any, ...]:
        """The manifest's form (boot.MANIFEST_ENTRY)."""
        return _fields({boot.ENTRY_KIND: self.kind, boot.ENTRY_NAME: self.module,
                        boot.ENTRY_ATTRIBUTE: self.attribute})


@dataclass(frozen=True)
class Layout:
    """What the writer needs beyond the modules themselves."""

    python: tuple[str, bytes]  # version string, magic number
    entry: Entry
    # modules to load through importlib.util.LazyLoader -> lazy modules to import with each
    lazy: Mapping[str, tuple[str, ...]]
    external: Mapping[str, str]
    # runtime/boot.py as a .pyc for the target: the zip's __main__.pyc when the target is
    # the archive's newest interpreter (a zip has room for one)
    boot_code: bytes
    # Folder, relative to the archive's, where the extraction set is shipped as
    # real files (a Lambda package); "" extracts it to the user cache at run time.
    shipped: str = ""
    # Prebuilt regular expressions: (engine key, {(pattern, flags): marshal'd entry}), see
    # freezer/regexes.py.
    regexes: Optional[tuple[tuple, dict[tuple[str | bytes, int], bytes]]] = None
    # Code generated while modules import, from a trace: (marshal'd table, {module: builtins
    # it calls}), see freezer/generated.py.
    generated: Optional[tuple[bytes, dict[str, tuple[str, ...]]]] = None
    # {module: run-time patch} of the package hooks that fired (freezer/hooks.py)
    patches: Mapping[str, str] = field(default_factory=dict)
    # All but pause the cyclic garbage collector while bundled modules import, and freeze
    # what they built (runtime/importer.py ArchiveLoader.exec_module).
    gc_freeze: bool = True
    # A trace build's archive records its run (freezer/trace.py).
    trace: bool = False
    # Why each module and file is there (freezer/why.py), compressed; never read at run time.
    reasons: Optional[bytes] = None
    # The warm start server: fields boot.SERVER_* (freezer/build.py _server).
    server: tuple[bool, float, tuple[str, ...]] = (False, 600.0, ())


def launcher(pythons: Sequence[str], shebang: Optional[str]) -> bytes:
    """`#!shebang`, or by default a /bin/sh trampoline running `python -S` on the
    archive: the first of `pythons` (newest first) found on PATH.

    -S skips `site`, which costs tens of milliseconds in a full environment and
    adds nothing a frozen app may use.  A shebang line cannot pass options
    portably (`env -S` is not everywhere), so a few lines of sh do it; Python
    reading the archive as a zip ignores them like any prefix.
    """
    if shebang is not None:
        return f"#!{shebang}\n".encode()
    if len(pythons) == 1:
        return f'#!/bin/sh\nexec {pythons[0]} -S "$0" "$@"\n'.encode()
    names = " ".join(pythons)
    return (f'#!/bin/sh\nfor p in {names}; do command -v $p >/dev/null && exec $p -S "$0" "$@"'
            f'; done\necho "$0: needs one of {names} on PATH" >&2; exit 127\n').encode()


@dataclass(frozen=True)
class Contents:
    """One interpreter's part of an archive, written as its own manifest.  Parts
    share the blob area: what is identical (sources, data, metadata) is stored once."""

    layout: Layout
    modules: Sequence[Member]
    runtime: Sequence[Member]
    files: Mapping[str, bytes]
    # extraction_set()'s answer; `inits` the paths in it of package ``__init__``
    # modules extracted only to complete the folder tree: they still load from the archive.
    extract: Mapping[str, bytes]
    inits: Set[str] = frozenset()
    # Groups of extracted paths written when first needed (freezer/extraction.py).
    units: Sequence[Sequence[str]] = ()


class _Payload:
    """The blob area: appends bytes once per distinct content, returns offsets."""

    def __init__(self, head: bytes) -> None:
        self.data = bytearray(head)
        self._offsets: dict[bytes, int] = {}

    def put(self, blob: bytes) -> tuple[int, int]:
        if blob not in self._offsets:
            self._offsets[blob] = len(self.data)
            self.data += blob
        return self._offsets[blob], len(blob)

    def record(self, member: Member) -> tuple:
        if member.code is None:
            return (member.kind, member.path, 0, 0, b"", 0, 0)
        offset, size = self.put(member.code)
        source_offset = source_size = 0
        if member.source is not None:
            source_offset, source_size = self.put(zlib.compress(member.source, 9))
        return (member.kind, member.path, offset, size, boot.digest(member.code),
                source_offset, source_size)


def build_bytes(parts: Sequence[Contents], launcher: bytes) -> bytes:
    """The complete archive as bytes: one manifest per part (per interpreter), the
    index of them, and the zip that starts boot (_zip_members)."""
    payload = _Payload(launcher)
    rows = []
    for part in parts:
        manifest = _manifest(payload, part)
        rows.append((*part.layout.python, *payload.put(manifest), boot.digest(manifest)))
    form, ordered, head = boot.pack_index(rows, launcher)
    index = marshal.dumps((form, ordered, head))
    newest = next(part for part in parts if part.layout.python[1] == ordered[0][1])
    offset, size = payload.put(index)
    trailer = boot.pack_trailer(offset, size, boot.digest(index))
    return _append_zip(payload.data, _zip_members(parts, newest), trailer)


def _manifest(payload: _Payload, part: Contents) -> bytes:
    """Store `part`'s blobs in `payload` and return its marshal'd manifest."""
    layout, modules, files, extract = part.layout, part.modules, part.files, part.extract
    real = frozenset(extract) - part.inits  # modules and files whose paths point there
    if layout.shipped:  # the files travel beside the archive, not in it
        files = {path: data for path, data in files.items() if path not in real}
        modules = [replace(m, source=None) if m.path in real else m for m in modules]
    runtime_records = {m.name: payload.record(m) for m in sorted(part.runtime, key=_by_name)}
    module_records = {m.name: payload.record(m) for m in sorted(modules, key=_by_name)}
    file_records = {}
    for path in sorted(files):
        offset, size = payload.put(files[path])
        file_records[path] = (offset, size, boot.digest(files[path]))
    # Names the extraction folder shared by every archive with the same files: a
    # strong hash, as a collision would hand one app another's files.
    units = tuple(unit for unit in (tuple(p for p in u if p in real) for u in part.units) if unit)
    # The units are in the key: a folder's record of the units written means the same
    # files for every archive sharing it.
    key = _strong_digest(b"".join(path.encode() + b"\0" + _strong_digest(extract[path])
                                  for path in sorted(extract)) + marshal.dumps(units))
    regexes = None
    if layout.regexes is not None:
        engine, table = layout.regexes
        entries = {}
        for pattern, entry in table.items():
            entries[pattern] = (*payload.put(entry), boot.digest(entry))
        index = marshal.dumps(boot.pack_regex_index(entries))
        regexes = (*payload.put(index), boot.digest(index), engine)
    generated = None
    if layout.generated is not None:
        code, callers = layout.generated
        generated = (*payload.put(code), boot.digest(code), callers)
    reasons = None
    if layout.reasons is not None:
        reasons = (*payload.put(layout.reasons), boot.digest(layout.reasons))
    return marshal.dumps({
        boot.MANIFEST_FORMAT: boot.FORMAT_VERSION,
        boot.MANIFEST_PYTHON: layout.python,
        boot.MANIFEST_ENTRY: layout.entry.packed(),
        # Interned, a name is one object that marshal writes once.
        boot.MANIFEST_LAZY: {sys.intern(name): tuple(map(sys.intern, imports))
                             for name, imports in sorted(layout.lazy.items())},
        boot.MANIFEST_RUNTIME: runtime_records,
        boot.MANIFEST_MODULES: boot.pack_records(module_records),
        boot.MANIFEST_EXTERNAL: dict(sorted(layout.external.items())),
        boot.MANIFEST_FILES: file_records,
        # Sorted tuples, not sets: before 3.11 marshal writes a set in iteration order,
        # which follows this process's hash seed, and a build must be reproducible.
        boot.MANIFEST_EXTRACT: _fields({boot.EXTRACT_KEY: key.hex(),
                                        boot.EXTRACT_PATHS: tuple(sorted(real)),
                                        boot.EXTRACT_FOLDER: layout.shipped,
                                        boot.EXTRACT_INITS: tuple(sorted(frozenset(extract)
                                                                         & part.inits)),
                                        boot.EXTRACT_UNITS: units}),
        boot.MANIFEST_REGEXES: regexes,
        boot.MANIFEST_GENERATED: generated,
        boot.MANIFEST_PATCHES: dict(sorted(layout.patches.items())),
        boot.MANIFEST_GC_FREEZE: layout.gc_freeze,
        boot.MANIFEST_TRACE: layout.trace,
        boot.MANIFEST_PREFIX: any(path.startswith(boot.PREFIX_FOLDER + "/") for path in real),
        boot.MANIFEST_REASONS: reasons,
        boot.MANIFEST_SERVER: layout.server,
    }, 4)


def _fields(values: Mapping[int, Any]) -> tuple[Any, ...]:
    """A manifest tuple from its fields, keyed by boot's position constants."""
    return tuple(values[position] for position in range(len(values)))


def _strong_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _by_name(member: Member) -> str:
    return member.name


def _append_zip(head: bytearray, members: Mapping[str, bytes], trailer: bytes) -> bytes:
    """The zip Python runs.  Zip offsets are absolute: the head is skipped."""
    buffer = io.BytesIO()
    buffer.write(head)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=timestamp())
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
        archive.comment = trailer
    return buffer.getvalue()


def _zip_members(parts: Sequence[Contents], newest: Contents) -> dict[str, bytes]:
    """zipimport runs __main__.pyc, boot compiled for the newest interpreter, when its
    magic number is this interpreter's, and compiles __main__.py otherwise: that is
    runtime/zipmain.py, which runs boot compiled for this interpreter, or boot's
    source (which then reports the versions the archive is for)."""
    members = {"__main__.py": (_RUNTIME / "zipmain.py").read_bytes(),
               "__main__.pyc": newest.layout.boot_code,
               boot.BOOT_SOURCE_MEMBER: (_RUNTIME / "boot.py").read_bytes()}
    for part in parts:
        if part is not newest:
            members[boot.BOOT_CODE_MEMBER.format(cache_tag(part.layout.python[0]))] = \
                part.layout.boot_code
    return members


def cache_tag(version: str) -> str:
    """sys.implementation.cache_tag of CPython `version`: '3.12.1' -> 'cpython-312'."""
    major, minor = version.split(".")[:2]
    return f"cpython-{major}{minor}"


def timestamp() -> tuple[int, int, int, int, int, int]:
    """SOURCE_DATE_EPOCH if set (reproducible builds), else 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else _ZIP_EPOCH
    return time.gmtime(max(seconds, _ZIP_EPOCH))[:6]


def write_atomically(output: Path, data: bytes, mode: int = 0o755) -> None:
    """Write to a temp file beside `output`, then rename: no partial archive, ever."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temp, mode)
        os.replace(temp, output)
    except OSError as exc:
        os.unlink(temp)
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
