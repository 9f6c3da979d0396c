"""What an ELF file asks of the C library: the newest `GLIBC_x.y` symbol version
among those it needs (its `.gnu.version_r` section).

`--standalone` tells from it how old a glibc the file runs on, and which carried
file sets that floor.  Reading the section here, rather than parsing `readelf`,
keeps binutils off the list of things a build machine must have.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from .errors import TargetError

_SHT_GNU_VERNEED = 0x6FFFFFFE
_GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")


def is_elf(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == b"\x7fELF"


def glibc_needed(path: Path) -> tuple[int, int]:
    """The newest GLIBC_x.y version `path` needs ((0, 0) for none); TargetError naming
    the file when it is not ELF."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise TargetError(f"{path}: not an ELF file (--standalone carries Linux binaries)")
    order = "<" if data[5] == 1 else ">"
    if data[4] == 2:  # 64-bit
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        header = order + "IIQQQQII"  # name, type, flags, addr, offset, size, link, info
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        header = order + "IIIIIIII"
    sections = [struct.unpack_from(header, data, shoff + i * shentsize) for i in range(shnum)]
    versions = [(0, 0)]
    for _, kind, _, _, offset, _, link, _ in sections:
        if kind != _SHT_GNU_VERNEED:
            continue
        strings = sections[link][4]
        at = offset
        while True:  # Elf_Verneed entries, each with a chain of Elf_Vernaux
            _, count, _, aux, following = struct.unpack_from(order + "HHIII", data, at)
            there = at + aux
            for _ in range(count):
                _, _, _, name, step = struct.unpack_from(order + "IHHII", data, there)
                start = strings + name
                match = _GLIBC.match(data[start:data.index(b"\0", start)].decode("ascii", "replace"))
                if match:
                    versions.append((int(match[1]), int(match[2])))
                there += step
            if not following:
                break
            at += following
    return max(versions)
