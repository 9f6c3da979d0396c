"""Read an archive back: what it holds (inspect) and whether it is intact (verify).

Both read through runtime/boot.py, the format's one definition, so what they
check is exactly what a frozen app checks before running a blob.
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _imp import source_hash

from . import awslambda, standalone, why
from .errors import FreezeError
from .runtime import boot


@dataclass(frozen=True)
class ModuleInfo:
    """One manifest record; offsets are absolute positions in the archive file."""

    name: str
    kind: str
    path: str
    offset: int
    length: int
    digest: str
    source_offset: int
    source_length: int


@contextmanager
def opened(path: Path, python: str | None = None) -> Iterator[boot.Archive]:
    """The archive at `path`, or the one inside a Lambda package at `path`: its
    manifest for CPython `python` ("3.12"), by default its newest."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            inner = _unpacked(path, Path(scratch))
            archive = boot.Archive(inner)
            if python is not None:
                magic = _magic_for(archive, python)
                archive.close()
                archive = boot.Archive(inner, magic)
        except boot.ArchiveError as exc:
            raise FreezeError(_without_trailer(path, Path(inner)) or str(exc)) from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise FreezeError(f"{path}: cannot read archive ({exc})") from None
        try:
            yield archive
        finally:
            archive.close()


def _without_trailer(path: Path, inner: Path) -> str | None:
    """What a file without a trailer freeze reads is, when that is the problem:
    written by another freeze, cut short (it starts as an archive does), or not an
    archive at all."""
    with open(inner, "rb") as file:
        head = file.read(256)
        file.seek(max(os.fstat(file.fileno()).st_size - boot.TRAILER_SIZE, 0))
        trailer = file.read(len(boot.TRAILER_MAGIC))
    if trailer == boot.TRAILER_MAGIC:
        return None  # the trailer is there: the problem is past it
    if trailer[:-1] == boot.TRAILER_MAGIC[:-1]:
        return (f"{path}: written by another version of freeze (trailer format "
                f"{trailer[-1]}, this one reads {boot.TRAILER_MAGIC[-1]}); rebuild it")
    if head.startswith(b"#!") and b'-S "$0"' in head:
        return (f"{path}: truncated or damaged at its end (no trailer in its "
                f"{inner.stat().st_size:,} bytes); copy it again or rebuild it")
    return f"{path}: not an archive written by freeze (no trailer)"


def _magic_for(archive: boot.Archive, python: str) -> bytes:
    for magic, (version, *_) in archive.pythons.items():
        if boot.short_version(version) == python:
            return magic
    archive.close()
    raise FreezeError(f"{archive.path}: holds no manifest for CPython {python}; it has "
                      f"{', '.join(boot.short_version(v) for v, *_ in archive.pythons.values())}")


def _each_manifest(archive: boot.Archive) -> Iterator[tuple[str, boot.Archive]]:
    """(short version, the archive open at its manifest) for each interpreter an open
    archive was built for, newest first: the others are opened from the same file (a
    Lambda package's archive is unpacked once)."""
    for magic, (version, *_) in archive.pythons.items():
        other = (archive if magic == archive.manifest[boot.MANIFEST_PYTHON][1]
                 else boot.Archive(archive.path, magic))
        try:
            yield boot.short_version(version), other
        finally:
            if other is not archive:
                other.close()


def _unpacked(path: Path, scratch: Path) -> str:
    if not zipfile.is_zipfile(path):
        return str(path)
    with zipfile.ZipFile(path) as package:
        inner = [name for name in package.namelist()
                 if name.startswith(f"{awslambda.FOLDER}/") and name.endswith(boot.LAMBDA_SUFFIX)]
        if len(inner) != 1:
            return str(path)  # an archive itself (its tail is a zip), or not ours
        return package.extract(inner[0], scratch)


def _infos(records: Mapping[str, tuple]) -> list[ModuleInfo]:
    return [ModuleInfo(name, r[boot.KIND], r[boot.PATH], r[boot.OFFSET], r[boot.SIZE],
                       r[boot.DIGEST].hex(), r[boot.SOURCE_OFFSET], r[boot.SOURCE_SIZE])
            for name, r in records.items()]


def describe(path: Path, python: str | None = None) -> dict[str, Any]:
    """Everything `freeze inspect` shows about the manifest for `python` (by default
    the newest), as JSON-ready data."""
    with opened(path, python) as archive:
        return summary(archive, path)


def summary(archive: boot.Archive, path: Path) -> dict[str, Any]:
    """describe() of an archive already open (at `path`, maybe a Lambda package)."""
    manifest = archive.manifest
    version, magic = manifest[boot.MANIFEST_PYTHON]
    entry, extract = manifest[boot.MANIFEST_ENTRY], manifest[boot.MANIFEST_EXTRACT]
    extracted = frozenset(extract[boot.EXTRACT_PATHS])
    generated = manifest[boot.MANIFEST_GENERATED]
    reasons = why.read(archive)
    return {
        "archive": str(path),
        "size": Path(path).stat().st_size,
        "python": {"version": version, "magic": magic.hex(),
                   "label": boot.python_label(version, magic)},
        "pythons": [{"version": version, "magic": magic.hex(),
                     "label": boot.python_label(version, magic)}
                    for magic, (version, *_) in archive.pythons.items()],
        # Modules bundled for some of the archive's interpreters only: their versions.
        "differences": _differences(archive),
        "entry": {"kind": entry[boot.ENTRY_KIND], "module": entry[boot.ENTRY_NAME],
                  "attribute": entry[boot.ENTRY_ATTRIBUTE]},
        "lazy": sorted(manifest[boot.MANIFEST_LAZY]),
        "gc_freeze": manifest[boot.MANIFEST_GC_FREEZE],
        "server": _server(manifest),
        # Code generated while modules import, compiled from a trace: the modules
        # that generate it and how many sources the table holds.
        "generated": {"modules": dict(generated[boot.GENERATED_CALLERS]) if generated else {},
                      "sources": len(archive.read_generated())},
        "modules": [asdict(info) for info in _infos(archive.modules)],
        "runtime": [asdict(info) for info in _infos(manifest[boot.MANIFEST_RUNTIME])],
        "external": manifest[boot.MANIFEST_EXTERNAL],
        "files": [{"path": path, "offset": offset, "length": size, "digest": digest.hex(),
                   "extract": path in extracted}
                  for path, (offset, size, digest) in manifest[boot.MANIFEST_FILES].items()],
        # Groups of extracted paths written when one of them is first asked for
        # (runtime/extract.py); extracted paths in none are written up front.
        "units": [list(unit) for unit in extract[boot.EXTRACT_UNITS]],
        # A Lambda package's files that are real files beside the archive, not in it.
        "shipped": (sorted((*extract[boot.EXTRACT_PATHS], *extract[boot.EXTRACT_INITS]))
                    if extract[boot.EXTRACT_FOLDER] else []),
        # Per carried distribution: modules, files, bytes in the archive, files extracted.
        "distributions": why.totals(archive, reasons) if reasons else {},
        # A standalone file's interpreter (freezer/standalone.py), else None.
        "standalone": standalone.head(archive.read(0, min(archive.launcher[0], 1024))),
    }


def _differences(archive: boot.Archive) -> dict[str, list[str]]:
    """{module: the short versions whose manifests bundle it}, for the modules that
    not every manifest bundles (resolution differs by version: backports)."""
    bundled: dict[str, list[str]] = {}
    for python, each in _each_manifest(archive):
        for name in each.modules:
            bundled.setdefault(name, []).append(python)
    return {name: found for name, found in sorted(bundled.items())
            if len(found) < len(archive.pythons)}


def explain(path: Path, name: str, python: str | None = None) -> list[str]:
    """Why the module or file `name` is in the archive (for `python`, by default
    its newest interpreter): one line per step back to the entry (freezer/why.py)."""
    with opened(path, python) as archive:
        reasons = why.read(archive)
        if reasons is None:
            raise FreezeError(f"{path}: records no reasons (built by an older freeze); rebuild it")
        if name in reasons["modules"] or name in reasons["files"]:
            return why.chain(archive, reasons, name)
        if name in archive.manifest[boot.MANIFEST_EXTERNAL]:
            return [f"{name}: not in the archive: the Python installation provides it "
                    f"({archive.manifest[boot.MANIFEST_EXTERNAL][name]})"]
        raise FreezeError(f"{path}: holds no module or file {name!r}; `freeze inspect --json` lists them")


def decisions(path: Path) -> list[str]:
    """Why each module and file is in the archive, one step each (`freeze build -v`):
    the reason that explains it best, as `freeze why` starts its chain."""
    with opened(path) as archive:
        reasons = why.read(archive)
        if reasons is None:
            return []
        return [why.first_step(archive, reasons, name)
                for name in (*sorted(reasons["modules"]), *sorted(reasons["files"]))]


def verify(path: Path) -> list[str]:
    """Problems found in every interpreter's manifest, one line each naming the
    module; empty when intact."""
    with opened(path) as archive:
        problems = _outside_manifests(path, archive)
        for python, each in _each_manifest(archive):
            problems.extend(_problems(f"{path} (CPython {python})" if len(archive.pythons) > 1
                                      else str(path), each))
    return problems


def _outside_manifests(path: Path, archive: boot.Archive) -> list[str]:
    """What is wrong in the bytes no manifest covers: the launcher, the zip members
    that start boot, and a Lambda package's other files (zip CRCs)."""
    problems = []
    size, expected = archive.launcher
    if boot.digest(archive.read(0, size)) != expected:
        problems.append(f"{path}: launcher (the lines before the blobs): digest mismatch")
    zips = {archive.path: ""} if Path(archive.path) == Path(path) else {
        str(path): "", archive.path: f"{awslambda.FOLDER}/*{boot.LAMBDA_SUFFIX}: "}
    for name, inside in zips.items():
        with zipfile.ZipFile(name) as members:
            problems.extend(f"{path}: {inside}zip member {info.filename!r}: damaged"
                            for info in members.infolist() if not _member_intact(members, info))
    return problems


def _member_intact(members: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    try:
        members.read(info)  # checks the CRC-32 recorded for it
    except (zipfile.BadZipFile, zlib.error, OSError):
        return False
    return True


def _problems(path: str, archive: boot.Archive) -> list[str]:
    """What is wrong in one manifest's blobs, files and tables, each line starting
    with `path`."""
    version, magic = archive.manifest[boot.MANIFEST_PYTHON]
    # The hash of a source in its .pyc header is SipHash-2-4 before 3.11, SipHash-1-3
    # since: checked only when this interpreter computes the target's (zlib's own
    # checksum still catches a damaged source).
    key = int.from_bytes(magic, "little") if (
        boot.release(version) >= (3, 11)) == (sys.version_info >= (3, 11)) else None
    problems = []
    records = {**archive.manifest[boot.MANIFEST_RUNTIME], **archive.modules}
    for name, record in records.items():
        problem = _check(archive, record, magic, key)
        if problem:
            problems.append(f"{path}: module {name!r}: {problem}")
    for member in archive.manifest[boot.MANIFEST_FILES]:
        try:
            archive.read_file(member)
        except boot.ArchiveError:
            problems.append(f"{path}: file {member!r}: digest mismatch")
    problems.extend(f"{path}: {what}: digest mismatch" for what in _damaged_tables(archive))
    return problems


def _damaged_tables(archive: boot.Archive) -> Iterator[str]:
    """The regex table (its index, then each entry) and the generated code table."""
    blobs = {"regex table": archive.manifest[boot.MANIFEST_REGEXES],
             "generated code table": archive.manifest[boot.MANIFEST_GENERATED],
             "reasons table": archive.manifest[boot.MANIFEST_REASONS]}
    index = blobs["regex table"]
    if index is not None and _intact(archive, *index[boot.WHERE]):  # read for any engine
        entries = boot.regex_entries(marshal.loads(archive.read(*index[boot.WHERE][:2])))
        for number, entry in enumerate(entries, 1):
            blobs[f"regex table entry {number}"] = entry
    yield from (what for what, entry in blobs.items()
                if entry is not None and not _intact(archive, *entry[boot.WHERE]))


def _intact(archive: boot.Archive, offset: int, size: int, digest: bytes) -> bool:
    return boot.digest(archive.read(offset, size)) == digest


def _check(archive: boot.Archive, record: tuple, magic: bytes, key: int | None) -> str | None:
    if record[boot.KIND] in (boot.KIND_NAMESPACE, boot.KIND_EXTENSION):
        return None  # no code blob: extension modules are checked as files
    try:
        blob = archive.read(record[boot.OFFSET], record[boot.SIZE])
        problem = boot.blob_problem(blob, record[boot.DIGEST], magic)
        if problem or not record[boot.SOURCE_SIZE]:
            return problem
        source = archive.read_source(record)
    except boot.ArchiveError as exc:
        return str(exc).partition(": ")[2]
    except zlib.error:
        return "embedded source is damaged"
    if key is not None and blob[8:16] != source_hash(key, source):
        return "embedded source does not match its bytecode"
    return None


def _server(manifest: dict[str, Any]) -> dict[str, Any]:
    """The warm start server's setting (boot.SERVER_*)."""
    enabled, idle, preload = manifest[boot.MANIFEST_SERVER]
    return {"enabled": enabled, "idle": idle, "preload": list(preload)}
