"""Build cache: results that depend only on file contents, kept by content hash.

A rebuild after touching one file must not re-parse and re-compile the other
thousand: libcst analyses and compiled blobs are stored in the platformdirs
user cache under a digest of everything they depend on (the content, the
target, and the code that produced them), so stale entries are never hit.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Optional, Union

import platformdirs


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
        self.root = root or Path(platformdirs.user_cache_dir("freeze")) / "build"
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
