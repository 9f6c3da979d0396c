"""The module graph over small trees: what is reached, recorded, missing or left out.

Trees are dicts of path -> source next to the expectations; the target is the
interpreter running the tests, probed once, and the search path is the tree
followed by that interpreter's own path (so the stdlib resolves as it would).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from freezer.cache import Cache
from freezer.errors import EntryError, FreezeError
from freezer.graph import EXCLUDED, MAIN, Graph, Missing, build_graph
from freezer.resolver import BUILTIN, NAMESPACE, Resolver
from freezer.target import Target, probe
from support import write_tree
from venvs import cache_root


@pytest.fixture(scope="module")
def target() -> Target:
    """Probing runs an interpreter: once per module is enough."""
    return probe(sys.executable)


def graph_of(target: Target, tree: Path, *, script: str | None = "app.py",
             module: str | None = None, store: Cache | None = None,
             **options: tuple[str, ...]) -> Graph:
    """The graph a build of `tree` would use, with the stdlib behind the tree."""
    resolver = Resolver.for_target(target, [str(tree), *target.path])
    return build_graph(target, resolver, script=script and str(tree / script), module=module,
                       store=store, **options)


def bundled_names(graph: Graph) -> set[str]:
    """What goes into the archive: the set the assertions are about."""
    return {module.name for module in graph.bundled()}


def cpython_import_error(tree: Path, code: str) -> str:
    """The message CPython's ImportError carries for `code` run against `tree`."""
    script = (f"import sys; sys.path.insert(0, {str(tree)!r})\n"
              f"try:\n    {code}\nexcept ImportError as exc:\n    print(exc)")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", script],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr
    return proc.stdout.strip()


REACHED = {
    "app.py": """
        import importlib
        import a.b.c
        from pkg import sub, helper_name
        from pkg import *

        def later():
            import lazy

        importlib.import_module("dyn.target")
        """,
    "a/__init__.py": "",
    "a/b/__init__.py": "",
    "a/b/c.py": "",
    "a/b/unused.py": "",
    "pkg/__init__.py": """
        from . import util
        from .loader import load
        helper_name = 1
        """,
    "pkg/util.py": "from .sub.deep import value",
    "pkg/sub/__init__.py": "from ..util import *",
    "pkg/sub/deep.py": "value = 1",
    "pkg/loader.py": """
        import importlib
        def load():
            importlib.import_module(".plugins.first", __package__)
            importlib.import_module(".second", "pkg.plugins")
        """,
    "pkg/plugins/__init__.py": "",
    "pkg/plugins/first.py": "",
    "pkg/plugins/second.py": "",
    "pkg/plugins/unused.py": "",
    "pkg/helper_name.txt": "not a module, whatever its name",
    "lazy.py": "",
    "dyn/target.py": "",
}


def test_modules_reached(target: Target, tmp_path: Path) -> None:
    graph = graph_of(target, write_tree(tmp_path, REACHED))
    assert bundled_names(graph) == {
        MAIN, "a", "a.b", "a.b.c", "pkg", "pkg.util", "pkg.sub", "pkg.sub.deep",
        "pkg.loader", "pkg.plugins", "pkg.plugins.first", "pkg.plugins.second",
        "lazy", "dyn", "dyn.target",
    }
    assert graph.missing == []
    # `from pkg import sub, helper_name`: sub is a submodule, helper_name a name.
    assert graph.modules[MAIN].imports == (
        "importlib", "a.b.c", "pkg", "pkg.sub", "lazy", "dyn.target")
    assert graph.modules["pkg"].imports == ("pkg", "pkg.util", "pkg.loader")
    assert graph.modules["dyn"].spec.kind == NAMESPACE
    assert graph.modules["pkg.sub.deep"].spec == graph_of(
        target, tmp_path, script=None, module="pkg.sub.deep").modules["pkg.sub.deep"].spec


def test_module_entry_point(target: Target, tmp_path: Path) -> None:
    graph = graph_of(target, write_tree(tmp_path, REACHED), script=None, module="pkg.util")
    assert bundled_names(graph) == {"pkg", "pkg.util", "pkg.sub", "pkg.sub.deep", "pkg.loader",
                                    "pkg.plugins", "pkg.plugins.first", "pkg.plugins.second"}
    assert MAIN not in graph.modules
    with pytest.raises(EntryError, match="nothere"):
        graph_of(target, tmp_path, script=None, module="nothere")


def test_stdlib_scanned_into_stdlib_only(target: Target, tmp_path: Path) -> None:
    """The standard library is followed (for its regexes and import cycles) but never
    bundled, never into the app's tree, and its unresolved imports are not reported."""
    tree = write_tree(tmp_path, {
        "app.py": "import json\nimport sys\nimport email.mime.text\nimport shutil\n",
        # shutil imports `nt` under `if os.name == "nt"`: this one must stay out.
        "nt.py": "",
    })
    # Analyses kept by content (and scanner code) in the suite's cache, as builds keep
    # theirs: the stdlib's hundred modules are scanned once, not on every run.
    graph = graph_of(target, tree, store=Cache(cache_root() / "build"))
    for name in ("json", "sys", "email", "email.mime", "email.mime.text", "json.decoder"):
        module = graph.modules[name]
        assert module.stdlib and not module.bundled, name
    assert graph.modules["sys"].spec.kind == BUILTIN
    assert "json.decoder" in graph.modules["json"].imports
    # Literal patterns of modules json imports at module level.
    assert any(pattern == r'(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?'
               for pattern, _ in graph.modules["json.scanner"].patterns)
    assert "nt" not in graph.modules
    assert bundled_names(graph) == {MAIN}
    assert graph.missing == []
    assert [m.name for m in graph.external()] == [
        "email", "email.mime", "email.mime.text", "json", "shutil", "sys"]


MISSING = {
    "app.py": "import pkg.mod\n",
    "pkg/__init__.py": "",
    "pkg/mod.py": """
        import os
        import pkg

        import nothere
        try:
            import optional_thing
        except ImportError:
            optional_thing = None
        from pkg import not_a_submodule
        from .gone import x
        import pkg.nope.deeper
        def f():
            import later_missing
        import msvcrt  # Windows only: quiet elsewhere (the test targets Linux)
        import __pypy__  # PyPy only
        """,
}


def test_missing_imports(target: Target, tmp_path: Path) -> None:
    tree = write_tree(tmp_path, MISSING)
    graph = graph_of(target, tree)
    mod = str(tree / "pkg" / "mod.py")
    assert graph.missing == [
        Missing("nothere", "pkg.mod", mod, 4, False, top_level=True),
        # Optional ones are never reported, so they are not given a line.
        Missing("optional_thing", "pkg.mod", mod, 0, True, top_level=True),
        Missing("pkg.gone", "pkg.mod", mod, 10, False, top_level=True),
        Missing("pkg.nope.deeper", "pkg.mod", mod, 11, False, top_level=True),
        Missing("later_missing", "pkg.mod", mod, 13, False),
        Missing("msvcrt", "pkg.mod", mod, 0, True, top_level=True),
        Missing("__pypy__", "pkg.mod", mod, 0, True, top_level=True),
    ]
    assert bundled_names(graph) == {MAIN, "pkg", "pkg.mod"}


def test_main_is_always_there(target: Target, tmp_path: Path) -> None:
    """`import __main__` (django's autoreload) finds whatever runs, even when the
    entry is a module or a function rather than a script."""
    tree = write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/cli.py": "import __main__\n"})
    graph = graph_of(target, tree, script=None, module="pkg.cli")
    assert [(m.name, m.optional) for m in graph.missing] == [("__main__", True)]


def test_relative_import_beyond_top_level(target: Target, tmp_path: Path) -> None:
    tree = write_tree(tmp_path, {
        "app.py": """
            import pkg.sub.mod
            from . import sibling
            """,
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "from .. import fine",
        "pkg/fine.py": "",
        "pkg/sub/mod.py": """
            from .. import fine
            from ... import too_far
            """,
    })
    graph = graph_of(target, tree)
    beyond = cpython_import_error(tree, "import pkg.sub.mod")
    no_parent = cpython_import_error(tree, "exec('from . import sibling', {'__name__': '__main__'})")
    assert beyond == "attempted relative import beyond top-level package"
    assert no_parent == "attempted relative import with no known parent package"
    assert graph.missing == [
        Missing(".", MAIN, str(tree / "app.py"), 2, False, no_parent, top_level=True),
        Missing("...", "pkg.sub.mod", str(tree / "pkg/sub/mod.py"), 2, False, beyond,
                top_level=True),
    ]
    assert "pkg.fine" in graph.modules


HEAVY = {
    "app.py": """
        import pkg
        import pkg.heavy
        from pkg import heavy, light
        import pkg.heavy.sub
        from pkg.heavy_extra import thing
        import pkg.heavyweight.core
        from pkg.heavyweight.core import name
        """,
    "pkg/__init__.py": "",
    "pkg/light.py": "",
    "pkg/heavy/__init__.py": "import not_installed_anywhere",
    "pkg/heavy/sub.py": "",
    "pkg/heavy_extra.py": "thing = 1",
    "pkg/heavyweight/__init__.py": "",
    "pkg/heavyweight/core.py": "import also_not_installed",
}


@pytest.mark.parametrize("patterns", [("pkg.heavy*",), ("pkg.heavy", "pkg.heavy_extra",
                                                       "pkg.heavyweight")])
def test_exclude_keeps_modules_out_and_quiet(target: Target, tmp_path: Path,
                                             patterns: tuple[str, ...]) -> None:
    """Excluding a package excludes its submodules too: none is reported missing, and
    the imports of excluded modules are data (the build warns about them)."""
    graph = graph_of(target, write_tree(tmp_path, HEAVY), exclude=patterns)
    assert bundled_names(graph) == {MAIN, "pkg", "pkg.light"}
    assert {m.reason for m in graph.missing} == {EXCLUDED}
    assert {"pkg.heavy", "pkg.heavy_extra", "pkg.heavyweight"} <= graph.excluded
    assert not any(name.startswith("pkg.heavy") for name in graph.modules)


PLUGINS = {
    "app.py": "import pkg\n",
    "pkg/__init__.py": "",
    "pkg/helpers.py": "",
    "pkg/plugins/__init__.py": "",
    "pkg/plugins/alpha.py": "from pkg import helpers",
    "pkg/plugins/beta.py": "",
    "pkg/plugins/_private.py": "",
    "pkg/plugins/gamma/__init__.py": "",
    "pkg/plugins/gamma/inner.py": "",
    "pkg/plugins/assets/logo.txt": "not code",
    "pkg/other.py": "",
}


def test_include_adds_every_plugin_on_disk(target: Target, tmp_path: Path) -> None:
    graph = graph_of(target, write_tree(tmp_path, PLUGINS), include=("pkg.plugins.*",))
    assert bundled_names(graph) == {
        MAIN, "pkg", "pkg.plugins", "pkg.plugins.alpha", "pkg.plugins.beta",
        "pkg.plugins._private", "pkg.plugins.gamma", "pkg.plugins.gamma.inner",
        "pkg.helpers",  # imported by alpha: included modules are scanned too
    }
    assert graph.missing == []


def test_include_narrow_pattern_and_plain_name(target: Target, tmp_path: Path) -> None:
    tree = write_tree(tmp_path, PLUGINS)
    graph = graph_of(target, tree, include=("pkg.plugins.[ab]*", "pkg.other"))
    assert bundled_names(graph) == {MAIN, "pkg", "pkg.plugins", "pkg.plugins.alpha",
                                    "pkg.plugins.beta", "pkg.helpers", "pkg.other"}


@pytest.mark.parametrize("pattern, message", [
    ("pkg.plugins.zeta*", "matches no module"),
    ("nosuch.*", "matches no module"),
    ("pkg.plugins.assets.*", "matches no module"),
    ("nosuchmodule", "no module of that name"),
    ("*", "must start with a package name"),
])
def test_include_without_match_is_an_error(target: Target, tmp_path: Path, pattern: str,
                                           message: str) -> None:
    with pytest.raises(EntryError, match=message):
        graph_of(target, write_tree(tmp_path, PLUGINS), include=(pattern,))


def test_syntax_error_names_file_and_line(target: Target, tmp_path: Path) -> None:
    tree = write_tree(tmp_path, {"app.py": "import broken\n",
                                 "broken.py": "x = 1\ndef f(:\n    pass\n"})
    with pytest.raises(FreezeError, match=rf"^{tree / 'broken.py'}:2: syntax error: "):
        graph_of(target, tree)


def test_names_computed_from_a_literal_prefix_or_relative_strings(target: Target,
                                                                  tmp_path: Path) -> None:
    """anyio's import_module(f"anyio._backends._{name}") and pydantic's lazy-import table
    of relative names reach modules no import statement names."""
    tree = write_tree(tmp_path, {
        "app.py": "import lib\n",
        "lib/__init__.py": """
            import importlib
            _lazy = {"Config": (__spec__.parent, ".deprecated.config")}
            CONSTRUCTOR = "__init__"  # a method name, not the module lib.__init__
            SKIPPED = "__pycache__"  # a folder, not a namespace package
            def backend(name):
                return importlib.import_module(f"lib._backends._{name}")
            def command(words):  # poetry: the rest of the name may hold dots
                return importlib.import_module("lib.commands." + ".".join(words))
            """,
        "lib/commands/__init__.py": "",
        "lib/commands/cache/__init__.py": "",
        "lib/commands/cache/clear.py": "",
        "lib/deprecated/__init__.py": "",
        "lib/deprecated/config.py": "import missing_optional_thing\n",
        "lib/_backends/__init__.py": "",
        "lib/_backends/_asyncio.py": "",
        "lib/_backends/_trio.py": "import no_such_event_loop\n",
        "lib/_backends/helpers.py": "",
        "lib/__pycache__/stale.txt": "",
    })
    graph = graph_of(target, tree)
    assert bundled_names(graph) == {
        MAIN, "lib", "lib.deprecated", "lib.deprecated.config", "lib._backends",
        "lib._backends._asyncio", "lib._backends._trio", "lib.commands", "lib.commands.cache",
        "lib.commands.cache.clear"}
    # The imports of modules found by hints are speculative: missing, but optional.
    assert {(m.name, m.importer, m.optional) for m in graph.missing} == {
        ("missing_optional_thing", "lib.deprecated.config", True),
        ("no_such_event_loop", "lib._backends._trio", True)}


def test_strings_may_name_modules_of_required_distributions(target: Target,
                                                             tmp_path: Path) -> None:
    """sphinx names its built-in extensions ("sphinxcontrib.applehelp"), modules of the
    distributions it requires; names of packages it does not require stay strings."""
    from freezer import distributions as files
    tree = write_tree(tmp_path, {
        "app.py": "import host\n",
        "host/__init__.py": 'BUILTIN = ("ext.help", "other.thing", "ext")\n',
        "host-1.0.dist-info/METADATA": ("Metadata-Version: 2.1\nName: host\n"
                                        "Requires-Dist: Ext_Lib>=1\n"
                                        "Requires-Dist: other ; extra == 'docs'\n\nbody\n"),
        "host-1.0.dist-info/RECORD": "host/__init__.py,,\n",
        "ext/help.py": "", "ext/unused.py": "",
        "ext_lib-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: ext-lib\n\n",
        "ext_lib-2.0.dist-info/RECORD": "ext/help.py,,\next/unused.py,,\n",
        "other/thing.py": "",
        "other-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: other\n\n",
        "other-1.0.dist-info/RECORD": "other/thing.py,,\n",
    })
    dependencies = files.dependencies(files.distributions([str(tree)]))
    assert dependencies["host"] == frozenset({"ext"})
    graph = graph_of(target, tree, dependencies=dependencies)
    assert bundled_names(graph) == {MAIN, "host", "ext", "ext.help"}


def test_extension_importing_cffi_backend_from_c(target: Target, tmp_path: Path) -> None:
    suffix = target.extension_suffixes[0]
    tree = write_tree(tmp_path, {"app.py": "import native\n", "_cffi_backend.py": ""})
    (tree / f"native{suffix}").write_bytes(b"\x7fELF...PyImport_ImportModule\0_cffi_backend\0")
    assert bundled_names(graph_of(target, tree)) == {MAIN, "native", "_cffi_backend"}


def test_modules_named_by_pickled_package_data(target: Target, tmp_path: Path) -> None:
    """babel's locale data are pickles of babel.numbers objects: unpickling imports them;
    alabaster's theme.conf names alabaster.support. Other text files are not read."""
    tree = write_tree(tmp_path, {"app.py": "import shapes\n", "shapes/__init__.py": "",
                                 "shapes/kinds.py": "", "shapes/more.py": "",
                                 "shapes/unused.py": "", "shapes/notes.txt": "shapes.unused",
                                 "shapes/style.py": "", "shapes/theme.conf":
                                 "[options]\nstyle = shapes.style.Default\nx = myshapes.unused\n"})
    data = tree / "shapes" / "data"
    data.mkdir()
    (data / "circle.dat").write_bytes(b"\x80\x02cshapes.kinds\nCircle\nq\x00)\x81q\x01.")
    (data / "square.pkl").write_bytes(  # protocol 4: STACK_GLOBAL after two strings
        b"\x80\x04\x8c\x0bshapes.more\x94\x8c\x06Square\x94\x93\x94.")
    assert bundled_names(graph_of(target, tree)) == {
        MAIN, "shapes", "shapes.kinds", "shapes.more", "shapes.style"}


def test_stdlib_hook_bundles_tzdata_for_zoneinfo(target: Target, tmp_path: Path) -> None:
    """zoneinfo falls back to the tzdata package, which no import statement names."""
    tree = write_tree(tmp_path, {
        "app.py": "import zoneinfo\n",
        "tzdata/__init__.py": "",
        "tzdata/zoneinfo/__init__.py": "",
        "tzdata/zoneinfo/Europe/__init__.py": "",
        "tzdata/zoneinfo/Europe/Paris": "TZif",
    })
    from freezer.hooks import BUILTIN
    graph = graph_of(target, tree, hooks=BUILTIN)
    assert bundled_names(graph) == {MAIN, "tzdata", "tzdata.zoneinfo", "tzdata.zoneinfo.Europe"}


def test_hook_bundles_the_sphinx_extensions_a_projects_conf_py_may_name(
        target: Target, tmp_path: Path) -> None:
    tree = write_tree(tmp_path, {
        "app.py": "import sphinx.cmd.build\n",
        "sphinx/__init__.py": "",
        "sphinx/cmd/__init__.py": "",
        "sphinx/cmd/build.py": "",
        "sphinx/ext/__init__.py": "",
        "sphinx/ext/todo.py": "",
        "sphinx/ext/napoleon/__init__.py": "",
        "sphinx/ext/napoleon/docstring.py": "",
    })
    from freezer.hooks import BUILTIN
    assert {"sphinx.ext.todo", "sphinx.ext.napoleon", "sphinx.ext.napoleon.docstring"} <= (
        bundled_names(graph_of(target, tree, hooks=BUILTIN)))


def test_hook_bundles_what_lxml_etree_imports_from_compressed_strings(
        target: Target, tmp_path: Path) -> None:
    tree = write_tree(tmp_path, {"app.py": "import lxml\n", "lxml/__init__.py": "",
                                 "lxml/_elementpath.py": ""})
    from freezer.hooks import BUILTIN
    assert "lxml._elementpath" in bundled_names(graph_of(target, tree, hooks=BUILTIN))


def test_compiled_modules_are_followed_through_their_source_and_their_strings(
        target: Target, tmp_path: Path) -> None:
    """mypyc ships each module's source beside its .so; Cython keeps the names it
    imports as strings. Either way, what the compiled module imports is found."""
    suffix = target.extension_suffixes[0]
    tree = write_tree(tmp_path, {
        "app.py": "import pkg.fast\n",
        "pkg/__init__.py": "",
        "pkg/fast.py": "import os\nimport pkg.other\nDATA = os.path.dirname(__file__)\n",
        "pkg/other.py": "",
        "pkg/helper.py": "",
        "pkg/_sibling.py": "",
        "pkg/unnamed.py": "",
    })
    (tree / "pkg" / f"fast{suffix}").write_bytes(b"\x7fELF\x00pkg.helper\x00_sibling\x00os\x00")
    graph = graph_of(target, tree)
    fast = graph.modules["pkg.fast"]
    assert fast.spec.kind == "extension" and fast.reads_own_files
    assert "pkg.other" in fast.imports
    assert {"pkg.other", "pkg.helper", "pkg._sibling"} <= bundled_names(graph)
    assert "pkg.unnamed" not in graph.modules


def test_rust_modules_bring_the_required_packages_they_name(target: Target, tmp_path: Path) -> None:
    """A PyO3 module imports from Rust by names that are not NUL-terminated, even
    run together (pipdeptree's core: `nab_index.multi_indexnab_index.urllib`): a
    package its distribution requires that its bytes name comes whole."""
    suffix = target.extension_suffixes[0]
    tree = write_tree(tmp_path, {
        "app.py": "import tool._core\n",
        "tool/__init__.py": "",
        "index/__init__.py": "",
        "index/multi.py": "",
        "index/sub/__init__.py": "",
        "index/sub/deep.py": "",
        "unnamed/__init__.py": "",
        "unrequired/__init__.py": "",
    })
    (tree / "tool" / f"_core{suffix}").write_bytes(
        b"\x7fELF pyo3 runtime index.multiindex.sub.deep unrequired")
    required = {"tool": frozenset({"index", "unnamed"})}
    names = bundled_names(graph_of(target, tree, dependencies=required))
    assert {"index", "index.multi", "index.sub", "index.sub.deep"} <= names
    assert not {"unnamed", "unrequired"} & names
    (tree / "tool" / f"_core{suffix}").write_bytes(b"\x7fELF no runtime named: index.multi")
    assert "index" not in bundled_names(graph_of(target, tree, dependencies=required))


def test_modules_whose_file_builds_paths_are_extracted(target: Target, tmp_path: Path) -> None:
    """`X.__file__` names X's package, through the names it was bound to; a module it
    cannot name is most likely its own package's, unless it is bound nowhere in the
    module (a parameter: the caller's module); a module running files by path takes
    its whole top-level package, every module of it included."""
    tree = write_tree(tmp_path, {
        "app.py": "import pkg, lint.run, guess.deep.mod, caller\n",
        "pkg/__init__.py": """
            import os
            from . import v4 as v
            from .helpers import function as f
            HERE = os.path.dirname(v.__file__), os.path.dirname(f.__file__)
        """,
        "pkg/v4/__init__.py": "",
        "pkg/helpers.py": "def function(): pass\n",
        "lint/__init__.py": "",
        "lint/run.py": """
            import importlib.util
            def load(path):
                spec = importlib.util.spec_from_file_location("rule", path)
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
        """,
        "lint/rules/__init__.py": "",
        "lint/rules/unused.py": "",
        "guess/__init__.py": "",
        "guess/deep/__init__.py": "",
        "guess/deep/mod.py": ("import importlib, os\nm = importlib.import_module(NAME)\n"
                              "def where():\n    return os.path.dirname(m.__file__)\n"),
        "caller/__init__.py": "import os\ndef where(m):\n    return os.path.dirname(m.__file__)\n",
    })
    graph = graph_of(target, tree)
    assert {"pkg.v4", "pkg.helpers", "lint", "guess"} <= graph.extract
    assert {"lint.rules", "lint.rules.unused"} <= bundled_names(graph)
    assert "pkg" not in graph.extract and "caller" not in graph.extract
