"""Write an AWS Lambda deployment package: the task root, as a zip.

Lambda unzips the package read-only and starts each execution environment with
an empty /tmp, so nothing may be extracted or compiled on a cold start:

    <module>.py                     the bootstrap, named like the handler module it
                                    stands in for: runtime/boot.py and a call of
                                    its hand_over()
    __pycache__/<module>.<tag>.pyc  the bootstrap compiled for each interpreter the
                                    archive is for (unchecked hash, so no source stat
                                    decides anything)
    .freeze/<module>.frz            the archive: every module's code, package data
    .freeze/<module>/...            the extraction set as real files: extension
                                    modules, their libraries, packages that open
                                    files beside their __file__ (.freeze/<module>.<tag>/
                                    per interpreter when their sets differ)
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import archive
from .errors import OutputError
from .runtime import boot

FOLDER = boot.LAMBDA_FOLDER
MB = 1024 * 1024
DIRECT_UPLOAD_LIMIT = 50 * MB  # zipped, uploaded with the function
UNZIPPED_LIMIT = 250 * MB  # unzipped, the function and its layers


@dataclass(frozen=True)
class Package:
    """What was written, with the sizes Lambda's limits apply to."""

    zipped: int
    unzipped: int

    def warnings(self, output: Path) -> list[str]:
        if self.zipped <= DIRECT_UPLOAD_LIMIT:
            return []
        return [f"{output}: {self.zipped / MB:.1f} MB zipped is over Lambda's "
                f"{DIRECT_UPLOAD_LIMIT // MB} MB limit for direct upload; upload it to S3 and "
                "deploy from there"]


def bootstrap_source() -> bytes:
    """The handler module Lambda imports: stage 0 itself, so nothing else is read to start."""
    return (Path(boot.__file__).read_bytes()
            + b"\n\nhand_over(__name__, os.path.dirname(os.path.abspath(__file__)))\n")


def shipped_folder(module: str, cache_tag: str = "") -> str:
    """The extraction set's folder, relative to the archive's (the manifest records it):
    one per interpreter only when their sets disagree."""
    return f"{module}.{cache_tag}" if cache_tag else module


def members(module: str, bootstrap: bytes, compiled: Mapping[str, bytes], image: bytes,
            shipped: Mapping[str, Mapping[str, bytes]]) -> dict[str, bytes]:
    """Task-root path -> contents.  `compiled` maps each interpreter's cache tag to
    the bootstrap compiled for it (Python picks its own from __pycache__); `shipped`
    each extraction folder to its files."""
    files = {f"{module}.py": bootstrap, boot.lambda_archive(module): image}
    files.update((f"__pycache__/{module}.{cache_tag}.pyc", code)
                 for cache_tag, code in compiled.items())
    for folder, extract in shipped.items():
        files.update((f"{FOLDER}/{folder}/{path}", data) for path, data in extract.items())
    return files


def write(output: Path, files: Mapping[str, bytes]) -> Package:
    """Zip `files` reproducibly and write the package, refusing one Lambda cannot hold."""
    unzipped = sum(len(data) for data in files.values())
    if unzipped > UNZIPPED_LIMIT:
        raise OutputError(
            f"{output}: {unzipped / MB:.1f} MB unzipped is over Lambda's {UNZIPPED_LIMIT // MB} MB "
            "limit for a function; leave out what the handler does not use with --exclude, "
            "or deploy a container image")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=archive.timestamp())
            info.create_system = 3
            info.external_attr = 0o644 << 16  # Lambda runs as another user: world-readable
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, files[path])
    data = buffer.getvalue()
    archive.write_atomically(output, data, 0o644)
    return Package(len(data), unzipped)
