"""What an ELF file asks of the system: the newest `GLIBC_x.y` symbol version among
those it needs (its `.gnu.version_r` section), and the libraries it names (its
dynamic section).

`--standalone` tells from the first how old a glibc the file runs on; extraction
tells from the second which of an archive's libraries an extension module loads
(freezer/extraction.py).  Reading the sections here, rather than parsing
`readelf`, keeps binutils off the list of things a build machine must have.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from .errors import TargetError

_SHT_DYNAMIC = 6
_SHT_GNU_VERNEED = 0x6FFFFFFE
_DT_NEEDED, _DT_RPATH, _DT_RUNPATH = 1, 15, 29
_GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")
_Data = Union[bytes, mmap.mmap]


@dataclass(frozen=True)
class Dynamic:
    """An ELF file's DT_NEEDED names and its run path (DT_RUNPATH, else DT_RPATH),
    split at colons, in the file's order."""

    needed: tuple[str, ...]
    run_path: tuple[str, ...]


def is_elf(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == b"\x7fELF"


def dynamic(path: Path) -> Optional[Dynamic]:
    """The libraries `path` names and where it looks for them; None when it is not
    an ELF file (a Mach-O or PE library, a data file)."""
    with open(path, "rb") as file:
        if file.read(4) != b"\x7fELF":
            return None
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _dynamic(data)


def _dynamic(data: _Data) -> Optional[Dynamic]:
    order, sections = _sections(data)
    if order is None:
        return None
    wide = data[4] == 2
    entry = order + ("qQ" if wide else "iI")
    needed, paths = [], {}
    for _, kind, _, _, offset, size, link, _ in sections:
        if kind != _SHT_DYNAMIC:
            continue
        strings = sections[link][4]
        for tag, value in struct.iter_unpack(entry, data[offset:offset + size]):
            if tag == _DT_NEEDED:
                needed.append(_string(data, strings + value))
            elif tag in (_DT_RPATH, _DT_RUNPATH):
                paths[tag] = tuple(_string(data, strings + value).split(":"))
    # The loader ignores DT_RPATH when DT_RUNPATH is there.
    return Dynamic(tuple(needed), paths.get(_DT_RUNPATH, paths.get(_DT_RPATH, ())))


def glibc_needed(path: Path) -> tuple[int, int]:
    """The newest GLIBC_x.y version `path` needs ((0, 0) for none); TargetError naming
    the file when it is not ELF."""
    data = path.read_bytes()
    order, sections = _sections(data)
    if order is None:
        raise TargetError(f"{path}: not an ELF file (--standalone carries Linux binaries)")
    versions = [(0, 0)]
    for _, kind, _, _, offset, _, link, _ in sections:
        if kind == _SHT_GNU_VERNEED:
            versions += _glibc_versions(data, order, offset, sections[link][4])
    return max(versions)


def _glibc_versions(data: _Data, order: str, at: int, strings: int) -> Iterator[tuple[int, int]]:
    while True:  # Elf_Verneed entries, each with a chain of Elf_Vernaux
        _, count, _, aux, following = struct.unpack_from(order + "HHIII", data, at)
        there = at + aux
        for _ in range(count):
            _, _, _, name, step = struct.unpack_from(order + "IHHII", data, there)
            match = _GLIBC.match(_string(data, strings + name))
            if match:
                yield int(match[1]), int(match[2])
            there += step
        if not following:
            return
        at += following


def _sections(data: _Data) -> tuple[Optional[str], list[tuple[int, ...]]]:
    """The struct byte order and the section headers (name, type, flags, addr,
    offset, size, link, info); (None, []) when `data` is not ELF."""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None, []
    order = "<" if data[5] == 1 else ">"
    if data[4] == 2:  # 64-bit
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        header = order + "IIQQQQII"
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        header = order + "IIIIIIII"
    return order, [struct.unpack_from(header, data, shoff + i * shentsize) for i in range(shnum)]


def _string(data: _Data, start: int) -> str:
    return data[start:data.find(b"\0", start)].decode("ascii", "replace")
