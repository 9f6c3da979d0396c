"""What the dynamic loader reads from an ELF file: the libraries it needs, its own
soname, its run path, and the glibc symbol versions it requires.

`--standalone` decides from these which libraries travel and how old a glibc the
result runs on.  Reading them here, rather than parsing `readelf`'s output, keeps
binutils off the list of things a build machine must have.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import TargetError

_SHT_DYNAMIC, _SHT_VERNEED = 6, 0x6FFFFFFE
_DT_NEEDED, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = 1, 14, 15, 29
_GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")


@dataclass(frozen=True)
class Dynamic:
    """One file's dynamic section, and the newest `GLIBC_x.y` it requires."""

    needed: tuple[str, ...]
    soname: Optional[str]
    runpath: Optional[str]  # DT_RUNPATH, else DT_RPATH
    glibc: tuple[int, int]


def is_elf(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == b"\x7fELF"


def read(path: Path) -> Dynamic:
    """The dynamic section of `path`; TargetError naming the file when it is not ELF."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise TargetError(f"{path}: not an ELF file (--standalone carries Linux binaries)")
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", data, 0x3A)
        section = order + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", data, 0x2E)
        section = order + "IIIIIIIIII"
    sections = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]

    def string(table: int, offset: int) -> str:
        start = sections[table][4] + offset
        return data[start:data.index(b"\0", start)].decode("utf-8", "replace")

    needed: list[str] = []
    soname = runpath = rpath = None
    versions: list[tuple[int, int]] = []
    entry = order + ("qQ" if wide else "iI")
    for _, kind, _, _, offset, size, link, _, _, _ in sections:
        if kind == _SHT_DYNAMIC:
            for at in range(offset, offset + size, struct.calcsize(entry)):
                tag, value = struct.unpack_from(entry, data, at)
                if tag == _DT_NEEDED:
                    needed.append(string(link, value))
                elif tag == _DT_SONAME:
                    soname = string(link, value)
                elif tag == _DT_RUNPATH:
                    runpath = string(link, value)
                elif tag == _DT_RPATH:
                    rpath = string(link, value)
        elif kind == _SHT_VERNEED:
            at = offset
            while True:  # Elf_Verneed, each with a chain of Elf_Vernaux
                _, count, _, aux, following = struct.unpack_from(order + "HHIII", data, at)
                there = at + aux
                for _ in range(count):
                    _, _, _, name, step = struct.unpack_from(order + "IHHII", data, there)
                    match = _GLIBC.match(string(link, name))
                    if match:
                        versions.append((int(match[1]), int(match[2])))
                    there += step
                if not following:
                    break
                at += following
    return Dynamic(tuple(needed), soname, runpath or rpath, max(versions, default=(0, 0)))
