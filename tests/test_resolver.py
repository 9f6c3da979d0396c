"""The offline resolver against CPython's own import system, tree by tree.

Each case writes a small package tree into tmp_path, asks a fresh
``python -I -S`` what ``importlib.util.find_spec`` returns for a batch of names
with ``sys.path`` set to the tree's entries, and checks that
``Resolver.resolve`` agrees.  The expectation written next to each tree pins the
rule being tested, so a case cannot pass just because both sides found nothing.

Tree literals follow CPython's test_modulefinder: a line at column 0 names a
file (or, ending in "/", a directory); the indented lines under it are its
content.  A ``.pyc`` is compiled from its indented source into exactly that path.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import py_compile
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

import support

from freezer.resolver import (BUILTIN, BYTECODE, EXTENSION, NAMESPACE, SOURCE, Resolver, Spec,
                              resolve_name)

EXT = importlib.machinery.EXTENSION_SUFFIXES[0]
CACHE_TAG = sys.implementation.cache_tag

# loader class name (None: no loader) -> the Spec.kind it must go with.
KIND_OF_LOADER = {
    "SourceFileLoader": SOURCE,
    "SourcelessFileLoader": BYTECODE,
    "ExtensionFileLoader": EXTENSION,
    "NamespaceLoader": NAMESPACE,
    None: NAMESPACE,
    "BuiltinImporter": BUILTIN,
}

_FIND_SPECS = r"""
import importlib.util, json, sys
entries, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.path[:] = entries
def describe(name):
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # a parent is missing or is not a package
        return None
    if spec is None:
        return None
    loader = spec.loader
    if loader is not None and not isinstance(loader, type):
        loader = type(loader)
    locations = spec.submodule_search_locations
    return {"name": spec.name, "origin": spec.origin,
            "locations": None if locations is None else list(locations),
            "loader": None if loader is None else loader.__name__}
print(json.dumps({name: describe(name) for name in names}))
"""

_ITER_MODULES = r"""
import importlib, inspect, json, pkgutil, sys  # inspect: pkgutil imports it lazily
sys.path[:] = json.loads(sys.argv[1])
package = importlib.import_module(sys.argv[2])
print(json.dumps(sorted(sys.argv[2] + "." + info.name
                        for info in pkgutil.iter_modules(package.__path__))))
"""


def write_tree(root: Path, tree: str) -> None:
    """Materialise a tree literal, so each case reads like the layout it tests."""
    files: dict[str, list[str]] = {}
    current = None
    for line in textwrap.dedent(tree).splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            assert current is not None, f"content before any file name: {line!r}"
            files[current].append(line)
        else:
            current = line.strip()
            files[current] = []
    sources = {name: textwrap.dedent("\n".join(body)) + "\n" if body else ""
               for name, body in files.items()}
    support.write_tree(root, {name: text for name, text in sources.items()
                              if not name.endswith(".pyc")})
    for name, text in sources.items():
        if name.endswith(".pyc"):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            compile_to(root / name, text)


def compile_to(pyc: Path, source: str) -> None:
    """A .pyc with no .py beside it: compiled elsewhere so no source is left behind."""
    with tempfile.TemporaryDirectory() as scratch:
        src = Path(scratch) / (pyc.stem.partition(".")[0] + ".py")
        src.write_text(source)
        py_compile.compile(str(src), cfile=str(pyc), doraise=True)


def run_python(script: str, *args: str) -> object:
    """Run `script` in an isolated interpreter, so this process's imports stay untouched."""
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", script, *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cpython_specs(entries: list[str], names: list[str]) -> dict[str, Optional[dict]]:
    """What importlib.util.find_spec says for each name, one subprocess per tree."""
    return run_python(_FIND_SPECS, json.dumps(entries), json.dumps(names))


def resolver(entries: list[str]) -> Resolver:
    """A resolver configured exactly like the interpreter running the subprocess."""
    return Resolver(entries, extension_suffixes=importlib.machinery.EXTENSION_SUFFIXES,
                    source_suffixes=importlib.machinery.SOURCE_SUFFIXES,
                    bytecode_suffixes=importlib.machinery.BYTECODE_SUFFIXES,
                    builtin_modules=sys.builtin_module_names)


def assert_same_spec(ours: Optional[Spec], theirs: Optional[dict], name: str) -> None:
    """Our Spec must describe what CPython's ModuleSpec describes."""
    if theirs is None:
        assert ours is None, f"{name}: CPython finds nothing, we find {ours}"
        return
    assert ours is not None, f"{name}: CPython finds {theirs}, we find nothing"
    assert ours.name == theirs["name"]
    assert ours.kind == KIND_OF_LOADER[theirs["loader"]], (name, ours, theirs)
    # BuiltinImporter says origin="built-in"; our Spec documents None for builtins.
    origin = None if ours.kind == BUILTIN else theirs["origin"]
    assert ours.origin == origin, (name, ours, theirs)
    if ours.kind == NAMESPACE:
        assert ours.origin is None
    expected_locations = theirs["locations"]
    assert (None if ours.search_locations is None else list(ours.search_locations)) \
        == expected_locations, (name, ours, theirs)


@dataclass(frozen=True)
class Case:
    """A tree, its search path, and what each name must resolve to.

    expect maps a name to None (not importable) or to (kind, origin, locations),
    paths relative to the tree root; locations is None for a plain module.
    """

    tree: str
    path: tuple[str, ...]
    expect: dict[str, Optional[tuple[str, Optional[str], Optional[tuple[str, ...]]]]] = \
        field(default_factory=dict)


CASES = {
    "plain-module": Case(
        """
        a/m.py
            x = 1
        """,
        ("a",),
        {"m": (SOURCE, "a/m.py", None)},
    ),
    "package-with-init": Case(
        """
        a/pkg/__init__.py
        a/pkg/mod.py
        """,
        ("a",),
        {"pkg": (SOURCE, "a/pkg/__init__.py", ("a/pkg",)),
         "pkg.mod": (SOURCE, "a/pkg/mod.py", None)},
    ),
    # pkg.sub.leaf is searched in pkg.sub's __path__ only: the sys.path copies
    # of `sub` and `leaf` must never be picked up.
    "nested-subpackages-use-parent-path": Case(
        """
        a/pkg/__init__.py
        a/pkg/sub/__init__.py
        a/pkg/sub/leaf.py
        a/sub/__init__.py
        a/leaf.py
        a/pkg/only_here.py
        b/pkg/sub/other.py
        """,
        ("a", "b"),
        {"pkg.sub": (SOURCE, "a/pkg/sub/__init__.py", ("a/pkg/sub",)),
         "pkg.sub.leaf": (SOURCE, "a/pkg/sub/leaf.py", None),
         "pkg.sub.other": None,
         "pkg.leaf": None,
         "pkg.only_here": (SOURCE, "a/pkg/only_here.py", None)},
    ),
    "package-dir-beats-module-file-in-same-entry": Case(
        """
        a/pkg.py
        a/pkg/__init__.py
        """,
        ("a",),
        {"pkg": (SOURCE, "a/pkg/__init__.py", ("a/pkg",))},
    ),
    "earlier-entry-module-beats-later-package": Case(
        """
        a/thing.py
        b/thing/__init__.py
        b/thing/sub.py
        """,
        ("a", "b"),
        {"thing": (SOURCE, "a/thing.py", None), "thing.sub": None},
    ),
    "earlier-entry-package-beats-later-module": Case(
        """
        a/thing/__init__.py
        b/thing.py
        """,
        ("a", "b"),
        {"thing": (SOURCE, "a/thing/__init__.py", ("a/thing",))},
    ),
    "suffix-precedence-extension-source-bytecode": Case(
        f"""
        a/m{EXT}
        a/m.py
        a/m.pyc
        a/n.py
        a/n.pyc
        a/abi.abi3.so
        a/abi.py
        """,
        ("a",),
        {"m": (EXTENSION, f"a/m{EXT}", None),
         "n": (SOURCE, "a/n.py", None),
         "abi": (EXTENSION, "a/abi.abi3.so", None)},
    ),
    "init-suffix-precedence": Case(
        f"""
        a/pkg/__init__{EXT}
        a/pkg/__init__.py
        a/pkg/__init__.pyc
        a/other/__init__.py
        a/other/__init__.pyc
        """,
        ("a",),
        {"pkg": (EXTENSION, f"a/pkg/__init__{EXT}", ("a/pkg",)),
         "other": (SOURCE, "a/other/__init__.py", ("a/other",))},
    ),
    "sourceless-module-legacy-pyc": Case(
        """
        a/m.pyc
            x = 1
        """,
        ("a",),
        {"m": (BYTECODE, "a/m.pyc", None)},
    ),
    "pycache-pyc-alone-is-not-importable": Case(
        f"""
        a/__pycache__/m.{CACHE_TAG}.pyc
            x = 1
        """,
        ("a",),
        {"m": None},
    ),
    "sourceless-package": Case(
        """
        a/pkg/__init__.pyc
        a/pkg/mod.pyc
        """,
        ("a",),
        {"pkg": (BYTECODE, "a/pkg/__init__.pyc", ("a/pkg",)),
         "pkg.mod": (BYTECODE, "a/pkg/mod.pyc", None)},
    ),
    "namespace-spans-entries": Case(
        """
        a/ns/one.py
        b/ns/two.py
        c/unrelated.py
        """,
        ("a", "c", "b"),
        {"ns": (NAMESPACE, None, ("a/ns", "b/ns")),
         "ns.one": (SOURCE, "a/ns/one.py", None),
         "ns.two": (SOURCE, "b/ns/two.py", None),
         "ns.three": None},
    ),
    "regular-package-in-later-entry-beats-namespace": Case(
        """
        a/ns/one.py
        b/ns/__init__.py
        b/ns/two.py
        """,
        ("a", "b"),
        {"ns": (SOURCE, "b/ns/__init__.py", ("b/ns",)),
         "ns.one": None,
         "ns.two": (SOURCE, "b/ns/two.py", None)},
    ),
    "nested-namespace-in-namespace": Case(
        """
        a/ns/inner/x.py
        b/ns/inner/y.py
        b/ns/inner/deeper/z.py
        """,
        ("a", "b"),
        {"ns.inner": (NAMESPACE, None, ("a/ns/inner", "b/ns/inner")),
         "ns.inner.x": (SOURCE, "a/ns/inner/x.py", None),
         "ns.inner.y": (SOURCE, "b/ns/inner/y.py", None),
         "ns.inner.deeper": (NAMESPACE, None, ("b/ns/inner/deeper",)),
         "ns.inner.deeper.z": (SOURCE, "b/ns/inner/deeper/z.py", None)},
    ),
    "module-in-later-entry-beats-namespace-portion": Case(
        """
        a/thing/data.txt
        b/thing.py
        """,
        ("a", "b"),
        {"thing": (SOURCE, "b/thing.py", None)},
    ),
    "module-file-beats-namespace-dir-in-same-entry": Case(
        """
        a/thing/
        a/thing.py
        """,
        ("a",),
        {"thing": (SOURCE, "a/thing.py", None)},
    ),
    "missing-names": Case(
        """
        a/m.py
        a/pkg/__init__.py
        """,
        ("a",),
        {"nothere": None, "pkg.nothere": None, "nothere.sub": None,
         "m.sub": None},  # a submodule of a plain module
    ),
    "builtins-win-over-the-path": Case(
        """
        a/sys.py
        a/_imp/__init__.py
        """,
        ("a",),
        {"sys": (BUILTIN, None, None), "_imp": (BUILTIN, None, None)},
    ),
    "non-directory-and-missing-entries-are-skipped": Case(
        """
        a/m.py
        notadir.txt
        """,
        ("does-not-exist", "notadir.txt", "a"),
        {"m": (SOURCE, "a/m.py", None)},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_resolve_matches_cpython(case: Case, tmp_path: Path) -> None:
    write_tree(tmp_path, case.tree)
    entries = [str(tmp_path / entry) for entry in case.path]
    names = list(case.expect)
    theirs = cpython_specs(entries, names)
    ours = resolver(entries)
    for name in names:
        spec = ours.resolve(name)
        assert_same_spec(spec, theirs[name], name)
        expected = case.expect[name]
        if expected is None:
            assert spec is None, name
            continue
        kind, origin, locations = expected
        assert spec is not None, name
        assert (spec.kind, spec.origin) == (kind, origin and str(tmp_path / origin)), name
        assert spec.search_locations == (
            None if locations is None else tuple(str(tmp_path / loc) for loc in locations)), name


def test_resolve_order_does_not_matter(tmp_path: Path) -> None:
    """Resolving a child first must give the same parent spec as resolving it directly."""
    write_tree(tmp_path, CASES["namespace-spans-entries"].tree)
    entries = [str(tmp_path / entry) for entry in ("a", "b")]
    child_first = resolver(entries)
    child_first.resolve("ns.two")
    assert child_first.resolve("ns") == resolver(entries).resolve("ns")


def test_registered_submodule_of_a_plain_module(tmp_path: Path) -> None:
    """`import os.path` works because os puts os.path in sys.modules; the probe lists such names."""
    write_tree(tmp_path, "a/plain.py\n    import sys\n")
    found = Resolver([str(tmp_path / "a")], extension_suffixes=(), source_suffixes=(".py",),
                     bytecode_suffixes=(), registered_submodules={"plain.path"})
    assert found.resolve("plain.path") == Spec("plain.path", BUILTIN, None)
    assert found.resolve("plain.other") is None
    assert found.resolve("absent.path") is None


def test_probe_lists_os_path() -> None:
    from freezer.target import probe
    assert "os.path" in probe(sys.executable).registered_submodules


SUBMODULE_TREE = f"""
a/pkg/__init__.py
a/pkg/plain.py
a/pkg/compiled.pyc
a/pkg/native{EXT}
a/pkg/sub/__init__.py
a/pkg/sub/deep.py
a/pkg/sourceless_sub/__init__.pyc
a/pkg/assets/style.css
a/pkg/notes.txt
a/pkg/__pycache__/plain.{CACHE_TAG}.pyc
a/pkg/dotted.name.py
a/ns/first.py
a/ns/shared.py
a/ns/data/readme.txt
b/ns/second.py
b/ns/shared.py
b/ns/pkg2/__init__.py
"""


@pytest.mark.parametrize("package, expected", [
    ("pkg", ["pkg.compiled", "pkg.native", "pkg.plain", "pkg.sourceless_sub", "pkg.sub"]),
    ("pkg.sub", ["pkg.sub.deep"]),
    ("ns", ["ns.first", "ns.pkg2", "ns.second", "ns.shared"]),
])
def test_submodules_match_pkgutil(package: str, expected: list[str], tmp_path: Path) -> None:
    """Directories without __init__ (data, __pycache__) are not listed, like pkgutil."""
    write_tree(tmp_path, SUBMODULE_TREE)
    entries = [str(tmp_path / "a"), str(tmp_path / "b")]
    theirs = run_python(_ITER_MODULES, json.dumps(entries), package)
    ours = resolver(entries)
    spec = ours.resolve(package)
    assert spec is not None and spec.is_package
    assert ours.submodules(spec) == theirs == expected


@pytest.mark.parametrize("name, package", [
    ("a", None),
    ("a.b", "pkg"),
    (".m", "pkg"),
    (".", "pkg.sub"),
    ("..", "pkg.sub"),
    ("..m", "pkg.sub"),
    ("..m.n", "pkg.sub.deeper"),
    ("...", "a.b.c"),
    ("...m", "a.b.c"),
])
def test_resolve_name_matches_importlib(name: str, package: Optional[str]) -> None:
    assert resolve_name(name, package) == importlib.util.resolve_name(name, package)


@pytest.mark.parametrize("name, package, message", [
    ("..m", "pkg", "attempted relative import beyond top-level package"),
    ("...", "a.b", "attempted relative import beyond top-level package"),
    (".m", None, "attempted relative import with no known parent package"),
    (".m", "", "attempted relative import with no known parent package"),
])
def test_resolve_name_fails_where_importlib_fails(name: str, package: Optional[str],
                                                  message: str) -> None:
    """CPython raises ImportError, we raise ValueError: both must refuse the name."""
    with pytest.raises(ImportError):
        importlib.util.resolve_name(name, package)
    with pytest.raises(ValueError, match=message):
        resolve_name(name, package)
