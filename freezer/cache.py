"""Build cache: results that depend only on file contents, kept by content hash;
and the housekeeping of everything freeze keeps in the user cache.

A rebuild after touching one file must not re-parse and re-compile the other
thousand: libcst analyses and compiled blobs are stored in the platformdirs
user cache under a digest of everything they depend on (the content, the
target, and the code that produced them), so stale entries are never hit.

Beside them live the requirement environments (freezer/requirements.py) and the
extraction folders of the archives run as this user (runtime/extract.py), which
nothing removes when an archive is deleted: `freeze cache` shows and clears them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import platformdirs

from .runtime import extract


ROOT = Path(platformdirs.user_cache_dir("freeze"))
BUILD, ENVS = ROOT / "build", ROOT / "envs"
UNPACKED = "python"  # where standalone files unpack their interpreter, under ROOT or the temp folder


def key(*parts: Union[bytes, str]) -> str:
    """A digest naming a cache entry; parts are length-prefixed so they cannot run together."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def code_id(*files: str) -> str:
    """A digest of source files, so a change to freeze itself invalidates its entries."""
    return key(*(Path(file).read_bytes() for file in files))


class Cache:
    """Entries as files under the user cache; unusable caches just miss."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = root or BUILD
        self.unwritable = ""  # why the first store failed, for the user: builds stay cold

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / name[2:]

    def load(self, name: str) -> Optional[bytes]:
        try:
            return self._path(name).read_bytes()
        except OSError:
            return None

    def store(self, name: str, data: bytes) -> None:
        """Write atomically (temp file + rename), so readers never see half an entry."""
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temp, path)
        except OSError as exc:  # a read-only or full cache only costs speed
            if not self.unwritable:
                self.unwritable = (f"cannot write the build cache {self.root} "
                                   f"({exc.strerror or exc}): every build is a cold one; "
                                   "give --no-cache to skip it")


@dataclass(frozen=True)
class Usage:
    """One kind of cache entry: where, how many, how big."""

    what: str
    folder: Path
    entries: list[Path]

    @property
    def size(self) -> int:
        return sum(_size(entry) for entry in self.entries)


def usage() -> list[Usage]:
    """The build cache's entries, the requirement environments, the extraction
    folders and the unpacked interpreters of standalone files (in the user cache,
    and the temp folder runs fall back to)."""
    parents = (ROOT, Path(extract.temp_parent()))
    extracted = [entry for folder in parents for entry in _children(folder)
                 if entry.is_dir() and entry not in (BUILD, ENVS) and entry.name != UNPACKED]
    unpacked = [entry for folder in parents for entry in _children(folder / UNPACKED)
                if entry.is_dir()]
    return [Usage("build", BUILD, [e for d in _children(BUILD) for e in _children(d)]),
            Usage("envs", ENVS, [e for e in _children(ENVS) if e.is_dir()]),
            Usage("extracted", ROOT, extracted),
            Usage("interpreters", ROOT / UNPACKED, unpacked)]


def clear(kinds: list[Usage], older_than: float = 0) -> tuple[int, int]:
    """Remove the entries not modified for `older_than` seconds; (count, bytes) removed.
    An extraction folder removed while its app runs breaks that run; the next run of
    the app extracts again."""
    removed = freed = 0
    cutoff = time.time() - older_than
    for kind in kinds:
        for entry in kind.entries:
            try:
                if entry.lstat().st_mtime > cutoff:
                    continue
                size = _size(entry)
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except OSError:
                continue
            removed, freed = removed + 1, freed + size
    return removed, freed


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _size(entry: Path) -> int:
    if entry.is_symlink() or not entry.is_dir():
        return entry.lstat().st_size
    total = 0
    for base, _, names in os.walk(entry):
        for name in names:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total
